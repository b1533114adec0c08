"""Foundation: raw payloads, games, odds snapshots, opening/closing lines, line movements,
quarantine.

Revision ID: 0001
Revises:
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from mlb_assets.migrations.sqlfiles import apply_postgres_sql

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

UTC_TS = sa.DateTime(timezone=True)


def _create_raw_payloads() -> None:
    op.create_table(
        "raw_payloads",
        sa.Column("payload_id", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("source", sa.String(64), nullable=False),
        sa.Column("source_ref", sa.Text, nullable=False, comment="file name or request path"),
        sa.Column("content_hash", sa.String(64), nullable=False, comment="sha256 of body"),
        sa.Column("media_type", sa.String(128), nullable=False),
        sa.Column("request_params", sa.JSON, nullable=True, comment="never holds secrets"),
        sa.Column("fetched_at", UTC_TS, nullable=False),
        sa.Column("byte_size", sa.Integer, nullable=False),
        sa.Column("game_date", sa.Date, nullable=True, comment="partition date it was fetched for"),
        sa.Column(
            "body", sa.LargeBinary, nullable=False, comment="the payload exactly as received"
        ),
        sa.UniqueConstraint("source", "content_hash", name="uq_raw_payloads_source_hash"),
    )
    op.create_index("ix_raw_payloads_source_game_date", "raw_payloads", ["source", "game_date"])


def _create_games() -> None:
    op.create_table(
        "games",
        sa.Column("game_id", sa.String(16), primary_key=True, comment="HOME + YYYYMMDD + game no."),
        sa.Column("season", sa.Integer, nullable=False),
        sa.Column("game_date", sa.Date, nullable=False, comment="America/New_York calendar date"),
        sa.Column("game_number", sa.SmallInteger, nullable=False, comment="0 single, 1/2 DH"),
        sa.Column("away_team", sa.String(3), nullable=False),
        sa.Column("home_team", sa.String(3), nullable=False),
        sa.Column("start_time_utc", UTC_TS, nullable=True),
        sa.Column("away_pitcher", sa.Text, nullable=True),
        sa.Column("home_pitcher", sa.Text, nullable=True),
        sa.Column("away_score", sa.SmallInteger, nullable=True),
        sa.Column("home_score", sa.SmallInteger, nullable=True),
        sa.Column("day_night", sa.String(1), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("sources", sa.Text, nullable=False, comment="sources that know this game"),
        sa.Column("mlb_game_pk", sa.BigInteger, nullable=True, comment="MLB Stats API id"),
    )
    op.create_index("ix_games_game_date", "games", ["game_date"])


def _create_odds_snapshots() -> None:
    op.create_table(
        "odds_snapshots",
        sa.Column("snapshot_id", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("game_id", sa.String(16), nullable=False),
        sa.Column("game_date", sa.Date, nullable=False),
        sa.Column("book", sa.String(64), nullable=False),
        sa.Column("market", sa.String(16), nullable=False),
        sa.Column("side", sa.String(8), nullable=False),
        sa.Column("point", sa.Float, nullable=True),
        sa.Column("price_american", sa.Integer, nullable=False, comment="as received"),
        sa.Column("captured_at", UTC_TS, nullable=False),
        sa.Column("source", sa.String(64), nullable=False),
        sa.Column("payload_id", sa.BigInteger, nullable=True, comment="raw_payloads lineage"),
    )
    op.create_index("ix_odds_snapshots_game_date", "odds_snapshots", ["game_date"])
    op.create_index(
        "ix_odds_snapshots_key_time",
        "odds_snapshots",
        ["game_id", "book", "market", "side", "captured_at"],
    )


def _create_opening_closing_lines() -> None:
    op.create_table(
        "opening_closing_lines",
        sa.Column("game_id", sa.String(16), primary_key=True),
        sa.Column("source", sa.String(64), primary_key=True),
        sa.Column("market", sa.String(16), primary_key=True),
        sa.Column("side", sa.String(8), primary_key=True),
        sa.Column("game_date", sa.Date, nullable=False),
        sa.Column("open_point", sa.Float, nullable=True),
        sa.Column("open_price", sa.Integer, nullable=True),
        sa.Column("close_point", sa.Float, nullable=True),
        sa.Column("close_price", sa.Integer, nullable=True),
        sa.Column("payload_id", sa.BigInteger, nullable=True),
    )
    op.create_index("ix_opening_closing_lines_game_date", "opening_closing_lines", ["game_date"])


def _create_line_movements() -> None:
    op.create_table(
        "line_movements",
        sa.Column("game_id", sa.String(16), primary_key=True),
        sa.Column("book", sa.String(64), primary_key=True),
        sa.Column("market", sa.String(16), primary_key=True),
        sa.Column("side", sa.String(8), primary_key=True),
        sa.Column("game_date", sa.Date, nullable=False),
        sa.Column("open_at", UTC_TS, nullable=False),
        sa.Column("open_price", sa.Integer, nullable=False),
        sa.Column("open_point", sa.Float, nullable=True),
        sa.Column("decision_at", UTC_TS, nullable=False),
        sa.Column("decision_price", sa.Integer, nullable=True),
        sa.Column("decision_point", sa.Float, nullable=True),
        sa.Column(
            "decision_snapshot_id", sa.BigInteger, nullable=True, comment="odds_snapshots lineage"
        ),
        sa.Column("close_at", UTC_TS, nullable=True),
        sa.Column("close_price", sa.Integer, nullable=True),
        sa.Column("close_point", sa.Float, nullable=True),
        sa.Column("n_moves", sa.Integer, nullable=False),
        sa.Column("open_prob_novig", sa.Float, nullable=True),
        sa.Column("decision_prob_novig", sa.Float, nullable=True),
        sa.Column("close_prob_novig", sa.Float, nullable=True),
        sa.Column("net_move_prob", sa.Float, nullable=True),
        sa.Column("decision_move_prob", sa.Float, nullable=True),
        sa.Column("largest_move_prob", sa.Float, nullable=True),
        sa.Column("moves_last_1h", sa.Integer, nullable=False),
        sa.Column("moves_last_3h", sa.Integer, nullable=False),
        sa.Column("steam", sa.Boolean, nullable=False),
        sa.Column("steam_at", UTC_TS, nullable=True),
    )
    op.create_index("ix_line_movements_game_date", "line_movements", ["game_date"])


def _create_quarantine() -> None:
    op.create_table(
        "quarantine",
        sa.Column("quarantine_id", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("asset", sa.String(64), nullable=False, comment="asset that met the row"),
        sa.Column("source", sa.String(64), nullable=False),
        sa.Column("source_ref", sa.Text, nullable=False, comment="where the row came from"),
        sa.Column("game_date", sa.Date, nullable=True, comment="null when the date is unreadable"),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("record", sa.JSON, nullable=False, comment="the raw row"),
    )
    op.create_index("ix_quarantine_asset_game_date", "quarantine", ["asset", "game_date"])


def upgrade() -> None:
    _create_raw_payloads()
    _create_games()
    _create_odds_snapshots()
    _create_opening_closing_lines()
    _create_line_movements()
    _create_quarantine()
    apply_postgres_sql("0001_foundation.sql")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP SCHEMA IF EXISTS reporting CASCADE")
        op.execute("DROP INDEX IF EXISTS brin_odds_snapshots_captured_at")
    for table in (
        "quarantine",
        "line_movements",
        "opening_closing_lines",
        "odds_snapshots",
        "games",
        "raw_payloads",
    ):
        op.drop_table(table)
