"""Reporting-view latency on Postgres with odds at 100 books, and the plans of the hot queries.

The warehouse is built as the ``scale`` benchmark builds it (the real 2016 lines replayed
across synthetic books, ``MLB_ASSETS_BENCH_BI_BOOKS``, default 100, over the scale window,
one run per game date), so odds_snapshots, line_movements, consensus, features and the
quarantine hold 100 books' rows. The betting tables do not grow with books (one pick per
game, market and side, at the best price), and training is out of scope here: predictions,
picks and the bet ledger are filled with seeded synthetic rows for the same games (a load
fixture, not model output), and roi_summary is computed from them by the project's rollup.

Then the materialized views are refreshed (concurrently, as the nightly job does; seconds
per view printed) and each reporting view is read ``MLB_ASSETS_BENCH_BI_READS`` times
(default 50) with ``SELECT *`` as a BI tool would: p50 and p95 in milliseconds. Last, the
plans (EXPLAIN ANALYZE) of the queries the assets and sensors run most on odds_snapshots.
"""

from __future__ import annotations

import statistics
import tempfile
import time

import numpy as np
import pandas as pd
import scale
import sqlalchemy as sa
from common import archive_dir, bench_server

from mlb_assets.config import current

SEED = 7


def _games(connection: sa.Connection) -> pd.DataFrame:
    from mlb_assets.lib.warehouse.load import read_frame
    from mlb_assets.lib.warehouse.schema import games

    return read_frame(connection, sa.select(games).where(games.c.start_time_utc.is_not(None)))


def _predictions(games: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    frame = pd.concat([games.assign(market=m) for m in ("h2h", "totals")], ignore_index=True)
    prob = rng.uniform(0.35, 0.65, len(frame))
    won = rng.random(len(frame)) < prob
    decision = frame["start_time_utc"] - pd.Timedelta(hours=1)
    return pd.DataFrame(
        {
            "game_id": frame["game_id"],
            "market": frame["market"],
            "game_date": frame["game_date"],
            "side": np.where(frame["market"] == "h2h", "home", "over"),
            "point": np.where(frame["market"] == "totals", 8.5, np.nan),
            "prob": prob,
            "prob_bin": np.floor(prob * 10).astype(int),
            "outcome": won.astype(int),
            "model_name": "synthetic",
            "model_version": "1",
            "model_run_id": "bench",
            "in_sample": False,
            "decision_at": decision,
            "predicted_at": decision,
        }
    )


def _picks(predictions: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    other = {"home": "away", "over": "under"}
    sides = pd.concat(
        [
            predictions.assign(model_prob=predictions["prob"]),
            predictions.assign(
                side=predictions["side"].map(other), model_prob=1 - predictions["prob"]
            ),
        ],
        ignore_index=True,
    )
    market_prob = np.clip(sides["model_prob"] + rng.normal(0, 0.03, len(sides)), 0.05, 0.95)
    edge = sides["model_prob"] - market_prob
    fraction = np.clip(edge, 0, None) * 0.25
    return pd.DataFrame(
        {
            "pick_id": np.arange(1, len(sides) + 1),
            "game_id": sides["game_id"],
            "game_date": sides["game_date"],
            "market": sides["market"],
            "side": sides["side"],
            "point": sides["point"],
            "model_prob": sides["model_prob"],
            "market_prob_mult": market_prob,
            "market_prob_shin": market_prob,
            "market_prob": market_prob,
            "edge": edge,
            "expected_value": edge / market_prob,
            "kelly_full": fraction * 4,
            "stake_fraction": fraction,
            "tier": np.where(edge > 0.04, "A", np.where(edge > 0.02, "B", None)),
            "is_bet": edge > 0.02,
            "price_american": -110,
            "book": "pinnacle",
            "odds_snapshot_id": rng.integers(1, 2**62, len(sides)),
            "quoted_at": sides["decision_at"],
            "decision_at": sides["decision_at"],
            "model_name": "synthetic",
            "model_version": "1",
            "outcome": np.where(
                sides["model_prob"] == sides["prob"], sides["outcome"], 1 - sides["outcome"]
            ),
        }
    )


def _ledger(picks: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    bets = picks[picks["is_bet"]].copy()
    stake = (1000 * bets["stake_fraction"]).round(2)
    result = np.where(bets["outcome"] == 1, "win", "loss")
    profit = np.where(result == "win", (stake * 100 / 110).round(2), -stake)
    dates = pd.to_datetime(bets["game_date"])
    return pd.DataFrame(
        {
            "bet_id": bets["pick_id"],
            "game_id": bets["game_id"],
            "game_date": bets["game_date"],
            "month": dates.dt.strftime("%Y-%m"),
            "season": dates.dt.year,
            "market": bets["market"],
            "side": bets["side"],
            "point": bets["point"],
            "tier": bets["tier"],
            "book": bets["book"],
            "price_american": bets["price_american"],
            "model_prob": bets["model_prob"],
            "market_prob": bets["market_prob"],
            "edge": bets["edge"],
            "stake_fraction": bets["stake_fraction"],
            "bankroll_before": 1000.0,
            "stake": stake,
            "stake_units": stake / 10,
            "result": result,
            "profit": profit,
            "profit_units": profit / 10,
            "closing_price_american": -112,
            "closing_prob_novig": bets["market_prob"] + rng.normal(0, 0.01, len(bets)),
            "clv_prob": rng.normal(0, 0.01, len(bets)),
            "model_version": "1",
            "odds_snapshot_id": bets["odds_snapshot_id"],
            "placed_at": bets["decision_at"],
            "settled_at": bets["decision_at"] + pd.Timedelta(hours=5),
        }
    )


def fill_betting(engine: sa.Engine) -> dict[str, int]:
    """Seeded synthetic predictions, picks and ledger for the warehouse's games; roi_summary."""
    from mlb_assets.lib.betting.rollups import roi_summary
    from mlb_assets.lib.warehouse.load import bulk_insert
    from mlb_assets.lib.warehouse.schema import bet_ledger, picks, predictions
    from mlb_assets.lib.warehouse.schema import roi_summary as summary_table

    rng = np.random.default_rng(SEED)
    with engine.begin() as connection:
        predicted = _predictions(_games(connection), rng)
        chosen = _picks(predicted, rng)
        ledger = _ledger(chosen, rng)
        summary = roi_summary(ledger, n_boot=200).assign(computed_at=pd.Timestamp.now(tz="UTC"))
        bulk_insert(connection, predictions, predicted)
        bulk_insert(connection, picks, chosen.drop(columns="outcome"))
        bulk_insert(connection, bet_ledger, ledger)
        bulk_insert(connection, summary_table, summary)
    return {"predictions": len(predicted), "picks": len(chosen), "bet_ledger": len(ledger)}


def _refresh(engine: sa.Engine) -> dict[str, float]:
    from mlb_assets.lib.warehouse.reporting import refresh_reporting_views

    with engine.begin() as connection:
        seconds = refresh_reporting_views(connection)
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.exec_driver_sql("ANALYZE")
    return seconds


def view_latencies(engine: sa.Engine, reads: int) -> dict[str, tuple[float, float, int]]:
    """p50 and p95 (ms) of ``SELECT *`` on each reporting view, and its row count."""
    from mlb_assets.lib.warehouse.reporting import REPORTING_VIEWS, reporting_relation

    figures = {}
    with engine.connect() as connection:
        for name in REPORTING_VIEWS:
            relation = reporting_relation("postgresql", name)
            times, rows = [], 0
            for _ in range(reads):
                started = time.perf_counter()
                rows = len(connection.exec_driver_sql(f"SELECT * FROM {relation}").all())
                times.append((time.perf_counter() - started) * 1000)
            p95 = statistics.quantiles(times, n=20)[-1]
            figures[name] = (statistics.median(times), p95, rows)
    return figures


def hot_queries(day: str) -> dict[str, str]:
    """The statements run most on odds_snapshots, for one game date."""
    return {
        "assets_read_one_day": (
            f"SELECT * FROM odds_snapshots WHERE game_date BETWEEN '{day}' AND '{day}'"
        ),
        "sensor_newest_quote_of_day": (
            f"SELECT max(captured_at) FROM odds_snapshots WHERE game_date = '{day}'"
        ),
        "data_freshness_view": "SELECT * FROM reporting.data_freshness",
        "quarantine_summary_view": "SELECT * FROM reporting.quarantine_summary",
    }


def explain(engine: sa.Engine, day: str) -> dict[str, str]:
    plans = {}
    with engine.connect() as connection:
        for name, statement in hot_queries(day).items():
            rows = connection.exec_driver_sql(f"EXPLAIN (ANALYZE, COSTS OFF) {statement}").all()
            plans[name] = "\n".join(row[0] for row in rows)
        # The replacement's DELETE: planned only, so that the rows stay.
        delete = f"DELETE FROM odds_snapshots WHERE game_date BETWEEN '{day}' AND '{day}'"
        rows = connection.exec_driver_sql(f"EXPLAIN (COSTS OFF) {delete}").all()
        plans["replace_delete_one_day"] = "\n".join(row[0] for row in rows)
    return plans


def _report(engine: sa.Engine, books: int, reads: int) -> None:
    for name, seconds in _refresh(engine).items():
        print(f"bi_refresh_{name}: {seconds * 1000:.1f} ms")
    for name, (p50, p95, rows) in view_latencies(engine, reads).items():
        print(f"bi_{name}_p50: {p50:.2f} ms")
        print(f"bi_{name}_p95: {p95:.2f} ms")
        print(f"bi_{name}_rows: {rows} rows")
    start, end = scale.window()
    middle = (start + (end - start) / 2).isoformat()
    for name, plan in explain(engine, middle).items():
        print(f"# EXPLAIN {name} ({books} books, game date {middle})")
        print("\n".join(f"#   {line}" for line in plan.splitlines()))


def main() -> None:
    from mlb_assets.lib.ops.postgres import scratch_database
    from mlb_assets.lib.warehouse.engine import create_warehouse_engine

    archive_dir()
    books, reads = current().bench_bi_books, current().bench_bi_reads
    server = bench_server()
    with tempfile.TemporaryDirectory() as home, scratch_database(server, "bench") as url:
        rendered = url.render_as_string(hide_password=False)
        built = scale.run_child(rendered, books, home)
        print(f"bi_build_wall: {built['wall']:.1f} s")
        for table, count in dict(built["rows"]).items():  # type: ignore[arg-type]
            print(f"bi_rows_{table}: {count} rows")
        engine = create_warehouse_engine(rendered)
        try:
            for table, count in fill_betting(engine).items():
                print(f"bi_rows_{table}: {count} rows (synthetic)")
            _report(engine, books, reads)
        finally:
            engine.dispose()


if __name__ == "__main__":
    main()
