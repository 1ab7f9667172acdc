"""Interface strings and translated names: the texts of the report and the questionnaire in every language.

Two sources of text, one place to read them:

* **UI strings** (headings, table columns, sentences of the report and of the questionnaire
  workbook): one JSON file per language shipped beside this module, ``<lang>.json``, mapping
  the same keys to texts in every language (:func:`load_strings`); ``LANGUAGES`` lists them.
* **Framework texts** (names, descriptions, units, questions, answer labels, level names):
  written in the framework file, translated under its ``translations:`` keys and read here
  with the original text as fallback (:func:`translated`, :func:`labels`,
  :func:`level_names`, :func:`framework_name`, :func:`answer_label`, :func:`answer_labels`).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from openindex.errors import OpenIndexError
from openindex.io import read_resource

if TYPE_CHECKING:
    from openindex.model.framework import Framework

__all__ = ["LANGUAGES", "load_strings", "translated", "labels", "level_names", "framework_name", "answer_label",
           "answer_labels"]

#: languages of the UI strings shipped as ``openindex/i18n/<lang>.json``
LANGUAGES: tuple[str, ...] = ("en", "fr", "de")


def load_strings(lang: str) -> dict[str, str]:
    """The UI strings of ``lang`` (``openindex/i18n/<lang>.json``)."""
    if lang not in LANGUAGES:
        raise OpenIndexError(f"no UI strings for language '{lang}'; available: {', '.join(LANGUAGES)}")
    return dict(json.loads(read_resource("openindex.i18n", f"{lang}.json")))


def translated(framework: Framework, code: str, field: str, lang: str) -> str:
    """A node's text ``field`` (name, description, unit, question) in ``lang``, else the original."""
    node = framework.node(code)
    t = node.translations.get(lang)
    text = getattr(t, field, "") if t is not None else ""
    return text or str(getattr(node, field, "") or "")


def labels(framework: Framework, lang: str = "en") -> dict[str, str]:
    """Code -> name in ``lang`` for every indicator and aggregate."""
    return {c: translated(framework, c, "name", lang) for c in (*framework.indicator_codes, *framework.aggregates)}


def level_names(framework: Framework, lang: str = "en") -> tuple[str, ...]:
    """Level names bottom-up, in ``lang`` when the framework translates them."""
    t = framework.model.translations.get(lang)
    return tuple(t.levels) if t is not None and t.levels else framework.level_names


def framework_name(framework: Framework, lang: str = "en") -> str:
    """The framework's name in ``lang``, else its original name."""
    t = framework.model.translations.get(lang)
    return t.name if t is not None and t.name else framework.name


def answer_label(framework: Framework, code: str, answer: str, lang: str = "en") -> str:
    """The label of a questionnaire answer (translated when available), else the answer as given."""
    ind = framework.indicators[code]
    option = ind.option_for(answer) if answer else None
    if option is None:
        return str(answer or "")
    t = ind.translations.get(lang)
    return (t.options.get(option.code, "") if t is not None else "") or option.label or option.code


def answer_labels(framework: Framework, code: str, lang: str) -> list[str]:
    """The answer labels of a questionnaire item in ``lang`` (its label, else its code), in option order."""
    return [answer_label(framework, code, o.code, lang) for o in framework.indicators[code].options or ()]
