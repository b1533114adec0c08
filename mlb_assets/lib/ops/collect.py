"""The warehouse's side of the operational metrics: row counts, quarantine, model quality,
ROI, the betting gate, bankroll, and today's odds and games. (Run and check state come from
Dagster.)"""

from __future__ import annotations

from datetime import date, datetime

import pandas as pd
import sqlalchemy as sa

from mlb_assets.lib.warehouse import schema
from mlb_assets.lib.warehouse.reporting import read_view

#: Tables whose size is exported as ``mlb_assets_rows{table=...}``.
COUNTED_TABLES = (
    schema.raw_payloads,
    schema.games,
    schema.odds_snapshots,
    schema.line_movements,
    schema.market_consensus,
    schema.game_features,
    schema.predictions,
    schema.picks,
    schema.bet_ledger,
)


def _scalar(connection: sa.Connection, query: sa.Select) -> object:
    return connection.execute(query).scalar()


def _count_query(table: sa.Table) -> sa.Select:
    # odds_snapshots reaches tens of millions of rows: its per-day counts, written in the
    # same transaction as its rows, give the same number without scanning it every minute.
    if table is schema.odds_snapshots:
        days = schema.odds_snapshot_days
        return sa.select(sa.func.coalesce(sa.func.sum(days.c.row_count), 0))
    return sa.select(sa.func.count()).select_from(table)


def row_counts(connection: sa.Connection) -> dict[str, int]:
    return {
        table.name: int(_scalar(connection, _count_query(table)) or 0) for table in COUNTED_TABLES
    }


def quarantined_rows(connection: sa.Connection) -> dict[str, int]:
    q = schema.quarantine
    query = sa.select(q.c.asset, sa.func.count()).group_by(q.c.asset)
    return {asset: int(n) for asset, n in connection.execute(query)}


def model_log_loss(connection: sa.Connection) -> dict[tuple[str, str], float]:
    """Whole-season log-loss of each predictor in the newest evaluation of each target."""
    e = schema.model_evaluation
    rows = pd.DataFrame(
        connection.execute(
            sa.select(e.c.target, e.c.predictor, e.c.log_loss, e.c.created_at).where(
                e.c.period == "all", e.c.log_loss.is_not(None)
            )
        ).fetchall(),
        columns=["target", "predictor", "log_loss", "created_at"],
    )
    if rows.empty:
        return {}
    newest = rows.sort_values("created_at").groupby(["target", "predictor"]).tail(1)
    return {(r.target, r.predictor): float(r.log_loss) for r in newest.itertuples()}


def roi_by_scope(connection: sa.Connection) -> dict[str, float]:
    """Money ROI overall (``all``) and by tier and market (``tier:A``, ``market:h2h``)."""
    s = schema.roi_summary
    query = sa.select(s.c.scope, s.c.key, s.c.roi).where(
        s.c.ledger == "money", s.c.scope.in_(["all", "tier", "market"]), s.c.roi.is_not(None)
    )
    return {
        "all" if scope == "all" else f"{scope}:{key}": float(roi)
        for scope, key, roi in connection.execute(query)
    }


def betting_gates(connection: sa.Connection) -> dict[str, int]:
    """1 per model whose gate is open (money staked), 0 where its picks are paper only."""
    g = schema.betting_gate
    query = sa.select(g.c.model_name, g.c.gate_open)
    return {name: int(bool(is_open)) for name, is_open in connection.execute(query)}


def bankroll_and_drawdown(connection: sa.Connection) -> tuple[float | None, float | None]:
    curve = read_view(connection, "bankroll_curve")
    if curve.empty:
        return None, None
    last = curve.iloc[-1]
    return float(last["bankroll_end"]), float(last["drawdown"])


def todays_odds(connection: sa.Connection, today: date, now: datetime) -> tuple[float | None, int]:
    """Newest capture time of today's odds (unix seconds) and games still to start."""
    o, g = schema.odds_snapshots, schema.games
    newest = _scalar(
        connection, sa.select(sa.func.max(o.c.captured_at)).where(o.c.game_date == today)
    )
    remaining = _scalar(
        connection,
        sa.select(sa.func.count()).where(g.c.game_date == today, g.c.start_time_utc > now),
    )
    return _unix(newest), int(remaining or 0)


def _unix(moment: object) -> float | None:
    """Unix seconds of a timestamp; naive values are UTC (SQLite returns them naive)."""
    if moment is None:
        return None
    stamp = pd.Timestamp(moment)
    return (stamp if stamp.tzinfo else stamp.tz_localize("UTC")).timestamp()


def warehouse_metrics(
    connection: sa.Connection, *, today: date, now: datetime
) -> dict[str, object]:
    """The fields of ``metrics.MetricsSnapshot`` that the warehouse knows."""
    bankroll, drawdown = bankroll_and_drawdown(connection)
    newest, remaining = todays_odds(connection, today, now)
    return {
        "rows_ingested": row_counts(connection),
        "rows_quarantined": quarantined_rows(connection),
        "model_log_loss": model_log_loss(connection),
        "roi": roi_by_scope(connection),
        "betting_gate_open": betting_gates(connection),
        "bankroll": bankroll,
        "drawdown": drawdown,
        "newest_odds_timestamp": newest,
        "games_remaining_today": remaining,
    }
