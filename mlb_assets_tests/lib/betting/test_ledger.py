"""The bet ledger over three game dates with a compounding bankroll, checked by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from mlb_assets.lib.betting.ledger import UNIT_SHARE, build_ledger
from mlb_assets.lib.warehouse import schema
from mlb_assets.lib.warehouse.store import stable_id

START = 10_000.0
NOW = pd.Timestamp("2024-04-05T12:00:00Z")
FIRST_SEEN = pd.Timestamp("2024-04-02T03:00:00Z")
PICK_COLUMNS = [column.name for column in schema.picks.columns]


def _picks(*rows: tuple, paper: bool = False) -> pd.DataFrame:
    """Rows of (game_id, game_date, market, side, point, price, stake_fraction, book)."""
    columns = ["game_id", "game_date", "market", "side", "point", "price_american"]
    frame = pd.DataFrame(rows, columns=[*columns, "stake_fraction", "book"])
    frame["game_date"] = pd.to_datetime(frame["game_date"]).dt.date
    frame["point"] = frame["point"].astype(float)
    ids = zip(frame["game_id"], frame["market"], frame["side"], strict=True)
    frame["pick_id"] = [stable_id(*key) for key in ids]
    frame["decision_at"] = pd.to_datetime(frame["game_date"]).dt.tz_localize("UTC") + pd.Timedelta(
        hours=22
    )
    return frame.assign(
        model_prob=0.6,
        market_prob_mult=0.55,
        market_prob_shin=0.55,
        market_prob=0.55,
        edge=0.05,
        expected_value=0.1,
        kelly_full=0.1,
        tier="A",
        is_bet=frame["stake_fraction"] > 0,
        odds_snapshot_id=np.arange(len(frame)),
        quoted_at=frame["decision_at"] - pd.Timedelta(minutes=5),
        model_name="h2o",
        model_version="3",
        paper=paper,
        kelly_prob=0.6,
        evidence_weight=None if paper else 1.0,
    )[PICK_COLUMNS]


PICKS = _picks(
    # day 1, bankroll 10,000.00
    ("G1", "2024-04-01", "h2h", "home", None, 110, 0.02, "fanduel"),  # 200.00, win +220.00
    ("G2", "2024-04-01", "totals", "over", 8.5, -110, 0.01, "draftkings"),  # 100.00, -100.00
    ("G1", "2024-04-01", "h2h", "away", None, -130, 0.0, "fanduel"),  # not a bet
    # day 2, bankroll 10,120.00
    ("G3", "2024-04-02", "totals", "under", 9.0, -105, 0.015, "fanduel"),  # 151.80, push
    ("G4", "2024-04-02", "h2h", "away", None, 150, 0.02, "fanduel"),  # 202.40, void
    ("G5", "2024-04-02", "h2h", "home", None, -120, 0.01, "fanduel"),  # 101.20, pending
    ("G8", "2024-04-02", "h2h", "home", None, -200, 0.02, "fanduel"),  # 202.40, win +101.20
    # day 3, bankroll 10,221.20
    ("G6", "2024-04-03", "h2h", "away", None, -150, 0.02, "fanduel"),  # 204.42, loss
    ("G7", "2024-04-03", "totals", "over", 7.5, 100, 0.005, "fanduel"),  # 51.11, win +51.11
)
GAMES = pd.DataFrame(
    [
        ("G1", 2024, "final", 5, 3),
        ("G2", 2024, "final", 4, 3),
        ("G3", 2024, "final", 5, 4),
        ("G4", 2024, "postponed", None, None),
        ("G5", 2024, "scheduled", None, None),
        ("G6", 2024, "final", 2, 1),
        ("G7", 2024, "final", 6, 3),
        ("G8", 2024, "final", 3, 1),
    ],
    columns=["game_id", "season", "status", "home_score", "away_score"],
)
CLOSES = pd.DataFrame(
    [
        ("G1", "h2h", "home", "pinnacle", -102, None, 0.52),
        ("G1", "h2h", "home", "fanduel", -105, None, 0.50),
        ("G2", "totals", "over", "draftkings", -120, 8.5, 0.50),
    ],
    columns=["game_id", "market", "side", "book", "close_price", "close_point", "close_prob_novig"],
)


def _ledger(**overrides: object) -> pd.DataFrame:
    arguments: dict = {
        "starting_bankroll": START,
        "settled_at_known": pd.Series({stable_id("G1", "h2h", "home"): FIRST_SEEN}),
        "now": NOW,
    }
    arguments.update(overrides)
    return build_ledger(PICKS, GAMES, CLOSES, **arguments)


def _bet(ledger: pd.DataFrame, game_id: str) -> pd.Series:
    return ledger.set_index("game_id").loc[game_id]


def test_columns_order_and_only_bets() -> None:
    ledger = _ledger()
    assert list(ledger.columns) == [column.name for column in schema.bet_ledger.columns]
    assert ledger["game_id"].tolist() == ["G1", "G2", "G3", "G4", "G5", "G8", "G6", "G7"]
    assert ledger["bet_id"].tolist() == PICKS.loc[PICKS["is_bet"], "pick_id"].tolist()


def test_compounding_stakes_results_and_profits_by_hand() -> None:
    ledger = _ledger().set_index("game_id")
    expected = {
        # game: bankroll_before, stake, result, profit
        "G1": (10_000.00, 200.00, "win", 220.00),
        "G2": (10_000.00, 100.00, "loss", -100.00),
        "G3": (10_120.00, 151.80, "push", 0.00),
        "G4": (10_120.00, 202.40, "void", 0.00),
        "G5": (10_120.00, 101.20, None, np.nan),
        "G8": (10_120.00, 202.40, "win", 101.20),
        "G6": (10_221.20, 204.42, "loss", -204.42),
        "G7": (10_221.20, 51.11, "win", 51.11),
    }
    for game_id, (bankroll, stake, result, profit) in expected.items():
        row = ledger.loc[game_id]
        assert row["bankroll_before"] == pytest.approx(bankroll), game_id
        assert row["stake"] == pytest.approx(stake), game_id
        assert row["result"] == result, game_id
        assert row["profit"] == pytest.approx(profit, nan_ok=True), game_id
    unit = START * UNIT_SHARE  # 100.00
    assert ledger.loc["G3", "stake_units"] == pytest.approx(1.518)
    assert ledger.loc["G1", "profit_units"] == pytest.approx(220.0 / unit)
    assert np.isnan(ledger.loc["G5", "profit_units"])


def test_closing_line_value_prefers_the_reference_book() -> None:
    ledger = _ledger()
    g1, g2, g3 = _bet(ledger, "G1"), _bet(ledger, "G2"), _bet(ledger, "G3")
    # G1: the bet's own book closed -105; the reference (pinnacle) no-vig close is 0.52.
    assert g1["closing_price_american"] == -105
    assert g1["closing_prob_novig"] == pytest.approx(0.52)
    assert g1["clv_prob"] == pytest.approx(0.52 - 100 / 210)  # took +110: beat the close
    assert g1["clv_prob"] > 0
    # G2: no reference close, so the bet's book: 0.50 against -110 taken (0.5238): negative
    assert g2["closing_prob_novig"] == pytest.approx(0.50)
    assert g2["clv_prob"] == pytest.approx(0.50 - 110 / 210)
    assert g2["clv_prob"] < 0
    assert pd.isna(g3["closing_price_american"]) and np.isnan(g3["clv_prob"])


def test_clv_only_at_the_bets_point() -> None:
    # Over 8.5 taken at -110 at two books; both totals then moved to 9 before first pitch
    # at the reference book, and at draftkings too, while fanduel still closed at 8.5.
    picks = _picks(
        ("T1", "2024-04-01", "totals", "over", 8.5, -110, 0.01, "draftkings"),
        ("T2", "2024-04-01", "totals", "over", 8.5, -110, 0.01, "fanduel"),
        ("T3", "2024-04-01", "totals", "over", 8.5, -110, 0.01, "fanduel"),
    )
    games = pd.DataFrame(
        [(g, 2024, "final", 5, 4) for g in ("T1", "T2", "T3")],
        columns=["game_id", "season", "status", "home_score", "away_score"],
    )
    closes = pd.DataFrame(
        [
            ("T1", "totals", "over", "pinnacle", 105, 9.0, 0.47),
            ("T1", "totals", "over", "draftkings", 100, 9.0, 0.48),
            ("T2", "totals", "over", "pinnacle", 100, 9.0, 0.48),
            ("T2", "totals", "over", "fanduel", -125, 8.5, 0.54),
            ("T3", "totals", "over", "pinnacle", -120, 8.5, 0.53),
            ("T3", "totals", "over", "fanduel", -125, 8.5, 0.54),
        ],
        columns=CLOSES.columns,
    )
    ledger = build_ledger(picks, games, closes, starting_bankroll=START, now=NOW)
    t1, t2, t3 = (_bet(ledger, g) for g in ("T1", "T2", "T3"))
    # T1: nobody closed at 8.5: the reference close at 9 is reported, no CLV claimed
    assert (t1["closing_point"], t1["clv_point_diff"]) == (9.0, 0.5)
    assert pd.isna(t1["closing_price_american"]) and np.isnan(t1["closing_prob_novig"])
    assert np.isnan(t1["clv_prob"]) and np.isnan(t1["clv_value"])
    # T2: the reference moved to 9 but the bet's own book still offered 8.5 at close
    assert (t2["closing_point"], t2["clv_point_diff"]) == (8.5, 0.0)
    assert t2["closing_price_american"] == -125
    assert t2["clv_prob"] == pytest.approx(0.54 - 110 / 210)
    # T3: the reference closed at the bet's point and is preferred
    assert (t3["closing_point"], t3["clv_point_diff"], t3["closing_prob_novig"]) == (
        8.5,
        0.0,
        0.53,
    )
    assert t3["clv_prob"] == pytest.approx(0.53 - 110 / 210)


def test_labels_times_and_settled_at() -> None:
    ledger = _ledger()
    g1, g2, g4, g5 = (_bet(ledger, g) for g in ["G1", "G2", "G4", "G5"])
    assert g1["month"] == "2024-04" and g1["season"] == 2024
    assert g1["placed_at"] == pd.Timestamp("2024-04-01T22:00:00Z")
    assert g1["settled_at"] == FIRST_SEEN  # kept from the earlier ledger
    assert g2["settled_at"] == NOW  # settled for the first time now
    assert g4["settled_at"] == NOW  # a void is settled too
    assert pd.isna(g5["settled_at"])  # pending


def test_rebuild_gives_the_identical_frame() -> None:
    first = _ledger()
    shuffled = PICKS.sample(frac=1.0, random_state=7)
    second = build_ledger(
        shuffled,
        GAMES.iloc[::-1],
        CLOSES.iloc[::-1],
        starting_bankroll=START,
        settled_at_known=pd.Series({stable_id("G1", "h2h", "home"): FIRST_SEEN}),
        now=NOW,
    )
    pd.testing.assert_frame_equal(first, second)


def test_missing_game_raises_with_its_id() -> None:
    with pytest.raises(ValueError, match="G7"):
        build_ledger(
            PICKS, GAMES[GAMES["game_id"] != "G7"], CLOSES, starting_bankroll=START, now=NOW
        )


def test_no_bets_gives_an_empty_ledger() -> None:
    ledger = build_ledger(PICKS.iloc[0:0], GAMES, CLOSES, starting_bankroll=START, now=NOW)
    assert ledger.empty
    assert list(ledger.columns) == [column.name for column in schema.bet_ledger.columns]


# Paper picks (the gate was closed): one unit each whatever their stake fraction says.
PAPER = _picks(
    ("P1", "2024-04-01", "h2h", "home", None, 120, UNIT_SHARE, "fanduel"),  # win +120.00
    ("P2", "2024-04-02", "h2h", "away", None, -110, UNIT_SHARE, "fanduel"),  # loss -100.00
    ("P3", "2024-04-03", "h2h", "home", None, 150, 0.0, "fanduel"),  # not a bet
    paper=True,
)
PAPER_GAMES = pd.DataFrame(
    [("P1", 2024, "final", 4, 2), ("P2", 2024, "final", 4, 2), ("P3", 2024, "final", 1, 0)],
    columns=GAMES.columns,
)


def _with_paper() -> pd.DataFrame:
    return build_ledger(
        pd.concat([PICKS, PAPER], ignore_index=True),
        pd.concat([GAMES, PAPER_GAMES], ignore_index=True),
        CLOSES,
        starting_bankroll=START,
        settled_at_known=pd.Series({stable_id("G1", "h2h", "home"): FIRST_SEEN}),
        now=NOW,
    )


def test_paper_bets_are_settled_at_one_unit_outside_the_bankroll() -> None:
    ledger = _with_paper()
    paper = ledger[ledger["paper"]].set_index("game_id")
    assert sorted(paper.index) == ["P1", "P2"]  # P3 was no bet
    assert paper["stake"].tolist() == pytest.approx([100.0, 100.0])  # 1% of 10,000
    assert paper["stake_units"].tolist() == pytest.approx([1.0, 1.0])
    assert paper.loc["P1", "result"] == "win" and paper.loc["P1", "profit"] == pytest.approx(120)
    assert paper.loc["P2", "result"] == "loss" and paper.loc["P2", "profit_units"] == -1.0
    assert paper["bankroll_before"].isna().all()
    # The money ledger is exactly what it is without them: same bankroll, stakes, profits.
    money = ledger[~ledger["paper"]].reset_index(drop=True)
    pd.testing.assert_frame_equal(money, _ledger())


def test_closing_value_follows_the_no_vig_method() -> None:
    mult, shin = _ledger(), _ledger(novig_method="shin")
    g1_mult, g1_shin = _bet(mult, "G1"), _bet(shin, "G1")
    # Reference close: pinnacle -102 (implied 102/202) with multiplicative no-vig 0.52, so the
    # booksum is (102/202) / 0.52 and Shin takes half the margin off: p - (B - 1) / 2.
    implied = 102 / 202
    booksum = implied / 0.52
    assert g1_shin["closing_prob_novig"] == pytest.approx(implied - (booksum - 1) / 2)
    assert g1_mult["closing_prob_novig"] == pytest.approx(0.52)
    assert g1_shin["clv_prob"] == pytest.approx(implied - (booksum - 1) / 2 - 100 / 210)
    # As price value: the closing probability times the decimal price taken (+110: 2.10).
    assert g1_mult["clv_value"] == pytest.approx(0.52 * 2.10 - 1)
    assert g1_shin["clv_value"] == pytest.approx(g1_shin["closing_prob_novig"] * 2.10 - 1)
    with pytest.raises(ValueError, match="novig_method"):
        _ledger(novig_method="power")
