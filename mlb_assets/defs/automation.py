"""Declarative automation shared by the domains: concurrency pools and freshness policies.

Pools cap how many steps of a kind run at once across all runs (limits in ``dagster.yaml``,
``concurrency.pools``): ``odds_api`` for the steps that spend Odds API credits, ``training``
for the AutoML fits that take every core. Freshness policies state when an asset is
expected to have been updated; the UI shows each asset's freshness, and the daemon's
freshness evaluation raises its status. The stale-odds sensor stays: it also re-polls.
"""

from datetime import timedelta

import dagster as dg

from mlb_assets.lib.settings import GAME_TIMEZONE

API_CREDITS_POOL = "odds_api"
TRAINING_POOL = "training"

# Polling starts at 09:00 local; by noon a game day's odds have been read.
ODDS_FRESHNESS = dg.FreshnessPolicy.cron(
    deadline_cron="0 12 * * *", lower_bound_delta=timedelta(hours=3), timezone=GAME_TIMEZONE
)
# The first picks run is at 10:05 local; by 11:00 today's picks exist.
PICKS_FRESHNESS = dg.FreshnessPolicy.cron(
    deadline_cron="0 11 * * *", lower_bound_delta=timedelta(hours=1), timezone=GAME_TIMEZONE
)
# Settlement follows the last final of a game day, overnight at the latest.
LEDGER_FRESHNESS = dg.FreshnessPolicy.time_window(
    fail_window=timedelta(hours=36), warn_window=timedelta(hours=24)
)
