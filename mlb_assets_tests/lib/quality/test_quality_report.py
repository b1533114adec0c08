"""The report around the suites: summary and metadata, input errors, evaluation errors,
the suites' agreement with the warehouse schema, and one quiet GX context per process."""

from __future__ import annotations

import json
import os
from datetime import date

import numpy as np
import pandas as pd
import pytest

from mlb_assets.lib.quality import validate
from mlb_assets.lib.quality.suites import TABLE_SUITES
from mlb_assets.lib.quality.validate import (
    SUITE_TABLES,
    FailedExpectation,
    QualityReport,
    json_safe,
    validate_table,
)
from mlb_assets.lib.warehouse import schema
from mlb_assets_tests.lib.quality.frames import FRAMES, RULES, game_features, games, picks


def _two_failures() -> QualityReport:
    frame = games()
    frame.loc[0, "home_team"] = "XXX"
    frame.loc[1, "status"] = "done"
    return validate_table("games", frame, RULES)


def test_summary_names_each_failure_in_suite_order() -> None:
    report = _two_failures()
    assert report.summary() == (
        f"games: 2 of {report.evaluated} expectations failed on 3 rows: "
        "home_team is a known team code (1 row); "
        "status is one of scheduled, in_progress, final, postponed, cancelled, suspended (1 row)"
    )


def test_summary_of_a_passing_table() -> None:
    report = validate_table("picks", picks(), RULES)
    assert report.summary() == f"picks: all {report.evaluated} expectations passed on 2 rows"


def test_metadata_is_json_with_one_entry_per_failure() -> None:
    report = _two_failures()
    metadata = json.loads(json.dumps(report.metadata(), allow_nan=False))
    assert {k: metadata[k] for k in ("table", "rows", "success", "failed")} == {
        "table": "games",
        "rows": 3,
        "success": False,
        "failed": 2,
    }
    assert metadata["evaluated"] == report.evaluated
    assert metadata["failures"][0] == {
        "expectation": "expect_column_values_to_be_in_set",
        "column": "home_team",
        "description": "home_team is a known team code",
        "unexpected_count": 1,
        "sample": ["XXX"],
    }


def test_key_tuples_become_json_lists_in_metadata() -> None:
    frame = game_features()
    frame.loc[1, "name"] = "open_prob_home"
    (failure,) = validate_table("game_features", frame, RULES).failed
    key = ("NYA201604050", "market", "open_prob_home")
    assert failure.sample == [key]
    assert failure.as_dict()["sample"] == [list(key)]


def test_sample_holds_at_most_ten_distinct_values() -> None:
    frame = pd.concat([picks()] * 15, ignore_index=True)
    frame["pick_id"] = range(len(frame))
    frame["model_prob"] = [1.0 + (i % 12 + 1) / 100 for i in range(len(frame))]
    (failure,) = validate_table("picks", frame, RULES).failed
    assert failure.unexpected_count == 30
    assert len(failure.sample) == 10
    assert len(set(failure.sample)) == 10


def test_caller_frame_and_index_do_not_matter() -> None:
    frame = games()
    frame.index = [7, 7, 7]
    frame.loc[:, "game_number"] = [0, 1, 5]
    before = frame.copy()
    (failure,) = validate_table("games", frame, RULES).failed
    assert (failure.column, failure.sample) == ("game_number", [5])
    pd.testing.assert_frame_equal(frame, before)


def test_evaluation_error_is_a_failure_with_its_message() -> None:
    """A rule GX cannot evaluate (here: text in a numeric column) fails, and says why."""
    frame = picks()
    frame["model_prob"] = frame["model_prob"].astype(object)
    frame.loc[0, "model_prob"] = "high"
    report = validate_table("picks", frame, RULES)
    (failure,) = [f for f in report.failed if f.column == "model_prob"]
    assert failure.unexpected_count is None
    assert "not evaluated" in failure.description
    assert failure.description in report.summary()


def test_unknown_table_is_refused() -> None:
    with pytest.raises(ValueError, match=r"'bets'.*odds_snapshots"):
        validate_table("bets", pd.DataFrame({"a": [1]}), RULES)


def test_missing_columns_are_listed() -> None:
    frame = FRAMES["odds_snapshots"]().drop(columns=["side", "point"])
    with pytest.raises(ValueError, match=r"odds_snapshots.*\['side', 'point'\]"):
        validate_table("odds_snapshots", frame, RULES)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (np.int64(3), 3),
        (np.float64(0.5), 0.5),
        (np.bool_(True), True),
        (float("nan"), None),
        (float("inf"), "inf"),
        (-np.inf, "-inf"),
        (pd.NA, None),
        (pd.NaT, None),
        (pd.Timestamp("2016-04-05 17:05", tz="UTC"), "2016-04-05T17:05:00+00:00"),
        (np.datetime64("2016-04-05T17:05:00.000000000"), "2016-04-05T17:05:00"),
        (date(2016, 4, 5), "2016-04-05"),
        (("NYA", np.int64(1)), ["NYA", 1]),
        ({"a": np.float64(1.5)}, {"a": 1.5}),
    ],
)
def test_json_safe(value: object, expected: object) -> None:
    assert json_safe(value) == expected


# --- the suites and the schema -----------------------------------------------------------


def test_suite_tables_are_the_suites() -> None:
    assert tuple(TABLE_SUITES) == SUITE_TABLES


@pytest.mark.parametrize("table", SUITE_TABLES)
def test_suite_columns_exist_in_the_warehouse(table: str) -> None:
    spec = TABLE_SUITES[table]
    assert set(spec.columns) <= set(schema.metadata.tables[table].columns.keys())
    assert set(spec.key) <= set(spec.columns)


@pytest.mark.parametrize("table", SUITE_TABLES)
def test_every_column_a_rule_reads_is_required_or_derived(table: str) -> None:
    spec = TABLE_SUITES[table]
    minimal = FRAMES[table]()[list(spec.columns)]  # only what the suite may require
    prepared = spec.prepare(minimal, RULES)
    suite = spec.build(RULES)
    descriptions = [expectation.description for expectation in suite.expectations]
    assert len(set(descriptions)) == len(descriptions), "descriptions order the report"
    for expectation in suite.expectations:
        config = expectation.configuration.kwargs
        read = [config.get("column"), config.get("column_A"), config.get("column_B")]
        read += list(config.get("column_list") or [])
        assert {c for c in read if c} <= set(prepared.columns), expectation.description


# --- one quiet context per process -------------------------------------------------------


def test_many_validations_share_one_asset() -> None:
    """Hundreds of validations in one process register nothing new and stay correct."""
    bad = game_features()
    bad.loc[0, "value"] = np.inf
    for i in range(30):
        report = validate_table("game_features", bad if i % 2 else game_features(), RULES)
        assert report.success is (i % 2 == 0)
    definition = validate._batch_definition()
    assert definition is validate._batch_definition()
    source = definition.data_asset.datasource
    assert [asset.name for asset in source.assets] == ["frame"]
    assert [d.name for d in definition.data_asset.batch_definitions] == ["whole_frame"]
    assert list(source._data_context.data_sources.all()) == ["mlb_assets_quality"]


def test_validation_prints_nothing(capfd: pytest.CaptureFixture[str]) -> None:
    validate_table("games", games(), RULES)
    out, err = capfd.readouterr()
    assert (out, err) == ("", "")


def test_context_has_progress_bars_and_analytics_off() -> None:
    # Every entry point (the code location, the CLI) prepares the process on import.
    import mlb_assets.definitions  # noqa: F401

    context = validate._batch_definition().data_asset.datasource._data_context
    assert context.config.analytics_enabled is False
    assert context.progress_bars.globally is False
    assert context.progress_bars.metric_calculations is False
    # Set (to "false" unless the environment chose otherwise) before GX was imported.
    assert "GX_ANALYTICS_ENABLED" in os.environ


def test_failed_expectation_is_plain_data() -> None:
    failure = FailedExpectation("expect_x", None, "a rule", None, [])
    assert failure.as_dict() == {
        "expectation": "expect_x",
        "column": None,
        "description": "a rule",
        "unexpected_count": None,
        "sample": [],
    }
