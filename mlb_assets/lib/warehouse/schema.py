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
    sa.Column("captured_at", UtcDateTime, nullable=False),
    sa.Column("source", sa.String(64), nullable=False),
    sa.Column("payload_id", sa.BigInteger, nullable=True, comment="raw_payloads lineage"),
    sa.Index("ix_odds_snapshots_game_date", "game_date"),
    sa.Index("ix_odds_snapshots_key_time", "game_id", "book", "market", "side", "captured_at"),
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
    sa.Column("open_price", sa.Integer, nullable=True),
    sa.Column("close_point", sa.Float, nullable=True),
    sa.Column("close_price", sa.Integer, nullable=True),
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

# Tables whose rows belong to one game date: a partition's rows are replaced together.
DATED_TABLES = (
    games,
    odds_snapshots,
    opening_closing_lines,
    line_movements,
    market_consensus,
    steam_events,
    game_features,
)
