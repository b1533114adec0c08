"""Jobs that span domains."""

import dagster as dg

ARCHIVE_GROUPS = ("ingestion", "markets", "features")
LIVE_MARKET_ASSETS = (
    "raw_odds_payloads",
    "games",
    "odds_snapshots",
    "line_movements",
    "market_consensus",
    "steam_events",
)
KIND_TAG = "mlb_assets/kind"

season_backfill_job = dg.define_asset_job(
    name="season_backfill",
    selection=dg.AssetSelection.groups(*ARCHIVE_GROUPS),
    tags={KIND_TAG: "backfill"},
    description=(
        "Ingestion, markets and features over a range of game dates as one run: payloads, "
        "games, odds snapshots, opening/closing lines, line movements, consensus, features."
    ),
)

odds_poll_job = dg.define_asset_job(
    name="odds_poll",
    selection=dg.AssetSelection.assets(*LIVE_MARKET_ASSETS),
    tags={KIND_TAG: "ingestion"},
    description="One poll of today's odds and schedule, through snapshots and line movements.",
)

schedule_refresh_job = dg.define_asset_job(
    name="schedule_refresh",
    selection=dg.AssetSelection.assets("games"),
    tags={KIND_TAG: "ingestion"},
    description="Refresh a date's schedule: probable pitchers, start times, statuses, scores.",
)

settlement_job = dg.define_asset_job(
    name="settlement",
    selection=dg.AssetSelection.assets("games"),
    tags={KIND_TAG: "settlement"},
    description="Settle a finished game date: final scores (and, downstream, the ledger).",
)

models_job = dg.define_asset_job(
    name="train_models",
    selection=dg.AssetSelection.groups("models"),
    tags={KIND_TAG: "training"},
    description="Training set, both AutoML engines, the champion and the walk-forward evaluation.",
)

JOBS = [season_backfill_job, odds_poll_job, schedule_refresh_job, settlement_job, models_job]
