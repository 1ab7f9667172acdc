"""COINr import on the real ASEM index (../shared/datasets/asem)."""

from __future__ import annotations

from openindex import read_dataset, read_framework
from openindex.cli import main


def test_import_asem(asem_dir, tmp_path, capsys):
    out = tmp_path / "asem"
    code = main(["import-coinr", str(asem_dir / "iMeta.csv"), str(asem_dir / "iData.csv"), "--out", str(out),
                 "--levels", "Indicator,Pillar,Sub-index,Index"])
    assert code == 0, capsys.readouterr().err
    fw = read_framework(out / "framework.yaml")
    assert [len(level) for level in fw.levels] == [49, 8, 2, 1]
    assert fw.root == "Index"
    assert fw.indicators["Flights"].denominator == "Population"
    assert fw.indicators["Tariff"].direction == -1
    assert fw.build.denominate.method == "by_column"
    assert {a for a in fw.attributes} == {"GDP_group", "GDPpc_group", "Pop_group", "EurAsia_group",
                                          "Area", "Energy", "GDP", "Population"}
    ds = read_dataset(str(out / "data.csv"), fw)
    assert ds.n_units == 51 and ds.editions == (2018,)
    assert int((~__import__("numpy").isnan(ds.values)).sum()) == 51 * 49 - 63  # 63 missing cells
    assert main(["validate", str(out / "framework.yaml"), "--data", str(out / "data.csv")]) == 0
    assert "49 indicators in 8 pillars in 2 sub-indexes" in capsys.readouterr().out


def test_import_default_level_names(asem_dir, tmp_path):
    assert main(["import-coinr", str(asem_dir / "iMeta.csv"), str(asem_dir / "iData.csv"),
                 "--out", str(tmp_path)]) == 0
    assert read_framework(tmp_path / "framework.yaml").level_names == ("Indicator", "Pillar", "Sub-index", "Index")
