"""The one Definitions object: each domain's definitions merged, plus shared resources."""

from __future__ import annotations

import dagster as dg

from mlb_assets.defs.ingestion import assets as ingestion_assets
from mlb_assets.defs.jobs import season_backfill_job
from mlb_assets.defs.markets import assets as market_assets
from mlb_assets.resources import build_resources

ingestion = dg.Definitions(assets=dg.load_assets_from_modules([ingestion_assets]))
markets = dg.Definitions(assets=dg.load_assets_from_modules([market_assets]))

defs = dg.Definitions.merge(
    ingestion,
    markets,
    dg.Definitions(jobs=[season_backfill_job], resources=build_resources()),
)
