"""Reading a filled questionnaire back: prefilled and blank templates, the language, LibreOffice's copy."""

from __future__ import annotations

import math
import os
import shutil
import subprocess

import pytest

from openindex.io import load_workbook, save_workbook
from openindex.selfassess.read import read_filled
from openindex.selfassess.template import sheet_names, template_workbook


def test_prefilled_template_reads_back_as_the_unit_data(saved, opencities) -> None:
    fw, ds, wb, path = saved["open_avl"]
    data = ds.for_edition()
    i = data.unit_codes.index("AVL")
    filled = read_filled(wb, fw, file=str(path))
    assert not filled.errors and filled.unit == "AVL" and filled.name == data.unit_names[i]
    row = filled.table.frame.iloc[0]
    for j, code in enumerate(fw.indicator_codes):
        if fw.indicators[code].type == "questionnaire":
            assert row[code] == data.answers[code].iat[i]
        elif math.isnan(data.values[i, j]):
            assert row[code] == ""
        else:
            assert row[code] == data.values[i, j]
    assert row["population"] == data.units["population"].iat[i]
    assert row["region"] == data.units["region"].iat[i]


def test_blank_template_reads_back_with_nothing_answered(saved) -> None:
    fw, _, wb, _ = saved["icc"]
    filled = read_filled(wb, fw)
    assert not filled.errors
    assert not filled.items["answered"].any()
    assert filled.unit == "SELF"


@pytest.mark.parametrize("lang", ["fr", "de", "it", "es"])
def test_the_language_of_the_workbook_is_read_back(icc, lang, tmp_path) -> None:
    fw, _, _ = icc
    wb = load_workbook(save_workbook(tmp_path / "t.xlsx", template_workbook(fw, lang=lang)))
    assert read_filled(wb, fw).lang == lang


# --------------------------------------------------------------------------------------
# LibreOffice (Debian's): the workbook converts to PDF, and a LibreOffice-saved copy reads back
# --------------------------------------------------------------------------------------

SOFFICE = shutil.which("libreoffice") or shutil.which("soffice")


@pytest.mark.libreoffice
@pytest.mark.skipif(SOFFICE is None, reason="LibreOffice is not installed (`make test` installs Debian's "
                    "libreoffice-calc-nogui as root; or: apt-get install libreoffice-calc-nogui)")
def test_libreoffice_converts_the_workbook(saved, tmp_path) -> None:
    """~5-20 s: `libreoffice --headless --convert-to pdf` and a round trip through LibreOffice's own xlsx."""
    fw, _, _, path = saved["open_avl"]
    env = {**os.environ, "HOME": str(tmp_path)}
    profile = f"-env:UserInstallation=file://{tmp_path / 'profile'}"
    for target in ("pdf", "xlsx:Calc Office Open XML"):
        out = tmp_path / target.split(":")[0]
        run = subprocess.run([SOFFICE, profile, "--headless", "--convert-to", target, "--outdir", str(out),
                              str(path)], capture_output=True, text=True, timeout=180, env=env)
        assert run.returncode == 0, run.stderr
        produced = out / (path.stem + "." + target.split(":")[0])
        assert produced.exists() and produced.stat().st_size > 1000, run.stdout + run.stderr
    pdf = (tmp_path / "pdf" / (path.stem + ".pdf")).read_bytes()
    assert pdf.startswith(b"%PDF")
    again = load_workbook(tmp_path / "xlsx" / path.name)  # as LibreOffice saved it
    filled = read_filled(again, fw)
    assert not filled.errors, [str(p) for p in filled.errors]
    assert filled.unit == "AVL"
    ws = again[sheet_names(fw)[fw.levels[1][0]]]
    assert {dv.type for dv in ws.data_validations.dataValidation} == {"decimal"}
