"""The betting gate: model_evidence, betting_gate, paper picks and bets, CLV as price value.

Money is staked only while the champion's out-of-sample evidence shows an edge over the
market; otherwise picks are paper picks, settled in the ledger at one unit each without
touching the bankroll. This revision adds the evidence table (written by model_evaluation)
and the gate state per model (written by picks); ``paper``, ``kelly_prob`` and
``evidence_weight`` to picks; ``paper`` and ``clv_value`` to bet_ledger, whose
``bankroll_before`` becomes nullable (a paper bet draws on no bankroll); and rebuilds
roi_summary, a derived table the rollup rewrites whole, keyed by ledger (money or paper) with
the CLV intervals, bankroll return and drawdown. Existing picks and bets were all staked with
money, which ``paper``'s default says.

The reporting views are recreated around it: the money views leave paper bets out, and
reporting.betting_gate shows each model's gate. The downgrade recreates them as they were.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from mlb_assets.lib.warehouse.reporting import create_reporting_views, drop_reporting_views
from mlb_assets.migrations.sqlfiles import grant_reporting_to_bi

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

UTC_TS = sa.DateTime(timezone=True)


def _create_evidence_and_gate() -> None:
    op.create_table(
        "model_evidence",
        sa.Column("evaluation_id", sa.String(64), primary_key=True),
        sa.Column("model_name", sa.String(64), primary_key=True),
        sa.Column("model_version", sa.String(16), nullable=False),
        sa.Column("target", sa.String(32), nullable=False),
        sa.Column("season", sa.Integer, nullable=False),
        sa.Column("n_games", sa.Integer, nullable=False),
        sa.Column("model_log_loss", sa.Float, nullable=False),
        sa.Column("market_log_loss", sa.Float, nullable=False),
        sa.Column(
            "diff_mean", sa.Float, nullable=False, comment="model - market log-loss per game"
        ),
        sa.Column("diff_ci_low", sa.Float, nullable=False, comment="bootstrap 95% interval"),
        sa.Column("diff_ci_high", sa.Float, nullable=False, comment="below 0: the model is better"),
        sa.Column("edge_probability", sa.Float, nullable=False, comment="share of resamples"),
        sa.Column("calibration_slope", sa.Float, nullable=True),
        sa.Column("calibration_intercept", sa.Float, nullable=True),
        sa.Column("mean_gap", sa.Float, nullable=False, comment="mean model - market probability"),
        sa.Column("created_at", UTC_TS, nullable=False),
        comment="out-of-sample evidence that a model version beats the market; gates money stakes",
    )
    op.create_index(
        "ix_model_evidence_model",
        "model_evidence",
        ["model_name", "model_version", "created_at"],
    )
    op.create_table(
        "betting_gate",
        sa.Column("model_name", sa.String(64), primary_key=True),
        sa.Column("model_version", sa.String(16), nullable=False, comment="the version last gated"),
        sa.Column("gate_open", sa.Boolean, nullable=False, comment="money may be staked"),
        sa.Column("max_log_loss_diff", sa.Float, nullable=False, comment="threshold applied"),
        sa.Column("evaluation_id", sa.String(64), nullable=True, comment="model_evidence row used"),
        sa.Column("evidence_weight", sa.Float, nullable=True, comment="trust in the model, open"),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("checked_at", UTC_TS, nullable=False),
        sa.Column("changed_at", UTC_TS, nullable=False, comment="when gate_open last changed"),
        comment="each model's betting gate as the picks asset last decided it",
    )


def _roi_summary(*, with_ledger: bool) -> None:
    """roi_summary as this revision keys it (``with_ledger``) or as 0004 created it."""
    ledger = [sa.Column("ledger", sa.String(8), primary_key=True, comment="money or paper")]
    extra = [
        sa.Column("clv_ci_low", sa.Float, nullable=True, comment="bootstrap 95% interval"),
        sa.Column("clv_ci_high", sa.Float, nullable=True),
        sa.Column(
            "clv_value_mean", sa.Float, nullable=True, comment="closing no-vig x decimal - 1"
        ),
        sa.Column("clv_value_ci_low", sa.Float, nullable=True),
        sa.Column("clv_value_ci_high", sa.Float, nullable=True),
        sa.Column(
            "bankroll_return", sa.Float, nullable=True, comment="money, scope all: end/start-1"
        ),
        sa.Column("max_drawdown", sa.Float, nullable=True, comment="money, scope all"),
    ]
    comment = (
        "settled-bet ROI and CLV by ledger and scope with bootstrap confidence intervals"
        if with_ledger
        else "settled-bet ROI by scope with a bootstrap confidence interval"
    )
    op.create_table(
        "roi_summary",
        *(ledger if with_ledger else []),
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
        *(extra if with_ledger else []),
        comment=comment,
    )


def _paper_flag(comment: str) -> sa.Column:
    return sa.Column(
        "paper", sa.Boolean, nullable=False, server_default=sa.false(), comment=comment
    )


def upgrade() -> None:
    bind = op.get_bind()
    drop_reporting_views(bind)
    _create_evidence_and_gate()
    with op.batch_alter_table("picks") as batch:
        batch.add_column(_paper_flag("gate closed"))
        batch.add_column(
            sa.Column(
                "kelly_prob", sa.Float, nullable=True, comment="the probability Kelly sized with"
            )
        )
        batch.add_column(
            sa.Column(
                "evidence_weight",
                sa.Float,
                nullable=True,
                comment="open gate: trust in the model",
            )
        )
    with op.batch_alter_table("bet_ledger") as batch:
        batch.alter_column(
            "bankroll_before",
            existing_type=sa.Float,
            nullable=True,
            comment="day start; null for paper",
            existing_comment="bankroll at day start",
        )
        batch.add_column(_paper_flag("no money staked"))
        batch.add_column(
            sa.Column(
                "clv_value",
                sa.Float,
                nullable=True,
                comment="closing no-vig x decimal price - 1",
            )
        )
    op.drop_table("roi_summary")  # derived: the next rollup fills it again
    _roi_summary(with_ledger=True)
    create_reporting_views(bind)
    grant_reporting_to_bi()


def downgrade() -> None:
    bind = op.get_bind()
    drop_reporting_views(bind)
    op.drop_table("roi_summary")
    _roi_summary(with_ledger=False)
    # Paper bets were never staked: the ledger before this revision held money bets only.
    op.execute("DELETE FROM bet_ledger WHERE paper")
    op.execute("UPDATE picks SET is_bet = FALSE, stake_fraction = 0 WHERE paper")
    with op.batch_alter_table("bet_ledger") as batch:
        batch.drop_column("clv_value")
        batch.drop_column("paper")
        batch.alter_column(
            "bankroll_before",
            existing_type=sa.Float,
            nullable=False,
            comment="bankroll at day start",
            existing_comment="day start; null for paper",
        )
    with op.batch_alter_table("picks") as batch:
        batch.drop_column("evidence_weight")
        batch.drop_column("kelly_prob")
        batch.drop_column("paper")
    op.drop_table("betting_gate")
    op.drop_index("ix_model_evidence_model", table_name="model_evidence")
    op.drop_table("model_evidence")
    create_reporting_views(bind)
    grant_reporting_to_bi()
