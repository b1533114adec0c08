"""Followers: the rollups and reporting views follow a new ledger, the evaluation a new champion.

The conditions are evaluated as the automation sensor evaluates them, tick by tick on a real
instance, with materializations reported between the ticks.
"""

from __future__ import annotations

import dagster as dg

from mlb_assets.definitions import build_definitions
from mlb_assets.defs.automation import FOLLOW_UPSTREAM_SENSOR

DEFS = build_definitions()


class Ticks:
    """Successive evaluations of every automation condition, each from the last one's cursor."""

    def __init__(self, instance: dg.DagsterInstance) -> None:
        self.instance = instance
        self.cursor = None

    def after(self, *updates: dg.AssetMaterialization) -> set[str]:
        """Report ``updates``, evaluate once; the asset keys requested."""
        for update in updates:
            self.instance.report_runless_asset_event(update)
        result = dg.evaluate_automation_conditions(
            defs=DEFS, instance=self.instance, cursor=self.cursor
        )
        self.cursor = result.cursor
        return {
            key.to_user_string()
            for key in DEFS.resolve_asset_graph().get_all_asset_keys()
            if result.get_num_requested(key)
        }


def test_followers_run_after_their_upstream_and_only_then() -> None:
    with dg.instance_for_test() as instance:
        ticks = Ticks(instance)
        assert ticks.after() == set()
        assert ticks.after(dg.AssetMaterialization("bet_ledger")) == {
            "roi_rollups",
            "reporting_views",
        }
        assert ticks.after() == set(), "requested once, not on every tick"
        # An hourly picks partition is read by the views but does not refresh them.
        assert ticks.after(dg.AssetMaterialization("picks", partition="2016-04-04")) == set()
        champion = dg.AssetMaterialization("champion", partition="total_over")
        assert ticks.after(champion) == {"model_evaluation"}
        assert ticks.after(dg.AssetMaterialization("training_set")) == set()
        assert ticks.after(dg.AssetMaterialization("roi_rollups")) == {"reporting_views"}


def test_the_automation_sensor_is_off_until_switched_on() -> None:
    sensor = DEFS.resolve_sensor_def(FOLLOW_UPSTREAM_SENSOR)
    assert isinstance(sensor, dg.AutomationConditionSensorDefinition)
    assert sensor.default_status == dg.DefaultSensorStatus.STOPPED
    followers = {
        key.to_user_string()
        for key in DEFS.resolve_asset_graph().get_all_asset_keys()
        if DEFS.resolve_asset_graph().get(key).automation_condition is not None
    }
    assert followers == {"roi_rollups", "reporting_views", "model_evaluation"}
