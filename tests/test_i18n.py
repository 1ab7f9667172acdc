"""Interface strings and translated names: every language complete, framework translations with fallback."""

from __future__ import annotations

import re
import string
from importlib import resources
from pathlib import Path

import pytest

from openindex import parse_framework
from openindex.cli import main
from openindex.data.validate import read_dataset
from openindex.errors import FrameworkError, ProblemCode, format_problems
from openindex.i18n import (
    LANGUAGES,
    attribute_text,
    framework_name,
    load_strings,
    peer_group_name,
    peer_label,
    untranslated,
)
from openindex.io import load_yaml_text, read_framework
from openindex.report.build import build_report
from openindex.report.data import ReportOptions
from openindex.report.render import render_report
from tests.conftest import TINY_YAML


def test_strings_complete_for_every_language():
    shipped = sorted(p.name for p in resources.files("openindex.i18n").iterdir() if p.name.endswith(".json"))
    assert shipped == sorted(f"{lang}.json" for lang in LANGUAGES)
    en = load_strings("en")
    fields = {k: {f for _, f, _, _ in string.Formatter().parse(v) if f} for k, v in en.items()}
    for lang in LANGUAGES:
        strings = load_strings(lang)
        assert set(strings) == set(en), (lang, set(strings) ^ set(en))
        for key, text in strings.items():
            assert text.strip(), (lang, key)
            assert {f for _, f, _, _ in string.Formatter().parse(text) if f} == fields[key], (lang, key)
        if lang != "en":
            same = [k for k in en if strings[k] == en[k] and len(en[k]) > 12]
            assert len(same) < 5, (lang, same)  # really translated


def test_load_yaml_translations_roundtrip():
    doc = load_yaml_text(TINY_YAML)
    doc["translations"] = {"de": {"name": "Kleiner Index"}}
    fw = parse_framework(doc)
    assert framework_name(fw, "de") == "Kleiner Index" and framework_name(fw, "fr") == "Tiny test index"


# --------------------------------------------------------------------------------------
# Translations of a framework: complete in the bundled ones, listed when missing
# --------------------------------------------------------------------------------------

BUNDLED = sorted((Path(__file__).resolve().parents[1] / "indicators").glob("*.yaml"))

SMALL_YAML = """\
name: Small index
levels: [Indicator, Index]
translations: {fr: {name: Petit indice, levels: [Indicateur, Indice]}}
aggregates:
  - code: INDEX
    name: Small index
    translations: {fr: {name: Petit indice}}
indicators:
  - code: a
    name: Alpha
    parent: INDEX
    translations: {fr: {name: Alpha}}
  - code: b
    name: Beta
    parent: INDEX
    unit: "%"
"""


@pytest.mark.parametrize("path", BUNDLED, ids=lambda p: p.name)
@pytest.mark.parametrize("lang", ["fr", "de"])
def test_bundled_frameworks_have_every_text_translated(path, lang):
    missing = untranslated(read_framework(path), lang)
    assert not missing, format_problems(missing[:20], f"{len(missing)} texts of {path.name} lack '{lang}'")


def test_untranslated_lists_each_missing_text_with_its_line(tmp_path):
    path = tmp_path / "small.yaml"
    path.write_text(SMALL_YAML, encoding="utf-8")
    fw = read_framework(path)
    [p] = untranslated(fw, "fr")  # the unit "%" needs no translation
    line = SMALL_YAML.splitlines().index("    name: Beta") + 1
    assert p.code == ProblemCode.MISSING_TRANSLATION and p.severity == "warning"
    assert p.location == f"indicators[1].name (line {line})" and p.indicator == "b" and p.value == "Beta"
    assert "translations: {fr: {name: ...}}" in p.problem
    assert untranslated(fw, "en") == []  # the language of the file
    assert len(untranslated(fw, "de")) == 6  # name, level names (2), aggregate name, indicator names (2)


def test_untranslated_counts_attributes_peer_groups_and_answers(tiny_dict):
    tiny_dict["peer_groups"] = [
        {"code": "size", "name": "Size", "by": "population", "bands": [100000], "labels": ["small", "large"],
         "translations": {"fr": {"labels": ["petite", "grande"]}}},
        {"code": "lists", "members": {"north": ["AAA"]}},
    ]
    fw = parse_framework(tiny_dict)
    where = {p.location.split(" (")[0] for p in untranslated(fw, "fr")}
    assert {"attributes[0].name", "attributes[1].name", "peer_groups[0].name", "peer_groups[1].members.north",
            "indicators[5].options[0].label", "indicators[5].options[2].label"} <= where
    assert not any(w.startswith("peer_groups[0].labels") for w in where)


def test_peer_labels_in_every_language(tiny_dict):
    tiny_dict["peer_groups"] = [
        {"code": "size", "name": "Population size", "by": "population", "bands": [2.5, 100000],
         "translations": {"fr": {"name": "Taille"}}},
        {"code": "named", "by": "population", "bands": [100000], "labels": ["small", "large"],
         "translations": {"de": {"labels": ["klein", "groß"]}}},
        {"code": "similar", "nearest": 3, "on": ["population"]},
        {"code": "lists", "members": {"north": ["AAA"]}, "translations": {"fr": {"groups": {"north": "nord"}}}},
        {"code": "region", "by": "region", "translations": {"fr": {"groups": {"North": "Nord"}}}},
    ]
    fw = parse_framework(tiny_dict)
    assert peer_group_name(fw, "size", "fr") == "Taille" and peer_group_name(fw, "size", "de") == "Population size"
    assert peer_group_name(fw, "similar", "fr") == "similar"
    given = ["< 2.5", "2.5 to < 100,000", ">= 100,000"]  # the names peer_matrix gives
    assert [peer_label(fw, "size", x, "en") for x in given] == given
    assert [peer_label(fw, "size", x, "fr") for x in given] == \
        ["moins de 2,5", "de 2,5 à moins de 100\u202f000", "100\u202f000 et plus"]
    assert peer_label(fw, "size", ">= 100,000", "de") == "100.000 und mehr"
    assert peer_label(fw, "size", "not a band", "fr") == "not a band"
    assert peer_label(fw, "named", "large", "de") == "groß" and peer_label(fw, "named", "large", "fr") == "large"
    assert peer_label(fw, "similar", "3 nearest", "fr") == "les 3 plus proches"
    assert peer_label(fw, "similar", "3 nearest", "en") == "3 nearest"
    assert peer_label(fw, "lists", "north", "fr") == "nord" and peer_label(fw, "lists", "north", "it") == "north"
    assert peer_label(fw, "region", "North", "fr") == "Nord" and peer_label(fw, "region", "South", "fr") == "South"
    assert peer_label(fw, "region", "", "fr") == ""


@pytest.mark.parametrize("group, message", [
    ({"code": "g", "by": "population", "bands": [1], "translations": {"fr": {"labels": ["a", "b", "c"]}}},
     "names 3 bands but the 1 cut points make 2"),
    ({"code": "g", "by": "region", "translations": {"fr": {"labels": ["a"]}}}, "has no `bands`"),
    ({"code": "g", "nearest": 2, "on": ["population"], "translations": {"fr": {"groups": {"x": "y"}}}},
     "a peer group by nearest has none"),
    ({"code": "g", "members": {"north": ["AAA"]}, "translations": {"fr": {"groups": {"nort": "nord"}}}},
     "unknown list(s) nort; the lists are: north"),
])
def test_peer_group_translations_are_checked(tiny_dict, group, message):
    tiny_dict["peer_groups"] = [group]
    with pytest.raises(FrameworkError, match=re.escape(message)):
        parse_framework(tiny_dict)


def test_attribute_texts_fall_back_to_the_original(tiny_dict):
    tiny_dict["attributes"][0].update(unit="inhabitants", translations={"fr": {"name": "Population totale"}})
    fw = parse_framework(tiny_dict)
    assert attribute_text(fw, "population", "name", "fr") == "Population totale"
    assert attribute_text(fw, "population", "unit", "fr") == "inhabitants"
    assert attribute_text(fw, "population", "name", "de") == "Population"


def test_report_shows_peer_groups_and_attributes_in_its_language(tiny_paths):
    fw_path, data_path = tiny_paths
    doc = load_yaml_text(fw_path.read_text(encoding="utf-8"))
    doc["attributes"][0]["translations"] = {"fr": {"name": "Population totale"}}
    doc["peer_groups"] = [
        {"code": "size", "name": "Population size", "by": "population", "bands": [100000],
         "translations": {"fr": {"name": "Taille de la population"}}},
        {"code": "similar", "name": "Similar cities", "nearest": 2, "on": ["population"]}]
    fw = parse_framework(doc)
    ds = read_dataset(str(data_path), fw)
    page = render_report(build_report(fw, ds, options=ReportOptions(lang="fr")))
    assert "Taille de la population" in page and "moins de 100\u202f000" in page and "100\u202f000 et plus" in page
    assert "les 2 plus proches" in page and "Population totale" in page
    assert "Population size" not in page and "2 nearest" not in page and "< 100,000" not in page
    english = render_report(build_report(fw, ds))
    assert "Population size" in english and "&lt; 100,000" in english and "2 nearest" in english


def test_cli_validate_lang_lists_each_missing_text_with_its_line(tmp_path, capsys):
    path = tmp_path / "small.yaml"
    path.write_text(SMALL_YAML, encoding="utf-8")
    assert main(["validate", str(path), "--lang", "fr"]) == 0
    out = capsys.readouterr().out
    line = SMALL_YAML.splitlines().index("    name: Beta") + 1
    assert "translations into 'fr': 1 text of the framework without one" in out
    assert f'  indicators[1].name (line {line}): "Beta"\n' in out and "Small index\"" not in out
    assert main(["validate", str(path), "--lang", "de"]) == 0
    assert "translations into 'de': 6 texts" in capsys.readouterr().out
    assert main(["validate", str(BUNDLED[0]), "--lang", "fr"]) == 0
    assert "translations into 'fr': complete" in capsys.readouterr().out


def test_cli_template_prints_the_count_of_untranslated_texts(tmp_path, capsys):
    path = tmp_path / "small.yaml"
    path.write_text(SMALL_YAML, encoding="utf-8")
    assert main(["template", str(path), "--out", str(tmp_path / "q.xlsx"), "--lang", "de"]) == 0
    out = capsys.readouterr().out
    assert f"translations into 'de': 6 texts of the framework without one (shown as written); `openindex " \
           f"validate {path} --lang de` lists them" in out
    assert main(["template", str(path), "--out", str(tmp_path / "q2.xlsx")]) == 0
    assert "translations" not in capsys.readouterr().out
