"""Predictions, picks, the bet ledger, ROI rollups and the reporting views for BI."""

from dataclasses import dataclass
from datetime import UTC, date, datetime

import dagster as dg
import mlflow
import numpy as np
import pandas as pd
import sqlalchemy as sa
from mlflow import MlflowClient
from pydantic import Field

from mlb_assets.defs.automation import LEDGER_FRESHNESS, PICKS_FRESHNESS, after_update_of
from mlb_assets.defs.catalog import rows_written, table_metadata
from mlb_assets.defs.partitions import (
    date_label,
    game_date_partitions,
    markdown_preview,
    partition_dates,
    single_run_backfill,
)
from mlb_assets.lib.betting.gate import (
    GateDecision,
    decide_all,
    gate_alerts,
    gate_rows,
    newest_per_model,
)
from mlb_assets.lib.betting.ledger import build_ledger
from mlb_assets.lib.betting.picks import build_picks
from mlb_assets.lib.betting.plots import bankroll_plot_markdown, calibration_plot_markdown
from mlb_assets.lib.betting.predictions import (
    MARKET_MODELS,
    MarketModel,
    build_predictions,
    feature_matrix,
    prediction_outcomes,
)
from mlb_assets.lib.betting.prices import best_prices, decision_quotes, market_probabilities
from mlb_assets.lib.betting.rollups import bankroll_curve, headline, roi_summary
from mlb_assets.lib.features.market import decision_times
from mlb_assets.lib.models.registry import champion_version
from mlb_assets.lib.models.tracking import configure
from mlb_assets.lib.names import DECISION_MINUTES_BEFORE, FEATURE_SETS, TRAIN_LAST_DATE_PARAM
from mlb_assets.lib.ops.alerts import AlertDeliveryError
from mlb_assets.lib.warehouse.load import bulk_insert, read_frame, replace_dates
from mlb_assets.lib.warehouse.reporting import refresh_reporting_views
from mlb_assets.lib.warehouse.schema import bet_ledger as ledger_table
from mlb_assets.lib.warehouse.schema import betting_gate as gate_table
from mlb_assets.lib.warehouse.schema import game_features as features_table
from mlb_assets.lib.warehouse.schema import games as games_table
from mlb_assets.lib.warehouse.schema import line_movements as movements_table
from mlb_assets.lib.warehouse.schema import model_evidence as evidence_table
from mlb_assets.lib.warehouse.schema import odds_snapshots as snapshots_table
from mlb_assets.lib.warehouse.schema import picks as picks_table
from mlb_assets.lib.warehouse.schema import predictions as predictions_table
from mlb_assets.lib.warehouse.schema import roi_summary as summary_table
from mlb_assets.resources.betting import BettingResource
from mlb_assets.resources.models import MlflowResource
from mlb_assets.resources.operations import OperationsResource
from mlb_assets.resources.warehouse import WarehouseResource

GROUP = "betting"


def _between(table: sa.Table, start: date, end: date) -> sa.Select:
    return sa.select(table).where(table.c.game_date.between(start, end))


def read_games_with_decision(connection: sa.Connection, start: date, end: date) -> pd.DataFrame:
    """The dates' games with their decision time (NaT for a game without a start time)."""
    games = read_frame(connection, _between(games_table, start, end))
    games["decision_at"] = decision_times(games, DECISION_MINUTES_BEFORE).to_numpy()
    return games


# --- predictions -------------------------------------------------------------------------


@dataclass(frozen=True)
class Champion:
    """A market's champion model version, loaded."""

    model: MarketModel
    version: str
    run_id: str
    train_last_date: str | None
    pyfunc: mlflow.pyfunc.PyFuncModel

    @property
    def features(self) -> list[str]:
        return list(self.pyfunc.metadata.get_input_schema().input_names())


def load_champions(markets: list[str], mlflow_resource: MlflowResource, log) -> list[Champion]:  # type: ignore[no-untyped-def]
    """The champion of each market's model; a market without one is skipped (logged)."""
    client: MlflowClient = configure(mlflow_resource.settings())
    champions = []
    for market in markets:
        model = MARKET_MODELS[market]
        version = champion_version(client, model.model_name)
        if version is None:
            log(f"{market}: no champion for {model.model_name}; market skipped")
            continue
        params = client.get_run(version.run_id).data.params
        uri = f"models:/{model.model_name}/{version.version}"  # the version, not the alias
        champions.append(
            Champion(
                model=model,
                version=str(version.version),
                run_id=version.run_id,
                train_last_date=params.get(TRAIN_LAST_DATE_PARAM) or None,
                pyfunc=mlflow.pyfunc.load_model(uri),
            )
        )
    return champions


class PredictionsConfig(dg.Config):
    """Markets to price (each needs a champion of its model: h2h -> mlb_home_win, totals ->
    mlb_total_over)."""

    markets: list[str] = Field(default_factory=lambda: ["h2h", "totals"])


def _predict_market(
    champion: Champion, games: pd.DataFrame, long: pd.DataFrame, now: pd.Timestamp
) -> pd.DataFrame:
    """One market's predictions for the games that have a decision time (and, for a
    market priced at a line, a line at decision time)."""
    point = champion.model.point_feature
    columns = list(dict.fromkeys([*champion.features, *([point] if point else [])]))
    timed = games[games["decision_at"].notna()]
    features = feature_matrix(long[long["game_id"].isin(timed["game_id"])], columns)
    if point:
        features = features[features[point].notna()]
    if features.empty:
        return pd.DataFrame()
    probs = champion.pyfunc.predict(features[champion.features])["prob"].to_numpy()
    # An anchored model has no probability where the market had no line at decision time.
    priced = ~np.isnan(probs)
    features, probs = features[priced], probs[priced]
    if features.empty:
        return pd.DataFrame()
    return build_predictions(
        timed,
        features,
        probs,
        champion.model,
        model_version=champion.version,
        model_run_id=champion.run_id,
        train_last_date=champion.train_last_date,
        predicted_at=now,
    )


@dg.asset(
    metadata=table_metadata("predictions"),
    group_name=GROUP,
    kinds={"mlflow", "sql"},
    partitions_def=game_date_partitions,
    backfill_policy=single_run_backfill,
    # Every target's champion prices a date (each its own market).
    deps=[
        "games",
        *FEATURE_SETS,
        dg.AssetDep("champion", partition_mapping=dg.AllPartitionMapping()),
    ],
    description=(
        "The champion model's probability per game and market at decision time (features "
        "as stored in game_features, 60 min before first pitch), with the model version and "
        "run, and whether the game lies within the model's own training data (in_sample). "
        "h2h is priced by mlb_home_win, totals by mlb_total_over at the decision-time line."
    ),
)
def predictions(
    context: dg.AssetExecutionContext,
    config: PredictionsConfig,
    warehouse: WarehouseResource,
    mlflow: MlflowResource,
) -> dg.MaterializeResult:
    start, end = partition_dates(context)
    unknown = sorted(set(config.markets) - set(MARKET_MODELS))
    if unknown:
        raise dg.Failure(f"unknown markets {unknown}; known: {sorted(MARKET_MODELS)}")
    champions = load_champions(config.markets, mlflow, context.log.info)
    if not champions:
        raise dg.Failure("no champion model for any market: run the train_models job first")
    with warehouse.connect() as connection:
        games = read_games_with_decision(connection, start, end)
        long = read_frame(connection, _between(features_table, start, end))
    now = pd.Timestamp(datetime.now(UTC))
    parts = [_predict_market(c, games, long, now) for c in champions]
    frame = pd.concat([p for p in parts if not p.empty] or [pd.DataFrame()], ignore_index=True)
    frame = frame.reindex(columns=[c.name for c in predictions_table.columns])
    with warehouse.begin() as connection:
        written = replace_dates(connection, predictions_table, frame, start, end)
    in_sample = int(frame["in_sample"].sum()) if len(frame) else 0
    context.log.info(
        f"predictions {date_label(start, end)}: {written} rows "
        f"({in_sample} in sample) from {[f'{c.model.model_name} v{c.version}' for c in champions]}"
    )
    return dg.MaterializeResult(
        metadata={
            "rows": written,
            **rows_written(written, context),
            "games_without_decision_time": int(games["decision_at"].isna().sum()),
            "in_sample_rows": in_sample,
            "models": dg.MetadataValue.json(
                {c.model.market: f"{c.model.model_name} v{c.version}" for c in champions}
            ),
            "mean_prob": float(frame["prob"].mean()) if len(frame) else 0.0,
            "preview": markdown_preview(frame[["game_id", "market", "side", "prob", "in_sample"]]),
        }
    )


# --- picks -------------------------------------------------------------------------------


class PicksConfig(dg.Config):
    """``allow_in_sample``: also pick games the model was trained on (a biased backtest;
    off by default, so in-sample predictions are counted and left out)."""

    allow_in_sample: bool = False


def _value_counts(values: pd.Series) -> dict[str, int]:
    """How many rows hold each value (JSON-ready for metadata)."""
    return {str(k): int(v) for k, v in values.value_counts().items()}


def _gate_decisions(
    connection: sa.Connection, preds: pd.DataFrame, max_log_loss_diff: float
) -> dict[tuple[str, str], GateDecision]:
    """The gate of each model version the predictions come from."""
    models = zip(preds["model_name"], preds["model_version"].astype(str), strict=True)
    evidence = read_frame(connection, sa.select(evidence_table))
    return decide_all(models, evidence, max_log_loss_diff)


def _record_gates(
    context: dg.AssetExecutionContext,
    connection: sa.Connection,
    operations: OperationsResource,
    decisions: list[GateDecision],
) -> int:
    """Write each model's gate state; alert where it opened or closed. Returns alerts sent."""
    if not decisions:  # no predictions in the range: nothing was decided
        return 0
    previous = read_frame(connection, sa.select(gate_table))
    known = dict(zip(previous["model_name"], previous["gate_open"].astype(bool), strict=True))
    rows = gate_rows(decisions, previous, pd.Timestamp(datetime.now(UTC)))
    connection.execute(sa.delete(gate_table).where(gate_table.c.model_name.in_(rows["model_name"])))
    bulk_insert(connection, gate_table, rows)
    sent = 0
    for alert in gate_alerts(decisions, known):
        try:
            operations.sink(context.log).send(alert)
            sent += 1
        except AlertDeliveryError as error:  # the state is recorded; the run goes on
            context.log.error(f"could not deliver the betting gate alert: {error}")
    return sent


def _log_gates(context: dg.AssetExecutionContext, decisions: list[GateDecision]) -> None:
    for decision in decisions:
        state = "open: money staked" if decision.is_open else "closed: paper picks only"
        context.log.info(
            f"betting gate {decision.model_name} v{decision.model_version} {state}; "
            f"{decision.reason}"
        )


@dg.asset(
    metadata=table_metadata("picks"),
    freshness_policy=PICKS_FRESHNESS,
    group_name=GROUP,
    kinds={"python", "sql"},
    partitions_def=game_date_partitions,
    backfill_policy=single_run_backfill,
    deps=[predictions, "odds_snapshots", "games"],
    description=(
        "Both sides of every predicted market: the no-vig market probability at decision "
        "time (reference book; multiplicative and Shin), the edge (model minus market), the "
        "expected value at the best price among the configured books at decision time "
        "(never the close), the fractional-Kelly stake as a bankroll share (capped; zero "
        "below the minimum edge) and the tier. Money is staked only while the model "
        "version's newest model_evidence shows an edge (the betting gate); Kelly then trusts "
        "the model as far as the evidence does. Otherwise picks are paper picks, one unit "
        "each, settled apart from the bankroll. Each pick records the odds snapshot of its "
        "price and the model version; the gate per model goes to betting_gate, and a gate "
        "that opens or closes alerts."
    ),
)
def picks(
    context: dg.AssetExecutionContext,
    config: PicksConfig,
    warehouse: WarehouseResource,
    betting: BettingResource,
    operations: OperationsResource,
) -> dg.MaterializeResult:
    start, end = partition_dates(context)
    with warehouse.connect() as connection:
        preds = read_frame(connection, _between(predictions_table, start, end))
        snapshots = read_frame(connection, _between(snapshots_table, start, end))
        games = read_games_with_decision(connection, start, end)
        gates = _gate_decisions(connection, preds, betting.gate_max_log_loss_diff)
    in_sample = preds["in_sample"].astype(bool) if len(preds) else pd.Series(dtype=bool)
    if not config.allow_in_sample:
        preds = preds[~in_sample]
    decision = games.set_index("game_id")["decision_at"]
    every_book = decision_quotes(snapshots, decision, None)
    # A book's latest quote does not depend on the others: the bettable books' quotes are
    # a subset of every book's (which the market probability reads, reference included).
    books = betting.book_list()
    bettable = every_book if books is None else every_book[every_book["book"].isin(books)]
    built = build_picks(
        preds,
        best_prices(bettable),
        market_probabilities(every_book, betting.reference_book),
        betting.staking(),
        betting.novig_method,
        gates=gates,
    )
    frame = built.frame
    current = newest_per_model(gates.values())
    with warehouse.begin() as connection:
        written = replace_dates(connection, picks_table, frame, start, end)
        alerts_sent = _record_gates(context, connection, operations, current)
    _log_gates(context, current)
    bets = frame[frame["is_bet"] & ~frame["paper"]]
    paper = frame[frame["is_bet"] & frame["paper"]]
    context.log.info(
        f"picks {date_label(start, end)}: {written} sides, {len(bets)} money bets, "
        f"{len(paper)} paper bets, {len(built.dropped)} sides without a price or market "
        "probability"
    )
    return dg.MaterializeResult(
        metadata={
            "sides": written,
            **rows_written(written, context),
            "bets": len(bets),
            "paper_bets": len(paper),
            "betting_gate": dg.MetadataValue.json(
                {
                    f"{d.model_name} v{d.model_version}": {
                        "open": d.is_open,
                        "evidence_weight": d.weight,
                        "reason": d.reason,
                    }
                    for d in gates.values()
                }
            ),
            "gate_alerts_sent": alerts_sent,
            "bets_by_tier": dg.MetadataValue.json(_value_counts(bets["tier"])),
            "mean_edge_of_bets": float(bets["edge"].mean()) if len(bets) else 0.0,
            "mean_stake_fraction": float(bets["stake_fraction"].mean()) if len(bets) else 0.0,
            "in_sample_predictions_skipped": 0 if config.allow_in_sample else int(in_sample.sum()),
            "dropped_sides": dg.MetadataValue.json(_value_counts(built.dropped["reason"])),
            "preview": markdown_preview(
                frame[frame["is_bet"]][
                    ["game_id", "market", "side", "price_american", "book", "edge", "paper"]
                ]
            ),
        }
    )


# --- ledger, rollups, reporting ----------------------------------------------------------


def _read_ledger_inputs(connection: sa.Connection) -> dict[str, pd.DataFrame]:
    bets = read_frame(connection, sa.select(picks_table).where(picks_table.c.is_bet))
    if bets.empty:
        first = last = date.today()
    else:
        first, last = min(bets["game_date"]), max(bets["game_date"])
    closes = sa.select(
        movements_table.c.game_id,
        movements_table.c.market,
        movements_table.c.side,
        movements_table.c.book,
        movements_table.c.close_price,
        movements_table.c.close_point,
        movements_table.c.close_prob_novig,
    ).where(movements_table.c.game_date.between(first, last))
    settled = sa.select(ledger_table.c.bet_id, ledger_table.c.settled_at).where(
        ledger_table.c.settled_at.is_not(None)
    )
    return {
        "bets": bets,
        "games": read_frame(connection, _between(games_table, first, last)),
        "closes": read_frame(connection, closes),
        "settled": read_frame(connection, settled),
    }


def _update_outcomes(connection: sa.Connection, games: pd.DataFrame) -> int:
    """Fill in the outcome of predictions whose games are now final (calibration reads it)."""
    if games.empty:
        return 0
    open_rows = read_frame(
        connection,
        _between(predictions_table, min(games["game_date"]), max(games["game_date"])).where(
            predictions_table.c.outcome.is_(None)
        ),
    )
    if open_rows.empty:
        return 0
    outcome = prediction_outcomes(open_rows, games)
    known = open_rows.assign(outcome=outcome)[outcome.notna()]
    if known.empty:
        return 0
    statement = (
        sa.update(predictions_table)
        .where(predictions_table.c.game_id == sa.bindparam("key_game"))
        .where(predictions_table.c.market == sa.bindparam("key_market"))
        .values(outcome=sa.bindparam("new_outcome"))
    )
    rows = [
        {"key_game": g, "key_market": m, "new_outcome": int(o)}
        for g, m, o in known[["game_id", "market", "outcome"]].itertuples(index=False)
    ]
    connection.execute(statement, rows)
    return len(rows)


def _other_point(ledger: pd.DataFrame) -> pd.Series:
    """Bets whose book (and the reference book) closed only at another point: no CLV."""
    return ledger["clv_point_diff"].astype(float).fillna(0.0).ne(0.0)


@dg.asset(
    metadata=table_metadata("bet_ledger"),
    freshness_policy=LEDGER_FRESHNESS,
    group_name=GROUP,
    kinds={"python", "sql"},
    deps=[picks, "games", "line_movements"],
    description=(
        "Every bet (picks with a stake), settled against final scores: win, loss, push, or "
        "void for postponed and cancelled games; the bankroll at the start of each day from "
        "the results before it (stakes are that bankroll times the pick's share); profit in "
        "money and units (1% of the starting bankroll); closing price and closing-line "
        "value (no-vig by the configured method; in probability points and as price value), "
        "claimed only against a close at the bet's own point (closing_point, clv_point_diff). "
        "Paper bets (gate closed) are settled too, flagged, one unit each, outside the "
        "bankroll. Rebuilt whole from picks and results in one transaction, so a rerun never "
        "double-counts; settled_at is kept from the first settlement. Also fills in the "
        "outcome of predictions whose games are final."
    ),
)
def bet_ledger(
    context: dg.AssetExecutionContext, warehouse: WarehouseResource, betting: BettingResource
) -> dg.MaterializeResult:
    with warehouse.connect() as connection:
        inputs = _read_ledger_inputs(connection)
    settled_at = inputs["settled"].set_index("bet_id")["settled_at"]
    ledger = build_ledger(
        inputs["bets"],
        inputs["games"],
        inputs["closes"],
        starting_bankroll=betting.starting_bankroll,
        reference_book=betting.reference_book,
        novig_method=betting.novig_method,
        settled_at_known=settled_at,
        now=pd.Timestamp(datetime.now(UTC)),
    )
    with warehouse.begin() as connection:
        connection.execute(sa.delete(ledger_table))
        written = bulk_insert(connection, ledger_table, ledger)
        outcomes = _update_outcomes(connection, inputs["games"])
    paper = ledger["paper"].astype(bool)
    settled = ledger[ledger["result"].isin(["win", "loss", "push"]) & ~paper]
    # Bets with a close only at another point (a total that moved from 8.5 to 9): no CLV.
    other_point = int(_other_point(ledger).sum())
    context.log.info(
        f"bet_ledger: {written} bets ({int(paper.sum())} on paper), {len(settled)} money bets "
        f"settled, {int(ledger['result'].isna().sum())} open; {outcomes} prediction outcomes "
        "filled in"
    )
    return dg.MaterializeResult(
        metadata={
            "bets": written,
            **rows_written(written, context),
            "paper_bets": int(paper.sum()),
            "settled": len(settled),
            "open": int(ledger["result"].isna().sum()),
            "results": dg.MetadataValue.json(_value_counts(ledger["result"])),
            "profit": float(settled["profit"].sum()),
            "staked": float(settled["stake"].sum()),
            "prediction_outcomes_filled": outcomes,
            "bets_without_same_point_close": other_point,
            "preview": markdown_preview(
                ledger[["bet_id", "game_id", "side", "price_american", "stake", "result", "paper"]]
            ),
        }
    )


class RollupConfig(dg.Config):
    """Bootstrap resamples for the ROI confidence intervals, and their seed."""

    bootstrap_samples: int = 2000
    seed: int = 0


def calibration_frame(connection: sa.Connection, market: str = "h2h") -> pd.DataFrame:
    """Mean predicted probability and outcome rate per decile of settled predictions."""
    rows = read_frame(
        connection,
        sa.select(
            predictions_table.c.prob_bin, predictions_table.c.prob, predictions_table.c.outcome
        )
        .where(predictions_table.c.market == market)
        .where(predictions_table.c.outcome.is_not(None)),
    )
    if rows.empty:
        return pd.DataFrame(columns=["prob_bin", "p_mean", "y_rate", "n"])
    grouped = rows.groupby("prob_bin")
    return pd.DataFrame(
        {
            "p_mean": grouped["prob"].mean(),
            "y_rate": grouped["outcome"].mean().astype(float),
            "n": grouped.size(),
        }
    ).reset_index()


def _headline_metadata(figures: dict[str, float]) -> dict[str, float]:
    return {k: (float(v) if np.isfinite(v) else float("nan")) for k, v in figures.items()}


@dg.asset(
    metadata=table_metadata("roi_rollups"),
    group_name=GROUP,
    kinds={"python", "sql"},
    deps=[bet_ledger],
    automation_condition=after_update_of("bet_ledger"),
    description=(
        "ROI of settled bets overall and by tier, market, month and season, each with a "
        "bootstrap 95% confidence interval, and the closing-line value (probability points "
        "and price value) with its interval; money and paper bets apart (roi_summary.ledger). "
        "Metadata: the headline figures, the bankroll curve with its drawdown and the "
        "calibration of the predictions (plots)."
    ),
)
def roi_rollups(
    context: dg.AssetExecutionContext,
    config: RollupConfig,
    warehouse: WarehouseResource,
    betting: BettingResource,
) -> dg.MaterializeResult:
    with warehouse.connect() as connection:
        ledger = read_frame(connection, sa.select(ledger_table))
        calibration = calibration_frame(connection)
    summary = roi_summary(
        ledger,
        n_boot=config.bootstrap_samples,
        seed=config.seed,
        starting_bankroll=betting.starting_bankroll,
    )
    summary["computed_at"] = pd.Timestamp(datetime.now(UTC))
    with warehouse.begin() as connection:
        connection.execute(sa.delete(summary_table))
        bulk_insert(connection, summary_table, summary[[c.name for c in summary_table.columns]])
    curve = bankroll_curve(ledger, betting.starting_bankroll)
    figures = headline(ledger, summary, curve)
    context.log.info(describe_headline(figures))
    return dg.MaterializeResult(
        metadata={
            **_headline_metadata(figures),
            **rows_written(len(summary), context),
            # Settled bets left out of the CLV means: they closed only at another point.
            "bets_without_same_point_close": int(
                (ledger["result"].isin(["win", "loss", "push"]) & _other_point(ledger)).sum()
            ),
            "summary": describe_headline(figures),
            "by_scope": dg.MetadataValue.md(
                summary.drop(columns=["computed_at"]).round(4).to_markdown(index=False)
            ),
            "bankroll_curve": dg.MetadataValue.md(bankroll_plot_markdown(curve)),
            "calibration": dg.MetadataValue.md(calibration_plot_markdown(calibration)),
        }
    )


def describe_headline(figures: dict[str, float]) -> str:
    """What a human reads: money and paper apart, every ROI and CLV with its interval.

    No money bet and some paper bets means the gate stayed closed: it says so first.
    """
    parts = []
    if figures["bets"] == 0 and figures.get("paper_bets", 0) > 0:
        parts.append("no proven edge: no money staked")
    elif figures["bets"] > 0:
        parts.append(_describe_money(figures))
    if figures.get("paper_bets", 0) > 0:
        parts.append(_describe_paper(figures))
    return "; ".join(parts) if parts else "no bets"


def _pct_ci(figures: dict[str, float], name: str, point: str | None = None) -> str:
    return (
        f"{figures[point or name]:+.2%} (95% CI {figures[f'{name}_ci_low']:+.2%} to "
        f"{figures[f'{name}_ci_high']:+.2%})"
    )


def _clv(figures: dict[str, float], prefix: str = "") -> str:
    mean, low, high = (figures[f"{prefix}clv_{k}"] for k in ("mean", "ci_low", "ci_high"))
    return (
        f"CLV {mean * 100:+.2f} probability points (95% CI {low * 100:+.2f} to "
        f"{high * 100:+.2f}), {figures[f'{prefix}clv_positive_share']:.1%} beat the close; "
        f"CLV as price value "
        f"{_pct_ci(figures, f'{prefix}clv_value', f'{prefix}clv_value_mean')}"
    )


def _describe_money(figures: dict[str, float]) -> str:
    return (
        f"money: {int(figures['settled'])} settled bets, staked {figures['staked']:,.2f}, "
        f"profit {figures['profit']:,.2f}; ROI {_pct_ci(figures, 'roi')}; {_clv(figures)}; "
        f"bankroll {figures['final_bankroll']:,.2f} (return {figures['bankroll_return']:+.2%}), "
        f"max drawdown {figures['max_drawdown']:.1%}"
    )


def _describe_paper(figures: dict[str, float]) -> str:
    return (
        f"paper (one unit each, no money): {int(figures['paper_settled'])} settled bets, "
        f"profit {figures['paper_profit']:+,.2f} units; ROI {_pct_ci(figures, 'paper_roi')}; "
        f"{_clv(figures, 'paper_')}"
    )


@dg.asset(
    group_name=GROUP,
    kinds={"postgres", "sql"},
    deps=[bet_ledger, roi_rollups, predictions, picks],
    automation_condition=after_update_of("bet_ledger", "roi_rollups"),
    description=(
        "The BI reporting views (schema `reporting` on Postgres, `reporting_*` views on "
        "SQLite): the materialized ones are refreshed concurrently after each settlement, "
        "so readers never wait on a lock."
    ),
)
def reporting_views(
    context: dg.AssetExecutionContext, warehouse: WarehouseResource
) -> dg.MaterializeResult:
    with warehouse.begin() as connection:
        timings = refresh_reporting_views(connection)
    context.log.info(f"reporting views refreshed: {sorted(timings) or 'none (plain views)'}")
    return dg.MaterializeResult(
        metadata={
            "refreshed": dg.MetadataValue.json({k: round(v, 4) for k, v in timings.items()}),
            "dialect": warehouse.dialect,
        }
    )
