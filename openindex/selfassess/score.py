"""Self-assessment: a city's filled questionnaire, scored against a fixed network.

The flow of ``openindex self-assess``::

    workbook (openpyxl) --read_workbook--> Filled + Dataset (every problem with sheet and cell)
        (openindex.selfassess.read)
    network Result + Dataset --assess--> SelfAssessment
        scored = score_against(network, dataset)            the network's bounds held fixed
        joined = join_results(network, scored, unit)        the network with the city in it
    SelfAssessment --profile_html--> one self-contained page (the report's city profile,
        completeness, what-if; openindex.report.render.selfassess)

Conventions
-----------
* **Fixed network.** The city is scored with every statistic of the network held fixed
  (:func:`openindex.engine.build.score_against`); the network's scores do not move. A city
  already in the network that answers as before gets exactly its network scores.
* **Position.** In :func:`openindex.engine.join.join_results`, the city replaces the
  network unit with the same code (or is added). Its rank is 1 + the number of network
  units with a strictly higher score (ties after :func:`openindex.methods.rank.snap_ties`);
  the network and peer-group statistics of the report (means, quartiles, strengths and
  weaknesses) are computed over the joined set, the city included, as the report does for
  every city.
* **Completeness.** An item is *answered* when its answer cell is not empty; an answer
  has *evidence* when its evidence cell is not empty. Unanswered items are missing data
  for the engine (available-case aggregation unless the framework imputes).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pandas as pd

from openindex.engine import score_against
from openindex.engine.join import join_results
from openindex.errors import Problem

if TYPE_CHECKING:
    from openindex.data.dataset import Dataset
    from openindex.engine.result import Result
    from openindex.selfassess.read import Filled

__all__ = ["SelfAssessment", "assess", "completeness"]


@dataclass(frozen=True)
class SelfAssessment:
    """A scored self-assessment.

    Attributes
    ----------
    unit, name : str
        The city's code and name.
    filled : Filled
        The workbook as read (items with evidence, problems).
    dataset : Dataset
        The city's validated data (one row).
    network : Result
        The network run it is scored against.
    scored : Result
        The city alone, scored with the network held fixed (ranks among the network).
    joined : Result
        The network with the city in place of the unit with its code (or added).
    warnings : tuple of Problem
        Problems that did not stop the assessment (workbook and data warnings).
    """

    unit: str
    name: str
    filled: Filled
    dataset: Dataset
    network: Result
    scored: Result
    joined: Result
    warnings: tuple[Problem, ...]


def assess(network: Result, filled: Filled, dataset: Dataset) -> SelfAssessment:
    """Score the city of ``dataset`` against ``network`` held fixed and place it in the network."""
    scored = score_against(network, dataset)
    unit = dataset.unit_codes[0]
    return SelfAssessment(unit=unit, name=dataset.unit_names[0], filled=filled, dataset=dataset, network=network,
                          scored=scored, joined=join_results(network, scored, unit),
                          warnings=tuple(p for p in filled.problems if p.severity != "error"))


# --------------------------------------------------------------------------------------
# Completeness
# --------------------------------------------------------------------------------------


def completeness(items: pd.DataFrame) -> dict[str, Any]:
    """Counts and lists of completeness from :attr:`Filled.items`.

    Returns
    -------
    dict
        ``total``, ``answered``, ``evidenced`` (answers with evidence), ``unanswered`` and
        ``no_evidence`` (the rows of ``items`` concerned).
    """
    answered = items["answered"].astype(bool)
    evidence = items["evidence"].astype(str).str.strip() != ""
    return {"total": len(items), "answered": int(answered.sum()), "evidenced": int((answered & evidence).sum()),
            "unanswered": items[~answered].reset_index(drop=True),
            "no_evidence": items[answered & ~evidence].reset_index(drop=True)}
