"""Cross-book market consensus and multi-book steam, written as two tables."""

import dagster as dg
import pandas as pd
import sqlalchemy as sa
from pydantic import Field

from mlb_assets.defs.catalog import rows_written, table_metadata
from mlb_assets.defs.markets.assets import read_snapshots_and_schedule
from mlb_assets.defs.partitions import (
    date_label,
    game_date_partitions,
    markdown_preview,
    partition_dates,
    single_run_backfill,
)
from mlb_assets.lib.consensus import ConsensusParams, summarize_market
from mlb_assets.lib.splits import reverse_line_movement
from mlb_assets.lib.warehouse.load import replace_dates
from mlb_assets.lib.warehouse.odds import read_observations
from mlb_assets.lib.warehouse.schema import market_consensus as consensus_table
from mlb_assets.lib.warehouse.schema import steam_events as steam_table
from mlb_assets.resources.live import BettingSplitsResource
from mlb_assets.resources.warehouse import WarehouseResource

_DEFAULTS = ConsensusParams()


class ConsensusConfig(dg.Config):
    """Which books are sharp, the decision time, and what counts as multi-book steam."""

    sharp_books: list[str] = Field(default_factory=lambda: list(_DEFAULTS.sharp_books))
    steam_window_minutes: int = _DEFAULTS.steam_window_minutes
    steam_min_books: int = _DEFAULTS.steam_min_books
    steam_min_move_prob: float = _DEFAULTS.steam_min_move_prob
    decision_minutes_before: int = _DEFAULTS.decision_minutes_before

    def params(self) -> ConsensusParams:
        return ConsensusParams(
            sharp_books=tuple(self.sharp_books),
            steam_window_minutes=self.steam_window_minutes,
            steam_min_books=self.steam_min_books,
            steam_min_move_prob=self.steam_min_move_prob,
            decision_minutes_before=self.decision_minutes_before,
        )


def _with_dates(frame: pd.DataFrame, schedule: pd.DataFrame, table: sa.Table) -> pd.DataFrame:
    dated = frame.assign(game_date=frame["game_id"].map(schedule.set_index("game_id")["game_date"]))
    return dated.reindex(columns=[c.name for c in table.columns])


@dg.multi_asset(
    specs=[
        dg.AssetSpec(
            "market_consensus",
            metadata=table_metadata("market_consensus"),
            group_name="markets",
            kinds={"python", "sql"},
            deps=["odds_snapshots", "games"],
            description=(
                "Per game x market x side at decision time and at close: consensus no-vig "
                "probability across books, cross-book dispersion, best available price and "
                "book, sharp-book (Pinnacle) minus market gap, multi-book steam counts, and "
                "public betting splits with a reverse-line-movement flag (null without a "
                "splits source). With one book (the archives) dispersion and gap are null."
            ),
        ),
        dg.AssetSpec(
            "steam_events",
            metadata=table_metadata("steam_events"),
            group_name="markets",
            kinds={"python", "sql"},
            deps=["odds_snapshots", "games"],
            description=(
                "Multi-book steam: at least k books moving a side's no-vig probability the "
                "same way within a short window (defaults: 3 books, 1 point, 10 minutes), "
                "counting only moves whose polls before and after lie within the window "
                "(observation_gap_minutes)."
            ),
        ),
    ],
    partitions_def=game_date_partitions,
    backfill_policy=single_run_backfill,
)
def market_consensus_assets(
    context: dg.AssetExecutionContext,
    config: ConsensusConfig,
    warehouse: WarehouseResource,
    splits: BettingSplitsResource,
):  # type: ignore[no-untyped-def]
    start, end = partition_dates(context)
    snapshots, schedule = read_snapshots_and_schedule(warehouse, start, end)
    schedule = schedule.dropna(subset=["start_time_utc"])
    params = config.params()
    unbracketed = 0
    if snapshots.empty or schedule.empty:
        consensus, events = pd.DataFrame(), pd.DataFrame()
    else:
        with warehouse.connect() as connection:
            observations = read_observations(connection, start, end)
        summary = summarize_market(snapshots, schedule, params, observations)
        consensus, unbracketed = summary.consensus, summary.unbracketed_moves
        as_of = consensus["decision_at"].max().to_pydatetime()
        public = splits.splits_source().fetch(consensus["game_id"].unique().tolist(), as_of)
        consensus = _with_dates(reverse_line_movement(consensus, public), schedule, consensus_table)
        events = _with_dates(summary.steam, schedule, steam_table)
    with warehouse.begin() as connection:
        written = replace_dates(connection, consensus_table, consensus, start, end)
        steam_written = replace_dates(connection, steam_table, events, start, end)
    books = int(snapshots["book"].nunique()) if not snapshots.empty else 0
    context.log.info(
        f"market_consensus {date_label(start, end)}: {written} rows over {books} books, "
        f"{steam_written} steam event rows, {unbracketed} moves left out of steam (observation "
        "gap wider than the window)"
    )
    yield dg.MaterializeResult(
        asset_key="market_consensus",
        metadata={
            **rows_written(written, context),
            "books": books,
            "preview": markdown_preview(consensus),
        },
    )
    yield dg.MaterializeResult(
        asset_key="steam_events",
        metadata={
            **rows_written(steam_written, context),
            "moves_not_claimed_observation_gap": unbracketed,
            "preview": markdown_preview(events),
        },
    )
