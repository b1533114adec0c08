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

LEDGER_ASSETS = ("bet_ledger", "roi_rollups", "reporting_views")

settlement_job = dg.define_asset_job(
    name="settlement",
    selection=dg.AssetSelection.assets("games", *LEDGER_ASSETS),
    tags={KIND_TAG: "settlement"},
    description=(
        "Settle a finished game date: final scores, then the bet ledger rebuilt from picks "
        "and results, the ROI rollups and the reporting views."
    ),
)

daily_picks_job = dg.define_asset_job(
    name="daily_picks",
    selection=dg.AssetSelection.groups("features")
    | dg.AssetSelection.assets("predictions", "picks"),
    tags={KIND_TAG: "picks"},
    description=(
        "A date's features, the champion's predictions and the picks. Each game is priced "
        "with what was known at its decision time; a run before then gives a provisional "
        "pick that later runs replace, a run after it gives the final one."
    ),
)

betting_backtest_job = dg.define_asset_job(
    name="betting_backtest",
    selection=dg.AssetSelection.groups("betting"),
    tags={KIND_TAG: "betting"},
    description=(
        "Predictions and picks over a range of game dates as one run, then the ledger, "
        "rollups and reporting views: a season's betting results from the archive."
    ),
)

models_job = dg.define_asset_job(
    name="train_models",
    selection=dg.AssetSelection.groups("models"),
    tags={KIND_TAG: "training"},
    description="Training set, both AutoML engines, the champion and the walk-forward evaluation.",
)
