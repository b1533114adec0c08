"""Validate a table's frame against its Great Expectations suite and report plainly.

:func:`validate_table` prepares the frame (derived columns, see :mod:`.suites`), runs the
table's suite through one in-memory GX context per process and turns the GX result into
a :class:`QualityReport`: plain, JSON-safe data that callers (Dagster asset checks) show
without knowing GX.

Great Expectations is imported on the first validation, not with this module: the import
takes seconds, and loading code that merely refers to these checks should not pay it.
"""

from __future__ import annotations

import functools
import math
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from mlb_assets.lib.quality.rules import QualityRules

if TYPE_CHECKING:
    from great_expectations.core.batch_definition import BatchDefinition
    from great_expectations.core.expectation_suite import ExpectationSuite
    from great_expectations.core.expectation_validation_result import (
        ExpectationValidationResult,
    )

    from mlb_assets.lib.quality.suites import TableSuite


SUITE_TABLES: tuple[str, ...] = (
    "odds_snapshots",
    "games",
    "line_movements",
    "game_features",
    "picks",
    "bet_ledger",
)
SAMPLE_SIZE = 10
# GX's partial list is asked for more than the sample keeps, so that after repeated values
# collapse (a duplicated id appears once per copy) the sample still shows several offenders.
_PARTIAL_COUNT = 2 * SAMPLE_SIZE
# A null has no value worth showing: these expectations sample the offending rows' keys.
_KEYED_SAMPLES = frozenset({"expect_column_values_to_not_be_null"})
_PAIR_ORDER = "expect_column_pair_values_a_to_be_greater_than_b"


@dataclass(frozen=True)
class FailedExpectation:
    """One expectation that failed, in words and with a sample of what broke it."""

    expectation: str  # e.g. "expect_column_values_to_be_between"
    column: str | None  # the column judged; several are joined by ", "
    description: str  # a sentence stating the rule
    unexpected_count: int | None  # None when GX counts no rows (an evaluation error)
    sample: list  # up to 10 offending values or key tuples, JSON-safe

    def as_dict(self) -> dict[str, object]:
        """JSON-safe form (tuples become lists)."""
        return {
            "expectation": self.expectation,
            "column": self.column,
            "description": self.description,
            "unexpected_count": self.unexpected_count,
            "sample": json_safe(self.sample),
        }


@dataclass(frozen=True)
class QualityReport:
    """The outcome of one table's suite on one frame."""

    table: str
    rows: int
    success: bool
    evaluated: int  # expectations evaluated
    failed: tuple[FailedExpectation, ...]

    def summary(self) -> str:
        """One line, e.g. ``games: 1 of 12 expectations failed on 2,430 rows: ...``."""
        on_rows = f"on {self.rows:,} {_plural(self.rows, 'row')}"
        if not self.failed:
            return f"{self.table}: all {self.evaluated} expectations passed {on_rows}"
        counts = f"{len(self.failed)} of {self.evaluated} expectations failed {on_rows}"
        details = "; ".join(_failure_text(failure) for failure in self.failed)
        return f"{self.table}: {counts}: {details}"

    def metadata(self) -> dict[str, object]:
        """JSON-safe figures for check metadata: counts and one entry per failure."""
        return {
            "table": self.table,
            "rows": self.rows,
            "success": self.success,
            "evaluated": self.evaluated,
            "failed": len(self.failed),
            "failures": [failure.as_dict() for failure in self.failed],
        }


def validate_table(table: str, frame: pd.DataFrame, rules: QualityRules) -> QualityReport:
    """Run ``table``'s suite on ``frame``.

    A frame without rows is valid whatever its columns: a day without games is no error,
    and an empty result often comes without a schema.

    Raises:
        ValueError: if ``table`` has no suite, or ``frame`` (with rows) lacks columns the
            suite needs.
    """
    if table not in SUITE_TABLES:
        raise ValueError(f"no quality suite for table {table!r}; known: {', '.join(SUITE_TABLES)}")
    spec = _table_suite(table)
    missing = [column for column in spec.columns if column not in frame.columns]
    if missing and len(frame) == 0:
        return QualityReport(table=table, rows=0, success=True, evaluated=0, failed=())
    if missing:
        raise ValueError(f"{table} frame lacks columns its quality suite needs: {missing}")
    # GX sees only the columns the suite reads: it hashes the whole batch and rebuilds
    # column lookups for every row condition, so extra columns only cost time. The index
    # is made positional: GX locates offending rows by index, and a caller's may repeat.
    used = frame[spec.used_columns(frame)].reset_index(drop=True)
    prepared = spec.prepare(used, rules)
    evaluated, results = _run(prepared, spec.build(rules), spec.key)
    failed = tuple(_failure(result, spec.key) for result in results)
    return QualityReport(
        table=table, rows=len(frame), success=not failed, evaluated=evaluated, failed=failed
    )


# --- running GX ----------------------------------------------------------------------------


def _table_suite(table: str) -> TableSuite:
    from mlb_assets.lib.quality.suites import TABLE_SUITES  # imports GX, on first use only

    return TABLE_SUITES[table]


# The shared context and batch definition are not safe for concurrent validations.
_LOCK = threading.Lock()


@functools.cache
def _batch_definition() -> BatchDefinition:
    """The one batch definition every validation in this process goes through.

    A whole-dataframe batch takes its frame as a batch parameter, so one data source and
    one asset serve every table and call: nothing is registered per validation, and
    repeated validations neither accumulate assets nor collide on names.
    """
    import great_expectations as gx
    from great_expectations.data_context.types.base import (
        DataContextConfig,
        InMemoryStoreBackendDefaults,
        ProgressBarsConfig,
    )

    config = DataContextConfig(
        # In-memory stores and no data-docs site: the default ephemeral context makes a
        # temporary docs directory nobody reads.
        store_backend_defaults=InMemoryStoreBackendDefaults(init_temp_docs_sites=False),
        analytics_enabled=False,
        # Without this every validation draws "Calculating Metrics" bars on stderr.
        progress_bars=ProgressBarsConfig(globally=False, metric_calculations=False),
    )
    context = gx.get_context(mode="ephemeral", project_config=config)
    asset = context.data_sources.add_pandas("mlb_assets_quality").add_dataframe_asset("frame")
    return asset.add_batch_definition_whole_dataframe("whole_frame")


def _run(
    frame: pd.DataFrame, suite: ExpectationSuite, key: Sequence[str]
) -> tuple[int, list[ExpectationValidationResult]]:
    """How many expectations ran, and GX's detailed results of those that failed.

    Two passes: GX's bare pass/fail costs well under half of a pass that also collects
    counts and offending rows, and most validations find nothing. Only the failed
    expectations run again for their details, with offending rows named by ``key``.
    """
    with _LOCK:
        batch = _batch_definition().get_batch(batch_parameters={"dataframe": frame})
        verdicts = batch.validate(suite, result_format={"result_format": "BOOLEAN_ONLY"})
        failed = [r.expectation_config.to_domain_obj() for r in verdicts.results if not r.success]
        if not failed:
            return len(verdicts.results), []
        again = type(suite)(name=f"{suite.name}_failures", expectations=failed)
        details = batch.validate(again, result_format=_detail_format(key))
    # GX does not keep the suite's order; reports do, by each rule's unique description.
    order = {expectation.description: i for i, expectation in enumerate(suite.expectations)}
    failures = [r for r in details.results if not r.success]
    failures.sort(key=lambda r: order.get(r.expectation_config.description, len(order)))
    return len(verdicts.results), failures


def _detail_format(key: Sequence[str]) -> dict[str, object]:
    return {
        "result_format": "SUMMARY",
        "partial_unexpected_count": _PARTIAL_COUNT,
        "unexpected_index_column_names": list(key),
    }


# --- GX results to plain data --------------------------------------------------------------


def _failure(result: ExpectationValidationResult, key: Sequence[str]) -> FailedExpectation:
    config = result.expectation_config
    error = _error_message(result)
    description = config.description or config.type
    if error:
        description = f"{description} (not evaluated: {error})"
    outcome = result.result or {}
    count = outcome.get("unexpected_count")
    return FailedExpectation(
        expectation=config.type,
        column=_column(config.kwargs, config.meta or {}),
        description=description,
        unexpected_count=None if count is None else int(count),
        sample=_sample(config.type, config.kwargs, outcome, key),
    )


def _error_message(result: ExpectationValidationResult) -> str | None:
    """The message of an exception GX caught while evaluating, if any.

    GX reports either one ``exception_info`` dict or one per failed metric.
    """
    info = result.exception_info or {}
    entries = [info] if "raised_exception" in info else list(info.values())
    for entry in entries:
        if isinstance(entry, Mapping) and entry.get("raised_exception"):
            return str(entry.get("exception_message") or "unknown error")
    return None


def _column(kwargs: Mapping[str, Any], meta: Mapping[str, Any]) -> str | None:
    """The column(s) the rule judges: a derived column's source, else GX's domain."""
    if meta.get("column"):
        return str(meta["column"])
    if kwargs.get("column"):
        return str(kwargs["column"])
    if kwargs.get("column_list"):
        return ", ".join(kwargs["column_list"])
    if kwargs.get("column_A"):
        # Pair rules read "B <= A" in their descriptions; name them in that order.
        return f"{kwargs['column_B']}, {kwargs['column_A']}"
    return None


def _sample(
    kind: str, kwargs: Mapping[str, Any], outcome: Mapping[str, Any], key: Sequence[str]
) -> list:
    """Up to :data:`SAMPLE_SIZE` distinct offending values (or keys / value tuples)."""
    if kind in _KEYED_SAMPLES:
        rows = outcome.get("partial_unexpected_index_list") or []
        values = [_key_of(row, key) for row in rows]
    elif kind == _PAIR_ORDER:
        # The index list keeps timezones that GX's value list drops; (B, A) reads "B <= A".
        rows = outcome.get("partial_unexpected_index_list") or []
        values = [(row[kwargs["column_B"]], row[kwargs["column_A"]]) for row in rows]
    else:
        values = list(outcome.get("partial_unexpected_list") or [])
    return _distinct([_sample_value(value) for value in values])[:SAMPLE_SIZE]


def _key_of(row: Mapping[str, Any], key: Sequence[str]) -> object:
    values = tuple(json_safe(row.get(column)) for column in key)
    return values[0] if len(values) == 1 else values


def _sample_value(value: object) -> object:
    """JSON-safe, with multi-column values (GX gives dicts) as tuples in column order."""
    if isinstance(value, Mapping):
        return tuple(json_safe(v) for v in value.values())
    if isinstance(value, tuple):
        return tuple(json_safe(v) for v in value)
    return json_safe(value)


def _distinct(values: list) -> list:
    seen: set[str] = set()
    kept = []
    for value in values:
        marker = repr(value)
        if marker not in seen:
            seen.add(marker)
            kept.append(value)
    return kept


def json_safe(value: object) -> object:
    """``value`` as JSON-compatible Python: numpy scalars unwrapped, times as ISO strings,
    missing values (None, NaN, NaT, NA) as None and infinities as the strings "inf" and
    "-inf" (JSON has no such numbers); tuples become lists."""
    if value is None or isinstance(value, bool | str | int):
        return value
    if isinstance(value, pd.Timestamp | datetime | np.datetime64):  # before np.generic:
        return _iso(value)  # a datetime64's .item() may be a bare integer
    if isinstance(value, np.generic):
        return json_safe(value.item())
    if isinstance(value, float):
        return value if math.isfinite(value) else _non_finite(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_safe(v) for v in value]
    if _is_missing(value):
        return None
    return str(value)


def _non_finite(value: float) -> str | None:
    if math.isnan(value):
        return None
    return "inf" if value > 0 else "-inf"


def _iso(value: object) -> str | None:
    stamp = pd.Timestamp(value)
    return None if pd.isna(stamp) else stamp.isoformat()


def _is_missing(value: object) -> bool:
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):  # array-likes: not a single missing value
        return False


def _failure_text(failure: FailedExpectation) -> str:
    count = failure.unexpected_count
    if count is None:  # an evaluation error says so in the description
        return failure.description
    return f"{failure.description} ({count:,} {_plural(count, 'row')})"


def _plural(count: int, noun: str) -> str:
    return noun if count == 1 else f"{noun}s"
