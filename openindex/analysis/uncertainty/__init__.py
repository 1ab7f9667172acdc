"""Monte Carlo uncertainty analysis of a ranking, vectorised over the replications.

A ranking is partly a product of modelling choices. The ``uncertainty:`` section of a
framework (or a ``--factors`` file) declares which choices are uncertain
(:class:`~openindex.model.spec.UncertaintySpec`); this module

1. draws every factor for every replication up front (:func:`sample_design`): one
   ``np.random.default_rng(seed)`` draws a matrix ``u`` of shape (runs, k) in the unit
   hypercube, and :func:`map_design` maps each row to factor values. The Sobol' design of
   :mod:`openindex.analysis.sensitivity` goes through the same mapping (:func:`sobol_index`);
2. evaluates all replications at once (:func:`evaluate`):

   - each distinct combination of the indicator-level alternatives drawn (imputation x
     treatment x normalisation) is built once with the real pipeline, giving a stack
     (A, n_units, n_indicators) that replications index into;
   - continuous factors vary along a leading batch axis: weights become arrays
     (g, n_nodes, n_children); goalposts and targets re-normalise only the columns they touch;
   - for every level, replications are grouped by their aggregation alternative and each
     group is aggregated in one batched call of :func:`openindex.engine.build.aggregate_level`;
   - replications run in memory-bounded chunks, optionally in worker processes; the numbers
     depend only on the design, never on the chunk size or the number of workers;
3. summarises: rank intervals (:func:`rank_intervals`, :func:`rank_summary`),
   remove-one-component rank shifts (:func:`remove_one`) and Sobol' indices
   (:func:`sobol_index`).

The package, one concept per module: :mod:`.factors` (resolving the factor spec against
the framework), :mod:`.design` (sampling and mapping the unit hypercube), :mod:`.weights`
(a level's weights under the factors), :mod:`.replicate` (a replication as a framework),
:mod:`.compiled` (the state every chunk reads), :mod:`.evaluation` (vectorised evaluation,
chunks, workers), :mod:`.summary` (rank intervals, remove-one), :mod:`.run` (Sobol'
indices, the whole analysis) and :mod:`.table` (every replication's factor values beside
its scores and ranks). Everything public is importable from here.

Factor semantics (a replication equals :func:`openindex.engine.build.build` of the framework
returned by :func:`replication_framework`, which writes the replication's choices into
the build spec; the tests check this for every factor kind):

- ``impute`` / ``treat`` / ``normalise``: the alternative replaces the step's global method
  and params (per-indicator overrides and the questionnaire choice stay);
- ``aggregate``: without ``level`` the alternative replaces the global method and every
  per-level choice; with ``level`` only that level's choice (per-node choices stay);
- ``weights`` of level L (the weights of the nodes of level L within their parents;
  level 1 = indicators): ``w`` is what the build's weight method gives, normalised within
  each parent. ``noise: f``: w * (1 + U(-f, f)), one draw per weight; ``dirichlet: c``:
  the weights of each parent's children ~ Dirichlet(c w) (drawn as Gamma(c w_i) by inverse
  CDF, then normalised); ``sets``: one of the alternative file weight sets. The modified
  weights are re-normalised within each parent (the ``explicit`` method); in
  :func:`replication_framework` they become the file weights with ``explicit`` weighting;
- ``exclude`` of level L: one node of the level (with at least one sibling) gets weight 0,
  applied after the weight method (so ``equal`` weights cannot undo it); or none, with
  probability ``p_none``;
- ``goalposts`` / ``target``: uniform draws in the given ranges (raw units), used by the
  ``goalposts`` and ``distance_to_target`` normalisations.

References
----------
Saisana, M., Saltelli, A., Tarantola, S. (2005), "Uncertainty and sensitivity analysis
techniques as tools for the quality assessment of composite indicators", *JRSS A*
168(2):307-323, doi:10.1111/j.1467-985X.2005.00350.x.
OECD/JRC (2008), *Handbook on Constructing Composite Indicators*, step 7.
COINr ``get_sensitivity()`` (Becker et al.), whose outputs these mirror.
"""

from __future__ import annotations

from openindex.analysis.uncertainty.design import Design, map_design, sample_design
from openindex.analysis.uncertainty.evaluation import (
    CHUNK_BUDGET,
    Replications,
    default_chunk_size,
    evaluate,
    memory_needed,
)
from openindex.analysis.uncertainty.factors import STEP_KINDS, FactorInfo, resolve_factors
from openindex.analysis.uncertainty.replicate import replication_framework
from openindex.analysis.uncertainty.run import UncertaintyResult, run_uncertainty, sobol_index
from openindex.analysis.uncertainty.summary import (
    mean_abs_rank_shift,
    rank_intervals,
    rank_summary,
    remove_one,
    remove_one_summary,
)
from openindex.analysis.uncertainty.summary import quantiles as quantiles  # the percentile rule, tested directly
from openindex.analysis.uncertainty.table import factor_frame, replication_table

__all__ = [
    "STEP_KINDS",
    "CHUNK_BUDGET",
    "FactorInfo",
    "Design",
    "Replications",
    "UncertaintyResult",
    "resolve_factors",
    "sample_design",
    "map_design",
    "evaluate",
    "replication_framework",
    "rank_intervals",
    "rank_summary",
    "remove_one",
    "remove_one_summary",
    "mean_abs_rank_shift",
    "sobol_index",
    "run_uncertainty",
    "default_chunk_size",
    "memory_needed",
    "factor_frame",
    "replication_table",
]
