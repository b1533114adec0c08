"""The 2016 season as a bettor would have lived it: the market, the models, the gate, the ledger.

What it runs, in a temporary MLB_ASSETS_HOME with an embedded SQLite warehouse:

1. the history seasons (``MLB_ASSETS_BENCH_HISTORY_FROM``, default 2010, to 2015) and the
   2016 season through ``season_backfill`` (ingestion, markets, features);
2. the ``train_models`` job as the demo runs it: both engines market-anchored on the
   seasons before 2016 (``MLB_ASSETS_BENCH_TRAIN_SECONDS`` each), the champion, and the
   monthly walk-forward evaluation of 2016 (``MLB_ASSETS_BENCH_EVAL_SECONDS`` per engine
   and month) in which the champion that bets is scored as it is;
3. the betting backtest of 2016 (predictions, picks behind the gate, ledger, rollups).

Figures (``betting_...``):

- the market's log-loss on the 2016 games at the open, at decision time and at the close;
- per predictor of the walk-forward (each engine, the champion): log-loss, the paired
  bootstrap 95% interval of per-game log-loss minus the market's at decision time,
  calibration slope and intercept, mean model − market probability;
- whether the gate let money be staked, and the ledger: bets, ROI, CLV and bankroll for
  the money ledger and the paper ledger, each with its interval, as ``roi_rollups``
  reports them.

The targets of the models (champion log-loss at or below the market's at decision time,
the upper end of the interval at most +0.001, calibration slope within 0.9-1.1, mean gap
within ±0.5 points) are printed as met/missed lines.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import common
import pandas as pd
from training import scratch_home

from mlb_assets.config import current

SEASON = 2016
MARKETS = {
    "open": "ml_open_home_prob_mult",
    "decision": "market_home_prob_anchor",
    "close": "close_home_prob_mult",
}


def season_range(resources: dict, first: int, last: int) -> tuple[date, date]:
    archive = resources["archive"]
    start = min(archive.season(first).games["game_date"])
    return start, max(archive.season(last).games["game_date"])


def backfill(resources: dict, history_from: int) -> None:
    from mlb_assets.runner import run_season_backfill

    for first, last in ((history_from, SEASON - 1), (SEASON, SEASON)):
        start, end = season_range(resources, first, last)
        if not run_season_backfill(start, end, resources=resources, quiet=True).success:
            raise SystemExit(f"betting benchmark: backfill {start}..{end} failed")
        print(f"betting_backfill: {start}..{end} loaded", flush=True)


def print_champion(result) -> None:  # type: ignore[no-untyped-def]
    from mlb_assets.runner import materialization_metadata

    events = materialization_metadata(result)
    for engine in ("h2o_model", "autogluon_model"):
        meta = events.get(engine, {})
        if meta:
            print(
                f"betting_{engine}_validation: anchored {meta['val_log_loss']:.4f}, engine alone "
                f"{meta['val_engine_log_loss']:.4f}, market {meta['val_market_log_loss']:.4f} "
                f"nats; gamma {meta['blend_gamma']:+.3f}"
            )
    champion = events.get("champion", {})
    print(f"betting_champion: version {champion.get('version')} ({champion.get('engine')})")


def print_markets(frame: pd.DataFrame) -> None:
    from mlb_assets.lib.models import metrics

    played = frame[(frame["season"] == SEASON) & frame["home_win"].notna()]
    for name, column in MARKETS.items():
        loss = metrics.log_loss(played["home_win"], played[column])
        n = metrics.count(played["home_win"], played[column])
        print(f"betting_market_{name}_log_loss: {loss:.4f} nats over {n} games")


def print_predictors(predictions: pd.DataFrame, predictors: list[str]) -> dict:
    from mlb_assets.lib.evaluation import paired_against_market

    found = paired_against_market(predictions, predictors)
    for name, e in found.items():
        prefix = f"betting_{name}"
        print(f"{prefix}_games: {e.n_games} games")
        print(f"{prefix}_log_loss: {e.model_log_loss:.4f} nats (market {e.market_log_loss:.4f})")
        print(
            f"{prefix}_minus_market: {e.diff_mean:+.4f} nats "
            f"(95% CI {e.diff_ci_low:+.4f} to {e.diff_ci_high:+.4f})"
        )
        print(f"{prefix}_calibration_slope: {e.calibration_slope:.3f}")
        print(f"{prefix}_calibration_intercept: {e.calibration_intercept:+.4f}")
        print(f"{prefix}_mean_gap: {100 * e.mean_gap:+.2f} points", flush=True)
    return found


def print_targets(evidence) -> None:  # type: ignore[no-untyped-def]
    if evidence is None:
        print("betting_targets: no champion evidence (fewer than 30 out-of-sample games)")
        return
    checks = {
        "log_loss_at_most_market": evidence.model_log_loss <= evidence.market_log_loss,
        "interval_upper_at_most_0.001": evidence.diff_ci_high <= 0.001,
        "calibration_slope_0.9_to_1.1": 0.9 <= evidence.calibration_slope <= 1.1,
        "mean_gap_within_0.5_points": abs(evidence.mean_gap) <= 0.005,
    }
    for name, met in checks.items():
        print(f"betting_target_{name}: {'met' if met else 'missed'}")


def print_betting(result) -> None:  # type: ignore[no-untyped-def]
    from mlb_assets.runner import materialization_metadata

    events = materialization_metadata(result)
    picks, rollups = events.get("picks", {}), events.get("roi_rollups", {})
    for key in sorted(picks):
        if key.startswith(("gate", "betting_gate", "bets", "paper", "money")):
            print(f"betting_picks_{key}: {picks[key]}")
    for key in sorted(rollups):
        value = rollups[key]
        if isinstance(value, float | int) and not isinstance(value, bool):
            print(f"betting_ledger_{key}: {value:.6g}")
    print(f"betting_summary: {rollups.get('summary', 'no rollups')}", flush=True)


def print_edges(warehouse) -> None:  # type: ignore[no-untyped-def]
    """How far the model's probabilities stray from the market's on the sides it priced."""
    import sqlalchemy as sa

    from mlb_assets.lib.warehouse.load import read_frame
    from mlb_assets.lib.warehouse.schema import picks

    with warehouse.connect() as connection:
        sides = read_frame(connection, sa.select(picks.c.edge, picks.c.is_bet, picks.c.paper))
    edge = sides["edge"].astype(float).abs()
    print(f"betting_sides_priced: {len(sides)} sides")
    if len(sides):
        print(f"betting_abs_edge_p50: {100 * edge.median():.2f} points")
        print(f"betting_abs_edge_p99: {100 * edge.quantile(0.99):.2f} points")
        print(f"betting_abs_edge_max: {100 * edge.max():.2f} points")
        for points in (1, 2, 3):
            print(
                f"betting_sides_edge_at_least_{points}_points: {int((edge >= points / 100).sum())}"
            )
    print(f"betting_paper_sides: {int(sides['paper'].sum())} sides", flush=True)


def main() -> None:
    archive_dir = common.archive_dir()
    from mlb_assets.defs.models.assets import CHAMPION_PREDICTOR, load_training_set
    from mlb_assets.resources import resources_for
    from mlb_assets.resources.models import H2OResource
    from mlb_assets.runner import BETTING_BACKTEST_JOB, run_models, run_partitioned_job

    config = current()
    train_seconds, eval_seconds = config.bench_train_seconds, config.bench_eval_seconds
    print(f"betting_budgets: {train_seconds} s per engine, {eval_seconds} s per monthly fit")
    with scratch_home() as home:
        h2o = H2OResource(max_mem=config.h2o_max_mem)
        url = f"sqlite:///{home / 'warehouse.sqlite'}"
        resources = resources_for(url, archive_dir, str(home), h2o=h2o)
        backfill(resources, config.bench_history_from)
        models = run_models(
            resources=resources,
            training={"time_budget_seconds": train_seconds, "train_before": f"{SEASON}-01-01"},
            evaluation={"season": SEASON, "time_budget_seconds": eval_seconds},
            quiet=True,
        )
        if not models.success:
            raise SystemExit("betting benchmark: the models run failed")
        print_champion(models)
        frame, _meta = load_training_set(resources["warehouse"])
        print_markets(frame)
        predictions = pd.read_parquet(
            Path(home) / "datasets" / f"evaluation_{SEASON}_home_win.parquet"
        )
        named = [c for c in predictions.columns if c in ("h2o", "autogluon", CHAMPION_PREDICTOR)]
        found = print_predictors(predictions, named)
        print_targets(found.get(CHAMPION_PREDICTOR))
        start, end = season_range(resources, SEASON, SEASON)
        betting = run_partitioned_job(
            BETTING_BACKTEST_JOB, start, end, resources=resources, quiet=True
        )
        if not betting.success:
            raise SystemExit("betting benchmark: the betting backtest failed")
        print_betting(betting)
        print_edges(resources["warehouse"])


if __name__ == "__main__":
    main()
