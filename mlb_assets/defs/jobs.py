"""Jobs that span domains."""

import dagster as dg

ARCHIVE_GROUPS = ("ingestion", "markets")
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
        "Ingestion and markets over a range of game dates as one run: payloads, games, odds "
        "snapshots, opening/closing lines and line movements."
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

JOBS = [season_backfill_job, odds_poll_job, schedule_refresh_job, settlement_job]
