"""Point-in-time features per game date, and the training set the models learn from."""

from datetime import timedelta

import dagster as dg
import pandas as pd

from mlb_assets.defs.catalog import rows_written, table_metadata
from mlb_assets.defs.partitions import (
    date_label,
    game_date_partitions,
    markdown_preview,
    partition_dates,
    single_run_backfill,
)
from mlb_assets.lib.features.training_set import build_training_set
from mlb_assets.lib.names import DECISION_MINUTES_BEFORE, FEATURE_SETS
from mlb_assets.lib.warehouse.features import read_feature_inputs
from mlb_assets.lib.warehouse.load import replace_dates
from mlb_assets.lib.warehouse.schema import game_features as features_table
from mlb_assets.resources.warehouse import WarehouseResource

# Form windows reach back over 30 games and into the previous season.
HISTORY_DAYS = 400


def feature_set_of(column: str) -> str:
    """Which stored feature set a feature column belongs to."""
    if column.startswith(("ml_", "total_", "xb_", "market_")):
        return "sharp_action_features"
    if "_sp_" in column or column.startswith("diff_sp_"):
        return "pitcher_form"
    return "team_form"  # team form and game context


def _long(frame: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    long = frame[["game_id", "game_date", *columns]].melt(
        id_vars=["game_id", "game_date"], var_name="name", value_name="value"
    )
    long["value"] = pd.to_numeric(long["value"], errors="coerce").astype(float)
    return long.assign(feature_set=long["name"].map(feature_set_of))


@dg.multi_asset(
    specs=[
        dg.AssetSpec(
            "sharp_action_features",
            metadata=table_metadata("sharp_action_features"),
            group_name="features",
            kinds={"python", "sql"},
            deps=["odds_snapshots", "opening_closing_lines", "market_consensus", "games"],
            description=(
                "Market features as of decision time (60 min before first pitch): no-vig home "
                "probability at open and at decision (multiplicative and Shin), moves, last "
                "1h/3h, time since the last move, steam (only where the polls seen by the "
                "decision time bracket the moves within the window, as in line_movements), "
                "totals line and juice moves, "
                "cross-book features when several books exist. Workbook seasons know only "
                "the opening line. Stored long in game_features."
            ),
        ),
        dg.AssetSpec(
            "team_form",
            metadata=table_metadata("team_form"),
            group_name="features",
            kinds={"python", "sql"},
            deps=["games"],
            description=(
                "Team form from games on earlier dates only: rolling run differential and "
                "win rate (10, 30 games, spanning seasons), season-to-date, venue split, rest "
                "days; plus context (doubleheader game, month, day/night, weekday)."
            ),
        ),
        dg.AssetSpec(
            "pitcher_form",
            metadata=table_metadata("pitcher_form"),
            group_name="features",
            kinds={"python", "sql"},
            deps=["games"],
            description=(
                "Starting pitcher form from his previous starts: team runs allowed over 3 "
                "and 5 starts, days of rest, starts so far."
            ),
        ),
    ],
    partitions_def=game_date_partitions,
    backfill_policy=single_run_backfill,
)
def game_feature_assets(context: dg.AssetExecutionContext, warehouse: WarehouseResource):  # type: ignore[no-untyped-def]
    start, end = partition_dates(context)
    with warehouse.connect() as connection:
        inputs = read_feature_inputs(connection, start, end, start - timedelta(days=HISTORY_DAYS))
    if inputs["games"].empty:
        built, columns = pd.DataFrame(columns=["game_id", "game_date"]), []
    else:
        training = build_training_set(
            inputs["games"],
            inputs["snapshots"],
            inputs["open_close"],
            inputs["consensus"],
            decision_minutes_before=DECISION_MINUTES_BEFORE,
            observations=inputs["observations"],
        )
        built, columns = training.frame, training.input_columns
    in_range = pd.to_datetime(built["game_date"]).dt.date.between(start, end)
    long = _long(built[in_range], columns)
    with warehouse.begin() as connection:
        written = replace_dates(connection, features_table, long, start, end)
    context.log.info(
        f"features {date_label(start, end)}: {int(in_range.sum())} games, {written} values"
    )
    for feature_set in FEATURE_SETS:
        part = long[long["feature_set"] == feature_set]
        wide = part.pivot(index="game_id", columns="name", values="value").reset_index()
        yield dg.MaterializeResult(
            asset_key=feature_set,
            metadata={
                "games": int(part["game_id"].nunique()),
                "features": int(part["name"].nunique()),
                "values": len(part),
                **rows_written(len(part), context),
                "null_share": float(part["value"].isna().mean()) if len(part) else 0.0,
                "preview": markdown_preview(wide.iloc[:, :8]),
            },
        )
