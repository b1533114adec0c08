"""Predictions, picks, the ledger, rollups and reporting views through the graph, on May
2016 with a champion trained on April only (``trained`` in conftest).

The backtest runs with evidence recorded that opens the betting gate of both champions;
``test_a_closed_gate_stakes_no_money`` reruns May on a copy of the warehouse with
bad evidence for one model and none for the other."""

from __future__ import annotations

import sqlite3
from datetime import UTC, date, datetime
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa

from mlb_assets.lib.betting.ledger import build_ledger
from mlb_assets.lib.features.market import decision_times
from mlb_assets.lib.models.registry import champion_version
from mlb_assets.lib.models.tracking import configure
from mlb_assets.lib.odds import american_to_decimal
from mlb_assets.lib.warehouse.engine import create_warehouse_engine
from mlb_assets.lib.warehouse.load import bulk_insert, read_frame
from mlb_assets.lib.warehouse.reporting import read_view
from mlb_assets.lib.warehouse.schema import (
    bet_ledger,
    betting_gate,
    games,
    line_movements,
    model_evidence,
    odds_snapshots,
    picks,
    predictions,
    roi_summary,
)
from mlb_assets.lib.warehouse.summary import gate_lines
from mlb_assets.runner import (
    BETTING_BACKTEST_JOB,
    materialization_metadata,
    run_partitioned_job,
)
from mlb_assets_tests.defs.conftest import TRAIN_BEFORE

pytestmark = [pytest.mark.archive, pytest.mark.slow]

MAY = (date(2016, 5, 1), date(2016, 5, 31))
MODELS = ("mlb_home_win", "mlb_total_over")


def _table(url: str, table: sa.Table) -> pd.DataFrame:
    with create_warehouse_engine(url).connect() as connection:
        return read_frame(connection, sa.select(table))


def _champions(resources: dict[str, object]) -> dict[str, str]:
    client = configure(resources["mlflow"].settings())  # type: ignore[attr-defined]
    return {name: str(champion_version(client, name).version) for name in MODELS}


def record_evidence(
    url: str, resources: dict[str, object], diff: tuple[float, float, float], models=MODELS
) -> None:
    """A model_evidence row (mean, low, high of model − market log-loss) per champion, newer
    than any the evaluation wrote."""
    mean, low, high = diff
    versions = _champions(resources)
    rows = pd.DataFrame(
        {
            "evaluation_id": f"test-{datetime.now(UTC).timestamp()}",
            "model_name": list(models),
            "model_version": [versions[name] for name in models],
            "target": "test",
            "season": 2016,
            "n_games": 1000,
            "model_log_loss": 0.68 + mean,
            "market_log_loss": 0.68,
            "diff_mean": mean,
            "diff_ci_low": low,
            "diff_ci_high": high,
            "edge_probability": 1.0 if high < 0 else 0.4,
            "calibration_slope": 1.0,
            "calibration_intercept": 0.0,
            "mean_gap": 0.0,
            "created_at": pd.Timestamp(datetime.now(UTC)),
        }
    )
    with create_warehouse_engine(url).begin() as connection:
        bulk_insert(connection, model_evidence, rows)


# A tight interval well below zero: the gate opens with an evidence weight of almost 1.
PROVEN = (-0.05, -0.0505, -0.0495)


@pytest.fixture(scope="module")
def backtest(trained: dict[str, object]) -> dict[str, object]:
    resources = trained["resources"]
    record_evidence(str(trained["url"]), resources, PROVEN)
    first = run_partitioned_job(BETTING_BACKTEST_JOB, *MAY, resources=resources, quiet=True)
    assert first.success
    url = str(trained["url"])
    ledger_first = _table(url, bet_ledger)
    second = run_partitioned_job(BETTING_BACKTEST_JOB, *MAY, resources=resources, quiet=True)
    assert second.success
    return {
        "url": url,
        "result": second,
        "ledger_first": ledger_first,
        "resources": resources,
    }


def test_predictions_are_out_of_sample_and_versioned(backtest: dict[str, object]) -> None:
    everything = _table(str(backtest["url"]), predictions)
    may_games = _table(str(backtest["url"]), games)
    may_games = may_games[pd.to_datetime(may_games["game_date"]).dt.month == 5]
    assert set(everything["market"]) == {"h2h", "totals"}
    assert not everything["in_sample"].any()
    assert (pd.to_datetime(everything["game_date"]) >= pd.Timestamp(TRAIN_BEFORE)).all()
    assert everything["prob"].between(0, 1).all()
    assert everything.groupby("market")["model_name"].first().to_dict() == {
        "h2h": "mlb_home_win",
        "totals": "mlb_total_over",
    }
    scores = may_games.set_index("game_id")
    rows = everything[everything["market"] == "h2h"]
    assert rows["game_id"].is_unique
    assert len(rows) >= 0.95 * len(may_games)  # every game with a start time
    assert rows["model_version"].nunique() == 1
    # Outcomes follow the scores.
    joined = rows.join(scores[["home_score", "away_score"]], on="game_id")
    home_won = (joined["home_score"] > joined["away_score"]).astype(int)
    assert (joined["outcome"].astype(int) == home_won).all()
    totals = everything[everything["market"] == "totals"].join(
        scores[["home_score", "away_score"]], on="game_id"
    )
    assert len(totals) >= 0.9 * len(rows) and totals["point"].notna().all()
    runs = totals["home_score"] + totals["away_score"]
    decided = runs != totals["point"]
    over = (runs > totals["point"]).astype(int)
    assert (totals.loc[decided, "outcome"].astype(int) == over[decided]).all()
    assert totals.loc[~decided, "outcome"].isna().all()  # a push has no outcome


def test_picks_take_the_best_price_at_decision_time(backtest: dict[str, object]) -> None:
    url = str(backtest["url"])
    rows = _table(url, picks)
    snapshots = _table(url, odds_snapshots).set_index("snapshot_id")
    schedule = _table(url, games)
    decision = decision_times(schedule, 60)
    assert set(rows["market"]) == {"h2h", "totals"}
    # Both sides of each prediction, unless no book quoted the predicted total.
    assert len(rows) >= 1.9 * len(_table(url, predictions))
    assert (rows.groupby(["game_id", "market"]).size() == 2).all()
    source = snapshots.loc[rows["odds_snapshot_id"]]
    # Lineage: the snapshot a pick names holds its price, side and book, before decision.
    assert (source["price_american"].to_numpy() == rows["price_american"].to_numpy()).all()
    assert (source["side"].to_numpy() == rows["side"].to_numpy()).all()
    assert (source["book"].to_numpy() == rows["book"].to_numpy()).all()
    assert (source["captured_at"].to_numpy() <= decision.loc[rows["game_id"]].to_numpy()).all()
    bets = rows[rows["is_bet"]]
    assert len(bets) > 0 and not rows["paper"].any()  # the gate is open: money bets
    assert (rows["evidence_weight"] > 0.99).all()
    assert (bets["edge"] >= 0.03 - 1e-12).all()
    assert (bets["stake_fraction"] <= 0.02 + 1e-12).all()
    assert (rows.loc[~rows["is_bet"], "stake_fraction"] == 0).all()
    # Model probabilities of the two sides add up to one.
    sums = rows.groupby(["game_id", "market"])["model_prob"].sum()
    assert sums.to_numpy() == pytest.approx(1.0)


def test_ledger_settles_and_rebuilds_exactly(backtest: dict[str, object]) -> None:
    url = str(backtest["url"])
    stored = _table(url, bet_ledger).sort_values("bet_id").reset_index(drop=True)
    first = pd.DataFrame(backtest["ledger_first"]).sort_values("bet_id").reset_index(drop=True)
    pd.testing.assert_frame_equal(stored, first)  # a rerun changed nothing, counted nothing twice
    bets = _table(url, picks)
    bets = bets[bets["is_bet"]]
    assert len(stored) == len(bets)
    assert set(stored["result"]) <= {"win", "loss", "push", "void"}
    wins = stored[stored["result"] == "win"]
    decimal = pd.Series(american_to_decimal(wins["price_american"]), index=wins.index)
    assert wins["profit"].to_numpy() == pytest.approx(
        (wins["stake"] * (decimal - 1)).to_numpy(), abs=0.011
    )
    losses = stored[stored["result"] == "loss"]
    assert (losses["profit"] == -losses["stake"]).all()
    closes = _table(url, line_movements)
    rebuilt = build_ledger(
        bets,
        _table(url, games),
        closes[
            ["game_id", "market", "side", "book", "close_price", "close_point", "close_prob_novig"]
        ],
        starting_bankroll=10_000.0,
        reference_book="pinnacle",
        settled_at_known=stored.set_index("bet_id")["settled_at"],
        now=pd.Timestamp("2030-01-01", tz="UTC"),
    )
    rebuilt = rebuilt.sort_values("bet_id").reset_index(drop=True)
    pd.testing.assert_frame_equal(
        stored, rebuilt[stored.columns], check_dtype=False, check_exact=False, rtol=1e-9
    )
    # The bankroll compounds: each day starts from the previous days' settled profit.
    days = stored.groupby("game_date").agg(start=("bankroll_before", "first"))
    profit = stored.groupby("game_date")["profit"].sum()
    expected = 10_000.0 + profit.cumsum().shift(fill_value=0.0)
    assert days["start"].to_numpy() == pytest.approx(expected.to_numpy(), abs=0.01)


def test_rollups_and_reporting_views_agree_with_the_ledger(backtest: dict[str, object]) -> None:
    url = str(backtest["url"])
    ledger = _table(url, bet_ledger)
    settled = ledger[ledger["result"].isin(["win", "loss", "push"])]
    summary = _table(url, roi_summary).set_index(["scope", "key"])
    overall = summary.loc[("all", "all")]
    assert overall["bets"] == len(settled)
    assert overall["roi"] == pytest.approx(settled["profit"].sum() / settled["stake"].sum())
    assert overall["roi_ci_low"] <= overall["roi"] <= overall["roi_ci_high"]
    with create_warehouse_engine(url).connect() as connection:
        daily = read_view(connection, "roi_daily")
        curve = read_view(connection, "bankroll_curve")
    assert daily["profit"].sum() == pytest.approx(settled["profit"].sum(), abs=0.01)
    assert curve["bankroll_end"].iloc[-1] == pytest.approx(
        10_000.0 + settled["profit"].sum(), abs=0.01
    )
    meta = materialization_metadata(backtest["result"])
    rollups = meta["roi_rollups"]
    assert "data:image/png;base64," in rollups["bankroll_curve"]
    assert "ROI" in rollups["summary"] and "CLV" in rollups["summary"]


def test_in_sample_predictions_are_not_picked(backtest: dict[str, object]) -> None:
    """April is the champion's own training data: predicted, flagged, never picked."""
    april = (date(2016, 4, 20), date(2016, 4, 21))
    result = run_partitioned_job("daily_picks", *april, resources=backtest["resources"], quiet=True)
    assert result.success
    url = str(backtest["url"])
    rows = _table(url, predictions)
    in_april = rows[pd.to_datetime(rows["game_date"]).dt.month == 4]
    assert len(in_april) > 0 and in_april["in_sample"].all()
    chosen = _table(url, picks)
    assert not (pd.to_datetime(chosen["game_date"]).dt.month == 4).any()
    # One event per partition of the range, all carrying the run's metadata.
    event = next(
        e
        for e in result.get_asset_materialization_events()
        if e.asset_key.to_user_string() == "picks"
    )
    skipped = event.materialization.metadata["in_sample_predictions_skipped"].value
    assert skipped == len(in_april)


@pytest.mark.postgres
def test_same_ledger_and_views_on_postgres(
    backtest: dict[str, object], trained: dict[str, object], archive_dir, postgres_url: str
) -> None:
    """The same slice and champion on Postgres (COPY loads, materialized views) give the
    same predictions, picks, ledger and reporting totals as on SQLite."""
    from mlb_assets.runner import run_season_backfill
    from mlb_assets_tests.defs.conftest import MODELS_END, MODELS_START, make_resources

    resources = make_resources(postgres_url, archive_dir, trained["home"])
    assert run_season_backfill(MODELS_START, MODELS_END, resources=resources, quiet=True).success
    record_evidence(postgres_url, resources, PROVEN)
    assert run_partitioned_job(BETTING_BACKTEST_JOB, *MAY, resources=resources, quiet=True).success
    lite, pg = str(backtest["url"]), postgres_url
    for table, key in [(picks, "pick_id"), (bet_ledger, "bet_id")]:
        left = _table(lite, table)
        left = left[pd.to_datetime(left["game_date"]).dt.month == 5]
        left = left.drop(columns=["settled_at"], errors="ignore")
        right = _table(pg, table).drop(columns=["settled_at"], errors="ignore")
        left, right = (f.sort_values(key).reset_index(drop=True) for f in (left, right))
        pd.testing.assert_frame_equal(left, right, check_dtype=False, rtol=1e-9)
    for view in ["roi_daily", "roi_by_tier", "clv_summary", "bankroll_curve"]:
        frames = []
        for url in (lite, pg):
            with create_warehouse_engine(url).connect() as connection:
                frames.append(read_view(connection, view).reset_index(drop=True))
        pd.testing.assert_frame_equal(frames[0], frames[1], check_dtype=False, rtol=1e-6)


def _copy_sqlite(url: str, target: Path) -> str:
    """A consistent copy of a SQLite warehouse (the online backup API, WAL included)."""
    source = sqlite3.connect(url.removeprefix("sqlite:///"))
    copy = sqlite3.connect(target)
    with copy:
        source.backup(copy)
    source.close()
    copy.close()
    return f"sqlite:///{target}"


def test_a_closed_gate_stakes_no_money(
    backtest: dict[str, object], trained: dict[str, object], archive_dir, tmp_path: Path
) -> None:
    """Bad evidence for the h2h champion, none for the totals one: every pick is a paper
    pick, no money is staked, and the paper ledger is complete and reported apart."""
    from mlb_assets_tests.defs.conftest import make_resources

    url = _copy_sqlite(str(backtest["url"]), tmp_path / "warehouse.sqlite")
    resources = make_resources(url, archive_dir, trained["home"])
    with create_warehouse_engine(url).begin() as connection:
        connection.execute(sa.delete(model_evidence))
    record_evidence(url, resources, (0.01, -0.002, 0.021), models=("mlb_home_win",))
    result = run_partitioned_job(BETTING_BACKTEST_JOB, *MAY, resources=resources, quiet=True)
    assert result.success
    chosen = _table(url, picks)
    assert len(chosen) > 0 and chosen["paper"].all()
    assert chosen["evidence_weight"].isna().all()
    assert (chosen["kelly_prob"] == chosen["model_prob"]).all()
    paper_picks = chosen[chosen["is_bet"]]
    assert (paper_picks["edge"] >= 0.03 - 1e-12).all()
    # The ledger: every paper bet, one unit each, no bankroll behind it; no money at all.
    ledger = _table(url, bet_ledger)
    assert set(ledger["bet_id"]) == set(paper_picks["pick_id"])
    assert ledger["paper"].all() and (ledger["stake"] == 100.0).all()
    assert ledger["bankroll_before"].isna().all()
    settled = ledger[ledger["result"].isin(["win", "loss", "push"])]
    assert len(settled) > 0 and settled["profit_units"].notna().all()
    summary = _table(url, roi_summary)
    assert set(summary["ledger"]) == {"paper"}
    paper_all = summary[(summary["ledger"] == "paper") & (summary["scope"] == "all")].iloc[0]
    assert paper_all["bets"] == len(settled)
    assert paper_all["roi_ci_low"] <= paper_all["roi"] <= paper_all["roi_ci_high"]
    assert paper_all["clv_ci_low"] <= paper_all["clv_mean"] <= paper_all["clv_ci_high"]
    # Each model's gate: closed, with the reason, and the change alerted once per model.
    gates = _table(url, betting_gate).set_index("model_name")
    assert not gates["gate_open"].astype(bool).any()
    assert gates.loc["mlb_home_win", "reason"].startswith("no proven edge: ")
    assert gates.loc["mlb_total_over", "reason"].startswith("no evidence recorded for ")
    meta = materialization_metadata(result)
    assert meta["picks"]["bets"] == 0 and meta["picks"]["paper_bets"] > 0
    assert meta["picks"]["gate_alerts_sent"] == 2  # both were open after the backtest
    reasons = [gate["reason"] for gate in meta["picks"]["betting_gate"].values()]
    assert any(reason.startswith("no proven edge") for reason in reasons)
    headline = meta["roi_rollups"]["summary"]
    assert headline.startswith("no proven edge: no money staked; paper (one unit each")
    assert headline.count("95% CI") == 3
    with create_warehouse_engine(url).connect() as connection:
        assert read_view(connection, "roi_daily").empty  # the money views stay empty
        assert read_view(connection, "bankroll_curve").empty
        gate_view = read_view(connection, "betting_gate")
    assert set(gate_view["model_name"]) == set(MODELS)
    # `mlb-assets summary` says it in words
    lines = gate_lines(create_warehouse_engine(url))
    assert len(lines) == 2 and all("closed, paper picks only (no " in line for line in lines)
