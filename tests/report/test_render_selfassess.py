"""The self-assessment page: the report's city profile with method note, completeness and what-if sections."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from openindex.engine.result import BuildWarning
from openindex.i18n import answer_labels
from openindex.io import load_workbook, save_workbook
from openindex.report.build import report_for
from openindex.report.render import CSP, esc
from openindex.report.render.selfassess import (
    completeness_section,
    method_note,
    notes_of,
    profile_html,
    whatif_section,
)
from openindex.selfassess.read import read_workbook
from openindex.selfassess.score import assess
from openindex.selfassess.template import fill_cells, template_workbook

UNIT = "I11"


@pytest.fixture(scope="module")
def assessed(icc, tmp_path_factory):
    """A network city's self-assessment with four items left unanswered and evidence for two answers."""
    fw, ds, net = icc
    data = ds.for_edition(net.edition)
    i = data.unit_codes.index(UNIT)
    answers = {}
    for j, code in enumerate(fw.indicator_codes):
        ind = fw.indicators[code]
        if ind.type == "questionnaire":
            a = data.answers[code].iat[i]
            if a:
                answers[code] = answer_labels(fw, code, "en")[[o.code for o in ind.options].index(a)]
        elif not np.isnan(data.values[i, j]):
            answers[code] = float(data.values[i, j])
    dropped = list(answers)[:4]
    for code in dropped:
        answers.pop(code)
    evidenced = list(answers)[:2]
    city = {"unit": UNIT, "name": data.unit_names[i]}
    for a in fw.attributes:
        v = data.units[a].iat[i]
        city[a] = v.item() if hasattr(v, "item") else v
    wb = template_workbook(fw)
    fill_cells(wb, answers, city=city, evidence={c: "Council decision 12/2024" for c in evidenced})
    path = save_workbook(tmp_path_factory.mktemp("sa") / "filled.xlsx", wb)
    filled, dataset = read_workbook(load_workbook(path), fw, file=str(path))
    sa = assess(net, filled, dataset)
    return sa, report_for(sa.joined, lang="en"), dropped


def test_the_page_is_self_contained_with_the_sections_around_the_profile(assessed) -> None:
    sa, data, _ = assessed
    html = profile_html(data, sa.unit, title="Self-assessment <of> a city", subtitle="against the network",
                        before=[method_note(data, sa.scored)],
                        after=[completeness_section(data, sa.filled.items, notes_of(sa.warnings)),
                               whatif_section(data, pd.DataFrame(), [], mode="fixed")])
    for part in ('id="completeness"', 'id="whatif"', 'id="method-note"', 'class="profile"'):
        assert part in html
    assert html.index('id="method-note"') < html.index('class="profile"') < html.index('id="completeness"') \
        < html.index('id="whatif"')
    assert ' hidden>' not in html.split('class="profile"', 1)[1][:200]  # the profile is shown
    assert "<h1>Self-assessment &lt;of&gt; a city</h1>" in html
    # self-contained like report.html: the same no-network policy, no external script or stylesheet
    assert f'<meta http-equiv="Content-Security-Policy" content="{esc(CSP)}">' in html
    assert "<script src=" not in html and '<link rel="stylesheet"' not in html


def test_completeness_lists_unanswered_items_with_their_cells(assessed) -> None:
    sa, data, dropped = assessed
    html = completeness_section(data, sa.filled.items)
    assert esc(data.text("sa_unanswered_title")) in html and esc(data.text("sa_no_evidence_title")) in html
    items = sa.filled.items.set_index("code")
    for code in dropped:
        assert esc(data.labels[code]) in html
        assert esc(f"{items.at[code, 'sheet']}!{items.at[code, 'cell']}") in html
    assert esc(data.text("sa_notes_title")) not in html  # no notes given
    with_notes = completeness_section(data, sa.filled.items, ["a note <b>"])
    assert "<li>a note &lt;b&gt;</li>" in with_notes


def test_method_note_names_the_items_beyond_the_network(assessed) -> None:
    sa, data, _ = assessed
    codes = list(data.framework.indicator_codes[:2])
    beyond = replace(sa.scored, warnings=(BuildWarning("beyond_network", "beyond the network's range: ...",
                                                       tuple(codes)),))
    html = method_note(data, beyond)
    names = ", ".join(data.labels[c] for c in codes)
    assert esc(data.text("sa_beyond", items=names)) in html
    assert esc(data.text("sa_method")) in html
    quiet = method_note(data, replace(sa.scored, warnings=()))
    assert esc(data.text("sa_beyond", items="")).split(":")[0] not in quiet


def test_whatif_without_moves_says_so(assessed) -> None:
    sa, data, _ = assessed
    html = whatif_section(data, pd.DataFrame(), [], mode="fixed", peer_label="Large <cities>")
    assert f'<p class="none">{esc(data.text("wi_none"))}</p>' in html
    assert esc(data.text("wi_moves", group="Large <cities>")) in html
