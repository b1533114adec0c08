"""The warehouse schema: the SQLAlchemy tables that queries and loads use.

Migrations in ``mlb_assets/migrations`` create exactly these tables; a test compares the
migrated database with this metadata, so the two cannot drift apart.
"""

from __future__ import annotations

import sqlalchemy as sa

metadata = sa.MetaData()

# A UTC timestamp. SQLite has no time zones: values are stored as UTC and made aware on read.
UtcDateTime = sa.DateTime(timezone=True)

raw_payloads = sa.Table(
    "raw_payloads",
    metadata,
    sa.Column("payload_id", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("source", sa.String(64), nullable=False),
    sa.Column("source_ref", sa.Text, nullable=False, comment="file name or request path"),
    sa.Column("content_hash", sa.String(64), nullable=False, comment="sha256 of body"),
    sa.Column("media_type", sa.String(128), nullable=False),
    sa.Column("request_params", sa.JSON, nullable=True, comment="never holds secrets"),
    sa.Column("fetched_at", UtcDateTime, nullable=False),
    sa.Column("byte_size", sa.Integer, nullable=False),
    sa.Column("game_date", sa.Date, nullable=True, comment="partition date it was fetched for"),
    sa.Column("body", sa.LargeBinary, nullable=False, comment="the payload exactly as received"),
    sa.UniqueConstraint("source", "content_hash", name="uq_raw_payloads_source_hash"),
    sa.Index("ix_raw_payloads_source_game_date", "source", "game_date"),
)

games = sa.Table(
    "games",
    metadata,
    sa.Column("game_id", sa.String(16), primary_key=True, comment="HOME + YYYYMMDD + game no."),
    sa.Column("season", sa.Integer, nullable=False),
    sa.Column("game_date", sa.Date, nullable=False, comment="America/New_York calendar date"),
    sa.Column("game_number", sa.SmallInteger, nullable=False, comment="0 single, 1/2 DH"),
    sa.Column("away_team", sa.String(3), nullable=False),
    sa.Column("home_team", sa.String(3), nullable=False),
    sa.Column("start_time_utc", UtcDateTime, nullable=True),
    sa.Column("away_pitcher", sa.Text, nullable=True),
    sa.Column("home_pitcher", sa.Text, nullable=True),
    sa.Column("away_score", sa.SmallInteger, nullable=True),
    sa.Column("home_score", sa.SmallInteger, nullable=True),
    sa.Column("day_night", sa.String(1), nullable=True),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("sources", sa.Text, nullable=False, comment="sources that know this game"),
    sa.Column("mlb_game_pk", sa.BigInteger, nullable=True, comment="MLB Stats API id"),
    sa.Column(
        "neutral_site",
        sa.Boolean,
        nullable=False,
        server_default=sa.false(),
        comment="played at neither team's park: home_team is the designated home side",
    ),
    sa.Index("ix_games_game_date", "game_date"),
)

odds_snapshots = sa.Table(
    "odds_snapshots",
    metadata,
    sa.Column("snapshot_id", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("game_id", sa.String(16), nullable=False),
    sa.Column("game_date", sa.Date, nullable=False),
    sa.Column("book", sa.String(64), nullable=False),
    sa.Column("market", sa.String(16), nullable=False),
    sa.Column("side", sa.String(8), nullable=False),
    sa.Column("point", sa.Float, nullable=True),
    sa.Column("price_american", sa.Integer, nullable=False, comment="as received"),
    # Part of the key because Postgres partitions the table by it (see warehouse/partitions).
    sa.Column("captured_at", UtcDateTime, primary_key=True, nullable=False),
    sa.Column("source", sa.String(64), nullable=False),
    sa.Column("payload_id", sa.BigInteger, nullable=True, comment="raw_payloads lineage"),
    # Every reader selects by game date; the sensors also want a day's newest captured_at,
    # which this index answers without touching the table (EXPLAINs in benchmarks/README).
    sa.Index("ix_odds_snapshots_game_date_captured_at", "game_date", "captured_at"),
    postgresql_partition_by="RANGE (captured_at)",
)

odds_snapshot_days = sa.Table(
    "odds_snapshot_days",
    metadata,
    sa.Column("game_date", sa.Date, primary_key=True),
    sa.Column("row_count", sa.BigInteger, nullable=False),
    sa.Column("newest_captured_at", UtcDateTime, nullable=True),
    comment="odds_snapshots rows per game date, written in the same transaction as the rows: "
    "freshness and row counts without counting tens of millions of rows",
)

odds_observations = sa.Table(
    "odds_observations",
    metadata,
    sa.Column("game_id", sa.String(16), primary_key=True),
    sa.Column("book", sa.String(64), primary_key=True),
    sa.Column("observed_at", UtcDateTime, primary_key=True),
    sa.Column("game_date", sa.Date, nullable=False),
    sa.Column("payload_id", sa.BigInteger, nullable=True, comment="raw_payloads lineage"),
    sa.Index("ix_odds_observations_game_date", "game_date"),
    comment="the polls that read each game's line at each book, written with odds_snapshots: "
    "a change lies between the polls that bracket it; a game and book without rows (the "
    "archives) was observed continuously",
)

opening_closing_lines = sa.Table(
    "opening_closing_lines",
    metadata,
    sa.Column("game_id", sa.String(16), primary_key=True),
    sa.Column("source", sa.String(64), primary_key=True),
    sa.Column("market", sa.String(16), primary_key=True),
    sa.Column("side", sa.String(8), primary_key=True),
    sa.Column("game_date", sa.Date, nullable=False),
    sa.Column("open_point", sa.Float, nullable=True),
    sa.Column("open_price", sa.Float, nullable=True, comment="American odds as given"),
    sa.Column("close_point", sa.Float, nullable=True),
    sa.Column("close_price", sa.Float, nullable=True, comment="American odds as given"),
    sa.Column("payload_id", sa.BigInteger, nullable=True),
    sa.Index("ix_opening_closing_lines_game_date", "game_date"),
)

line_movements = sa.Table(
    "line_movements",
    metadata,
    sa.Column("game_id", sa.String(16), primary_key=True),
    sa.Column("book", sa.String(64), primary_key=True),
    sa.Column("market", sa.String(16), primary_key=True),
    sa.Column("side", sa.String(8), primary_key=True),
    sa.Column("game_date", sa.Date, nullable=False),
    sa.Column("open_at", UtcDateTime, nullable=False),
    sa.Column("open_price", sa.Integer, nullable=False),
    sa.Column("open_point", sa.Float, nullable=True),
    sa.Column("decision_at", UtcDateTime, nullable=False),
    sa.Column("decision_price", sa.Integer, nullable=True),
    sa.Column("decision_point", sa.Float, nullable=True),
    sa.Column(
        "decision_snapshot_id", sa.BigInteger, nullable=True, comment="odds_snapshots lineage"
    ),
    sa.Column("close_at", UtcDateTime, nullable=True),
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
    sa.Column("steam_at", UtcDateTime, nullable=True),
    sa.Column(
        "steam_gap_minutes",
        sa.Float,
        nullable=True,
        comment="widest gap between the observations that bracket the steam move",
    ),
    sa.Index("ix_line_movements_game_date", "game_date"),
)

quarantine = sa.Table(
    "quarantine",
    metadata,
    sa.Column("quarantine_id", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("asset", sa.String(64), nullable=False, comment="asset that met the row"),
    sa.Column("source", sa.String(64), nullable=False),
    sa.Column("source_ref", sa.Text, nullable=False, comment="where the row came from"),
    sa.Column("game_date", sa.Date, nullable=True, comment="null when the date is unreadable"),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("record", sa.JSON, nullable=False, comment="the raw row"),
    sa.Index("ix_quarantine_asset_game_date", "asset", "game_date"),
)


market_consensus = sa.Table(
    "market_consensus",
    metadata,
    sa.Column("game_id", sa.String(16), primary_key=True),
    sa.Column("market", sa.String(16), primary_key=True),
    sa.Column("side", sa.String(8), primary_key=True),
    sa.Column("game_date", sa.Date, nullable=False),
    sa.Column("decision_at", UtcDateTime, nullable=False),
    sa.Column("open_at", UtcDateTime, nullable=True),
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
    sa.Column("close_at", UtcDateTime, nullable=True),
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
    sa.Column("first_steam_at", UtcDateTime, nullable=True),
    sa.Column("public_bets_pct", sa.Float, nullable=True),
    sa.Column("public_money_pct", sa.Float, nullable=True),
    sa.Column("rlm", sa.Boolean, nullable=True),
    sa.Column("rlm_strength", sa.Float, nullable=True),
    sa.Index("ix_market_consensus_game_date", "game_date"),
    comment="cross-book state per game x market x side at decision time and at close",
)

steam_events = sa.Table(
    "steam_events",
    metadata,
    sa.Column("game_id", sa.String(16), primary_key=True),
    sa.Column("market", sa.String(16), primary_key=True),
    sa.Column("side", sa.String(8), primary_key=True),
    sa.Column("started_at", UtcDateTime, primary_key=True),
    sa.Column("game_date", sa.Date, nullable=False),
    sa.Column("direction", sa.SmallInteger, nullable=False),
    sa.Column("confirmed_at", UtcDateTime, nullable=False),
    sa.Column("ended_at", UtcDateTime, nullable=False),
    sa.Column("n_books", sa.Integer, nullable=False),
    sa.Column("books", sa.Text, nullable=False),
    sa.Column("total_move_prob", sa.Float, nullable=False),
    sa.Column(
        "observation_gap_minutes",
        sa.Float,
        nullable=True,
        comment="widest gap between the observations that bracket the moves",
    ),
    sa.Index("ix_steam_events_game_date", "game_date"),
    comment="same-direction moves at several books within a short window",
)


game_features = sa.Table(
    "game_features",
    metadata,
    sa.Column("game_id", sa.String(16), primary_key=True),
    sa.Column("feature_set", sa.String(32), primary_key=True),
    sa.Column("name", sa.String(64), primary_key=True),
    sa.Column("game_date", sa.Date, nullable=False),
    sa.Column("value", sa.Float, nullable=True),
    sa.Index("ix_game_features_game_date", "game_date"),
    comment="point-in-time features per game, long format (one row per feature)",
)

model_evaluation = sa.Table(
    "model_evaluation",
    metadata,
    sa.Column("evaluation_id", sa.String(64), primary_key=True),
    sa.Column("predictor", sa.String(64), primary_key=True, comment="engine or market line"),
    sa.Column("period", sa.String(16), primary_key=True, comment="YYYY-MM or 'all'"),
    sa.Column("target", sa.String(32), nullable=False),
    sa.Column("season", sa.Integer, nullable=False),
    sa.Column("n", sa.Integer, nullable=False),
    sa.Column("log_loss", sa.Float, nullable=True),
    sa.Column("brier", sa.Float, nullable=True),
    sa.Column("auc", sa.Float, nullable=True),
    sa.Column("created_at", UtcDateTime, nullable=False),
    comment="walk-forward out-of-sample metrics of each engine and of the market",
)

model_calibration = sa.Table(
    "model_calibration",
    metadata,
    sa.Column("evaluation_id", sa.String(64), primary_key=True),
    sa.Column("predictor", sa.String(64), primary_key=True),
    sa.Column("bin", sa.Integer, primary_key=True),
    sa.Column("p_mean", sa.Float, nullable=True),
    sa.Column("y_rate", sa.Float, nullable=True),
    sa.Column("n", sa.Integer, nullable=False),
    comment="calibration table of the walk-forward predictions (10 probability bins)",
)

model_evidence = sa.Table(
    "model_evidence",
    metadata,
    sa.Column("evaluation_id", sa.String(64), primary_key=True),
    sa.Column("model_name", sa.String(64), primary_key=True),
    sa.Column("model_version", sa.String(16), nullable=False),
    sa.Column("target", sa.String(32), nullable=False),
    sa.Column("season", sa.Integer, nullable=False),
    sa.Column("n_games", sa.Integer, nullable=False),
    sa.Column("model_log_loss", sa.Float, nullable=False),
    sa.Column("market_log_loss", sa.Float, nullable=False),
    sa.Column("diff_mean", sa.Float, nullable=False, comment="model - market log-loss per game"),
    sa.Column("diff_ci_low", sa.Float, nullable=False, comment="bootstrap 95% interval"),
    sa.Column("diff_ci_high", sa.Float, nullable=False, comment="below 0: the model is better"),
    sa.Column("edge_probability", sa.Float, nullable=False, comment="share of resamples"),
    sa.Column("calibration_slope", sa.Float, nullable=True),
    sa.Column("calibration_intercept", sa.Float, nullable=True),
    sa.Column("mean_gap", sa.Float, nullable=False, comment="mean model - market probability"),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Index("ix_model_evidence_model", "model_name", "model_version", "created_at"),
    comment="out-of-sample evidence that a model version beats the market; gates money stakes",
)

betting_gate = sa.Table(
    "betting_gate",
    metadata,
    sa.Column("model_name", sa.String(64), primary_key=True),
    sa.Column("model_version", sa.String(16), nullable=False, comment="the version last gated"),
    sa.Column("gate_open", sa.Boolean, nullable=False, comment="money may be staked"),
    sa.Column("max_log_loss_diff", sa.Float, nullable=False, comment="threshold applied"),
    sa.Column("evaluation_id", sa.String(64), nullable=True, comment="model_evidence row used"),
    sa.Column("evidence_weight", sa.Float, nullable=True, comment="trust in the model, open"),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("checked_at", UtcDateTime, nullable=False),
    sa.Column("changed_at", UtcDateTime, nullable=False, comment="when gate_open last changed"),
    comment="each model's betting gate as the picks asset last decided it",
)

predictions = sa.Table(
    "predictions",
    metadata,
    sa.Column("game_id", sa.String(16), primary_key=True),
    sa.Column("market", sa.String(16), primary_key=True, comment="h2h or totals"),
    sa.Column("game_date", sa.Date, nullable=False),
    sa.Column("side", sa.String(8), nullable=False, comment="the side prob is for: home / over"),
    sa.Column("point", sa.Float, nullable=True, comment="totals line the model priced"),
    sa.Column("prob", sa.Float, nullable=False, comment="model P(side wins)"),
    sa.Column("prob_bin", sa.SmallInteger, nullable=False, comment="floor(prob * 10), 0-9"),
    sa.Column("outcome", sa.SmallInteger, nullable=True, comment="1 side won, 0 lost, null open"),
    sa.Column("model_name", sa.String(64), nullable=False),
    sa.Column("model_version", sa.String(16), nullable=False),
    sa.Column("model_run_id", sa.String(64), nullable=False, comment="MLflow run"),
    sa.Column("in_sample", sa.Boolean, nullable=False, comment="game within the model's data"),
    sa.Column("decision_at", UtcDateTime, nullable=False),
    sa.Column("predicted_at", UtcDateTime, nullable=False),
    sa.Index("ix_predictions_game_date", "game_date"),
    comment="the champion model's probability per game and market at decision time",
)

picks = sa.Table(
    "picks",
    metadata,
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
    sa.Column("quoted_at", UtcDateTime, nullable=False, comment="captured_at of that snapshot"),
    sa.Column("decision_at", UtcDateTime, nullable=False),
    sa.Column("model_name", sa.String(64), nullable=False),
    sa.Column("model_version", sa.String(16), nullable=False),
    sa.Column(
        "paper", sa.Boolean, nullable=False, server_default=sa.false(), comment="gate closed"
    ),
    sa.Column("kelly_prob", sa.Float, nullable=True, comment="the probability Kelly sized with"),
    sa.Column("evidence_weight", sa.Float, nullable=True, comment="open gate: trust in the model"),
    sa.Index("ix_picks_game_date", "game_date"),
    comment="both sides of every predicted market: edge, EV, Kelly stake and tier",
)

bet_ledger = sa.Table(
    "bet_ledger",
    metadata,
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
    sa.Column("bankroll_before", sa.Float, nullable=True, comment="day start; null for paper"),
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
    sa.Column("placed_at", UtcDateTime, nullable=False),
    sa.Column("settled_at", UtcDateTime, nullable=True),
    sa.Column(
        "paper", sa.Boolean, nullable=False, server_default=sa.false(), comment="no money staked"
    ),
    sa.Column("clv_value", sa.Float, nullable=True, comment="closing no-vig x decimal price - 1"),
    sa.Column("closing_point", sa.Float, nullable=True, comment="point of the closing line used"),
    sa.Column(
        "clv_point_diff",
        sa.Float,
        nullable=True,
        comment="closing point - bet point; CLV is claimed only when 0",
    ),
    sa.Index("ix_bet_ledger_game_date", "game_date"),
    comment="every bet placed, settled against final scores; BI contract",
)

roi_summary = sa.Table(
    "roi_summary",
    metadata,
    sa.Column("ledger", sa.String(8), primary_key=True, comment="money or paper"),
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
    sa.Column("computed_at", UtcDateTime, nullable=False),
    sa.Column("clv_ci_low", sa.Float, nullable=True, comment="bootstrap 95% interval"),
    sa.Column("clv_ci_high", sa.Float, nullable=True),
    sa.Column("clv_value_mean", sa.Float, nullable=True, comment="closing no-vig x decimal - 1"),
    sa.Column("clv_value_ci_low", sa.Float, nullable=True),
    sa.Column("clv_value_ci_high", sa.Float, nullable=True),
    sa.Column("bankroll_return", sa.Float, nullable=True, comment="money, scope all: end/start-1"),
    sa.Column("max_drawdown", sa.Float, nullable=True, comment="money, scope all"),
    comment="settled-bet ROI and CLV by ledger and scope with bootstrap confidence intervals",
)

# Tables whose rows belong to one game date: a partition's rows are replaced together.
DATED_TABLES = (
    games,
    odds_snapshots,
    odds_snapshot_days,
    odds_observations,
    opening_closing_lines,
    line_movements,
    market_consensus,
    steam_events,
    game_features,
    predictions,
    picks,
)
