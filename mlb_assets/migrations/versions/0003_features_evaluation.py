"""Features per game (long format), walk-forward evaluation and calibration tables.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

UTC_TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "game_features",
        sa.Column("game_id", sa.String(16), primary_key=True),
        sa.Column("feature_set", sa.String(32), primary_key=True),
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("game_date", sa.Date, nullable=False),
        sa.Column("value", sa.Float, nullable=True),
        comment="point-in-time features per game, long format (one row per feature)",
    )
    op.create_index("ix_game_features_game_date", "game_features", ["game_date"])
    op.create_table(
        "model_evaluation",
        sa.Column("evaluation_id", sa.String(64), primary_key=True),
        sa.Column("predictor", sa.String(64), primary_key=True, comment="engine or market line"),
        sa.Column("period", sa.String(16), primary_key=True, comment="YYYY-MM or 'all'"),
        sa.Column("target", sa.String(32), nullable=False),
        sa.Column("season", sa.Integer, nullable=False),
        sa.Column("n", sa.Integer, nullable=False),
        sa.Column("log_loss", sa.Float, nullable=True),
        sa.Column("brier", sa.Float, nullable=True),
        sa.Column("auc", sa.Float, nullable=True),
        sa.Column("created_at", UTC_TS, nullable=False),
        comment="walk-forward out-of-sample metrics of each engine and of the market",
    )
    op.create_table(
        "model_calibration",
        sa.Column("evaluation_id", sa.String(64), primary_key=True),
        sa.Column("predictor", sa.String(64), primary_key=True),
        sa.Column("bin", sa.Integer, primary_key=True),
        sa.Column("p_mean", sa.Float, nullable=True),
        sa.Column("y_rate", sa.Float, nullable=True),
        sa.Column("n", sa.Integer, nullable=False),
        comment="calibration table of the walk-forward predictions (10 probability bins)",
    )


def downgrade() -> None:
    op.drop_table("model_calibration")
    op.drop_table("model_evaluation")
    op.drop_table("game_features")
