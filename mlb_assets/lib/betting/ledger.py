"""The bet ledger: every bet placed, staked from a compounding bankroll and settled.

Stakes compound by game date: a day's bets are sized from the bankroll at the start of
that day, which is the starting bankroll plus the profit of every bet settled on an
earlier game date (a bet still pending counts as 0 until its game is over). The ledger
is rebuilt from scratch on every run, so the same inputs always give the same frame;
the one moment that is not an input, the time a bet was first seen settled, is carried
over from the previous ledger through ``settled_at_known``.

Paper bets (picks placed while the model's betting gate was closed) are settled here too,
flagged ``paper``: one unit each (1% of the starting bankroll), profit in the same units,
never drawn from nor added to the bankroll, so the money ledger is exactly what it would be
without them.

Closing-line value compares the price taken with the sharp reference book's closing
no-vig probability for the side, the best available estimate of the true probability;
when the reference book did not close the market, the bet's own book stands in. The
no-vig method is the one the edge used (multiplicative or Shin), so the two are measured
against the same yardstick. ``clv_prob`` is in probability points (closing probability
minus the price's implied one); ``clv_value`` is the price's expected value at the closing
probability (closing probability × decimal price − 1).

A run line or total prices a point: over 8.5 and over 9 are different bets, so a close at
another point says nothing about the price taken. A book's closing line is its last
snapshot before first pitch, and a book quotes one point per side at a time, so the book
"still offered the bet's point at close" exactly when its closing point is the bet's
point. CLV uses the reference book's close at the bet's point, else the bet's own book's
close at that point; when neither closed at the bet's point, ``closing_point`` is the
close that would have been used (the reference book's, else the bet's book's),
``clv_point_diff`` is that point minus the bet's, and ``closing_prob_novig``, ``clv_prob``
and ``clv_value`` stay null: no CLV is claimed. A moneyline has no point:
``closing_point`` is null and ``clv_point_diff`` 0 whenever a close exists.
``closing_price_american`` is the bet's own book's closing price, at the bet's point only.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd

from mlb_assets.lib.betting.settlement import clv_prob, resolve_suspended, settle
from mlb_assets.lib.betting.staking import UNIT_SHARE
from mlb_assets.lib.odds import american_to_decimal, american_to_implied
from mlb_assets.lib.warehouse import schema

__all__ = ["LEDGER_COLUMNS", "UNIT_SHARE", "build_ledger", "closing_no_vig"]
LEDGER_COLUMNS = [column.name for column in schema.bet_ledger.columns]
_ORDER = ["game_date", "game_id", "market", "side"]
_SIDE_KEY = ["game_id", "market", "side"]


def build_ledger(
    picks: pd.DataFrame,
    games: pd.DataFrame,
    closes: pd.DataFrame,
    *,
    starting_bankroll: float,
    reference_book: str = "pinnacle",
    novig_method: Literal["mult", "shin"] = "mult",
    settled_at_known: pd.Series | None = None,
    now: pd.Timestamp,
) -> pd.DataFrame:
    """The bet_ledger rows for the picks that are bets (``is_bet``), in the table's order.

    ``games`` has game_id, season, status, home_score, away_score; ``closes`` has
    game_id, market, side, book, close_price, close_point, close_prob_novig (the
    multiplicative no-vig probability, as line_movements stores it). ``settled_at_known`` maps
    bet_id to the settled_at already recorded; a bet settled for the first time gets
    ``now``. Raises ValueError when a bet's game is not in ``games``: a bet must never
    drop out of the ledger silently.
    """
    if starting_bankroll <= 0:
        raise ValueError("starting_bankroll must be positive")
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware (UTC)")
    bets = picks[picks["is_bet"].eq(True)].rename(columns={"pick_id": "bet_id"})
    bets = bets.assign(paper=_paper_flags(bets))
    bets = _with_games(bets, games, now)
    closes = closes.assign(close_prob_novig=closing_no_vig(closes, novig_method))
    bets = _with_closes(bets, closes, reference_book)
    unit = starting_bankroll * UNIT_SHARE
    money = _staked_and_settled(bets[~bets["paper"]], starting_bankroll)
    paper = _paper_settled(bets[bets["paper"]], unit)
    parts = [part for part in (money, paper) if len(part)]
    ledger = pd.concat(parts, ignore_index=True) if len(parts) > 1 else (parts or [money])[0]
    ledger = ledger.sort_values(_ORDER, kind="stable").reset_index(drop=True)
    ledger["stake_units"] = ledger["stake"] / unit
    ledger["profit_units"] = ledger["profit"] / unit
    price_taken = ledger["price_american"].astype(float)
    ledger["clv_prob"] = clv_prob(price_taken, ledger["closing_prob_novig"])
    decimal = pd.Series(american_to_decimal(price_taken), index=ledger.index)
    ledger["clv_value"] = ledger["closing_prob_novig"] * decimal - 1.0
    ledger["month"] = pd.to_datetime(ledger["game_date"]).dt.strftime("%Y-%m")
    ledger["placed_at"] = ledger["decision_at"]
    ledger["settled_at"] = _settled_at(ledger, settled_at_known, now)
    return ledger[LEDGER_COLUMNS].reset_index(drop=True)


def closing_no_vig(closes: pd.DataFrame, method: Literal["mult", "shin"]) -> pd.Series:
    """Each side's closing no-vig probability by ``method``.

    line_movements stores the multiplicative one, ``q = p / B`` for the side's implied
    probability ``p`` and the market's booksum ``B``. Shin's two-way probability is
    ``p - (B - 1) / 2`` (see :func:`~mlb_assets.lib.odds.no_vig_shin`), and ``B = p / q``
    follows from the side's own closing price, so no second lookup of the other side is
    needed.
    """
    if method not in ("mult", "shin"):
        raise ValueError(f"novig_method must be 'mult' or 'shin', not {method!r}")
    mult = closes["close_prob_novig"].astype(float)
    if method == "mult":
        return mult
    implied = pd.Series(
        american_to_implied(closes["close_price"].astype(float)), index=closes.index
    )
    return implied - (implied / mult - 1.0) / 2.0


def _paper_flags(bets: pd.DataFrame) -> pd.Series:
    if "paper" not in bets.columns:
        return pd.Series(False, index=bets.index)
    return bets["paper"].eq(True)


def _paper_settled(bets: pd.DataFrame, unit: float) -> pd.DataFrame:
    """Paper bets: one unit each, settled, with no bankroll behind them."""
    stake = pd.Series(round(unit, 2), index=bets.index, dtype=float)
    settled = settle(bets.assign(stake=stake))
    return bets.assign(
        stake_fraction=UNIT_SHARE,
        bankroll_before=np.nan,
        stake=stake,
        result=settled["result"],
        profit=settled["profit"],
    )


def _with_games(bets: pd.DataFrame, games: pd.DataFrame, now: pd.Timestamp) -> pd.DataFrame:
    missing = sorted(set(bets["game_id"]) - set(games["game_id"]))
    if missing:
        raise ValueError(f"bets on games missing from games: {', '.join(map(str, missing))}")
    if "game_date" in games.columns:  # suspended games settle late or void
        games = resolve_suspended(games, now)
    columns = ["game_id", "season", "status", "home_score", "away_score"]
    return bets.merge(games[columns], on="game_id", how="left", validate="m:1")


def _with_closes(bets: pd.DataFrame, closes: pd.DataFrame, reference_book: str) -> pd.DataFrame:
    """The closing line CLV is measured against, at the bet's point only (module docstring):
    ``closing_price_american``, ``closing_prob_novig``, ``closing_point``, ``clv_point_diff``."""
    own = closes[[*_SIDE_KEY, "book", "close_price", "close_point", "close_prob_novig"]]
    reference = closes.loc[
        closes["book"] == reference_book, [*_SIDE_KEY, "close_point", "close_prob_novig"]
    ].rename(columns={"close_point": "reference_point", "close_prob_novig": "reference_prob"})
    out = bets.merge(own, on=[*_SIDE_KEY, "book"], how="left", validate="m:1").merge(
        reference, on=_SIDE_KEY, how="left", validate="m:1"
    )
    point = out["point"].astype(float)
    own_point, reference_point = out.pop("close_point"), out.pop("reference_point")
    own_prob, reference_prob = out.pop("close_prob_novig"), out.pop("reference_prob")
    own_price = out.pop("close_price")
    own_same = _at_point(out, own_prob, own_point, point)
    reference_same = _at_point(out, reference_prob, reference_point, point)
    use_reference = reference_same | (reference_prob.notna() & ~own_same)
    closing_point = np.where(use_reference, reference_point, own_point).astype(float)
    claimed = reference_same | own_same
    out["closing_price_american"] = own_price.where(own_same).astype("Int64")
    out["closing_prob_novig"] = np.where(
        reference_same, reference_prob, np.where(own_same, own_prob, np.nan)
    ).astype(float)
    out["closing_point"] = closing_point
    has_close = (reference_prob.notna() | own_prob.notna()).to_numpy()
    diff = np.where(claimed, 0.0, closing_point - point.to_numpy())
    out["clv_point_diff"] = np.where(has_close, diff, np.nan)
    return out


def _at_point(
    bets: pd.DataFrame, prob: pd.Series, close_point: pd.Series, point: pd.Series
) -> pd.Series:
    """Whether a close exists at the bet's point (any close, for a moneyline)."""
    same = bets["market"].eq("h2h") | (close_point.astype(float) == point)
    return prob.notna() & same


def _staked_and_settled(bets: pd.DataFrame, starting_bankroll: float) -> pd.DataFrame:
    """Stake, result and profit per bet, sizing each game date from the bankroll then.

    A loop over days, not bets: a day's stakes depend on the profit of every earlier day.
    """
    ordered = bets.sort_values(_ORDER, kind="stable").reset_index(drop=True)
    ordered = ordered.assign(bankroll_before=np.nan, stake=np.nan, result=None, profit=np.nan)
    bankroll = float(starting_bankroll)
    for _, rows in ordered.groupby("game_date", sort=True):
        day = rows.index
        stake = (ordered.loc[day, "stake_fraction"].astype(float) * max(bankroll, 0.0)).round(2)
        ordered.loc[day, "bankroll_before"] = bankroll
        ordered.loc[day, "stake"] = stake
        settled = settle(ordered.loc[day].assign(stake=stake))
        ordered.loc[day, "result"] = settled["result"]
        ordered.loc[day, "profit"] = settled["profit"]
        bankroll = round(bankroll + float(settled["profit"].sum()), 2)  # pending: NaN, skipped
    return ordered


def _settled_at(
    ledger: pd.DataFrame, settled_at_known: pd.Series | None, now: pd.Timestamp
) -> pd.Series:
    """When each settled bet was first seen settled; NaT while it is pending."""
    known = pd.Series(pd.NaT, index=ledger.index, dtype="datetime64[ns, UTC]")
    if settled_at_known is not None and len(settled_at_known):
        recorded = pd.to_datetime(ledger["bet_id"].map(settled_at_known), utc=True)
        known = recorded.astype("datetime64[ns, UTC]")
    first_seen = known.fillna(now.tz_convert("UTC"))
    return first_seen.where(ledger["result"].notna())
