"""Market consensus across books and multi-book steam events.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

UTC_TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "market_consensus",
        sa.Column("game_id", sa.String(16), primary_key=True),
        sa.Column("market", sa.String(16), primary_key=True),
        sa.Column("side", sa.String(8), primary_key=True),
        sa.Column("game_date", sa.Date, nullable=False),
        sa.Column("decision_at", UTC_TS, nullable=False),
        sa.Column("open_at", UTC_TS, nullable=True),
        sa.Column("point_open", sa.Float, nullable=True),
        sa.Column("consensus_prob_novig_open", sa.Float, nullable=True),
        sa.Column("point", sa.Float, nullable=True),
        sa.Column("n_books", sa.Integer, nullable=True),
        sa.Column("consensus_prob_novig", sa.Float, nullable=True),
        sa.Column("dispersion_prob", sa.Float, nullable=True),
        sa.Column("best_price", sa.Integer, nullable=True),
        sa.Column("best_book", sa.String(64), nullable=True),
        sa.Column("sharp_prob_novig", sa.Float, nullable=True),
        sa.Column("sharp_gap_prob", sa.Float, nullable=True),
        sa.Column("decision_move_prob", sa.Float, nullable=True),
        sa.Column("close_at", UTC_TS, nullable=True),
        sa.Column("point_close", sa.Float, nullable=True),
        sa.Column("n_books_close", sa.Integer, nullable=True),
        sa.Column("consensus_prob_novig_close", sa.Float, nullable=True),
        sa.Column("dispersion_prob_close", sa.Float, nullable=True),
        sa.Column("best_price_close", sa.Integer, nullable=True),
        sa.Column("best_book_close", sa.String(64), nullable=True),
        sa.Column("sharp_prob_novig_close", sa.Float, nullable=True),
        sa.Column("sharp_gap_prob_close", sa.Float, nullable=True),
        sa.Column("steam_events", sa.Integer, nullable=False),
        sa.Column("steam_events_before_decision", sa.Integer, nullable=False),
        sa.Column("first_steam_at", UTC_TS, nullable=True),
        sa.Column("public_bets_pct", sa.Float, nullable=True),
        sa.Column("public_money_pct", sa.Float, nullable=True),
        sa.Column("rlm", sa.Boolean, nullable=True),
        sa.Column("rlm_strength", sa.Float, nullable=True),
        comment="cross-book state per game x market x side at decision time and at close",
    )
    op.create_index("ix_market_consensus_game_date", "market_consensus", ["game_date"])
    op.create_table(
        "steam_events",
        sa.Column("game_id", sa.String(16), primary_key=True),
        sa.Column("market", sa.String(16), primary_key=True),
        sa.Column("side", sa.String(8), primary_key=True),
        sa.Column("started_at", UTC_TS, primary_key=True),
        sa.Column("game_date", sa.Date, nullable=False),
        sa.Column("direction", sa.SmallInteger, nullable=False),
        sa.Column("confirmed_at", UTC_TS, nullable=False),
        sa.Column("ended_at", UTC_TS, nullable=False),
        sa.Column("n_books", sa.Integer, nullable=False),
        sa.Column("books", sa.Text, nullable=False),
        sa.Column("total_move_prob", sa.Float, nullable=False),
        comment="same-direction moves at several books within a short window",
    )
    op.create_index("ix_steam_events_game_date", "steam_events", ["game_date"])


def downgrade() -> None:
    op.drop_table("steam_events")
    op.drop_table("market_consensus")
