"""Peer groups: compare each unit with similar units, not only with the whole network.

Declared in the framework file::

    peer_groups:
      - {code: size, by: population, bands: [100000, 500000], labels: [small, medium, large]}
      - {code: region, by: region}                       # a categorical attribute
      - {code: partners, members: {north_sea: [AVL, BRH, CDF]}}   # explicit lists
      - {code: similar, nearest: 5, on: [population, foreign_born_pct], log: [population]}

Every kind becomes one boolean *peer matrix* ``P`` (n_units, n_units): ``P[u, v]``
is true when ``v`` is a peer of ``u``; a unit is always its own peer. Bands,
categories and lists are partitions (``P`` symmetric); nearest neighbours give each
unit its own set (itself and its ``k`` nearest units by Euclidean distance on the
z-scored attributes, ties broken by unit order). A unit whose attribute is missing,
or that is in no list, has no peer group (its peer statistics are missing).

Conventions of :func:`peer_statistics`: the peer mean includes the unit itself (as
ICC reports compare a city with the average of its sample); the peer rank is 1 +
the number of peers with a strictly higher score (1 = best, ties share the
minimum rank); missing scores are ignored.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

import numpy as np
import pandas as pd
from pydantic import Field, model_validator

from openindex.errors import MethodError, OpenIndexError
from openindex.methods.rank import snap_ties
from openindex.methods.registry import did_you_mean
from openindex.model.spec import Lang, StrictModel

__all__ = ["PeerGroupTranslation", "PeerGroup", "BAND_WORDS", "band_names", "resolve_peer_group", "peer_matrix",
           "peer_statistics"]

#: how bands without ``labels`` are named: below the first cut, between two cuts, from the last cut
BAND_WORDS: tuple[str, str, str] = ("< {x}", "{lo} to < {hi}", ">= {x}")


class PeerGroupTranslation(StrictModel):
    """Texts of a peer-group definition in another language (empty: fall back to the original)."""

    name: str = ""
    labels: list[str] | None = Field(None, description="Names of the bands, one per band, in band order.")
    groups: dict[str, str] = Field(
        default_factory=dict, description="Group -> translated name: a list of `members`, or a value of the "
        "categorical attribute `by`.")


class PeerGroup(StrictModel):
    """A way of grouping units into peers (exactly one of ``bands``/categorical, ``members``, ``nearest``)."""

    code: str = Field(min_length=1)
    name: str = ""
    by: str | None = Field(None, description="Attribute defining the groups (numeric with bands, or categorical).")
    bands: list[float] | None = Field(None, description="Ascending cut points: x < b1, b1 <= x < b2, ..., x >= bn.")
    labels: list[str] | None = Field(None, description="Names of the bands (one more than the cut points).")
    members: dict[str, list[str]] | None = Field(None, description="Explicit groups: name -> unit codes.")
    nearest: int | None = Field(None, ge=1, description="Number of nearest neighbours.")
    on: list[str] | None = Field(None, description="Numeric attributes for nearest neighbours.")
    log: list[str] = Field(default_factory=list, description="Attributes to log-transform before z-scoring.")
    translations: dict[Lang, PeerGroupTranslation] = Field(
        default_factory=dict, description="Texts in other languages: {fr: {name: ..., labels: [...]}} (reports).")

    @model_validator(mode="after")
    def _one_kind(self) -> PeerGroup:
        kinds = [self.by is not None, self.members is not None, self.nearest is not None]
        if sum(kinds) != 1:
            raise ValueError("give exactly one of `by` (bands or a categorical attribute), `members` or `nearest`")
        if self.bands is not None:
            if self.by is None:
                raise ValueError("`bands` need `by`: the numeric attribute to cut")
            if any(b >= a for b, a in zip(self.bands, self.bands[1:], strict=False)) or not self.bands:
                raise ValueError("`bands` must be strictly ascending cut points")
            if self.labels is not None and len(self.labels) != len(self.bands) + 1:
                raise ValueError(f"{len(self.bands)} cut points make {len(self.bands) + 1} bands, "
                                 f"but {len(self.labels)} labels are given")
        if self.nearest is not None and not self.on:
            raise ValueError("`nearest` needs `on`: the numeric attributes that define similarity")
        return self

    @model_validator(mode="after")
    def _translated_groups(self) -> PeerGroup:
        for lang, t in self.translations.items():
            if t.labels is not None:
                if self.bands is None:
                    raise ValueError(f"translations.{lang}.labels name bands, but this peer group has no `bands`")
                if len(t.labels) != len(self.bands) + 1:
                    raise ValueError(f"translations.{lang}.labels names {len(t.labels)} bands but the "
                                     f"{len(self.bands)} cut points make {len(self.bands) + 1}; give one name per band")
            if t.groups and self.kind not in ("members", "category"):
                raise ValueError(f"translations.{lang}.groups names groups, but a peer group by {self.kind} has none "
                                 "(use `labels` for bands)")
            unknown = sorted(set(t.groups) - set(self.members or {})) if self.kind == "members" else []
            if unknown:
                raise ValueError(f"translations.{lang}.groups names unknown list(s) {', '.join(unknown)}; "
                                 f"the lists are: {', '.join(self.members or {})}")
        return self

    @property
    def kind(self) -> Literal["bands", "category", "members", "nearest"]:
        if self.members is not None:
            return "members"
        if self.nearest is not None:
            return "nearest"
        return "bands" if self.bands is not None else "category"

    def attributes(self) -> list[str]:
        return [self.by] if self.by else list(self.on or [])


def resolve_peer_group(groups: Sequence[PeerGroup], name: str | None) -> PeerGroup | None:
    """The peer group a user's choice names: the one place a peer-group name is resolved.

    Parameters
    ----------
    groups : sequence of PeerGroup
        The framework's definitions (``framework.model.peer_groups``).
    name : str or None
        A group's code; ``None`` for the default, the first group defined; ``""`` for none.

    Returns
    -------
    PeerGroup or None
        None when ``name`` is ``""``, or when it is None and the framework defines no group.

    Raises
    ------
    OpenIndexError
        ``name`` is no group's code: "unknown peer group 'x'. Did you mean 'y'? The framework
        defines: ...".
    """
    if name is None:
        return groups[0] if groups else None
    if name == "":
        return None
    found = next((g for g in groups if g.code == name), None)
    if found is None:
        codes = [g.code for g in groups]
        raise OpenIndexError(f"unknown peer group '{name}'.{did_you_mean(name, codes)} The framework defines: "
                             f"{', '.join(codes) or 'none'}")
    return found


def peer_matrix(group: PeerGroup, units: pd.DataFrame) -> tuple[np.ndarray, list[str]]:
    """Peer matrix and a label per unit for one peer-group definition.

    Parameters
    ----------
    group : PeerGroup
    units : DataFrame
        The units frame of a dataset (``unit`` column plus attributes).

    Returns
    -------
    P : bool ndarray, shape (n_units, n_units)
    labels : list of str
        Each unit's group label ("" when it has none; "nearest k" for neighbours).
    """
    n = len(units)
    for a in group.attributes():
        if a not in units.columns:
            raise MethodError(f"peer group '{group.code}': attribute '{a}' is not in the data; attributes: "
                              f"{', '.join(c for c in units.columns if c not in ('unit', 'name', 'edition'))}")
    if group.kind == "nearest":
        return _nearest(group, units), [f"{group.nearest} nearest" for _ in range(n)]
    if group.kind == "members":
        codes = units["unit"].tolist()
        known = set(codes)
        labels = [""] * n
        for name, members in (group.members or {}).items():
            unknown = [m for m in members if m not in known]
            if unknown:
                raise MethodError(f"peer group '{group.code}', list '{name}': unknown unit code(s) "
                                  f"{', '.join(unknown)}")
            for m in members:
                i = codes.index(m)
                if labels[i]:
                    raise MethodError(f"peer group '{group.code}': unit '{m}' is in both '{labels[i]}' and "
                                      f"'{name}'; lists must not overlap")
                labels[i] = name
    elif group.kind == "bands":
        x = pd.to_numeric(units[group.by], errors="coerce").to_numpy(dtype=float)
        cuts = np.asarray(group.bands, dtype=float)
        names = group.labels or band_names(cuts)
        idx = np.searchsorted(cuts, x, side="right")
        labels = ["" if np.isnan(v) else names[k] for v, k in zip(x, idx, strict=True)]
    else:
        labels = ["" if pd.isna(v) else str(v) for v in units[group.by].tolist()]
    lab = np.asarray(labels, dtype=object)
    matrix = (lab[:, None] == lab[None, :]) & (lab[:, None] != "")
    return matrix, labels


def band_names(cuts: Sequence[float] | np.ndarray, words: Sequence[str] = BAND_WORDS,
               separators: tuple[str, str] = (".", ",")) -> list[str]:
    """Names of the bands cut by ``cuts`` (peer groups without ``labels``), one more than the cuts.

    ``words`` are the templates below the first cut (``{x}``), between two cuts (``{lo}``,
    ``{hi}``) and from the last cut (``{x}``); ``separators`` the decimal and thousands
    separators of the cut values (whole numbers with thousands, others as ``:g``).
    E.g. ``[250000, 750000]`` -> ``["< 250,000", "250,000 to < 750,000", ">= 750,000"]``.
    """
    dec, thou = separators
    fmt = [(f"{c:,.0f}" if float(c).is_integer() else f"{c:g}").replace(",", "\0").replace(".", dec)
           .replace("\0", thou) for c in cuts]
    below, between, above = words
    return [below.format(x=fmt[0]), *[between.format(lo=a, hi=b) for a, b in zip(fmt, fmt[1:], strict=False)],
            above.format(x=fmt[-1])]


def _nearest(group: PeerGroup, units: pd.DataFrame) -> np.ndarray:
    cols = []
    for a in group.on or []:
        x = pd.to_numeric(units[a], errors="coerce").to_numpy(dtype=float)
        if a in group.log:
            with np.errstate(divide="ignore", invalid="ignore"):
                x = np.where(x > 0, np.log(x), np.nan)
        sd = np.nanstd(x, ddof=1)
        cols.append((x - np.nanmean(x)) / sd if sd > 0 else np.zeros_like(x))
    z = np.column_stack(cols)
    ok = ~np.isnan(z).any(axis=1)
    n = len(units)
    d = np.sqrt(((z[:, None, :] - z[None, :, :]) ** 2).sum(axis=-1))
    d[~ok, :] = np.inf
    d[:, ~ok] = np.inf
    k = min(int(group.nearest or 1), int(ok.sum()) - 1)
    matrix = np.zeros((n, n), dtype=bool)
    for u in np.flatnonzero(ok):
        order = np.argsort(d[u], kind="stable")
        others = [v for v in order if v != u][:k]
        matrix[u, [u, *others]] = True
    return matrix


def peer_statistics(scores: np.ndarray, peers: np.ndarray) -> dict[str, Any]:
    """Peer rank, peer mean, gap and peer count for every unit and node.

    Parameters
    ----------
    scores : ndarray, shape (n_units, n_nodes)
    peers : bool ndarray, shape (n_units, n_units)

    Returns
    -------
    dict with ``rank``, ``mean``, ``gap`` (score - peer mean) and ``n`` (peers with a
    score), each (n_units, n_nodes); NaN where the unit has no score or no group.

    Notes
    -----
    rank[u, c] = 1 + #{v in peers(u) : s[v, c] > s[u, c]} (1 = best; ties share the
    minimum rank; scores are compared after :func:`openindex.methods.rank.snap_ties`);
    mean[u, c] = mean of s[v, c] over peers(u) with a score, the unit itself included.
    """
    s = snap_ties(np.asarray(scores, dtype=float), axis=0)  # equal up to float noise -> tie
    present = ~np.isnan(s)
    p = peers.astype(float)
    n = p @ present.astype(float)
    total = p @ np.where(present, s, 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(n > 0, total / n, np.nan)
    better = (s[None, :, :] > s[:, None, :]) & peers[:, :, None]  # [u, v, c]: peer v beats u
    rank = 1.0 + better.sum(axis=1)
    no_group: np.ndarray = ~np.any(peers, axis=1)
    missing = ~present | no_group[:, None]
    rank = np.where(missing, np.nan, rank)
    mean = np.where(no_group[:, None], np.nan, mean)
    return {"rank": rank, "mean": mean, "gap": np.where(missing, np.nan, s - mean),
            "n": np.where(no_group[:, None], 0, n).astype(int)}
