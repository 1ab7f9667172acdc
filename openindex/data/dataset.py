"""The immutable dataset: units x indicators, with editions and unit attributes.

A :class:`Dataset` is what :func:`openindex.data.validate.load_dataset` builds from a
data file that passed validation. It holds raw values only (questionnaire answers
already mapped to their points); every later stage lives in the result.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property

import numpy as np
import pandas as pd

from openindex.errors import Problem

__all__ = ["Dataset"]


@dataclass(frozen=True)
class Dataset:
    """Raw data of a network of units, possibly over several editions.

    Attributes
    ----------
    units : DataFrame
        One row per unit and edition, columns ``unit``, ``name``, ``edition`` and one
        per attribute of the framework (numbers as float, categories as text).
    values : ndarray, shape (n_rows, n_indicators)
        Raw values (questionnaire items: points of the answer), NaN where missing.
        Rows align with ``units``; columns with ``indicators``.
    indicators : tuple of str
        Indicator codes, in framework order.
    answers : DataFrame
        Questionnaire answers as given (option codes), same rows as ``units``, one
        column per questionnaire item; ``""`` where unanswered.
    source : str
        The file it was read from.
    sha256 : str
        SHA-256 of that file ("" when built in memory).
    warnings : tuple of Problem
        Problems that did not stop the load (e.g. an indicator empty in one edition).
    """

    units: pd.DataFrame
    values: np.ndarray
    indicators: tuple[str, ...]
    answers: pd.DataFrame = field(default_factory=pd.DataFrame)
    source: str = "<memory>"
    sha256: str = ""
    warnings: tuple[Problem, ...] = ()

    def __post_init__(self) -> None:
        values = np.array(self.values, dtype=float)  # own, read-only copy
        values.setflags(write=False)
        object.__setattr__(self, "values", values)
        if values.shape != (len(self.units), len(self.indicators)):
            raise ValueError(f"values has shape {values.shape}, expected {(len(self.units), len(self.indicators))}")

    # ---- views ------------------------------------------------------------------------
    @property
    def n_units(self) -> int:
        return len(self.units)

    @cached_property
    def editions(self) -> tuple[int, ...]:
        return tuple(sorted(pd.unique(self.units["edition"]).tolist()))

    @property
    def latest_edition(self) -> int:
        return self.editions[-1]

    @property
    def unit_codes(self) -> tuple[str, ...]:
        return tuple(self.units["unit"].tolist())

    @property
    def unit_names(self) -> tuple[str, ...]:
        return tuple(self.units["name"].tolist())

    def frame(self) -> pd.DataFrame:
        """Wide frame: identifiers, attributes and raw indicator values."""
        return pd.concat([self.units.reset_index(drop=True),
                          pd.DataFrame(self.values, columns=list(self.indicators))], axis=1)

    def column(self, code: str) -> np.ndarray:
        return self.values[:, self.indicators.index(code)]

    # ---- subsets ----------------------------------------------------------------------
    def select_rows(self, mask: np.ndarray) -> Dataset:
        mask = np.asarray(mask)
        answers = self.answers.loc[mask].reset_index(drop=True) if len(self.answers.columns) else self.answers
        return replace(self, units=self.units.loc[mask].reset_index(drop=True), values=self.values[mask],
                       answers=answers)

    def for_edition(self, edition: int | None = None) -> Dataset:
        """The rows of one edition (the latest by default)."""
        edition = self.latest_edition if edition is None else edition
        if edition not in self.editions:
            raise KeyError(edition)
        return self.select_rows((self.units["edition"] == edition).to_numpy())

    def previous_values(self, edition: int, transform: Callable[[Dataset], np.ndarray] | None = None,
                        units: Sequence[str] | None = None) -> np.ndarray:
        """Values of the editions before ``edition``, aligned to units: the one alignment of earlier editions.

        Parameters
        ----------
        edition : int
            Editions strictly before it are read (it need not be in the data).
        transform : callable, optional
            Maps an edition's Dataset to its (n_units, n_indicators) array, e.g. the
            denominated values; default the raw values.
        units : sequence of str, optional
            The unit codes to align to (rows of the result); default the units of ``edition``.

        Returns
        -------
        ndarray, shape (n_units, n_indicators)
            Per cell, the value of the most recent earlier edition that has one; NaN
            where the unit had none.
        """
        codes = tuple(self.for_edition(edition).unit_codes if units is None else units)
        out = np.full((len(codes), self.values.shape[1]), np.nan)
        for e in [e for e in self.editions if e < edition]:  # oldest first, so later editions overwrite
            prev = self.for_edition(e)
            values = prev.values if transform is None else transform(prev)
            pos = {u: i for i, u in enumerate(prev.unit_codes)}
            for i, u in enumerate(codes):
                j = pos.get(u)
                if j is not None:
                    out[i] = np.where(np.isnan(values[j]), out[i], values[j])
        return out

    def attribute(self, name: str) -> pd.Series:
        return self.units[name]

    def coverage(self) -> Mapping[str, float]:
        """Share of present values per indicator (over all rows)."""
        present = ~np.isnan(self.values)
        return dict(zip(self.indicators, present.mean(axis=0).tolist(), strict=True))
