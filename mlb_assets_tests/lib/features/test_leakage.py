"""Point in time, tested on real data: what happens after the decision cannot move a feature.

For each date of one week of May 2016 the training set is built twice: from the real
inputs, and from inputs in which everything that becomes known after that date's
decision times is changed or removed:

* snapshots captured after their game's decision time: every other one dropped, the
  rest re-priced (and totals re-pointed), and new wild quotes added one second after
  the decision;
* every game on that date or later: scores changed, finals turned into postponements
  and back (the game's own result included);
* every closing line of ``opening_closing_lines``.

Every feature of that date's games must be exactly equal; targets and closes may (and
do) change. The negative controls show the comparison can fail: a change before the
decision time, or to an earlier date's score, does move features.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from mlb_assets.lib.consensus import market_consensus
from mlb_assets.lib.features.market import CROSS_BOOK_COLUMNS, decision_times
from mlb_assets.lib.features.training_set import TrainingSet, build_training_set
from mlb_assets.lib.snapshots import normalize_quotes
from mlb_assets.replay.synthetic_books import shade_american

pytestmark = pytest.mark.archive

WEEK = [date(2016, 5, day) for day in range(9, 16)]  # doubleheaders on 05-11 and 05-14
MINUTES = 60


@pytest.fixture(scope="module")
def inputs(archive_dir: Path, pinnacle_cache_dir: Path):
    """2015 (workbook) and 2016 through the week (Pinnacle and workbook)."""
    from mlb_assets.lib.archives.season import load_season

    seasons = [load_season(archive_dir, s, cache_dir=pinnacle_cache_dir) for s in (2015, 2016)]
    games = pd.concat([s.games for s in seasons], ignore_index=True)
    games = games[games["game_date"] <= WEEK[-1]].reset_index(drop=True)
    open_close = pd.concat([s.workbook_lines for s in seasons], ignore_index=True)
    open_close = open_close[open_close["game_id"].isin(games["game_id"])]
    snaps = normalize_quotes(seasons[1].quotes, source="pinnacle_archive").snapshots
    snaps = snaps[snaps["game_id"].isin(games["game_id"])].reset_index(drop=True)
    return games, snaps, open_close


@pytest.fixture(scope="module")
def base(inputs) -> TrainingSet:
    return build_training_set(*inputs, decision_minutes_before=MINUTES)


def after_decision(snaps: pd.DataFrame, games: pd.DataFrame) -> np.ndarray:
    decision = decision_times(games, MINUTES).reindex(snaps["game_id"]).to_numpy()
    return snaps["captured_at"].to_numpy() > decision


def perturb_snapshots(snaps: pd.DataFrame, games: pd.DataFrame) -> pd.DataFrame:
    late = after_decision(snaps, games)
    late_rows = snaps[late]
    dropped = late_rows.iloc[::2]
    kept = late_rows.iloc[1::2].copy()
    kept["price_american"] = -kept["price_american"]  # still a valid American price
    kept["point"] = kept["point"] + 1.0
    wild = injected_quotes(snaps, games)
    early = snaps[~late]
    assert len(dropped) and len(kept)
    return pd.concat([early, kept, wild], ignore_index=True)


def injected_quotes(snaps: pd.DataFrame, games: pd.DataFrame) -> pd.DataFrame:
    """One new quote per (game, market, side), one second after the decision time."""
    sides = snaps.drop_duplicates(["game_id", "market", "side"]).copy()
    decision = decision_times(games, MINUTES).reindex(sides["game_id"]).to_numpy()
    sides["captured_at"] = pd.to_datetime(decision, utc=True) + pd.Timedelta(seconds=1)
    sides["price_american"] = np.where(sides["side"].isin(["home", "over"]), -900, 700)
    sides["point"] = sides["point"] + 2.5
    sides["snapshot_id"] = -np.arange(1, len(sides) + 1)
    return sides


def perturb_games(games: pd.DataFrame, day: date) -> pd.DataFrame:
    changed = games.copy()
    later = (changed["game_date"] >= day).to_numpy()
    home, away = changed["home_score"].copy(), changed["away_score"].copy()
    changed.loc[later, "home_score"] = away[later] + 3
    changed.loc[later, "away_score"] = home[later].fillna(0)
    flip = later & (np.arange(len(changed)) % 3 == 0)
    changed.loc[flip, "status"] = np.where(
        changed.loc[flip, "status"] == "final", "postponed", "final"
    )
    return changed


def perturb_closes(open_close: pd.DataFrame) -> pd.DataFrame:
    changed = open_close.copy()
    changed["close_price"] = -changed["close_price"]
    changed["close_point"] = changed["close_point"] + 1.5
    return changed


def features_of(training: TrainingSet, ids: pd.Series) -> pd.DataFrame:
    """Everything a model reads at decision time: the features and the market anchors."""
    frame = training.frame.set_index("game_id")
    return frame.loc[ids.to_numpy(), training.input_columns]


def day_ids(games: pd.DataFrame, day: date) -> pd.Series:
    ids = games.loc[games["game_date"] == day, "game_id"]
    assert len(ids) >= 5
    return ids


@pytest.mark.parametrize("day", WEEK, ids=str)
def test_nothing_after_the_decision_time_moves_a_feature(inputs, base, day: date) -> None:
    games, snaps, open_close = inputs
    changed = build_training_set(
        perturb_games(games, day),
        perturb_snapshots(snaps, games),
        perturb_closes(open_close),
        decision_minutes_before=MINUTES,
    )
    ids = day_ids(games, day)
    assert changed.feature_columns == base.feature_columns
    pd.testing.assert_frame_equal(
        features_of(changed, ids), features_of(base, ids), check_exact=True
    )
    # the perturbation had bite: targets and closes of the same games did change
    before = base.frame.set_index("game_id").loc[ids.to_numpy()]
    after = changed.frame.set_index("game_id").loc[ids.to_numpy()]
    assert (before["home_win"].astype(float) != after["home_win"].astype(float)).any()
    assert (before["close_home_prob_mult"] != after["close_home_prob_mult"]).any()


def test_workbook_features_ignore_closes_and_results(inputs) -> None:
    """The same for the workbook path alone (no snapshots: every game falls back)."""
    games, snaps, open_close = inputs
    day = WEEK[3]
    none = snaps.iloc[:0]
    base = build_training_set(games, none, open_close)
    changed = build_training_set(perturb_games(games, day), none, perturb_closes(open_close))
    ids = day_ids(games, day)
    assert (base.frame["market_source"] == "workbook").mean() > 0.99
    pd.testing.assert_frame_equal(
        features_of(changed, ids), features_of(base, ids), check_exact=True
    )
    reopened = open_close.assign(open_price=-open_close["open_price"])
    control = build_training_set(games, none, reopened)
    assert not features_of(control, ids).equals(features_of(base, ids))


def test_negative_control_a_snapshot_before_the_decision_moves_features(inputs, base) -> None:
    games, snaps, open_close = inputs
    target = day_ids(games, WEEK[0]).iloc[0]
    visible = snaps[(snaps["game_id"] == target) & ~after_decision(snaps, games)]
    home = visible[(visible["market"] == "h2h") & (visible["side"] == "home")]
    last = home.sort_values("captured_at").index[-1]
    changed_snaps = snaps.copy()
    changed_snaps.loc[last, "price_american"] = -400
    changed = build_training_set(games, changed_snaps, open_close)
    before = features_of(base, pd.Series([target])).iloc[0]
    after = features_of(changed, pd.Series([target])).iloc[0]
    assert after["ml_decision_home_prob_mult"] != before["ml_decision_home_prob_mult"]
    assert after["market_home_prob_anchor"] != before["market_home_prob_anchor"]


def test_negative_control_an_earlier_score_moves_form(inputs, base) -> None:
    games, snaps, open_close = inputs
    day = WEEK[1]
    previous = games[games["game_date"] == WEEK[0]].iloc[0]
    changed_games = games.copy()
    row = changed_games["game_id"] == previous["game_id"]
    changed_games.loc[row, "home_score"] = previous["home_score"] + 10
    changed = build_training_set(changed_games, snaps, open_close)
    ids = day_ids(games, day)
    diff = features_of(changed, ids).compare(features_of(base, ids))
    assert any(column.endswith("rd_10") for column, _ in diff.columns)


# --- cross-book features ---------------------------------------------------------------------

# Three more books that follow the real one: each quotes every price some minutes earlier
# and shaded by a few cents (made up here for the test, not market truth). With four
# books the consensus, dispersion, sharp gap and multi-book steam all have values.
SHADOW_BOOKS = {"shadow_a": (5, 2), "shadow_b": (9, -3), "shadow_c": (13, 4)}


def with_shadow_books(snaps: pd.DataFrame) -> pd.DataFrame:
    copies = [snaps]
    for number, (book, (lead_minutes, cents)) in enumerate(SHADOW_BOOKS.items(), start=1):
        copy = snaps.copy()
        copy["book"] = book
        copy["captured_at"] = copy["captured_at"] - pd.Timedelta(minutes=lead_minutes)
        price = copy["price_american"].to_numpy(dtype=float)
        copy["price_american"] = shade_american(price, np.full(len(copy), cents)).astype(int)
        copy["snapshot_id"] = copy["snapshot_id"] + number * 10**12
        copies.append(copy)
    return pd.concat(copies, ignore_index=True)


def with_consensus(games: pd.DataFrame, snaps: pd.DataFrame, open_close) -> TrainingSet:
    timed = games.dropna(subset=["start_time_utc"])
    consensus = market_consensus(snaps[snaps["game_id"].isin(timed["game_id"])], timed)
    return build_training_set(games, snaps, open_close, consensus, decision_minutes_before=MINUTES)


@pytest.fixture(scope="module")
def books(inputs) -> pd.DataFrame:
    return with_shadow_books(inputs[1])


@pytest.fixture(scope="module")
def base_xb(inputs, books) -> TrainingSet:
    games, _, open_close = inputs
    return with_consensus(games, books, open_close)


@pytest.mark.parametrize("day", WEEK[::3], ids=str)
def test_nothing_after_the_decision_time_moves_a_cross_book_feature(
    inputs, books, base_xb, day: date
) -> None:
    games, _, open_close = inputs
    changed = with_consensus(
        perturb_games(games, day), perturb_snapshots(books, games), perturb_closes(open_close)
    )
    ids = day_ids(games, day)
    assert set(CROSS_BOOK_COLUMNS) <= set(base_xb.feature_columns)
    before, after = features_of(base_xb, ids), features_of(changed, ids)
    assert before[CROSS_BOOK_COLUMNS[:4]].notna().all().all()  # the features have values
    assert (before["xb_n_books"] == len(SHADOW_BOOKS) + 1).all()
    pd.testing.assert_frame_equal(after, before, check_exact=True)


def test_negative_control_a_shadow_quote_before_the_decision_moves_cross_book(
    inputs, books, base_xb
) -> None:
    games, _, open_close = inputs
    target = day_ids(games, WEEK[0]).iloc[0]
    visible = books[
        (books["game_id"] == target) & ~after_decision(books, games) & (books["book"] == "shadow_b")
    ]
    home = visible[(visible["market"] == "h2h") & (visible["side"] == "home")]
    changed_books = books.copy()
    changed_books.loc[home.sort_values("captured_at").index[-1], "price_american"] = -400
    changed = with_consensus(games, changed_books, open_close)
    before = features_of(base_xb, pd.Series([target])).iloc[0]
    after = features_of(changed, pd.Series([target])).iloc[0]
    assert after["xb_consensus_home_prob"] != before["xb_consensus_home_prob"]
    assert after["xb_dispersion_home"] != before["xb_dispersion_home"]
    # the real book's own line, and so the anchor, did not move
    assert after["market_home_prob_anchor"] == before["market_home_prob_anchor"]
