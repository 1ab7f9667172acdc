"""The failure-case table: problem codes defined in one place, documented, and given to every Problem."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from openindex.errors import PROBLEM_COLUMNS, Problem, ProblemCode, format_problems, problems_to_csv

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "problem-codes.md"


def _documented() -> list[str]:
    """The codes of the tables of docs/problem-codes.md (first cell of each row), in order."""
    return re.findall(r"^\| `([a-z0-9_]+)` \|", DOC.read_text(encoding="utf-8"), flags=re.MULTILINE)


def test_documented_codes_equal_the_defined_ones():
    documented = _documented()
    assert len(documented) == len(set(documented)), "a code is documented twice"
    assert set(documented) == {c.value for c in ProblemCode}


def test_every_code_is_snake_case_and_has_a_meaning_in_the_source():
    source = (ROOT / "openindex" / "errors.py").read_text(encoding="utf-8").splitlines()
    for code in ProblemCode:
        assert re.fullmatch(r"[a-z][a-z0-9]*(_[a-z0-9]+)*", code.value), code
        assert code.name == code.value.upper()
        k = next(i for i, line in enumerate(source) if line.strip() == f'{code.name} = "{code.value}"')
        assert source[k - 1].strip().startswith("#: "), f"{code.name}: no one-line meaning above it"


def test_every_problem_made_in_the_package_names_its_code():
    """Every ``Problem(...)`` call of the package passes ``code=`` (a static check: most are error paths)."""
    missing = []
    for path in sorted((ROOT / "openindex").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "Problem":
                if not any(k.arg == "code" for k in node.keywords):
                    missing.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert not missing, missing


def test_code_is_checked_against_the_list():
    p = Problem("f.csv", "line 2", "text", code="not_a_number")
    assert p.code is ProblemCode.NOT_A_NUMBER and p.code == "not_a_number"
    with pytest.raises(ValueError, match="not_a_nummber"):
        Problem("f.csv", "line 2", "text", code="not_a_nummber")
    with pytest.raises(TypeError, match="code"):
        Problem("f.csv", "line 2", "text")  # type: ignore[call-arg]


def test_code_is_a_csv_column_and_not_in_the_console_text():
    p = Problem("d.csv", "line 2, column 'gdp'", "'n/a' is not a number", unit="AAA", indicator="gdp",
                value="n/a", code=ProblemCode.NOT_A_NUMBER)
    assert PROBLEM_COLUMNS == ("file", "location", "code", "problem", "unit", "indicator", "value", "severity")
    assert problems_to_csv([p]).splitlines() == [
        "file,location,code,problem,unit,indicator,value,severity",
        "d.csv,\"line 2, column 'gdp'\",not_a_number,'n/a' is not a number,AAA,gdp,n/a,error",
    ]
    assert str(p) == "d.csv, line 2, column 'gdp': 'n/a' is not a number (found: n/a)"
    assert format_problems([p]) == ("  1. d.csv, line 2, column 'gdp': 'n/a' is not a number (found: n/a)\n"
                                    "     (unit: AAA, indicator: gdp)")
