"""Betting domain: predictions, picks, the bet ledger, ROI rollups and reporting views."""

import dagster as dg

from mlb_assets.defs.betting.assets import (
    bet_ledger,
    picks,
    predictions,
    reporting_views,
    roi_rollups,
)
from mlb_assets.defs.betting.schedules import SCHEDULES

defs = dg.Definitions(
    assets=[predictions, picks, bet_ledger, roi_rollups, reporting_views], schedules=SCHEDULES
)
