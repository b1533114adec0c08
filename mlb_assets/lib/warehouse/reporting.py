"""Reporting views for BI tools, the same SELECTs on Postgres and SQLite.

Each view's query lives in ``sql/reporting/<name>.sql`` and is written in SQL that both
databases run unchanged, so the embedded warehouse and production report the same numbers.
On Postgres the views live in the ``reporting`` schema (the only one the BI role may read);
the ledger aggregates are materialized there, because dashboards re-run them constantly
while the ledger changes once a day, and each has a unique index so that
``REFRESH MATERIALIZED VIEW CONCURRENTLY`` never blocks readers. SQLite has no schemas and no
materialized views: every view is a plain ``reporting_<name>`` view, always current.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from string import Template

import pandas as pd
import sqlalchemy as sa

from mlb_assets.lib.settings import sql_dir

REPORTING_SCHEMA = "reporting"


@dataclass(frozen=True)
class ReportingView:
    """One reporting view: its BI columns and how it is stored on Postgres."""

    name: str
    columns: tuple[str, ...]
    materialized: bool = False
    # Columns unique per row: the unique index a concurrent refresh requires, and the order
    # rows are read in.
    unique_key: tuple[str, ...] = ()
    date_columns: tuple[str, ...] = ()
    timestamp_columns: tuple[str, ...] = ()
    # Views that differ only by a grouping key share one file (``template``), whose
    # ``$placeholders`` are filled from ``parameters``.
    template: str | None = None
    parameters: tuple[tuple[str, str], ...] = ()
    # Tables created by a revision later than the one that first made the view: migrations
    # that run before those tables exist skip the view, and the revision creating them
    # creates it (every revision recreates the views from the current SQL).
    requires: tuple[str, ...] = ()

    def sql(self, *, before_paper: bool = False) -> str:
        """The view's SELECT, without a trailing semicolon.

        ``before_paper``: for a warehouse migrated before revision 0008, whose ledger has no
        paper bets (every bet staked money) and whose roi_summary has one ledger.
        """
        path = sql_dir() / "reporting" / f"{self.template or self.name}.sql"
        if not path.is_file():
            raise FileNotFoundError(f"reporting view SQL missing: {path}")
        values = {**(_BEFORE_PAPER if before_paper else _MONEY_ONLY), **dict(self.parameters)}
        text = Template(path.read_text()).substitute(values)
        return text.strip().rstrip(";").rstrip()


# The ledger's money figures leave paper bets out. Both placeholders are conditions: on the
# bets (alias b) and on the roi_summary rows (alias s) a view reads. Before revision 0008 there
# were no paper bets and no ledger column, and older revisions recreate the views too.
_MONEY_ONLY = {"money_bets": "NOT b.paper", "money_summary": "s.ledger = 'money'"}
_BEFORE_PAPER = {"money_bets": "1 = 1", "money_summary": "1 = 1"}


_ROI_COLUMNS = (
    "bets",
    "settled",
    "wins",
    "losses",
    "pushes",
    "staked",
    "profit",
    "roi",
    "win_rate",
    "clv_mean",
    "roi_ci_low",
    "roi_ci_high",
)


# Bets without a tier (model probability below the lowest tier) group as 'untiered', the
# key the ROI rollup gives them too.
_ROI_KEY_EXPRESSIONS = {
    "tier": "coalesce(b.tier, 'untiered')",
    "market": "b.market",
    "month": "b.month",
}


def _roi_by(key: str) -> ReportingView:
    return ReportingView(
        f"roi_by_{key}",
        (key, *_ROI_COLUMNS),
        materialized=True,
        unique_key=(key,),
        template="roi_by",
        parameters=(("key", key), ("key_expr", _ROI_KEY_EXPRESSIONS[key])),
    )


# In creation order: a view may only read views listed before it (dropped in reverse).
# Today every view reads base tables only.
_VIEWS = (
    ReportingView(
        "season_summary",
        (
            "season",
            "games",
            "final_games",
            "first_game_date",
            "last_game_date",
            "home_win_rate",
        ),
        unique_key=("season",),
        date_columns=("first_game_date", "last_game_date"),
    ),
    ReportingView(
        "data_freshness",
        ("table_name", "newest_row_at", "row_count"),
        unique_key=("table_name",),
        timestamp_columns=("newest_row_at",),
        requires=("odds_snapshot_days",),
    ),
    ReportingView(
        "roi_daily",
        (
            "game_date",
            "bets",
            "settled",
            "wins",
            "losses",
            "pushes",
            "voids",
            "pending",
            "staked",
            "profit",
            "roi",
        ),
        materialized=True,
        unique_key=("game_date",),
        date_columns=("game_date",),
    ),
    _roi_by("tier"),
    _roi_by("market"),
    _roi_by("month"),
    ReportingView(
        "clv_summary",
        (
            "market",
            "bets",
            "clv_bets",
            "clv_mean",
            "clv_positive_share",
            "clv_min",
            "clv_max",
        ),
        materialized=True,
        unique_key=("market",),
    ),
    ReportingView(
        "calibration",
        ("market", "prob_bin", "n", "p_mean", "outcome_rate"),
        materialized=True,
        unique_key=("market", "prob_bin"),
    ),
    ReportingView(
        "bankroll_curve",
        ("game_date", "bankroll_start", "profit", "bankroll_end", "peak", "drawdown"),
        materialized=True,
        unique_key=("game_date",),
        date_columns=("game_date",),
    ),
    ReportingView(
        "edge_distribution",
        (
            "market",
            "edge_bin",
            "picks",
            "bets",
            "edge_mean",
            "settled",
            "staked",
            "profit",
            "roi",
        ),
        materialized=True,
        unique_key=("market", "edge_bin"),
    ),
    ReportingView(
        "quarantine_summary",
        ("asset", "reason", "row_count", "first_game_date", "last_game_date"),
        unique_key=("asset", "reason"),
        date_columns=("first_game_date", "last_game_date"),
    ),
    ReportingView(
        "betting_gate",
        (
            "model_name",
            "model_version",
            "gate_open",
            "max_log_loss_diff",
            "evidence_weight",
            "reason",
            "checked_at",
            "changed_at",
            "evaluation_id",
            "evidence_at",
            "n_games",
            "model_log_loss",
            "market_log_loss",
            "diff_mean",
            "diff_ci_low",
            "diff_ci_high",
            "edge_probability",
            "calibration_slope",
            "calibration_intercept",
        ),
        unique_key=("model_name",),
        timestamp_columns=("checked_at", "changed_at", "evidence_at"),
        requires=("betting_gate", "model_evidence"),
    ),
)

REPORTING_VIEWS: dict[str, ReportingView] = {view.name: view for view in _VIEWS}


def _view(name: str) -> ReportingView:
    try:
        return REPORTING_VIEWS[name]
    except KeyError:
        raise KeyError(
            f"unknown reporting view {name!r}; known: {sorted(REPORTING_VIEWS)}"
        ) from None


def _is_postgres(dialect_name: str) -> bool:
    return dialect_name == "postgresql"


def reporting_relation(dialect_name: str, name: str) -> str:
    """Where view ``name`` lives: ``reporting.<name>`` on Postgres, ``reporting_<name>`` else."""
    _view(name)
    if _is_postgres(dialect_name):
        return f"{REPORTING_SCHEMA}.{name}"
    return f"{REPORTING_SCHEMA}_{name}"


def _create_statements(
    dialect_name: str, view: ReportingView, *, before_paper: bool = False
) -> list[str]:
    relation = reporting_relation(dialect_name, view.name)
    sql = view.sql(before_paper=before_paper)
    if not (_is_postgres(dialect_name) and view.materialized):
        return [f"CREATE VIEW {relation} AS\n{sql}"]
    columns = ", ".join(view.unique_key)
    return [
        f"CREATE MATERIALIZED VIEW {relation} AS\n{sql}\nWITH DATA",
        f"CREATE UNIQUE INDEX ux_{view.name} ON {relation} ({columns})",
    ]


def _drop_statement(dialect_name: str, view: ReportingView) -> str:
    relation = reporting_relation(dialect_name, view.name)
    kind = "MATERIALIZED VIEW" if _is_postgres(dialect_name) and view.materialized else "VIEW"
    # No CASCADE: an object someone built on a reporting view should stop the drop, loudly.
    return f"DROP {kind} IF EXISTS {relation}"


def _run(connection: sa.Connection, statement: str) -> sa.CursorResult:
    # No parameters: the driver must not read '%' in the SQL files as a placeholder.
    return connection.exec_driver_sql(statement, execution_options={"no_parameters": True})


def drop_reporting_views(connection: sa.Connection) -> None:
    """Drop every reporting view that exists (reverse creation order; idempotent)."""
    dialect_name = connection.dialect.name
    for view in reversed(_VIEWS):
        _run(connection, _drop_statement(dialect_name, view))


def create_reporting_views(connection: sa.Connection) -> list[str]:
    """(Re)create every reporting view from ``sql/reporting``, populated.

    Existing ones are dropped first, so a changed definition always takes effect; on
    Postgres the schema's default privileges grant the new views to the BI role again.
    A view whose ``requires`` tables do not exist yet (an older revision migrating) is
    skipped. Returns the names of the views created.
    """
    dialect_name = connection.dialect.name
    drop_reporting_views(connection)
    if _is_postgres(dialect_name):
        _run(connection, f"CREATE SCHEMA IF NOT EXISTS {REPORTING_SCHEMA}")
    inspector = sa.inspect(connection)
    before_paper = not inspector.has_table("bet_ledger") or "paper" not in {
        column["name"] for column in inspector.get_columns("bet_ledger")
    }
    created = []
    for view in _VIEWS:
        if not all(inspector.has_table(table) for table in view.requires):
            continue
        for statement in _create_statements(dialect_name, view, before_paper=before_paper):
            _run(connection, statement)
        created.append(view.name)
    return created


def refresh_reporting_views(connection: sa.Connection) -> dict[str, float]:
    """Refresh the materialized views; returns seconds per view ({} on SQLite).

    CONCURRENTLY keeps the old rows readable while the new ones are computed, so a
    dashboard never waits on (or sees an empty) view during a ledger update.
    """
    dialect_name = connection.dialect.name
    if not _is_postgres(dialect_name):
        return {}
    seconds: dict[str, float] = {}
    for view in _VIEWS:
        if not view.materialized:
            continue
        relation = reporting_relation(dialect_name, view.name)
        started = time.perf_counter()
        _run(connection, f"REFRESH MATERIALIZED VIEW CONCURRENTLY {relation}")
        seconds[view.name] = time.perf_counter() - started
    return seconds


def _typed(frame: pd.DataFrame, view: ReportingView) -> pd.DataFrame:
    # SQLite hands dates and timestamps back as text; give both dialects the same types.
    for column in view.date_columns:
        frame[column] = pd.to_datetime(frame[column]).dt.date
    for column in view.timestamp_columns:
        frame[column] = pd.to_datetime(frame[column], utc=True)
    return frame


def read_view(connection: sa.Connection, name: str) -> pd.DataFrame:
    """A reporting view's rows in its contract's column order, sorted by its key."""
    view = _view(name)
    relation = reporting_relation(connection.dialect.name, name)
    columns = ", ".join(view.columns)
    order = ", ".join(view.unique_key or view.columns[:1])
    result = _run(connection, f"SELECT {columns} FROM {relation} ORDER BY {order}")
    frame = pd.DataFrame(result.fetchall(), columns=list(view.columns))
    return _typed(frame, view)
