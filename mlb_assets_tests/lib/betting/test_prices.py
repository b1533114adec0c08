"""Decision-time quotes, best prices across books and no-vig market probabilities by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from mlb_assets.lib.betting.prices import best_prices, decision_quotes, market_probabilities

DECISION = pd.Timestamp("2024-04-01T18:00:00Z")
SNAPSHOT_COLUMNS = [
    "snapshot_id",
    "game_id",
    "game_date",
    "book",
    "market",
    "side",
    "point",
    "price_american",
    "captured_at",
    "source",
    "payload_id",
]


def _snapshots(*rows: tuple) -> pd.DataFrame:
    """Rows of (snapshot_id, game_id, book, market, side, point, price, captured_at)."""
    frame = pd.DataFrame(
        rows,
        columns=["snapshot_id", "game_id", "book", "market", "side", "point", "price", "at"],
    )
    frame = frame.rename(columns={"price": "price_american"})
    frame["point"] = frame["point"].astype(float)
    frame["captured_at"] = pd.to_datetime(frame.pop("at"), utc=True)
    frame["game_date"] = pd.Timestamp("2024-04-01").date()
    frame["source"] = "test"
    frame["payload_id"] = None
    return frame[SNAPSHOT_COLUMNS]


def _quotes(*rows: tuple) -> pd.DataFrame:
    """Decision-time quotes from rows of (game_id, book, market, side, point, price)."""
    snapshots = _snapshots(*((i + 1, *row, "2024-04-01T17:00:00Z") for i, row in enumerate(rows)))
    return decision_quotes(snapshots, pd.Series({g: DECISION for g in snapshots["game_id"]}))


def _decisions(**times: pd.Timestamp) -> pd.Series:
    return pd.Series(times, dtype="datetime64[ns, UTC]")


# --- decision_quotes ---------------------------------------------------------------


def test_quote_one_second_after_decision_is_ignored() -> None:
    snapshots = _snapshots(
        (1, "G1", "pinnacle", "h2h", "home", None, -110, "2024-04-01T17:00:00Z"),
        (2, "G1", "pinnacle", "h2h", "home", None, -120, "2024-04-01T18:00:00Z"),
        (3, "G1", "pinnacle", "h2h", "home", None, -130, "2024-04-01T18:00:01Z"),
    )
    quotes = decision_quotes(snapshots, _decisions(G1=DECISION))
    assert quotes["price_american"].tolist() == [-120]  # at the decision time counts
    assert quotes["snapshot_id"].tolist() == [2]
    assert quotes["captured_at"].iloc[0] == DECISION


def test_a_day_without_games_yet_gives_no_quote() -> None:
    """The picks schedule can tick before the day's first poll: no games, so no decision
    times (an empty, untyped series), while odds of other dates may be read."""
    snapshots = _snapshots(
        (1, "G1", "pinnacle", "h2h", "home", None, -110, "2024-04-01T17:00:00Z"),
    )
    for decisions in (pd.Series(dtype=float), pd.Series(dtype=object)):
        assert decision_quotes(snapshots, decisions).empty
        assert decision_quotes(snapshots.iloc[0:0], decisions).empty


def test_latest_quote_per_book_and_side() -> None:
    snapshots = _snapshots(
        (1, "G1", "book_a", "h2h", "home", None, -110, "2024-04-01T15:00:00Z"),
        (2, "G1", "book_a", "h2h", "home", None, -115, "2024-04-01T16:00:00Z"),
        (3, "G1", "book_a", "h2h", "away", None, 100, "2024-04-01T15:00:00Z"),
        (4, "G1", "book_b", "h2h", "home", None, -105, "2024-04-01T17:30:00Z"),
        (5, "G1", "book_b", "h2h", "home", None, -108, "2024-04-01T17:00:00Z"),
    )
    quotes = decision_quotes(snapshots, _decisions(G1=DECISION))
    by_key = quotes.set_index(["book", "side"])["price_american"].to_dict()
    assert by_key == {("book_a", "home"): -115, ("book_a", "away"): 100, ("book_b", "home"): -105}
    assert list(quotes.columns) == [
        "game_id",
        "book",
        "market",
        "side",
        "point",
        "price_american",
        "snapshot_id",
        "captured_at",
    ]


def test_book_filter_and_games_without_decision_time() -> None:
    snapshots = _snapshots(
        (1, "G1", "pinnacle", "h2h", "home", None, -110, "2024-04-01T17:00:00Z"),
        (2, "G1", "book_b", "h2h", "home", None, -105, "2024-04-01T17:00:00Z"),
        (3, "G2", "pinnacle", "h2h", "home", None, -120, "2024-04-01T17:00:00Z"),
        (4, "G3", "pinnacle", "h2h", "home", None, -125, "2024-04-01T17:00:00Z"),
    )
    decisions = _decisions(G1=DECISION, G2=pd.NaT)  # G3 has no decision time at all
    assert decision_quotes(snapshots, decisions, books=["pinnacle"])["book"].tolist() == [
        "pinnacle"
    ]
    assert decision_quotes(snapshots, decisions)["book"].tolist() == ["book_b", "pinnacle"]


def test_tie_on_captured_at_goes_to_the_larger_snapshot_id() -> None:
    snapshots = _snapshots(
        (9, "G1", "pinnacle", "h2h", "home", None, -110, "2024-04-01T17:00:00Z"),
        (4, "G1", "pinnacle", "h2h", "home", None, -112, "2024-04-01T17:00:00Z"),
    )
    for order in (snapshots, snapshots.iloc[::-1]):
        quotes = decision_quotes(order, _decisions(G1=DECISION))
        assert quotes["snapshot_id"].tolist() == [9]


# --- best_prices -------------------------------------------------------------------


def test_best_price_across_books() -> None:
    quotes = _quotes(
        ("G1", "book_a", "h2h", "home", None, -110),
        ("G1", "book_b", "h2h", "home", None, 105),
        ("G1", "book_c", "h2h", "home", None, -105),
        ("G1", "book_a", "h2h", "away", None, -105),
        ("G1", "book_c", "h2h", "away", None, -110),
    )
    best = best_prices(quotes).set_index("side")
    # +105 pays 2.05, -105 pays 1.952, -110 pays 1.909: +105 wins among home prices
    assert best.loc["home", "price_american"] == 105 and best.loc["home", "book"] == "book_b"
    # among two negative prices the smaller magnitude pays more
    assert best.loc["away", "price_american"] == -105 and best.loc["away", "book"] == "book_a"
    assert len(best) == 2  # NaN points group into one h2h row per side


def test_best_price_tie_goes_to_book_name_and_points_are_separate_bets() -> None:
    quotes = _quotes(
        ("G1", "zeta", "h2h", "home", None, 120),
        ("G1", "alpha", "h2h", "home", None, 120),
        ("G1", "zeta", "totals", "over", 8.5, -110),
        ("G1", "alpha", "totals", "over", 9.0, 110),
    )
    best = best_prices(quotes)
    home = best[best["market"] == "h2h"]
    assert home["book"].tolist() == ["alpha"]
    overs = best[best["market"] == "totals"].set_index("point")
    assert overs.loc[8.5, "price_american"] == -110 and overs.loc[9.0, "price_american"] == 110
    assert list(best.columns) == [
        "game_id",
        "market",
        "side",
        "point",
        "price_american",
        "book",
        "snapshot_id",
        "captured_at",
    ]


# --- market_probabilities ----------------------------------------------------------

# -150 implies 150/250 = 0.6; +130 implies 100/230 = 0.434783; booksum 1.034783.
P_FAV, P_DOG = 150 / 250, 100 / 230
BOOKSUM = P_FAV + P_DOG
MULT_FAV = P_FAV / BOOKSUM  # 0.579832
SHIN_FAV = P_FAV - (BOOKSUM - 1) / 2  # two outcomes: the margin split equally, 0.582609


def _prob(frame: pd.DataFrame, game_id: str, market: str, side: str) -> pd.Series:
    rows = frame[(frame["game_id"] == game_id) & (frame["market"] == market)]
    return rows.set_index("side").loc[side]


def test_reference_book_no_vig_by_hand() -> None:
    quotes = _quotes(
        ("G1", "pinnacle", "h2h", "home", None, -110),
        ("G1", "pinnacle", "h2h", "away", None, -110),
        ("G2", "pinnacle", "h2h", "home", None, -150),
        ("G2", "pinnacle", "h2h", "away", None, 130),
        ("G2", "book_b", "h2h", "home", None, -300),  # ignored: the reference book quotes
        ("G2", "book_b", "h2h", "away", None, 250),
    )
    probs = market_probabilities(quotes)
    even = _prob(probs, "G1", "h2h", "home")
    assert even["market_prob_mult"] == pytest.approx(0.5)
    assert even["market_prob_shin"] == pytest.approx(0.5)
    home, away = _prob(probs, "G2", "h2h", "home"), _prob(probs, "G2", "h2h", "away")
    assert home["market_prob_mult"] == pytest.approx(MULT_FAV)
    assert away["market_prob_mult"] == pytest.approx(1 - MULT_FAV)
    assert home["market_prob_shin"] == pytest.approx(SHIN_FAV)
    assert away["market_prob_shin"] == pytest.approx(P_DOG - (BOOKSUM - 1) / 2)
    assert home["market_source"] == "pinnacle" and home["n_books"] == 1
    assert np.isnan(home["point"])


def test_consensus_when_the_reference_book_lacks_a_two_sided_quote() -> None:
    quotes = _quotes(
        ("G1", "pinnacle", "h2h", "home", None, -200),  # one side only: not usable
        ("G1", "book_a", "h2h", "home", None, -110),
        ("G1", "book_a", "h2h", "away", None, -110),
        ("G1", "book_b", "h2h", "home", None, -150),
        ("G1", "book_b", "h2h", "away", None, 130),
        ("G1", "book_c", "h2h", "home", None, -400),  # one side only: not usable
    )
    home = _prob(market_probabilities(quotes), "G1", "h2h", "home")
    assert home["market_source"] == "consensus" and home["n_books"] == 2
    assert home["market_prob_mult"] == pytest.approx((0.5 + MULT_FAV) / 2)
    assert home["market_prob_shin"] == pytest.approx((0.5 + SHIN_FAV) / 2)


def test_totals_and_spreads_pair_only_matching_lines() -> None:
    quotes = _quotes(
        # pinnacle's over and under are at different totals: no two-sided quote
        ("G1", "pinnacle", "totals", "over", 8.5, -110),
        ("G1", "pinnacle", "totals", "under", 9.0, -110),
        # the consensus takes the point most books quote (8.5: two books, 9: one)
        ("G1", "book_a", "totals", "over", 8.5, -110),
        ("G1", "book_a", "totals", "under", 8.5, -110),
        ("G1", "book_b", "totals", "over", 8.5, -150),
        ("G1", "book_b", "totals", "under", 8.5, 130),
        ("G1", "book_c", "totals", "over", 9.0, 200),
        ("G1", "book_c", "totals", "under", 9.0, -250),
        # spreads pair opposite points
        ("G1", "pinnacle", "spreads", "home", -1.5, 130),
        ("G1", "pinnacle", "spreads", "away", 1.5, -150),
    )
    probs = market_probabilities(quotes)
    over = _prob(probs, "G1", "totals", "over")
    assert over["point"] == 8.5 and over["market_source"] == "consensus"
    assert over["n_books"] == 2
    assert over["market_prob_mult"] == pytest.approx((0.5 + MULT_FAV) / 2)
    away = _prob(probs, "G1", "spreads", "away")
    assert away["point"] == 1.5 and away["market_source"] == "pinnacle"
    assert away["market_prob_mult"] == pytest.approx(MULT_FAV)
    assert _prob(probs, "G1", "spreads", "home")["point"] == -1.5


def test_no_two_sided_quote_anywhere_gives_no_row() -> None:
    quotes = _quotes(("G1", "pinnacle", "h2h", "home", None, -110))
    probs = market_probabilities(quotes)
    assert probs.empty
    assert list(probs.columns) == [
        "game_id",
        "market",
        "side",
        "point",
        "market_prob_mult",
        "market_prob_shin",
        "market_source",
        "n_books",
    ]
