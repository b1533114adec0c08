"""Metrics pushed to a real local HTTP server acting as a Pushgateway, and written to a file."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest
from prometheus_client import generate_latest
from prometheus_client.parser import text_string_to_metric_families

from mlb_assets.lib.ops.metrics import (
    METRICS,
    MetricsPublishError,
    MetricsSnapshot,
    publish,
    publish_from_env,
    registry_for,
)
from mlb_assets_tests.http_receiver import closed_port_url, http_receiver

T0 = 1_700_000_000.0


def full_snapshot() -> MetricsSnapshot:
    """Every field set: the test of the alert rules derives the exported names from it."""
    return MetricsSnapshot(
        rows_ingested={"odds_snapshots": 120_000, "games": 2_430},
        rows_quarantined={"odds_snapshots": 17},
        odds_api_quota_remaining=412.0,
        check_failures={("odds_snapshots", "no_null_prices"): 2},
        run_durations={"odds_poll": 31.5},
        run_failures={"settlement": 1},
        model_log_loss={("h2o", "model"): 0.6812, ("h2o", "market"): 0.6790},
        roi={"all": -0.021, "tier:A": 0.034},
        betting_gate_open={"mlb_home_win": 0, "mlb_total_over": 1},
        bankroll=9_650.0,
        drawdown=-0.12,
        last_good_backup_timestamp=T0 - 3_600,
        newest_odds_timestamp=T0 - 120,
        games_remaining_today=9,
        collected_at=T0,
    )


def _samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """{(sample name, sorted labels): value} of an exposition text."""
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def _assert_full_snapshot(text: str) -> None:
    samples = _samples(text)
    assert samples[("mlb_assets_rows", (("table", "odds_snapshots"),))] == 120_000
    assert samples[("mlb_assets_rows", (("table", "games"),))] == 2_430
    assert samples[("mlb_assets_quarantined_rows", (("asset", "odds_snapshots"),))] == 17
    assert samples[("mlb_assets_odds_api_quota_remaining", ())] == 412
    failing = (
        "mlb_assets_check_failures",
        (("asset", "odds_snapshots"), ("check", "no_null_prices")),
    )
    assert samples[failing] == 2
    assert samples[("mlb_assets_run_duration_seconds", (("dagster_job", "odds_poll"),))] == 31.5
    assert samples[("mlb_assets_run_failures", (("dagster_job", "settlement"),))] == 1
    market = ("mlb_assets_model_log_loss", (("model", "h2o"), ("predictor", "market")))
    assert samples[market] == pytest.approx(0.6790)
    assert samples[("mlb_assets_roi", (("scope", "tier:A"),))] == pytest.approx(0.034)
    assert samples[("mlb_assets_betting_gate_open", (("model", "mlb_home_win"),))] == 0
    assert samples[("mlb_assets_betting_gate_open", (("model", "mlb_total_over"),))] == 1
    assert samples[("mlb_assets_bankroll", ())] == 9_650
    assert samples[("mlb_assets_drawdown", ())] == pytest.approx(-0.12)
    assert samples[("mlb_assets_last_good_backup_timestamp_seconds", ())] == T0 - 3_600
    assert samples[("mlb_assets_newest_odds_timestamp_seconds", ())] == T0 - 120
    assert samples[("mlb_assets_games_remaining_today", ())] == 9
    assert samples[("mlb_assets_metrics_collected_timestamp_seconds", ())] == T0
    assert len(samples) == 19


def test_push_puts_the_whole_group_to_the_gateway() -> None:
    with http_receiver() as receiver:
        where = publish(full_snapshot(), gateway_url=receiver.base_url, textfile=None)
    assert where == "pushgateway"
    [request] = receiver.requests
    # PUT replaces the group, so metrics a later snapshot leaves out disappear.
    assert (request.method, request.path) == ("PUT", "/metrics/job/mlb_assets")
    assert request.headers["content-type"].startswith("text/plain")
    _assert_full_snapshot(request.text)


def test_help_text_is_documented_for_every_gauge() -> None:
    families = {f.name: f for f in text_string_to_metric_families(_exposition(full_snapshot()))}
    assert set(families) == {spec.name for spec in METRICS}
    for spec in METRICS:
        assert families[spec.name].documentation == spec.help
        assert families[spec.name].type == "gauge"


def test_grouping_key_and_basic_auth_credentials_go_in_the_request_not_the_url() -> None:
    with http_receiver() as receiver:
        gateway = receiver.base_url.replace("http://", "http://pusher:p%40ss@")
        publish(full_snapshot(), gateway_url=gateway, grouping={"instance": "daemon-1"})
    [request] = receiver.requests
    assert request.path == "/metrics/job/mlb_assets/instance/daemon-1"
    assert request.headers["authorization"] == "Basic " + base64.b64encode(b"pusher:p@ss").decode()


@pytest.mark.parametrize("status", [500, 400])
def test_a_gateway_error_raises_with_credentials_masked(status: int) -> None:
    with http_receiver() as receiver:
        receiver.respond_with(status)
        gateway = receiver.base_url.replace("http://", "http://pusher:hunter2@") + "/secret-prefix"
        with pytest.raises(MetricsPublishError) as caught:
            publish(full_snapshot(), gateway_url=gateway)
    message = str(caught.value)
    assert str(status) in message
    assert "hunter2" not in message and "pusher" not in message and "secret-prefix" not in message
    assert caught.value.__context__ is None


def test_an_unreachable_gateway_raises_with_credentials_masked() -> None:
    gateway = closed_port_url().replace("http://", "http://pusher:hunter2@")
    with pytest.raises(MetricsPublishError) as caught:
        publish(full_snapshot(), gateway_url=gateway, timeout=2)
    assert "refused" in str(caught.value).lower() and "hunter2" not in str(caught.value)


def test_textfile_mode_writes_a_file_that_parses_the_same(tmp_path: Path) -> None:
    path = tmp_path / "metrics" / "mlb_assets.prom"
    assert publish(full_snapshot(), gateway_url=None, textfile=path) == str(path)
    _assert_full_snapshot(path.read_text())
    assert [p.name for p in path.parent.iterdir()] == ["mlb_assets.prom"]  # no temp file left


def test_unset_fields_are_not_exported() -> None:
    snapshot = MetricsSnapshot(bankroll=100.0, roi={}, collected_at=T0)
    assert set(_samples(_exposition(snapshot))) == {
        ("mlb_assets_bankroll", ()),
        ("mlb_assets_metrics_collected_timestamp_seconds", ()),
    }


def test_every_publish_uses_its_own_registry() -> None:
    first, second = registry_for(full_snapshot()), registry_for(MetricsSnapshot(collected_at=T0))
    assert first is not second
    assert second.get_sample_value("mlb_assets_bankroll") is None
    assert first.get_sample_value("mlb_assets_bankroll") == 9_650


def test_publish_needs_a_destination() -> None:
    with pytest.raises(ValueError, match="destination"):
        publish(full_snapshot(), gateway_url=None, textfile=None)


def test_publish_from_env_prefers_the_gateway_then_the_textfile(tmp_path: Path) -> None:
    default = tmp_path / "default.prom"
    with http_receiver() as receiver:
        env = {"MLB_ASSETS_PUSHGATEWAY_URL": receiver.base_url}
        assert publish_from_env(full_snapshot(), env, default_textfile=default) == "pushgateway"
    assert len(receiver.requests) == 1 and not default.exists()

    chosen = tmp_path / "chosen.prom"
    env = {"MLB_ASSETS_METRICS_TEXTFILE": str(chosen)}
    assert publish_from_env(full_snapshot(), env, default_textfile=default) == str(chosen)
    assert publish_from_env(full_snapshot(), {}, default_textfile=default) == str(default)
    assert chosen.exists() and default.exists()
    with pytest.raises(ValueError, match="MLB_ASSETS_PUSHGATEWAY_URL"):
        publish_from_env(full_snapshot(), {})


def _exposition(snapshot: MetricsSnapshot) -> str:
    return generate_latest(registry_for(snapshot)).decode()


def test_the_gate_gauge_follows_the_warehouse(warehouse_url: str) -> None:
    """mlb_assets_betting_gate_open per model from betting_gate; ROI from the money ledger."""
    from datetime import date, datetime

    import pandas as pd

    from mlb_assets.lib.ops.collect import warehouse_metrics
    from mlb_assets.lib.warehouse import migrate
    from mlb_assets.lib.warehouse.engine import create_warehouse_engine
    from mlb_assets.lib.warehouse.load import bulk_insert
    from mlb_assets.lib.warehouse.schema import betting_gate, roi_summary

    engine = create_warehouse_engine(warehouse_url)
    migrate.upgrade(engine)
    now = pd.Timestamp("2016-05-02 20:00", tz="UTC")
    gates = pd.DataFrame(
        {
            "model_name": ["mlb_home_win", "mlb_total_over"],
            "model_version": ["2", "1"],
            "gate_open": [False, True],
            "max_log_loss_diff": 0.0,
            "evaluation_id": [None, "e1"],
            "evidence_weight": [None, 0.5],
            "reason": ["no evidence recorded for mlb_home_win v2", "proven edge"],
            "checked_at": now,
            "changed_at": now,
        }
    )
    summary = pd.DataFrame(
        {
            "ledger": ["money", "paper"],
            "scope": "all",
            "key": "all",
            "bets": [3, 40],
            "staked": [30.0, 4000.0],
            "profit": [3.0, -400.0],
            "roi": [0.1, -0.1],
            "computed_at": now,
        }
    )
    with engine.begin() as connection:
        bulk_insert(connection, betting_gate, gates)
        bulk_insert(connection, roi_summary, summary)
    with engine.connect() as connection:
        found = warehouse_metrics(connection, today=date(2016, 5, 2), now=datetime(2016, 5, 2))
    assert found["betting_gate_open"] == {"mlb_home_win": 0, "mlb_total_over": 1}
    assert found["roi"] == {"all": pytest.approx(0.1)}  # the paper ledger is not money
    text = generate_latest(registry_for(MetricsSnapshot(**found, collected_at=T0))).decode()
    gauge = ("mlb_assets_betting_gate_open", (("model", "mlb_total_over"),))
    assert _samples(text)[gauge] == 1
