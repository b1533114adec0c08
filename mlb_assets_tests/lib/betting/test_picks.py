"""Both sides of each prediction, priced at decision time and sized, checked by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from mlb_assets.lib.betting.gate import GateDecision
from mlb_assets.lib.betting.picks import (
    NO_MARKET_PROB,
    NO_PRICE,
    OTHER_POINT,
    build_picks,
)
from mlb_assets.lib.betting.staking import UNIT_SHARE, StakingParams
from mlb_assets.lib.models.evidence import Evidence
from mlb_assets.lib.warehouse import schema
from mlb_assets.lib.warehouse.store import stable_id

DECISION = pd.Timestamp("2024-04-01T22:05:00Z")
QUOTED = pd.Timestamp("2024-04-01T21:50:00Z")


def _predictions(*rows: tuple) -> pd.DataFrame:
    """Rows of (game_id, market, side, point, prob)."""
    frame = pd.DataFrame(rows, columns=["game_id", "market", "side", "point", "prob"])
    frame["point"] = frame["point"].astype(float)
    return frame.assign(
        game_date=pd.Timestamp("2024-04-01").date(),
        prob_bin=(frame["prob"] * 10).astype(int),
        outcome=None,
        model_name="h2o",
        model_version="3",
        model_run_id="run",
        in_sample=False,
        decision_at=DECISION,
        predicted_at=DECISION,
    )


def _best(*rows: tuple) -> pd.DataFrame:
    """Rows of (game_id, market, side, point, price, book)."""
    frame = pd.DataFrame(rows, columns=["game_id", "market", "side", "point", "price", "book"])
    frame["point"] = frame["point"].astype(float)
    return frame.rename(columns={"price": "price_american"}).assign(
        snapshot_id=np.arange(100, 100 + len(frame)), captured_at=QUOTED
    )


def _market(*rows: tuple) -> pd.DataFrame:
    """Rows of (game_id, market, side, point, mult, shin)."""
    columns = ["game_id", "market", "side", "point", "market_prob_mult", "market_prob_shin"]
    frame = pd.DataFrame(rows, columns=columns)
    frame["point"] = frame["point"].astype(float)
    return frame.assign(market_source="pinnacle", n_books=1)


PREDICTIONS = _predictions(
    ("G1", "h2h", "home", None, 0.60),
    ("G1", "totals", "over", 8.5, 0.44),
)
BEST = _best(
    ("G1", "h2h", "home", None, 110, "book_a"),
    ("G1", "h2h", "away", None, -120, "book_b"),
    ("G1", "totals", "over", 8.5, -105, "book_a"),
    ("G1", "totals", "under", 8.5, -115, "book_b"),
    ("G1", "totals", "over", 9.0, 120, "book_c"),  # another line: must not be used
)
MARKET = _market(
    ("G1", "h2h", "home", None, 0.52, 0.51),
    ("G1", "h2h", "away", None, 0.48, 0.49),
    ("G1", "totals", "over", 8.5, 0.49, 0.495),
    ("G1", "totals", "under", 8.5, 0.51, 0.505),
)


def _evidence(mean: float, low: float, high: float) -> Evidence:
    return Evidence(
        n_games=500,
        model_log_loss=0.68 + mean,
        market_log_loss=0.68,
        diff_mean=mean,
        diff_ci_low=low,
        diff_ci_high=high,
        edge_probability=1.0,
        calibration_slope=1.0,
        calibration_intercept=0.0,
        mean_gap=0.0,
    )


def _gate(evidence: Evidence | None, is_open: bool) -> dict[tuple[str, str], GateDecision]:
    return {("h2o", "3"): GateDecision("h2o", "3", is_open, 0.0, evidence, "e1")}


# An interval of zero width: the evidence weight is 1, Kelly sees the model's probability.
TRUSTED = _gate(_evidence(-0.02, -0.02, -0.02), True)


def _row(frame: pd.DataFrame, market: str, side: str) -> pd.Series:
    return frame[(frame["market"] == market) & (frame["side"] == side)].iloc[0]


def test_both_sides_with_prices_edges_and_stakes() -> None:
    picks = build_picks(PREDICTIONS, BEST, MARKET, gates=TRUSTED).frame
    assert list(picks.columns) == [column.name for column in schema.picks.columns]
    assert len(picks) == 4

    home = _row(picks, "h2h", "home")
    # 0.60 at +110: edge 0.08; Kelly (1.1*0.6 - 0.4)/1.1 = 0.236364; quarter 5.9% -> 2% cap
    assert home["model_prob"] == pytest.approx(0.60)
    assert home["edge"] == pytest.approx(0.08)
    assert home["expected_value"] == pytest.approx(0.6 * 2.1 - 1)
    assert home["kelly_full"] == pytest.approx(0.26 / 1.1)
    assert home["stake_fraction"] == pytest.approx(0.02)
    assert home["tier"] == "B" and bool(home["is_bet"])
    assert home["price_american"] == 110 and home["book"] == "book_a"
    assert home["odds_snapshot_id"] == 100 and home["quoted_at"] == QUOTED
    assert home["decision_at"] == DECISION and home["model_version"] == "3"
    assert home["pick_id"] == stable_id("G1", "h2h", "home")

    away = _row(picks, "h2h", "away")
    # 0.40 against 0.48: negative edge, no bet, no tier; Kelly at -120 is (0.8333*0.4-0.6)/0.8333
    assert away["model_prob"] == pytest.approx(0.40)
    assert away["edge"] == pytest.approx(-0.08)
    assert away["kelly_full"] == pytest.approx(-0.32)
    assert away["stake_fraction"] == 0.0 and away["tier"] is None and not away["is_bet"]


def test_totals_use_only_quotes_at_the_predicted_point() -> None:
    picks = build_picks(PREDICTIONS, BEST, MARKET, gates=TRUSTED).frame
    over, under = _row(picks, "totals", "over"), _row(picks, "totals", "under")
    assert over["price_american"] == -105  # not the +120 on 9.0
    assert over["point"] == 8.5 and under["point"] == 8.5
    assert not over["is_bet"]  # 0.44 against 0.49
    # under 0.56 at -115: b = 100/115; Kelly (0.869565*0.56 - 0.44)/0.869565 = 0.054
    assert under["model_prob"] == pytest.approx(0.56)
    assert under["edge"] == pytest.approx(0.05)
    assert under["kelly_full"] == pytest.approx(0.054)
    assert under["stake_fraction"] == pytest.approx(0.0135)  # quarter Kelly, under the cap
    assert under["tier"] == "C" and under["is_bet"]


def test_threshold_and_no_vig_method() -> None:
    predictions = _predictions(("G1", "h2h", "home", None, 0.54))
    # mult: edge 0.54 - 0.52 = 0.02 < 0.03 -> no bet although Kelly at +110 is positive
    mult = _row(build_picks(predictions, BEST, MARKET, gates=TRUSTED).frame, "h2h", "home")
    assert mult["kelly_full"] > 0 and mult["stake_fraction"] == 0.0 and not mult["is_bet"]
    # shin: the market says 0.51, edge 0.03 -> a bet
    shin = _row(
        build_picks(predictions, BEST, MARKET, novig_method="shin", gates=TRUSTED).frame,
        "h2h",
        "home",
    )
    assert shin["market_prob"] == pytest.approx(0.51) and shin["is_bet"]
    assert shin["market_prob_mult"] == pytest.approx(0.52)  # both methods are reported
    # a lower threshold turns the mult side into a bet
    looser = build_picks(
        predictions, BEST, MARKET, params=StakingParams(min_edge=0.01), gates=TRUSTED
    ).frame
    assert _row(looser, "h2h", "home")["is_bet"]


def test_dropped_sides_say_why() -> None:
    predictions = _predictions(
        ("G2", "h2h", "home", None, 0.60),  # no price anywhere
        ("G3", "totals", "over", 9.0, 0.55),  # priced at 9, but the market line is 8.5
        ("G4", "h2h", "home", None, 0.60),  # priced, but no market probability
    )
    best = _best(
        ("G3", "totals", "over", 9.0, -110, "book_a"),
        ("G3", "totals", "under", 9.0, -110, "book_a"),
        ("G4", "h2h", "home", None, -110, "book_a"),
        ("G4", "h2h", "away", None, -110, "book_a"),
    )
    market = _market(
        ("G3", "totals", "over", 8.5, 0.5, 0.5),
        ("G3", "totals", "under", 8.5, 0.5, 0.5),
    )
    built = build_picks(predictions, best, market, gates=TRUSTED)
    assert built.frame.empty
    assert list(built.frame.columns) == [column.name for column in schema.picks.columns]
    reasons = built.dropped.set_index(["game_id", "side"])["reason"].to_dict()
    assert reasons == {
        ("G2", "away"): NO_PRICE,
        ("G2", "home"): NO_PRICE,
        ("G3", "over"): OTHER_POINT,
        ("G3", "under"): OTHER_POINT,
        ("G4", "away"): NO_MARKET_PROB,
        ("G4", "home"): NO_MARKET_PROB,
    }
    assert list(built.dropped.columns) == ["game_id", "market", "side", "reason"]


def test_an_open_gate_trusts_the_model_as_far_as_its_evidence() -> None:
    # Mean -0.02 with a standard error of 0.01 (half-width 0.0196): weight 1 - 0.5^2 = 0.75.
    half = 0.01 * 1.959964
    gates = _gate(_evidence(-0.02, -0.02 - half, -0.02 + half), True)
    home = _row(build_picks(PREDICTIONS, BEST, MARKET, gates=gates).frame, "h2h", "home")
    assert home["evidence_weight"] == pytest.approx(0.75)
    assert home["kelly_prob"] == pytest.approx(0.52 + 0.75 * 0.08)  # 0.58
    assert home["model_prob"] == pytest.approx(0.60) and home["edge"] == pytest.approx(0.08)
    assert home["kelly_full"] == pytest.approx((1.1 * 0.58 - 0.42) / 1.1)
    assert not home["paper"] and home["is_bet"]
    # The minimum edge sees the weighted probability too: 0.52 + 0.75 * 0.03 is 2.25 points.
    near = PREDICTIONS.assign(prob=[0.55, 0.44])
    side = _row(build_picks(near, BEST, MARKET, gates=gates).frame, "h2h", "home")
    assert side["edge"] == pytest.approx(0.03) and not side["is_bet"]


@pytest.mark.parametrize(
    "gates",
    [
        {},  # no evidence recorded for the version
        _gate(_evidence(0.01, -0.005, 0.02), False),  # evidence without an edge
        {("h2o", "2"): TRUSTED[("h2o", "3")]},  # another version's evidence does not count
    ],
)
def test_a_closed_gate_gives_paper_picks_of_one_unit(gates: dict) -> None:
    picks = build_picks(PREDICTIONS, BEST, MARKET, gates=gates).frame
    assert picks["paper"].all() and picks["evidence_weight"].isna().all()
    home, away = _row(picks, "h2h", "home"), _row(picks, "h2h", "away")
    # Decided on the model's own probability by the same rule, staked one unit on paper.
    assert home["kelly_prob"] == pytest.approx(0.60) and home["is_bet"]
    assert home["stake_fraction"] == UNIT_SHARE and home["tier"] == "B"
    assert not away["is_bet"] and away["stake_fraction"] == 0.0
