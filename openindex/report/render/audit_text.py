"""The audit in words: one sentence per finding, in the report's language, for every page that shows it.

The audit (:mod:`openindex.analysis.audit`) returns finding codes and their parameters;
this module alone turns them into sentences, from the UI strings ``audit_m_<finding>``
(:mod:`openindex.i18n`). The report's audit tab, the standalone ``audit.html``, the
``message`` column of ``flags.csv`` and the console summary of ``openindex audit`` all
read them from here, so they say the same thing in the same words.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pandas as pd

from openindex.i18n import labels, level_names, load_strings
from openindex.report.render.base import Fmt, esc

if TYPE_CHECKING:
    from openindex.analysis.audit import Audit
    from openindex.model.framework import Framework
    from openindex.report.data import ReportData

__all__ = ["AuditView", "audit_view", "view_of", "p_value", "stats_text", "finding_texts", "finding_messages",
           "flags_frame"]

#: findings whose sentence already says that their correlation is not significant
_ABOUT_SIGNIFICANCE = ("insignificant_correlation", "low_item_rest")


@dataclass(frozen=True)
class AuditView:
    """An audit with what it takes to show it in one language: UI strings, names, number format.

    Attributes
    ----------
    audit : Audit
    lang : str
        Language of the UI strings and of the framework's names.
    strings : mapping
        The UI strings of ``lang``.
    labels : mapping
        Code -> name of every node in ``lang``.
    level_names : tuple of str
        Level names bottom-up, in ``lang``.
    """

    audit: Audit
    lang: str
    strings: Mapping[str, str]
    labels: Mapping[str, str]
    level_names: tuple[str, ...]

    @property
    def fmt(self) -> Fmt:
        return Fmt(self.lang)

    @property
    def framework(self) -> Framework:
        return self.audit.result.framework

    @property
    def separators(self) -> str:
        """Plotly's ``separators`` (decimal, thousands) of the language."""
        f = self.fmt
        return f.dec + f.thou

    def text(self, key: str, **values: Any) -> str:
        """A UI string, filled in (not escaped)."""
        template = self.strings[key]
        return template.format(**values) if values else template

    def t(self, key: str, **values: Any) -> str:
        """A UI string, filled in and escaped."""
        return esc(self.text(key, **values))

    def name(self, code: str) -> str:
        """The name of a node in the language (not escaped); the code when it has none."""
        return str(self.labels.get(code, code))

    def node(self, code: str) -> str:
        """The name of a node, escaped."""
        return esc(self.name(code))


def audit_view(audit: Audit, lang: str = "en") -> AuditView:
    """The view of ``audit`` in ``lang`` (one of :data:`openindex.i18n.LANGUAGES`)."""
    fw = audit.result.framework
    return AuditView(audit=audit, lang=lang, strings=load_strings(lang), labels=labels(fw, lang),
                     level_names=level_names(fw, lang))


def view_of(data: ReportData | AuditView) -> AuditView:
    """The audit view of a report (its audit, strings, names); a view is returned as it is."""
    if isinstance(data, AuditView):
        return data
    assert data.audit is not None
    return AuditView(audit=data.audit, lang=data.options.lang, strings=data.strings, labels=data.labels,
                     level_names=data.level_names)


def p_value(view: AuditView, p: Any) -> str:
    """A p-value as shown in tables: three decimals, ``< 0.001`` below that, a dash when missing."""
    f = view.fmt
    if p is None or p != p:
        return f.na
    return f"< {f.num(0.001, 3)}" if p < 0.001 else f.num(p, 3)


def _p(view: AuditView, p: float) -> str:
    """A p-value in a sentence: ``= 0.062`` or ``< 0.001``."""
    text = p_value(view, p)
    return text if text.startswith("<") or p != p else f"= {text}"


def stats_text(view: AuditView, params: Mapping[str, Any]) -> str:
    """A correlation as text: ``Pearson r = 0.93, p = 0.021, n = 5`` (in the view's language).

    ``params`` holds ``method`` (``"pearson"`` or ``"spearman"``: r or rho), ``r``, ``p`` and ``n``.
    """
    method = str(params.get("method", "pearson"))
    return view.text("audit_stats", method=view.text("audit_" + method),
                     symbol="r" if method == "pearson" else "\u03c1", r=view.fmt.num(params["r"], 2),
                     p=_p(view, float(params["p"])), n=int(params["n"]))


def _sentence(view: AuditView, finding: str, node: str, code: str, value: float,
              params: Mapping[str, Any]) -> tuple[str, str]:
    """The (component, sentence) of one finding, not escaped."""
    f, rules, name = view.fmt, view.audit.rules, view.name
    key = "audit_m_" + finding
    component = name(code)
    values: dict[str, Any] = {"node": name(node), "code": component}
    if "r" in params and "p" in params:
        values["stats"] = stats_text(view, params)
    if finding in ("negative_alpha", "low_alpha"):
        values.update(value=f.num(value, 2), threshold=f.num(rules.min_alpha, 2), k=params["k"])
    elif finding == "insignificant_correlation":
        values.update(threshold=f.num(rules.p_value, 2))
        if params["r"] < 0:
            key = "audit_m_insignificant_negative"
    elif finding == "low_item_rest":
        values.update(threshold=f.num(rules.min_item_rest, 2))
    elif finding == "redundancy":
        a, b = code.split(" & ", 1)
        component = f"{name(a)} & {name(b)}"
        values.update(a=name(a), b=name(b))
    elif finding == "multidimensional":
        values.update(value=f.num(value, 0), eigenvalue_1=f.num(params["eigenvalue_1"], 2),
                      eigenvalue_2=f.num(params["eigenvalue_2"], 2), share=f.pct(params["share_1"]), k=params["k"])
    elif finding == "weak_first_component":
        values.update(value=f.pct(value), threshold=f.pct(rules.min_first_share), k=params["k"])
    elif finding == "importance_weight":
        values.update(value=f.num(value, 2), weight=f.pct(params["weight"]), share=f.pct(params["S_share"]))
    elif finding == "size_correlation":
        values.update(threshold=f.num(rules.max_size_r, 2), level=f.pct(rules.conf_level),
                      low=f.num(params["ci_low"], 2), high=f.num(params["ci_high"], 2),
                      direction=view.text("audit_size_higher" if params["r"] > 0 else "audit_size_lower"))
    elif finding == "outlier_after_treatment":
        values.update(value=f.num(value, 2), kurtosis=f.num(params["kurtosis"], 2))
    elif finding == "low_coverage":
        if params["kind"] == "unit":
            key, component = "audit_m_low_coverage_unit", str(params["name"])
            values["code"] = component
        values.update(value=f.pct(value), threshold=f.pct(rules.min_coverage), edition=params["edition"],
                      n_present=params["n_present"], n_total=params["n_total"])
    sentence = view.text(key, **values)
    p = params.get("p")
    if finding not in _ABOUT_SIGNIFICANCE and p is not None and p == p and p >= rules.p_value:
        sentence += " " + view.text("audit_m_not_significant", threshold=f.num(rules.p_value, 2))
    return component, sentence


def finding_texts(view: AuditView) -> list[tuple[str, str]]:
    """Each finding of the audit as ``(component, sentence)`` in the view's language, not escaped.

    One per row of ``audit.flags``, in its order.
    """
    flags = view.audit.flags
    return [_sentence(view, str(finding), str(node), str(code), float(value), params)
            for finding, node, code, value, params in zip(flags["finding"], flags["node"], flags["code"],
                                                          flags["value"], flags["params"], strict=True)]


def finding_messages(audit: Audit, lang: str = "en") -> list[str]:
    """The sentence of each finding of ``audit`` in ``lang`` (``flags.csv``'s ``message``, the console summary)."""
    return [sentence for _, sentence in finding_texts(audit_view(audit, lang))]


def _json_value(value: Any) -> Any:
    return None if isinstance(value, float) and value != value else value


def flags_frame(audit: Audit, lang: str = "en") -> pd.DataFrame:
    """``flags.csv``: the findings with their parameters as JSON text and their sentence in ``lang``.

    Columns ``severity, finding, node, code, value, threshold, params, message``: ``params``
    is the JSON object of the finding's numbers (NaN as ``null``), ``message`` the sentence
    the report shows (:func:`finding_messages`).
    """
    flags = audit.flags.copy()
    flags["params"] = [json.dumps({k: _json_value(v) for k, v in p.items()}, ensure_ascii=False)
                       for p in flags["params"]]
    flags["message"] = finding_messages(audit, lang)
    return flags
