"""Links to outside variables (OECD/JRC Handbook, step 9): the index and every node against variables
measured outside the index, with confidence intervals and partial correlations controlling for city size.

A composite indicator should relate to the outside measures it is meant to explain or
predict, and it should not just measure size: a city index that mostly ranks cities by
population says little more than the population does. :func:`external_correlations`
correlates every node the audit covers with each outside variable (Pearson and
Spearman, with a Fisher-z confidence interval) and, when the framework declares a
numeric ``population`` attribute, gives the same correlations with the logarithm of
population partialled out, and the correlation of every node with log population itself
(the flag ``size_correlation`` of :func:`~openindex.analysis.audit.flags.audit_flags`
reads it for the index).

References
----------
OECD/JRC (2008). Handbook on Constructing Composite Indicators: Methodology and User
    Guide, step 9 "Links to other indicators". OECD Publishing, Paris.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from openindex.analysis.audit.stats import check_choice, corr_test, fisher_ci, partial_corr
from openindex.analysis.audit.tables import audit_values
from openindex.errors import MethodError

if TYPE_CHECKING:
    from openindex.engine.result import Result

__all__ = ["EXTERNAL_COLUMNS", "SIZE_STATUSES", "SizeControl", "size_control", "size_variable",
           "external_correlations"]

EXTERNAL_COLUMNS = ["node", "level", "variable", "method", "n", "r", "p", "ci_low", "ci_high", "control",
                    "partial_n", "partial_r", "partial_p", "partial_ci_low", "partial_ci_high"]
#: what became of the size control: used; the framework declares no such numeric attribute; too few
#: positive values in the edition audited
SIZE_STATUSES: tuple[str, ...] = ("used", "absent", "empty")


@dataclass(frozen=True)
class SizeControl:
    """The size variable of the audited units: the logarithm of their population.

    Attributes
    ----------
    attribute : str
        Code of the population attribute asked for (``"population"`` by default).
    status : {"used", "absent", "empty"}
        ``"used"``: ``values`` holds log population; ``"absent"``: the framework declares
        no numeric attribute ``attribute``; ``"empty"``: fewer than 4 units of the
        edition have a positive population.
    values : ndarray or None
        ``log(population)`` per unit of the result (NaN where missing or not positive).
    n_missing : int
        Units whose population is missing or not positive (left out of the partial correlations).
    """

    attribute: str
    status: str
    values: np.ndarray | None
    n_missing: int

    @property
    def variable(self) -> str:
        """The name of the size variable in the tables: ``log(<attribute>)``."""
        return size_variable(self.attribute)


def size_variable(attribute: str = "population") -> str:
    """The name of the size variable of ``attribute`` in the tables: ``log(<attribute>)``."""
    return f"log({attribute})"


def size_control(result: Result, attribute: str = "population") -> SizeControl:
    """The logarithm of the population attribute of the units of ``result`` (see :class:`SizeControl`).

    The natural logarithm is taken: city sizes span orders of magnitude, and size effects
    are usually proportional (a city twice as large, not 100,000 inhabitants more).
    """
    attr = result.framework.attributes.get(attribute)
    units = result.dataset.units
    if attr is None or attr.kind != "numeric" or attribute not in units.columns:
        return SizeControl(attribute, "absent", None, len(result.units))
    pop = pd.to_numeric(units[attribute], errors="coerce").to_numpy(dtype=float)
    ok = pop > 0
    with np.errstate(invalid="ignore", divide="ignore"):
        values = np.where(ok, np.log(np.where(ok, pop, 1.0)), np.nan)
    n_missing = int((~ok).sum())
    if int(ok.sum()) < 4:
        return SizeControl(attribute, "empty", None, n_missing)
    return SizeControl(attribute, "used", values, n_missing)


def _nodes_top_down(result: Result, values: dict[str, np.ndarray]) -> list[str]:
    fw = result.framework
    return [code for level in range(fw.n_levels, 0, -1) for code in fw.levels[level - 1] if code in values]


def external_correlations(result: Result, variables: pd.DataFrame, *, stage: str = "normalised",
                          population: str = "population", methods: Sequence[str] = ("pearson", "spearman"),
                          level: float = 0.95) -> tuple[pd.DataFrame, SizeControl]:
    """Correlations of the index and every node with outside variables, plain and controlling for size.

    For node ``y`` (the index, every aggregate, and the indicators at ``stage`` unless it is
    ``"aggregated"``; values as in :func:`~openindex.analysis.audit.tables.correlations`) and
    variable ``v``, on pairwise-complete units:

    - ``r, p, n``: :func:`~openindex.analysis.audit.stats.corr_test` (Pearson's r or
      Spearman's rho, two-sided p-value of ``r = 0``);
    - ``ci_low, ci_high``: the ``level`` confidence interval of ``r`` by Fisher's z
      (:func:`~openindex.analysis.audit.stats.fisher_ci`);
    - ``partial_r, partial_p, partial_n, partial_ci_low, partial_ci_high``: the partial
      correlation controlling for ``z = log(population)`` on the units where all three are
      present (:func:`~openindex.analysis.audit.stats.partial_corr`), its p-value, and its
      Fisher-z interval with one variable partialled out; NaN when the control is not
      available (see :class:`SizeControl`).

    When the control is available, ``log(population)`` is also a variable of the table (its
    last one, without partial correlation): the correlation of every node with size.

    Parameters
    ----------
    result : Result
        A built index.
    variables : DataFrame
        Index: unit codes; one numeric column per outside variable (NaN is missing). Units
        of ``result`` not in it count as missing; units not in ``result`` are ignored (the
        reader, :func:`openindex.data.external.load_external`, refuses unknown units).
    stage : str
        Stage of the indicator values (one of ``AUDIT_STAGES``).
    population : str
        Code of the population attribute. Default ``"population"``.
    methods : sequence of {"pearson", "spearman"}
    level : float
        Confidence level of the intervals. Default 0.95.

    Returns
    -------
    table : DataFrame
        ``node, level, variable, method, n, r, p, ci_low, ci_high, control, partial_n,
        partial_r, partial_p, partial_ci_low, partial_ci_high`` (``control`` is the
        variable partialled out, ``""`` when none): nodes from the index down in
        framework order, then variables in the order given, then methods.
    control : SizeControl
        The size variable and whether it could be used.
    """
    for m in methods:
        check_choice("methods", m, ("pearson", "spearman"), "external_correlations")
    control = size_control(result, population)
    if control.variable in variables.columns:
        raise MethodError(f"an outside variable is called '{control.variable}', the name of the size control; "
                          "rename it")
    aligned = variables.reindex(list(result.units))
    columns = {str(c): aligned[c].to_numpy(dtype=float) for c in aligned.columns}
    z = control.values
    if z is not None:
        columns[control.variable] = z
    values = audit_values(result, stage)
    fw = result.framework
    rows = []
    for node in _nodes_top_down(result, values):
        y = values[node]
        for name, v in columns.items():
            partial = z is not None and name != control.variable
            for m in methods:
                r, p, n = corr_test(y, v, m)
                lo, hi = fisher_ci(r, n, level=level, method=m)
                if partial:
                    assert z is not None
                    pr, pp, pn = partial_corr(y, v, z, m)
                    plo, phi = fisher_ci(pr, pn, level=level, method=m, controls=1)
                else:
                    pr = pp = plo = phi = math.nan
                    pn = 0
                rows.append((node, fw.level_of(node), name, m, n, r, p, lo, hi,
                             control.variable if partial else "", pn, pr, pp, plo, phi))
    return pd.DataFrame(rows, columns=EXTERNAL_COLUMNS), control
