"""The betting gate: money is staked on a model's picks only while its evidence shows an edge.

A model version's evidence (``model_evidence``, written by the walk-forward evaluation) is
the bootstrap interval of its per-game log-loss minus the market's. The gate for that exact
version is open when the newest evidence's upper bound lies below ``max_log_loss_diff``
(0 by default: the whole interval favours the model). Open, stakes trust the model only
as far as the evidence does (:func:`~mlb_assets.lib.models.evidence.evidence_weight`);
closed, picks are paper picks: one unit each, settled beside the money ledger, never in it.
A model without evidence has shown nothing and stays closed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import pandas as pd

from mlb_assets.lib.models.evidence import Evidence, evidence_weight
from mlb_assets.lib.ops.alerts import Alert

EVIDENCE_FIELDS = tuple(Evidence.__dataclass_fields__)
ModelKey = tuple[str, str]  # (model_name, model_version)


@dataclass(frozen=True)
class GateDecision:
    """Whether money may be staked on one model version's picks, and why."""

    model_name: str
    model_version: str
    is_open: bool
    max_log_loss_diff: float
    evidence: Evidence | None = None
    evaluation_id: str | None = None

    @property
    def weight(self) -> float | None:
        """The share of the model's departure from the market a stake trusts; None closed."""
        return evidence_weight(self.evidence) if self.is_open else None

    @property
    def reason(self) -> str:
        if self.evidence is None:
            return f"no evidence recorded for {self.model_name} v{self.model_version}"
        if self.is_open:
            return f"proven edge: {self.evidence.describe()}"
        return (
            f"no proven edge: {self.evidence.describe()}; the interval's upper bound "
            f"{self.evidence.diff_ci_high:+.4f} is not below {self.max_log_loss_diff:+.4f}"
        )


def latest_evidence(evidence: pd.DataFrame) -> pd.DataFrame:
    """The newest row (by created_at) per model_name and model_version."""
    if evidence.empty:
        return evidence
    ordered = evidence.sort_values(["created_at", "evaluation_id"], kind="stable")
    return ordered.groupby(["model_name", "model_version"], sort=False).tail(1)


def evidence_of(row: Mapping[str, object]) -> Evidence:
    """An :class:`Evidence` from a ``model_evidence`` row."""
    values = {name: row[name] for name in EVIDENCE_FIELDS}
    values["n_games"] = int(values["n_games"])  # type: ignore[call-overload]
    return Evidence(**{k: v if k == "n_games" else float(v) for k, v in values.items()})  # type: ignore[arg-type]


def decide(model: ModelKey, evidence: pd.DataFrame, max_log_loss_diff: float = 0.0) -> GateDecision:
    """The gate for ``model`` from the ``model_evidence`` rows (any models, any versions)."""
    name, version = model
    rows = latest_evidence(
        evidence[
            evidence["model_name"].eq(name) & evidence["model_version"].astype(str).eq(version)
        ]
    )
    if rows.empty:
        return GateDecision(name, version, False, max_log_loss_diff)
    row = rows.iloc[-1]
    found = evidence_of(row)
    return GateDecision(
        name,
        version,
        bool(found.diff_ci_high < max_log_loss_diff),
        max_log_loss_diff,
        evidence=found,
        evaluation_id=str(row["evaluation_id"]),
    )


def decide_all(
    models: Iterable[ModelKey], evidence: pd.DataFrame, max_log_loss_diff: float = 0.0
) -> dict[ModelKey, GateDecision]:
    return {model: decide(model, evidence, max_log_loss_diff) for model in sorted(set(models))}


def newest_per_model(decisions: Iterable[GateDecision]) -> list[GateDecision]:
    """One decision per model name: its highest version's (the gate state to keep)."""
    newest: dict[str, GateDecision] = {}
    for decision in sorted(decisions, key=lambda d: (d.model_name, _version_key(d))):
        newest[decision.model_name] = decision
    return list(newest.values())


def _version_key(decision: GateDecision) -> tuple[int, str]:
    # Registry versions are integers as text: "10" comes after "9".
    version = decision.model_version
    return (int(version), version) if version.isdigit() else (-1, version)


def gate_alerts(
    decisions: Iterable[GateDecision], previous: Mapping[str, bool], *, asset: str = "picks"
) -> list[Alert]:
    """An alert for each model whose gate differs from its ``previous`` state (by model
    name). A model seen for the first time alerts only if its gate opens: a new model
    that has shown nothing changes nothing."""
    alerts = []
    for decision in decisions:
        before = previous.get(decision.model_name)
        if (before is None and not decision.is_open) or before == decision.is_open:
            continue
        alerts.append(_alert(decision, asset))
    return alerts


def _alert(decision: GateDecision, asset: str) -> Alert:
    model = f"{decision.model_name} v{decision.model_version}"
    if decision.is_open:
        title = f"Betting gate opened for {model}: money is staked again"
        severity = "info"
    else:
        title = f"Betting gate closed for {model}: model degraded, paper picks only"
        severity = "error"
    return Alert(
        kind="betting_gate",
        title=title,
        reason=decision.reason,
        asset=asset,
        check=f"{decision.model_name}:{'open' if decision.is_open else 'closed'}",
        severity=severity,
    )


def gate_rows(
    decisions: Iterable[GateDecision], previous: pd.DataFrame, now: pd.Timestamp
) -> pd.DataFrame:
    """The ``betting_gate`` rows after these decisions; ``changed_at`` moves only when the
    gate's state does (``previous``: the table's current rows)."""
    known = previous.set_index("model_name") if len(previous) else pd.DataFrame()
    rows = []
    for decision in decisions:
        changed_at = now
        if decision.model_name in known.index:
            old = known.loc[decision.model_name]
            if bool(old["gate_open"]) == decision.is_open:
                changed_at = pd.Timestamp(old["changed_at"])
        rows.append(
            {
                "model_name": decision.model_name,
                "model_version": decision.model_version,
                "gate_open": decision.is_open,
                "max_log_loss_diff": decision.max_log_loss_diff,
                "evaluation_id": decision.evaluation_id,
                "evidence_weight": decision.weight,
                "reason": decision.reason,
                "checked_at": now,
                "changed_at": changed_at,
            }
        )
    return pd.DataFrame(rows)
