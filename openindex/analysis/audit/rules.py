"""The rules of the audit: the thresholds of its flags and its missing-data options, stated once."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from openindex.analysis.audit.stats import check_choice
from openindex.errors import MethodError

__all__ = ["AuditRules"]


@dataclass(frozen=True)
class AuditRules:
    """The thresholds of the audit's flags (JRC rules of thumb unless said otherwise).

    Attributes
    ----------
    method : {"pearson", "spearman"}
        Correlation used for the correlation flags. Default ``"pearson"``.
    p_value : float
        A correlation is *not significant* when its p-value is ``>= p_value``
        (two-sided test of r = 0). Default 0.05. A finding that rests on a correlation
        which is not significant is never more serious than ``"low"``.
    redundancy : float
        Two children of one node are *redundant* when ``|r| > redundancy``. Default 0.92.
    min_alpha : float
        Cronbach's alpha below this (and >= 0) is *low*; the usual reading is that
        alpha > 0.7 is acceptable (Nunnally 1978; OECD/JRC 2008). Default 0.7.
    max_components : int
        A node is *multidimensional* when more than ``max_components`` eigenvalues of
        its correlation matrix exceed 1 (Kaiser criterion). Default 1.
    min_item_rest : float
        A component whose corrected item-total correlation (with the mean of the other
        components of its node) is below this is *weakly linked* to the rest of its node;
        below 0 and significant, it *pulls against* it. Default 0.3, the usual rule of
        thumb for corrected item-total correlations (e.g. Nunnally & Bernstein 1994;
        Field 2018).
    max_size_r : float
        The index is *tied to city size* when ``|r|`` with the logarithm of the population
        exceeds this (OECD/JRC 2008, step 9: an index should not just measure size).
        Default 0.5. Checked only with outside variables (``openindex audit --external``).
    conf_level : float
        Level of the confidence intervals of the correlations with outside variables.
        Default 0.95.
    min_first_share : float
        A node that is not multidimensional but whose first principal component
        explains less than this share of the variance has a *weak first component*.
        Default 0.5.
    importance_range : (float, float)
        Importance disagrees with weight when the ratio ``S_share / weight`` (the
        normalised correlation ratio over the normalised nominal weight) falls outside
        ``[lo, hi]``. Default (0.5, 2): the child drives its parent less than half or
        more than twice as much as its weight says.
    skew, kurtosis : float
        Outlier rule: ``|G1| > skew`` and ``G2 > kurtosis`` (G2 excess kurtosis).
        Defaults 2 and 3.5 (COINr ``check_SkewKurt``; GII audits).
    min_coverage : float
        An indicator (in an edition) or a unit with a smaller share of present values
        is flagged. Default 0.65 (a rule of thumb; GII applies thresholds of this order).
    cov_use : {"pairwise", "complete"}
        Covariances of Cronbach's alpha: pairwise-complete (default) or complete cases.
    pca_use : {"complete", "pairwise"}
        Correlation matrix of the PCA: complete cases (default; always positive
        semi-definite) or pairwise-complete.
    """

    method: Literal["pearson", "spearman"] = "pearson"
    p_value: float = 0.05
    redundancy: float = 0.92
    min_alpha: float = 0.7
    min_item_rest: float = 0.3
    max_size_r: float = 0.5
    conf_level: float = 0.95
    max_components: int = 1
    min_first_share: float = 0.5
    importance_range: tuple[float, float] = (0.5, 2.0)
    skew: float = 2.0
    kurtosis: float = 3.5
    min_coverage: float = 0.65
    cov_use: Literal["pairwise", "complete"] = "pairwise"
    pca_use: Literal["complete", "pairwise"] = "complete"

    def __post_init__(self) -> None:
        check_choice("method", self.method, ("pearson", "spearman"))
        check_choice("cov_use", self.cov_use, ("pairwise", "complete"))
        check_choice("pca_use", self.pca_use, ("complete", "pairwise"))
        for name, lo, hi in (("p_value", 0, 1), ("redundancy", 0, 1), ("min_first_share", 0, 1),
                             ("min_coverage", 0, 1), ("min_item_rest", -1, 1), ("max_size_r", 0, 1)):
            v = getattr(self, name)
            if not lo <= v <= hi:
                raise MethodError(f"The '{name}' parameter of AuditRules must be in [{lo}, {hi}]. Got {v!r} instead.")
        if not 0 < self.conf_level < 1:
            raise MethodError("The 'conf_level' parameter of AuditRules must be in (0, 1). "
                              f"Got {self.conf_level!r} instead.")
        low, high = self.importance_range
        if not 0 < low <= 1 <= high:
            raise MethodError("The 'importance_range' parameter of AuditRules must be (lo, hi) with "
                              f"0 < lo <= 1 <= hi. Got {self.importance_range!r} instead.")
