"""Plausibility rules: which quoted values a book can really have offered on a full-game
MLB market.

:func:`~mlb_assets.lib.snapshots.normalize_quotes` owns the structural checks (a price that
is missing or not a number, an unknown market or side); this module owns the judgement of
values that are well formed but cannot be a full-game line. Every quote source (Odds API
payloads, archives, the replay board) goes through ``normalize_quotes``, so these rules
apply to all of them in one place. Each reason names the rule and the offending value, so
that a quarantine row says why it is there without looking at the raw record.

Two kinds of rules:

* row rules judge one quote: an American price (whole, ``|price| >= 100``, not beyond
  :data:`MAX_ABS_PRICE`), a totals point (on the half-run grid, within
  :data:`TOTAL_RANGE`: a 0.5 is a first-inning or team total sent under the full-game
  key) and a spreads point (on the grid, ``|point| <=`` :data:`MAX_ABS_SPREAD`);
* pair rules judge the two sides one book quoted for one market at one instant: spreads
  points opposite, totals points equal, and the overround (the sum of the two implied
  probabilities) within :data:`OVERROUND_RANGE`. Both sides of a failing pair are
  quarantined (which one is wrong cannot be told); the book's other markets are not.

Bounds, from the 2016 Pinnacle archive (1,411,354 quotes, the data the replay server
serves): prices span -485..+425, totals 5.5..13, run lines +-1.5; the overround of a pair
quoted together spans 0.974..1.039 (h2h 0.983..1.039, spreads 1.019..1.021, totals
0.974..1.026; median 1.020, 1.020, 1.024). Sportsbooks in the US region add a few cents
more (about 1.045 at -110/-110, 1.08 at the widest), so the upper bound leaves room for
them while catching a side with its sign flipped (-150/-140 sums to 1.18); a pair below
0.95 would be a 5% arbitrage inside one book, which means a stale or mistyped side.

Fractional American prices (``-110.5``) are quarantined, not rounded: ``price_american``
stores what the book offered, and a rounded price is one it never offered.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

#: No full-game MLB price in the 2016 archive is beyond +-485; +-1000 (a 91% favourite)
#: leaves room for the widest mismatches and catches a price with an extra digit (-1100).
MAX_ABS_PRICE = 1000.0
#: Full-game totals: 5.5..13 in 2016 (Coors Field's highest); a total outside 4.5..20 is a
#: first-inning, five-inning or team total under the full-game key.
TOTAL_RANGE = (4.5, 20.0)
#: Run lines are +-1.5 (alternate lines a run or two more); beyond +-5 is not a run line.
MAX_ABS_SPREAD = 5.0
#: Sum of the two sides' implied probabilities (see the module docstring for the data).
OVERROUND_RANGE = (0.95, 1.15)

#: The first ("a") and second side of each two-way market.
PAIR_SIDES: dict[str, tuple[str, str]] = {
    "h2h": ("home", "away"),
    "spreads": ("home", "away"),
    "totals": ("over", "under"),
}


@dataclass(frozen=True)
class PlausibilityRules:
    """The bounds the rules apply; the defaults are the module's constants."""

    max_abs_price: float = MAX_ABS_PRICE
    total_range: tuple[float, float] = TOTAL_RANGE
    max_abs_spread: float = MAX_ABS_SPREAD
    overround_range: tuple[float, float] = OVERROUND_RANGE


DEFAULT_RULES = PlausibilityRules()


def implied_probability(prices: np.ndarray) -> np.ndarray:
    """The implied probability of American prices (NaN where a price is not one)."""
    prices = np.asarray(prices, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        prob = np.where(prices > 0, 100.0 / (prices + 100.0), -prices / (100.0 - prices))
    return np.where(np.abs(prices) >= 100, prob, np.nan)


def row_reasons(quotes: pd.DataFrame, rules: PlausibilityRules = DEFAULT_RULES) -> pd.Series:
    """Reasons the price or point of each quote is implausible; '' where none.

    ``quotes`` has ``market``, ``point`` and ``price_american`` (numbers; NaN where missing:
    missing values are the structural checks' to report). Several broken rules are
    '; '-joined. Indexed like ``quotes``.
    """
    price = pd.to_numeric(quotes["price_american"], errors="coerce").to_numpy(dtype=float)
    point = pd.to_numeric(quotes["point"], errors="coerce").to_numpy(dtype=float)
    market = np.asarray(quotes["market"], dtype=object)
    totals, spreads = market == "totals", market == "spreads"
    low, high = rules.total_range
    cap, spread_cap = rules.max_abs_price, rules.max_abs_spread
    with np.errstate(invalid="ignore"):
        finite_price, finite_point = np.isfinite(price), np.isfinite(point)
        checks = [
            (
                finite_price & (np.abs(price) < 100),
                price,
                "price {} is not an American price (|price| < 100)",
            ),
            (finite_price & (np.abs(price) > cap), price, f"price {{}} is beyond +-{cap:g}"),
            (
                finite_price & (np.abs(price) >= 100) & _fractional(price),
                price,
                "price {} is not a whole American price (quarantined, not rounded)",
            ),
            (
                totals & finite_point & _fractional(2 * point),
                point,
                "totals point {} is not a multiple of 0.5",
            ),
            (
                totals & finite_point & ((point < low) | (point > high)),
                point,
                f"totals point {{}} is outside the full-game range {low:g}..{high:g} "
                "(a first-inning or team total under the full-game key)",
            ),
            (
                spreads & finite_point & _fractional(2 * point),
                point,
                "spreads point {} is not a multiple of 0.5",
            ),
            (
                spreads & finite_point & (np.abs(point) > spread_cap),
                point,
                f"spreads point {{}} is outside the run-line range +-{spread_cap:g}",
            ),
        ]
    return _joined(quotes.index, checks)


def pair_reasons(quotes: pd.DataFrame, rules: PlausibilityRules = DEFAULT_RULES) -> pd.Series:
    """Reasons the two sides a book quoted together for a market are inconsistent; ''
    where none.

    Sides pair when they share game, book, market and ``captured_at`` (the Odds API
    stamps a market's outcomes with one ``last_update``); a side quoted alone is not
    judged. ``quotes`` must hold at most one row per side and instant (duplicates and
    conflicts are resolved first). Both rows of a failing pair get the reason.
    """
    reasons = np.full(len(quotes), "", dtype=object)
    pairs = _pairs(quotes)
    if not pairs.empty:
        text = _pair_texts(pairs, rules).to_numpy()
        bad = text != ""
        reasons[pairs["row_a"].to_numpy()[bad]] = text[bad]
        reasons[pairs["row_b"].to_numpy()[bad]] = text[bad]
    return pd.Series(reasons, index=quotes.index, dtype=object)


def _pairs(quotes: pd.DataFrame) -> pd.DataFrame:
    """One row per (a side, b side) quoted together: both rows' labels, points and prices.

    Keys are joined as integer codes: the archive path pairs over a million quotes.
    """
    market, side = _codes(quotes["market"]), _codes(quotes["side"])
    frame = pd.DataFrame(
        {
            "game": _codes(quotes["game_id"])[0],
            "book": _codes(quotes["book"])[0],
            "market": market[0],
            "time": pd.to_datetime(quotes["captured_at"], utc=True).array.asi8,
            "point": pd.to_numeric(quotes["point"], errors="coerce").to_numpy(dtype=float),
            "price": pd.to_numeric(quotes["price_american"], errors="coerce").to_numpy(float),
            "row": np.arange(len(quotes)),
        }
    )
    which = _side_of_pair(market, side)
    a = frame[which == 0].assign(
        market_name=np.asarray(market[1], dtype=object)[market[0][which == 0]]
    )
    b = frame[which == 1]
    keys = ["game", "book", "market", "time"]
    return a.merge(b, on=keys, suffixes=("_a", "_b"))


def _side_of_pair(
    market: tuple[np.ndarray, pd.Index], side: tuple[np.ndarray, pd.Index]
) -> np.ndarray:
    """0 for a market's first side, 1 for its second, -1 otherwise (or missing).

    Decided once per distinct (market, side) label pair, then looked up by code.
    """
    (market_codes, markets), (side_codes, sides) = market, side
    lookup = np.array([_pair_position(m, s) for m in markets for s in sides] + [-1], dtype=np.int64)
    known = (market_codes >= 0) & (side_codes >= 0)
    combo = np.where(known, market_codes * len(sides) + side_codes, len(lookup) - 1)
    return lookup[combo]


def _pair_position(market: object, side: object) -> int:
    sides = PAIR_SIDES.get(str(market), ())
    return sides.index(side) if side in sides else -1


def _codes(values: pd.Series) -> tuple[np.ndarray, pd.Index]:
    """Integer codes (-1: missing) and the distinct labels; categoricals reuse their codes."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        return values.cat.codes.to_numpy().astype(np.int64), values.cat.categories
    codes, labels = pd.factorize(np.asarray(values, dtype=object))
    return codes.astype(np.int64), pd.Index(labels)


def _pair_texts(pairs: pd.DataFrame, rules: PlausibilityRules) -> pd.Series:
    """Each pair's broken rules as text ('' for a sound pair); strings for failing pairs only."""
    market = pairs["market_name"].to_numpy(dtype=object)
    point_a, point_b = pairs["point_a"].to_numpy(), pairs["point_b"].to_numpy()
    price_a, price_b = pairs["price_a"].to_numpy(), pairs["price_b"].to_numpy()
    overround = implied_probability(price_a) + implied_probability(price_b)
    low, high = rules.overround_range
    with np.errstate(invalid="ignore"):
        not_opposite = (market == "spreads") & (point_a + point_b != 0)
        apart = (market == "totals") & (point_a != point_b)
        off_margin = (overround < low) | (overround > high)
    texts = np.full(len(pairs), "", dtype=object)
    for i in np.flatnonzero(not_opposite | apart | off_margin):
        found = []
        if not_opposite[i]:
            found.append(
                f"spreads points {_num(point_a[i])} (home) and {_num(point_b[i])} (away) "
                "are not opposite"
            )
        if apart[i]:
            found.append(
                f"totals points {_num(point_a[i])} (over) and {_num(point_b[i])} (under) differ"
            )
        if off_margin[i]:
            found.append(
                f"{market[i]} overround {overround[i]:.3f} of prices {_num(price_a[i])}/"
                f"{_num(price_b[i])} is outside {low:g}..{high:g}"
            )
        texts[i] = "; ".join(found)
    return pd.Series(texts, index=pairs.index, dtype=object)


def _joined(index: pd.Index, checks: list[tuple[np.ndarray, np.ndarray, str]]) -> pd.Series:
    """'; '-join each row's broken rules with its value; strings for failing rows only."""
    reasons = np.full(len(index), "", dtype=object)
    for mask, values, template in checks:
        for row in np.flatnonzero(mask):
            text = template.format(_num(values[row]))
            reasons[row] = f"{reasons[row]}; {text}" if reasons[row] else text
    return pd.Series(reasons, index=index, dtype=object)


def _fractional(values: np.ndarray) -> np.ndarray:
    """True for finite values that are not whole numbers."""
    with np.errstate(invalid="ignore"):
        return np.isfinite(values) & (np.floor(values) != values)


def _num(value: float) -> str:
    """A value as the feed would write it: -110, 8.5, 0.5, -110.5."""
    return f"{float(value):g}"
