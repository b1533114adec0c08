"""Thin Dagster code, one folder per domain, over the logic in ``mlb_assets.lib``."""

import warnings

# Single-run backfills are the design (a season is one run); Dagster still labels the
# parameter beta and would warn on every import of the code location.
warnings.filterwarnings("ignore", message=r"Parameter `backfill_policy`", category=Warning)
