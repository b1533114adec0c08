"""The betting gate: which evidence counts, when the gate opens, and what a change says."""

from __future__ import annotations

import pandas as pd
import pytest

from mlb_assets.lib.betting.gate import (
    GateDecision,
    decide,
    decide_all,
    gate_alerts,
    gate_rows,
    newest_per_model,
)
from mlb_assets.lib.models.evidence import Evidence

T1 = pd.Timestamp("2016-05-01 06:00", tz="UTC")
T2 = pd.Timestamp("2016-05-02 06:00", tz="UTC")


def _row(evaluation_id: str, version: str, low: float, high: float, at: pd.Timestamp) -> dict:
    mean = (low + high) / 2
    return {
        "evaluation_id": evaluation_id,
        "model_name": "mlb_home_win",
        "model_version": version,
        "target": "home_win",
        "season": 2016,
        "n_games": 900,
        "model_log_loss": 0.68 + mean,
        "market_log_loss": 0.68,
        "diff_mean": mean,
        "diff_ci_low": low,
        "diff_ci_high": high,
        "edge_probability": 0.9,
        "calibration_slope": 0.8,
        "calibration_intercept": 0.01,
        "mean_gap": 0.002,
        "created_at": at,
    }


EVIDENCE = pd.DataFrame(
    [
        _row("old", "3", -0.02, -0.005, T1),  # showed an edge, but it is not the newest
        _row("new", "3", -0.004, 0.006, T2),
        _row("other", "2", -0.03, -0.02, T2),  # another version: never borrowed
    ]
)


def test_the_newest_evidence_of_the_exact_version_decides() -> None:
    gate = decide(("mlb_home_win", "3"), EVIDENCE)
    assert gate.evaluation_id == "new" and not gate.is_open and gate.weight is None
    assert gate.reason.startswith("no proven edge: model − market log-loss +0.0010")
    assert "upper bound +0.0060 is not below +0.0000" in gate.reason
    # Evidence of version 2 is version 2's alone.
    assert decide(("mlb_home_win", "2"), EVIDENCE).is_open
    missing = decide(("mlb_home_win", "4"), EVIDENCE)
    assert not missing.is_open and missing.evidence is None
    assert missing.reason == "no evidence recorded for mlb_home_win v4"
    assert not decide(("mlb_home_win", "3"), EVIDENCE.iloc[0:0]).is_open


def test_the_threshold_is_configurable_and_strict() -> None:
    assert decide(("mlb_home_win", "3"), EVIDENCE, max_log_loss_diff=0.01).is_open
    assert not decide(("mlb_home_win", "3"), EVIDENCE, max_log_loss_diff=0.006).is_open


def test_an_open_gate_carries_the_evidence_weight() -> None:
    gate = decide(("mlb_home_win", "2"), EVIDENCE)
    assert gate.reason.startswith("proven edge: ")
    assert isinstance(gate.evidence, Evidence) and gate.evidence.n_games == 900
    # mean -0.025, standard error 0.005 / 1.96: 1 - (0.00255 / 0.025)^2
    assert gate.weight == pytest.approx(1 - (0.005 / 1.959964 / 0.025) ** 2)
    assert set(decide_all([("mlb_home_win", "2")] * 3, EVIDENCE)) == {("mlb_home_win", "2")}


def _decision(name: str, is_open: bool, version: str = "1") -> GateDecision:
    return GateDecision(name, version, is_open, 0.0)


def test_alerts_go_out_only_when_a_gate_changes() -> None:
    decisions = [_decision("a", False), _decision("b", True), _decision("c", False)]
    previous = {"a": True, "b": True}  # c is new
    alerts = gate_alerts(decisions, previous)
    assert [alert.title for alert in alerts] == [
        "Betting gate closed for a v1: model degraded, paper picks only"
    ]
    assert alerts[0].kind == "betting_gate" and alerts[0].severity == "error"
    assert alerts[0].reason == "no evidence recorded for a v1"
    opened = gate_alerts([_decision("a", True), _decision("d", True)], {"a": False})
    assert [alert.severity for alert in opened] == ["info", "info"]  # reopened, new and open
    assert gate_alerts(decisions, {"a": False, "b": True, "c": False}) == []


def test_gate_rows_keep_changed_at_until_the_state_changes() -> None:
    now = pd.Timestamp("2016-05-03 20:00", tz="UTC")
    previous = pd.DataFrame(
        {"model_name": ["a", "b"], "gate_open": [True, False], "changed_at": [T1, T1]}
    )
    rows = gate_rows(
        [_decision("a", True), _decision("b", True), _decision("c", False)], previous, now
    )
    changed = dict(zip(rows["model_name"], rows["changed_at"], strict=True))
    assert changed == {"a": T1, "b": now, "c": now}
    assert (rows["checked_at"] == now).all()


def test_one_state_per_model_its_highest_version() -> None:
    decisions = [_decision("a", True, "10"), _decision("a", False, "9"), _decision("b", True)]
    kept = newest_per_model(decisions)
    assert [(d.model_name, d.model_version) for d in kept] == [("a", "10"), ("b", "1")]
