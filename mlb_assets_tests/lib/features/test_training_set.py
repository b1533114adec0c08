"""Targets, the assembled training set, its column roles and its fingerprint."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from mlb_assets.lib.features.market import CLOSE_COLUMNS, DECISION_PRICE_COLUMNS
from mlb_assets.lib.features.skew import empty_in_training, skew_report
from mlb_assets.lib.features.training_set import (
    ANCHOR_COLUMNS,
    TARGET_COLUMNS,
    TrainingSet,
    build_training_set,
    feature_columns,
    fingerprint,
    targets,
)
from mlb_assets.lib.models.anchored import engine_features, offered_features
from mlb_assets.lib.snapshots import normalize_quotes
from mlb_assets_tests.lib.features.test_form import game, games_frame
from mlb_assets_tests.lib.features.test_market_features import (
    moneyline,
    mult,
    open_close_rows,
    snapshots,
    total,
)

START = pd.Timestamp("2016-04-03 17:05", tz="UTC")
DECISION = START - pd.Timedelta(minutes=60)


def market(**lines: tuple[float, float]) -> pd.DataFrame:
    """game_id -> (total_decision_line, total_open_line)."""
    rows = [(game_id, *values) for game_id, values in lines.items()]
    return pd.DataFrame(rows, columns=["game_id", "total_decision_line", "total_open_line"])


def test_targets_handle_pushes_ties_and_unknown_results() -> None:
    games = games_frame(
        game("2016-04-03", "AAA", "BBB", 3, 5),  # home win, 8 runs
        game("2016-04-04", "AAA", "BBB", 6, 3),  # away win, 9 runs
        game("2016-04-05", "AAA", "BBB", 4, 4),  # tie (suspended, never finished)
        game("2016-04-06", "AAA", "BBB", None, None, status="postponed"),
        game("2016-04-07", "AAA", "BBB", 2, 1, status="scheduled"),  # not final yet
        game("2016-04-08", "AAA", "BBB", 2, 7),  # no line at all
    )
    lines = market(
        BBB201604030=(8.0, 8.5),  # decision line 8: a push
        BBB201604040=(np.nan, 8.5),  # workbook season: the opening line, 9 > 8.5
        BBB201604050=(7.5, 7.5),
        BBB201604060=(8.5, 8.5),
        BBB201604070=(2.5, 2.5),
    )
    got = targets(games, lines).set_index("game_id")
    assert got["home_win"].dtype == "Int64" and got["total_over"].dtype == "Int64"
    assert got["home_win"].tolist() == [1, 0, pd.NA, pd.NA, pd.NA, 1]
    assert got["total_over"].tolist() == [pd.NA, 1, 1, pd.NA, pd.NA, pd.NA]
    assert got["total_target_line"].tolist()[:2] == [8.0, 8.5]


def test_targets_under() -> None:
    games = games_frame(game("2016-04-03", "AAA", "BBB", 1, 2))
    got = targets(games, market(BBB201604030=(7.0, 9.5)))
    assert got["total_over"].tolist() == [0]


# --- assembly on a crafted pair of games ------------------------------------------------

TIMED = "PIT201604030"  # has a start time and Pinnacle snapshots, and workbook lines
WORKBOOK = "PIT201604040"  # workbook only (no start time)


def small_inputs() -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    games = games_frame(
        game("2016-04-03", "SLN", "PIT", 1, 4, start="2016-04-03 17:05"),
        game("2016-04-04", "SLN", "PIT", 5, 2),
    )
    games["game_id"] = [TIMED, WORKBOOK]
    snaps = snapshots(
        moneyline(DECISION - pd.Timedelta(hours=20), -110, 100),
        moneyline(DECISION - pd.Timedelta(minutes=10), -125, 115),
        moneyline(START - pd.Timedelta(minutes=5), -140, 130),  # the close
        total(DECISION - pd.Timedelta(hours=5), 7.0, -110, -110),
    )
    open_close = pd.concat([open_close_rows(TIMED), open_close_rows(WORKBOOK)])
    return games, snaps, open_close


def test_snapshots_win_over_the_workbook_and_the_workbook_fills_in() -> None:
    games, snaps, open_close = small_inputs()
    frame = build_training_set(games, snaps, open_close).frame.set_index("game_id")
    timed, workbook = frame.loc[TIMED], frame.loc[WORKBOOK]
    assert timed["market_source"] == "pinnacle"
    assert timed["ml_open_home_prob_mult"] == pytest.approx(mult(-110, 100))
    assert timed["market_home_prob_anchor"] == pytest.approx(mult(-125, 115))
    assert timed["close_home_prob_mult"] == pytest.approx(mult(-140, 130))
    assert timed["decision_price_home"] == -125
    assert timed["total_target_line"] == 7.0
    assert workbook["market_source"] == "workbook"
    assert workbook["market_home_prob_anchor"] == pytest.approx(mult(-120, 110))
    assert (timed["market_anchor_source"], workbook["market_anchor_source"]) == ("decision", "open")
    assert np.isnan(workbook["ml_decision_home_prob_mult"])
    assert workbook["close_home_prob_mult"] == pytest.approx(mult(-150, 140))
    assert workbook["total_target_line"] == 8.5  # the opening total
    assert (timed["home_win"], workbook["home_win"]) == (1, 0)


def test_feature_columns_hold_no_target_close_id_or_lineage() -> None:
    games, snaps, open_close = small_inputs()
    training = build_training_set(games, snaps, open_close)
    features = set(training.feature_columns)
    assert training.target_columns == TARGET_COLUMNS
    forbidden = {
        *TARGET_COLUMNS,
        "total_target_line",
        *CLOSE_COLUMNS,
        *DECISION_PRICE_COLUMNS,
        "game_date",
        "home_team",
        "away_team",
        "decision_at",
        "market_source",
    }
    assert not features & forbidden
    assert not [c for c in features if "close" in c or "snapshot" in c]
    assert len(features) == len(training.feature_columns)
    assert set(training.frame.columns) >= {"game_id", "game_date", "season", *features}
    # The anchor is the model's starting point and baseline, never a feature; no trend.
    assert "market_home_prob_anchor" not in features and "season" not in features
    assert training.input_columns == [*training.feature_columns, *ANCHOR_COLUMNS]
    assert not [c for c in features if c.startswith("xb_")]


def test_cross_book_features_join_when_consensus_is_given() -> None:
    games, snaps, open_close = small_inputs()
    consensus = pd.DataFrame(
        {
            "game_id": [TIMED, TIMED],
            "market": ["h2h", "h2h"],
            "side": ["home", "away"],
            "decision_at": [DECISION, DECISION],
            "n_books": [4, 4],
            "consensus_prob_novig": [0.54, 0.46],
            "dispersion_prob": [0.01, 0.01],
            "sharp_gap_prob": [0.002, -0.002],
            "steam_events_before_decision": [1, 0],
        }
    )
    training = build_training_set(games, snaps, open_close, consensus)
    assert "xb_n_books" in training.feature_columns
    assert training.feature_columns == feature_columns(with_cross_book=True)
    frame = training.frame.set_index("game_id")
    assert frame.loc[TIMED, "xb_n_books"] == 4 and np.isnan(frame.loc[WORKBOOK, "xb_n_books"])
    late = consensus.assign(decision_at=DECISION + pd.Timedelta(minutes=30))
    with pytest.raises(ValueError, match="would leak"):
        build_training_set(games, snaps, open_close, late)


def test_rows_are_sorted_and_unique() -> None:
    games, snaps, open_close = small_inputs()
    frame = build_training_set(games.iloc[::-1], snaps, open_close).frame
    assert frame["game_id"].tolist() == [TIMED, WORKBOOK]
    with pytest.raises(ValueError, match="duplicate"):
        build_training_set(pd.concat([games, games]), snaps, open_close)


def test_empty_snapshots_and_open_close() -> None:
    games, snaps, open_close = small_inputs()
    training = build_training_set(games, snaps.iloc[:0], open_close.iloc[:0])
    assert len(training.frame) == 2
    assert training.frame["market_home_prob_anchor"].isna().all()
    assert training.frame["home_win"].tolist() == [1, 0]


# --- fingerprint --------------------------------------------------------------------------

FRAME = pd.DataFrame(
    {
        "game_id": ["B", "A", "C"],
        "x": [0.5, -0.0, np.nan],
        "y": pd.array([1, None, 0], dtype="Int64"),
        "when": [date(2016, 4, 3), date(2016, 4, 4), None],
    }
)


def test_fingerprint_ignores_row_and_column_order_and_dtype_quirks() -> None:
    digest = fingerprint(FRAME)
    assert digest == fingerprint(FRAME.iloc[[2, 0, 1]][["when", "y", "game_id", "x"]])
    same_values = FRAME.assign(x=[0.5, 0.0, float("nan")], y=[1.0, np.nan, 0.0])
    assert digest == fingerprint(same_values)
    assert len(digest) == 64 and int(digest, 16) >= 0


def test_fingerprint_changes_with_any_value_or_column_name() -> None:
    digest = fingerprint(FRAME)
    assert fingerprint(FRAME.assign(x=[0.5, 0.0, 1e-12])) != digest
    assert fingerprint(FRAME.assign(y=pd.array([1, 0, 0], dtype="Int64"))) != digest
    assert fingerprint(FRAME.rename(columns={"x": "z"})) != digest
    assert fingerprint(FRAME.iloc[:2]) != digest
    assert fingerprint(FRAME, ["game_id", "x"]) != digest


def test_fingerprint_is_a_fixed_function_of_the_data() -> None:
    """A literal digest: a change in the hashing scheme must be deliberate."""
    assert fingerprint(FRAME) == "8f9c7af30132ac0767d45c33b9c406a880997b662a731ea60ca155f2575c1f92"


def test_training_set_fingerprint_covers_features_and_targets() -> None:
    games, snaps, open_close = small_inputs()
    training = build_training_set(games, snaps, open_close)
    again = build_training_set(games.iloc[::-1], snaps.iloc[::-1], open_close.iloc[::-1])
    assert training.fingerprint() == again.fingerprint()
    changed = training.frame.assign(close_home_prob_mult=0.9)  # not a feature
    assert (
        TrainingSet(changed, training.feature_columns, training.target_columns).fingerprint()
        == training.fingerprint()
    )
    flipped = training.frame.assign(home_win=pd.array([0, 0], dtype="Int64"))
    assert (
        TrainingSet(flipped, training.feature_columns, training.target_columns).fingerprint()
        != training.fingerprint()
    )


# --- real data ----------------------------------------------------------------------------


@pytest.mark.archive
def test_2015_workbook_and_2016_pinnacle(archive_dir: Path, pinnacle_cache_dir: Path) -> None:
    """Reference figures of MLB2016.rda (data README): opening line log-loss 0.6770,
    closing 0.6734; the decision-time line must fall between them."""
    from mlb_assets.lib.archives.season import load_season

    seasons = [load_season(archive_dir, s, cache_dir=pinnacle_cache_dir) for s in (2015, 2016)]
    games = pd.concat([s.games for s in seasons], ignore_index=True)
    open_close = pd.concat([s.workbook_lines for s in seasons], ignore_index=True)
    snaps = normalize_quotes(seasons[1].quotes, source="pinnacle_archive").snapshots
    built = build_training_set(games, snaps, open_close)
    frame = built.frame
    assert len(frame) == len(games) and frame["game_id"].is_unique
    sources = frame.groupby("season")["market_source"].value_counts()
    assert sources[(2015, "workbook")] == 2465
    assert sources[(2016, "pinnacle")] >= 2460
    assert frame.loc[frame["season"] == 2015, "ml_n_moves"].isna().all()
    played = frame[(frame["season"] == 2016) & frame["home_win"].notna()]
    won = played["home_win"].astype(float)

    def log_loss(column: str) -> float:
        p = played[column]
        return float(-np.mean(won * np.log(p) + (1 - won) * np.log(1 - p)))

    assert log_loss("ml_open_home_prob_mult") == pytest.approx(0.6770, abs=5e-4)
    assert log_loss("close_home_prob_mult") == pytest.approx(0.6734, abs=5e-4)
    assert 0.6734 < log_loss("market_home_prob_anchor") < 0.6770
    assert frame.loc[frame["season"] == 2016, "home_wr_30"].notna().mean() > 0.99  # 2015 warms up
    # Train/serve parity: what a model trained on 2015 may see is filled in 2015, and the
    # anchor of 2016 is the decision-time line (of 2015 the open, as its source says).
    assert (frame.loc[frame["season"] == 2016, "market_anchor_source"] == "decision").mean() > 0.99
    assert (frame.loc[frame["season"] == 2015, "market_anchor_source"] == "open").all()
    train, score = frame[frame["season"] == 2015], frame[frame["season"] == 2016]
    report = skew_report(train, score, built.feature_columns)
    flagged = empty_in_training(report)
    assert {"ml_decision_home_prob_mult", "ml_n_moves", "total_line_move"} <= set(flagged)
    for target in ("home_win", "total_over"):
        offered = offered_features(train, engine_features(target, built.feature_columns))
        assert not set(offered) & set(flagged), target
        assert offered and set(offered) <= set(built.feature_columns)
    assert "ml_open_home_prob_mult" not in engine_features("home_win", built.feature_columns)
