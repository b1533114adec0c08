"""Predictions, picks, the bet ledger and ROI rollups.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

UTC_TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "predictions",
        sa.Column("game_id", sa.String(16), primary_key=True),
        sa.Column("market", sa.String(16), primary_key=True, comment="h2h or totals"),
        sa.Column("game_date", sa.Date, nullable=False),
        sa.Column(
            "side", sa.String(8), nullable=False, comment="the side prob is for: home / over"
        ),
        sa.Column("point", sa.Float, nullable=True, comment="totals line the model priced"),
        sa.Column("prob", sa.Float, nullable=False, comment="model P(side wins)"),
        sa.Column("prob_bin", sa.SmallInteger, nullable=False, comment="floor(prob * 10), 0-9"),
        sa.Column(
            "outcome", sa.SmallInteger, nullable=True, comment="1 side won, 0 lost, null open"
        ),
        sa.Column("model_name", sa.String(64), nullable=False),
        sa.Column("model_version", sa.String(16), nullable=False),
        sa.Column("model_run_id", sa.String(64), nullable=False, comment="MLflow run"),
        sa.Column("in_sample", sa.Boolean, nullable=False, comment="game within the model's data"),
        sa.Column("decision_at", UTC_TS, nullable=False),
        sa.Column("predicted_at", UTC_TS, nullable=False),
        comment="the champion model's probability per game and market at decision time",
    )
    op.create_index("ix_predictions_game_date", "predictions", ["game_date"])
    op.create_table(
        "picks",
        sa.Column("pick_id", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("game_id", sa.String(16), nullable=False),
        sa.Column("game_date", sa.Date, nullable=False),
        sa.Column("market", sa.String(16), nullable=False),
        sa.Column("side", sa.String(8), nullable=False),
        sa.Column("point", sa.Float, nullable=True),
        sa.Column("model_prob", sa.Float, nullable=False),
        sa.Column("market_prob_mult", sa.Float, nullable=True, comment="no-vig, multiplicative"),
        sa.Column("market_prob_shin", sa.Float, nullable=True, comment="no-vig, Shin"),
        sa.Column("market_prob", sa.Float, nullable=False, comment="the no-vig method configured"),
        sa.Column("edge", sa.Float, nullable=False, comment="model_prob - market_prob"),
        sa.Column("expected_value", sa.Float, nullable=False, comment="per unit at price_american"),
        sa.Column("kelly_full", sa.Float, nullable=False),
        sa.Column("stake_fraction", sa.Float, nullable=False, comment="bankroll share, 0: no bet"),
        sa.Column("tier", sa.String(1), nullable=True),
        sa.Column("is_bet", sa.Boolean, nullable=False),
        sa.Column("price_american", sa.Integer, nullable=False, comment="best price at decision"),
        sa.Column("book", sa.String(64), nullable=False, comment="book offering the price"),
        sa.Column("odds_snapshot_id", sa.BigInteger, nullable=False, comment="odds_snapshots row"),
        sa.Column("quoted_at", UTC_TS, nullable=False, comment="captured_at of that snapshot"),
        sa.Column("decision_at", UTC_TS, nullable=False),
        sa.Column("model_name", sa.String(64), nullable=False),
        sa.Column("model_version", sa.String(16), nullable=False),
        comment="both sides of every predicted market: edge, EV, Kelly stake and tier",
    )
    op.create_index("ix_picks_game_date", "picks", ["game_date"])
    op.create_table(
        "bet_ledger",
        sa.Column("bet_id", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("game_id", sa.String(16), nullable=False),
        sa.Column("game_date", sa.Date, nullable=False),
        sa.Column("month", sa.String(7), nullable=False, comment="YYYY-MM of game_date"),
        sa.Column("season", sa.Integer, nullable=False),
        sa.Column("market", sa.String(16), nullable=False),
        sa.Column("side", sa.String(8), nullable=False),
        sa.Column("point", sa.Float, nullable=True),
        sa.Column("tier", sa.String(1), nullable=True),
        sa.Column("book", sa.String(64), nullable=False),
        sa.Column("price_american", sa.Integer, nullable=False),
        sa.Column("model_prob", sa.Float, nullable=False),
        sa.Column("market_prob", sa.Float, nullable=False),
        sa.Column("edge", sa.Float, nullable=False),
        sa.Column("stake_fraction", sa.Float, nullable=False),
        sa.Column("bankroll_before", sa.Float, nullable=False, comment="bankroll at day start"),
        sa.Column("stake", sa.Float, nullable=False, comment="money"),
        sa.Column("stake_units", sa.Float, nullable=False, comment="1 unit = 1% of start bankroll"),
        sa.Column("result", sa.String(8), nullable=True, comment="win/loss/push/void; null open"),
        sa.Column("profit", sa.Float, nullable=True, comment="money"),
        sa.Column("profit_units", sa.Float, nullable=True),
        sa.Column("closing_price_american", sa.Integer, nullable=True),
        sa.Column("closing_prob_novig", sa.Float, nullable=True),
        sa.Column("clv_prob", sa.Float, nullable=True, comment="closing no-vig - implied taken"),
        sa.Column("model_version", sa.String(16), nullable=False),
        sa.Column("odds_snapshot_id", sa.BigInteger, nullable=False),
        sa.Column("placed_at", UTC_TS, nullable=False),
        sa.Column("settled_at", UTC_TS, nullable=True),
        comment="every bet placed, settled against final scores; BI contract",
    )
    op.create_index("ix_bet_ledger_game_date", "bet_ledger", ["game_date"])
    op.create_table(
        "roi_summary",
        sa.Column("scope", sa.String(16), primary_key=True, comment="all/tier/market/month/season"),
        sa.Column("key", sa.String(32), primary_key=True),
        sa.Column("bets", sa.Integer, nullable=False),
        sa.Column("staked", sa.Float, nullable=False),
        sa.Column("profit", sa.Float, nullable=False),
        sa.Column("roi", sa.Float, nullable=True),
        sa.Column("roi_ci_low", sa.Float, nullable=True, comment="bootstrap 95% interval"),
        sa.Column("roi_ci_high", sa.Float, nullable=True),
        sa.Column("win_rate", sa.Float, nullable=True),
        sa.Column("clv_mean", sa.Float, nullable=True),
        sa.Column("clv_positive_share", sa.Float, nullable=True),
        sa.Column("computed_at", UTC_TS, nullable=False),
        comment="settled-bet ROI by scope with a bootstrap confidence interval",
    )


def downgrade() -> None:
    op.drop_table("roi_summary")
    op.drop_table("bet_ledger")
    op.drop_table("picks")
    op.drop_table("predictions")
