"""Interface strings and translated names: the texts of the report and the questionnaire in every language.

Two sources of text, one place to read them:

* **UI strings** (headings, table columns, sentences of the report and of the questionnaire
  workbook): one JSON file per language shipped beside this module, ``<lang>.json``, mapping
  the same keys to texts in every language (:func:`load_strings`); ``LANGUAGES`` lists them.
* **Framework texts** (names, descriptions, units, questions, answer labels, level names,
  attributes, peer groups and their group names): written in the framework file, translated
  under its ``translations:`` keys and read here with the original text as fallback
  (:func:`translated`, :func:`labels`, :func:`level_names`, :func:`framework_name`,
  :func:`answer_label`, :func:`answer_labels`, :func:`attribute_text`,
  :func:`peer_group_name`, :func:`peer_label`). :func:`untranslated` lists every text of a
  framework that has no translation into a language.

The texts of a framework file are taken to be in English (``en``), the language the
report falls back to: every text has an ``en`` version, and :func:`untranslated` lists
nothing for it.
"""

from __future__ import annotations

import json
from functools import cache
from typing import TYPE_CHECKING, Any

from openindex.errors import OpenIndexError, Problem, ProblemCode
from openindex.io import read_resource
from openindex.model.locations import yaml_location
from openindex.model.peers import band_names

if TYPE_CHECKING:
    from openindex.model.framework import Framework

__all__ = ["LANGUAGES", "NUMBER_SEPARATORS", "load_strings", "translated", "labels", "level_names", "framework_name",
           "answer_label", "answer_labels", "attribute_text", "peer_group_name", "peer_label", "untranslated"]

#: languages of the UI strings shipped as ``openindex/i18n/<lang>.json``
LANGUAGES: tuple[str, ...] = ("en", "fr", "de", "it", "es")

#: decimal and thousands separators of numbers, per language (the report's, the band names')
NUMBER_SEPARATORS: dict[str, tuple[str, str]] = {"en": (".", ","), "fr": (",", "\u202f"), "de": (",", "."),
                                                 "it": (",", "."), "es": (",", ".")}

#: the language of the texts as written in a framework file
SOURCE_LANGUAGE = "en"


def load_strings(lang: str) -> dict[str, str]:
    """The UI strings of ``lang`` (``openindex/i18n/<lang>.json``)."""
    if lang not in LANGUAGES:
        raise OpenIndexError(f"no UI strings for language '{lang}'; available: {', '.join(LANGUAGES)}")
    return dict(_strings(lang))


@cache
def _strings(lang: str) -> dict[str, str]:
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


def attribute_text(framework: Framework, code: str, field: str, lang: str = "en") -> str:
    """An attribute's text ``field`` (name, unit, description) in ``lang``, else the original."""
    attr = framework.attributes[code]
    t = attr.translations.get(lang)
    return (getattr(t, field) if t is not None else "") or str(getattr(attr, field))


def peer_group_name(framework: Framework, code: str, lang: str = "en") -> str:
    """The name of peer group ``code`` in ``lang``, else its original name, else its code."""
    group = next(g for g in framework.model.peer_groups if g.code == code)
    t = group.translations.get(lang)
    return (t.name if t is not None else "") or group.name or group.code


def peer_label(framework: Framework, code: str, label: str, lang: str = "en") -> str:
    """A group label of peer group ``code`` (as :func:`openindex.model.peers.peer_matrix` gives it) in ``lang``.

    Band names given in ``labels`` are translated by the group's ``translations.<lang>.labels``;
    bands without ``labels`` ("< 250,000") and nearest neighbours ("6 nearest") by the UI
    strings ``peer_band_*`` and ``peer_nearest`` with the language's number separators; a
    list of ``members`` or a category by ``translations.<lang>.groups``. A label that has no
    translation is returned as it is; ``""`` (no group) stays ``""``.
    """
    group = next(g for g in framework.model.peer_groups if g.code == code)
    t = group.translations.get(lang)
    if not label:
        return label
    strings = _strings(lang if lang in LANGUAGES else SOURCE_LANGUAGE)
    if group.kind == "nearest":
        return strings["peer_nearest"].format(k=group.nearest)
    if group.kind == "bands":
        cuts = group.bands or []
        names = group.labels or band_names(cuts)
        if label not in names:
            return label
        k = names.index(label)
        if t is not None and t.labels:
            return t.labels[k]
        if group.labels:
            return label
        words = (strings["peer_band_below"], strings["peer_band_between"], strings["peer_band_above"])
        return band_names(cuts, words, NUMBER_SEPARATORS.get(lang, NUMBER_SEPARATORS[SOURCE_LANGUAGE]))[k]
    return (t.groups.get(label, "") if t is not None else "") or label


def untranslated(framework: Framework, lang: str) -> list[Problem]:
    """Every text of ``framework`` with no translation into ``lang``: one warning each, with its YAML path and line.

    The texts are those a report or a questionnaire workbook shows: the framework's name,
    description and level names; the name and description of every aggregate; the name,
    description, unit, question and answer labels of every indicator; the name, unit and
    description of every attribute; the name of every peer group, its band ``labels`` and
    the names of its lists of ``members``. A text left empty, or with no letter in it (a unit
    such as ``%``), needs none. Notes and sources are not translated (they are shown as
    written). Nothing is listed for the language of the file (:data:`SOURCE_LANGUAGE`).

    Returns
    -------
    list of Problem
        Code ``missing_translation``, severity ``"warning"``; ``location`` is the YAML path
        of the original text with its line (``indicators[3].question (line 40)``),
        ``indicator`` the code of the node (indicator or aggregate) it belongs to, ``value`` the
        text (at most 80 characters).
    """
    if lang == SOURCE_LANGUAGE:
        return []
    m = framework.model
    found: list[Problem] = []

    def need(path: tuple[Any, ...], text: str, translation: str, hint: str, code: str = "") -> None:
        if translation or not any(ch.isalpha() for ch in text):
            return
        where = "the top level of the file" if path[0] in ("name", "description", "levels") else "this entry"
        found.append(Problem(framework.source, yaml_location(path, framework.lines),
                             code=ProblemCode.MISSING_TRANSLATION,
                             problem=f"no '{lang}' translation; add translations: {{{lang}: {{{hint}}}}} to {where}",
                             indicator=code, value=_quote(text), severity="warning"))

    ft = m.translations.get(lang)
    need(("name",), m.name, _text(ft, "name"), "name: ...")
    need(("description",), m.description, _text(ft, "description"), "description: ...")
    for k, level in enumerate(m.levels):
        need(("levels", k), level, ft.levels[k] if ft is not None and ft.levels else "", "levels: [...]")
    for i, a in enumerate(m.aggregates):
        for key in ("name", "description"):
            need(("aggregates", i, key), getattr(a, key), _text(a.translations.get(lang), key), f"{key}: ...", a.code)
    for i, ind in enumerate(m.indicators):
        ti = ind.translations.get(lang)
        for key in ("name", "description", "unit", "question"):
            need(("indicators", i, key), getattr(ind, key), _text(ti, key), f"{key}: ...", ind.code)
        for j, o in enumerate(ind.options or ()):
            need(("indicators", i, "options", j, "label"), o.label, ti.options.get(o.code, "") if ti else "",
                 f"options: {{{o.code}: ...}}", ind.code)
    for i, attr in enumerate(m.attributes):
        for key in ("name", "unit", "description"):
            need(("attributes", i, key), getattr(attr, key), _text(attr.translations.get(lang), key), f"{key}: ...")
    for i, g in enumerate(m.peer_groups):
        tg = g.translations.get(lang)
        need(("peer_groups", i, "name"), g.name, _text(tg, "name"), "name: ...")
        for k, label in enumerate(g.labels or ()):
            need(("peer_groups", i, "labels", k), label, tg.labels[k] if tg is not None and tg.labels else "",
                 "labels: [...]")
        for name in g.members or {}:
            need(("peer_groups", i, "members", name), name, tg.groups.get(name, "") if tg else "",
                 f"groups: {{{name}: ...}}")
    return found


def _text(translation: Any, key: str) -> str:
    """The text ``key`` of a translation entry, ``""`` when there is no entry."""
    return str(getattr(translation, key) or "") if translation is not None else ""


def _quote(text: str, limit: int = 80) -> str:
    """``text`` on one line, cut to ``limit`` characters."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."
