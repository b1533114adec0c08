"""The prices a bettor could take at decision time, and the market's no-vig probabilities.

A bet's price is the price available at decision time, never the close: every function
here starts from :func:`decision_quotes`, each book's latest quote captured at or before
the game's decision time. Snapshots record line changes, so a book's last quote before
the cut-off is the one it was offering then.

The market probability that a model's edge is measured against comes from one sharp
reference book (Pinnacle by default), whose no-vig line is the best public estimate of
the true probability. Where that book has no two-sided quote for a game's market, the
mean of the other books' no-vig probabilities stands in, and ``market_source`` says so.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from mlb_assets.lib.odds import (
    american_to_decimal,
    american_to_implied,
    no_vig_multiplicative,
    no_vig_shin,
)
from mlb_assets.lib.snapshots import MARKET_SIDES

QUOTE_KEY = ["game_id", "book", "market", "side"]
QUOTE_COLUMNS = [*QUOTE_KEY, "point", "price_american", "snapshot_id", "captured_at"]
BEST_KEY = ["game_id", "market", "side", "point"]
BEST_COLUMNS = [*BEST_KEY, "price_american", "book", "snapshot_id", "captured_at"]
MARKET_PROB_COLUMNS = [
    "game_id",
    "market",
    "side",
    "point",
    "market_prob_mult",
    "market_prob_shin",
    "market_source",
    "n_books",
]
CONSENSUS = "consensus"

# The first and second side of each market's two-way pair: (home, away) or (over, under).
_FIRST_SIDE = {market: sides[0] for market, sides in MARKET_SIDES.items()}
_SECOND_SIDE = {market: sides[1] for market, sides in MARKET_SIDES.items()}


def decision_quotes(
    snapshots: pd.DataFrame,
    decision_at: pd.Series,
    books: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Each book's latest quote per (game_id, book, market, side) at the game's decision time.

    ``snapshots`` has the odds_snapshots columns; ``decision_at`` is indexed by game_id
    (UTC-aware; NaT or a game missing from it means no decision time, so no quote).
    A quote captured exactly at the decision time counts; one a second later does not.
    Ties on captured_at go to the larger snapshot_id so that reruns pick the same row.
    ``books`` restricts the result to those books (None: every book).
    """
    if not decision_at.index.is_unique:
        raise ValueError("decision_at must have one decision time per game_id")
    rows = snapshots if books is None else snapshots[snapshots["book"].isin(list(books))]
    # A day without games yet (picks run before the first poll) gives an empty, untyped
    # series: the cutoff must still compare as times.
    cutoff = pd.to_datetime(rows["game_id"].map(decision_at), utc=True)
    before = rows[(rows["captured_at"] <= cutoff).to_numpy(dtype=bool)]
    latest = before.sort_values([*QUOTE_KEY, "captured_at", "snapshot_id"]).drop_duplicates(
        QUOTE_KEY, keep="last"
    )
    return latest[QUOTE_COLUMNS].reset_index(drop=True)


def best_prices(quotes: pd.DataFrame) -> pd.DataFrame:
    """The best price for the bettor per (game_id, market, side, point) across books.

    Best means the highest decimal odds (+120 beats +110 beats -105 beats -110). The point
    is part of the key: a total of 8.5 and one of 9 are different bets. Equal prices go to
    the book whose name sorts first. Invalid prices never win.
    """
    decimal = pd.Series(american_to_decimal(quotes["price_american"]), index=quotes.index)
    valid = quotes.assign(_decimal=decimal)[decimal.notna()]
    ranked = valid.sort_values(
        [*BEST_KEY, "_decimal", "book", "snapshot_id"],
        ascending=[True, True, True, True, False, True, True],
        na_position="first",  # only the point is ever missing (h2h); NaN keys stay grouped
    )
    best = ranked.drop_duplicates(BEST_KEY, keep="first")
    return best[BEST_COLUMNS].reset_index(drop=True)


def market_probabilities(quotes: pd.DataFrame, reference_book: str = "pinnacle") -> pd.DataFrame:
    """No-vig probability per (game_id, market, side) at decision time, two ways.

    From the reference book's two-sided quote (h2h: home/away; totals: over/under at one
    point; spreads: home/away at opposite points), margin removed multiplicatively and by
    Shin's method. Where the reference book has no two-sided quote for a game's market,
    ``market_source`` is ``"consensus"`` and the probabilities are the mean of the no-vig
    probabilities of the books that have one at the main point (the point most of them
    quote; ties: the lower point), since averaging across lines would mix different bets.
    ``n_books`` is the number of books the probability comes from (1 for the reference).
    """
    pairs = _two_sided(quotes)
    is_reference = pairs["book"] == reference_book
    reference = pairs[is_reference].assign(market_source=reference_book, n_books=1)
    covered = reference.set_index(["game_id", "market"]).index
    others = pairs[~is_reference]
    others = others[~others.set_index(["game_id", "market"]).index.isin(covered)]
    consensus = _consensus(others)
    both = pd.concat([reference, consensus], ignore_index=True)
    return _by_side(both)


def _two_sided(quotes: pd.DataFrame) -> pd.DataFrame:
    """One row per (game_id, book, market) whose two sides quote the same line.

    Columns: the key, ``point_0``/``point_1`` and the no-vig probabilities ``mult_0``,
    ``mult_1``, ``shin_0``, ``shin_1`` (0: home or over; 1: away or under).
    """
    key = ["game_id", "book", "market"]
    first = quotes[quotes["side"].eq(quotes["market"].map(_FIRST_SIDE))]
    second = quotes[quotes["side"].eq(quotes["market"].map(_SECOND_SIDE))]
    pairs = first[[*key, "point", "price_american"]].merge(
        second[[*key, "point", "price_american"]], on=key, suffixes=("_0", "_1")
    )
    point_0, point_1 = pairs["point_0"].astype(float), pairs["point_1"].astype(float)
    same_line = np.select(
        [pairs["market"].eq("h2h"), pairs["market"].eq("spreads")],
        [True, point_0 == -point_1],
        default=point_0 == point_1,
    ).astype(bool)
    implied_0 = american_to_implied(pairs["price_american_0"].astype(float))
    implied_1 = american_to_implied(pairs["price_american_1"].astype(float))
    pairs["mult_0"], pairs["mult_1"] = no_vig_multiplicative(implied_0, implied_1)
    pairs["shin_0"], pairs["shin_1"] = no_vig_shin(implied_0, implied_1)
    # h2h has no line: a stray point must not split the consensus into groups.
    for column in ["point_0", "point_1"]:
        pairs[column] = pairs[column].astype(float).where(pairs["market"].ne("h2h"))
    usable = same_line & pairs["mult_0"].notna().to_numpy()
    return pairs[usable].drop(columns=["price_american_0", "price_american_1"])


def _consensus(pairs: pd.DataFrame) -> pd.DataFrame:
    """Mean no-vig probabilities per (game_id, market) over the books at the main point."""
    line = ["game_id", "market", "point_0", "point_1"]
    counts = pairs.groupby(line, dropna=False).size().rename("n_books").reset_index()
    main = counts.sort_values(
        ["game_id", "market", "n_books", "point_0"],
        ascending=[True, True, False, True],
        na_position="first",
    ).drop_duplicates(["game_id", "market"])
    at_main = pairs.merge(main[line], on=line)  # merge matches NaN points (h2h) with NaN
    means = (
        at_main.groupby(line, dropna=False)[["mult_0", "mult_1", "shin_0", "shin_1"]]
        .mean()
        .reset_index()
    )
    return means.merge(main, on=line).assign(market_source=CONSENSUS)


def _by_side(lines: pd.DataFrame) -> pd.DataFrame:
    """One row per side from one row per two-sided line."""
    columns = ["game_id", "market", "market_source", "n_books"]
    halves = [
        lines[columns]
        .assign(
            side=lines["market"].map(sides),
            point=lines[f"point_{slot}"],
            market_prob_mult=lines[f"mult_{slot}"],
            market_prob_shin=lines[f"shin_{slot}"],
        )
        .astype({"point": float, "market_prob_mult": float, "market_prob_shin": float})
        for slot, sides in enumerate([_FIRST_SIDE, _SECOND_SIDE])
    ]
    out = pd.concat(halves, ignore_index=True)[MARKET_PROB_COLUMNS]
    out["n_books"] = out["n_books"].astype(int)
    return out.sort_values(["game_id", "market", "side"]).reset_index(drop=True)
