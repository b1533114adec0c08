"""Declarative automation shared by the domains: concurrency pools and freshness policies.

Pools cap how many steps of a kind run at once across all runs (limits in ``dagster.yaml``,
``concurrency.pools``): ``odds_api`` for the steps that spend Odds API credits, ``training``
for the AutoML fits that take every core. Freshness policies state when an asset is
expected to have been updated; the UI shows each asset's freshness, and the daemon's
freshness evaluation raises its status. The stale-odds sensor stays: it also re-polls.

Automation conditions make an asset follow the upstream it summarises: the ROI rollups and the
reporting views after a new ledger, the walk-forward evaluation after a new champion. The jobs
that a clock or a sensor starts already include them, and an update made by a run that also
updates the follower does not trigger it again; the conditions cover the other ways in (a
ledger rebuilt by hand in the UI, a champion promoted alone). They are evaluated by
``follow_upstream_sensor``, off by default like every sensor of the project.
"""

from datetime import timedelta

import dagster as dg

from mlb_assets.lib.settings import GAME_TIMEZONE

FOLLOW_UPSTREAM_SENSOR = "follow_upstream_sensor"

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


def after_update_of(*upstream: str) -> dg.AutomationCondition:
    """Run once any of ``upstream`` has been updated, when none of them is still running.

    Only the named dependencies count: ``reporting_views`` also reads the daily partitions of
    ``picks``, and an hourly picks run should not refresh every view (nor should the many
    partitions a season never filled keep it waiting, as ``eager`` would).
    """
    selection = dg.AssetSelection.assets(*upstream)
    return (
        dg.AutomationCondition.any_deps_updated().allow(selection).since_last_handled()
        & ~dg.AutomationCondition.any_deps_in_progress().allow(selection)
        & ~dg.AutomationCondition.in_progress()
    ).with_label(f"after an update of {' or '.join(upstream)}")


follow_upstream_sensor = dg.AutomationConditionSensorDefinition(
    name=FOLLOW_UPSTREAM_SENSOR,
    target=dg.AssetSelection.all(),
    default_status=dg.DefaultSensorStatus.STOPPED,
    minimum_interval_seconds=60,
    description=(
        "Evaluates the assets' automation conditions: roi_rollups and reporting_views after "
        "bet_ledger, model_evaluation after champion."
    ),
)
