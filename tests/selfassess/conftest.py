"""Fixtures of the questionnaire tests: templates saved and opened again."""

from __future__ import annotations

import pytest

from openindex.io import load_workbook, save_workbook
from openindex.selfassess.template import template_workbook


@pytest.fixture(scope="module")
def saved(icc, opencities, tmp_path_factory):
    """Templates saved and opened again: (framework, network, openpyxl workbook) per name."""
    out = {}
    folder = tmp_path_factory.mktemp("templates")
    for name, (fw, ds, _), kwargs in [("icc", icc, {}), ("open", opencities, {"network": opencities[1]}),
                                   ("open_avl", opencities, {"network": opencities[1], "unit": "AVL"})]:
        path = save_workbook(folder / f"{name}.xlsx", template_workbook(fw, **kwargs))
        out[name] = (fw, ds, load_workbook(path), path)
    return out
