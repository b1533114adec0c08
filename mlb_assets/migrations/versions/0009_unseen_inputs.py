"""Inputs the archives had not shown before: neutral sites, half-cent prices, coarse polls.

``games.neutral_site`` marks games played at neither team's park (series abroad, neutral
postseasons); ``home_team`` is then the side the source lists as home. The season
workbooks' moneylines may carry half-cent prices (``-219.5``): ``opening_closing_lines``
stores its prices as given, so its price columns become floats. Steam is claimed only
when the observations that bracket a move lie within the steam window: line_movements and
steam_events record that gap, and odds_observations keeps the polls themselves (which
game's line each poll read at each book; none for the archives, observed continuously),
so line movements, consensus and features all read the same ones. bet_ledger records the
closing point its CLV was measured at, and how far it lies from the bet's point (CLV is
claimed only at the same point).

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from mlb_assets.lib.warehouse.reporting import create_reporting_views, drop_reporting_views
from mlb_assets.migrations.sqlfiles import grant_reporting_to_bi

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

_GAP_COMMENTS = {
    "line_movements": ("steam_gap_minutes", "the steam move"),
    "steam_events": ("observation_gap_minutes", "the moves"),
}


def _price_columns(batch, new_type, old_type) -> None:  # type: ignore[no-untyped-def]
    for column in ("open_price", "close_price"):
        batch.alter_column(
            column,
            type_=new_type,
            existing_type=old_type,
            existing_nullable=True,
            comment="American odds as given" if isinstance(new_type, sa.Float) else None,
        )


def _create_odds_observations() -> None:
    op.create_table(
        "odds_observations",
        sa.Column("game_id", sa.String(16), primary_key=True),
        sa.Column("book", sa.String(64), primary_key=True),
        sa.Column("observed_at", sa.DateTime(timezone=True), primary_key=True),
        sa.Column("game_date", sa.Date, nullable=False),
        sa.Column("payload_id", sa.BigInteger, nullable=True, comment="raw_payloads lineage"),
        comment="the polls that read each game's line at each book, written with "
        "odds_snapshots: a change lies between the polls that bracket it; a game and book "
        "without rows (the archives) was observed continuously",
    )
    op.create_index("ix_odds_observations_game_date", "odds_observations", ["game_date"])


def upgrade() -> None:
    bind = op.get_bind()
    drop_reporting_views(bind)
    _create_odds_observations()
    with op.batch_alter_table("games") as batch:
        batch.add_column(
            sa.Column(
                "neutral_site",
                sa.Boolean,
                nullable=False,
                server_default=sa.false(),
                comment="played at neither team's park: home_team is the designated home side",
            )
        )
    with op.batch_alter_table("opening_closing_lines") as batch:
        _price_columns(batch, sa.Float(), sa.Integer())
    for table, (column, what) in _GAP_COMMENTS.items():
        with op.batch_alter_table(table) as batch:
            batch.add_column(
                sa.Column(
                    column,
                    sa.Float,
                    nullable=True,
                    comment=f"widest gap between the observations that bracket {what}",
                )
            )
    with op.batch_alter_table("bet_ledger") as batch:
        batch.add_column(
            sa.Column(
                "closing_point", sa.Float, nullable=True, comment="point of the closing line used"
            )
        )
        batch.add_column(
            sa.Column(
                "clv_point_diff",
                sa.Float,
                nullable=True,
                comment="closing point - bet point; CLV is claimed only when 0",
            )
        )
    create_reporting_views(bind)
    grant_reporting_to_bi()


def downgrade() -> None:
    bind = op.get_bind()
    drop_reporting_views(bind)
    op.drop_table("odds_observations")
    with op.batch_alter_table("bet_ledger") as batch:
        batch.drop_column("clv_point_diff")
        batch.drop_column("closing_point")
    for table, (column, _) in _GAP_COMMENTS.items():
        with op.batch_alter_table(table) as batch:
            batch.drop_column(column)
    # A half-cent price has no integer form: it rounds to the nearest whole price.
    op.execute(
        "UPDATE opening_closing_lines SET open_price = ROUND(open_price), "
        "close_price = ROUND(close_price)"
    )
    with op.batch_alter_table("opening_closing_lines") as batch:
        _price_columns(batch, sa.Integer(), sa.Float())
    with op.batch_alter_table("games") as batch:
        batch.drop_column("neutral_site")
    create_reporting_views(bind)
    grant_reporting_to_bi()
