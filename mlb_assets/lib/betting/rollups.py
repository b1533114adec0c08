"""ROI, bankroll curve, drawdown and a bootstrap interval from the bet ledger.

Only settled bets (win, loss or push) count towards money staked, profit and ROI
(profit / staked): a void returns the stake and says nothing about skill, and a pending
bet has no outcome yet. Pushes stay in: their stake was at risk.

A season's ROI is a mean over a few hundred bets with heavy-tailed payoffs, so its
point value alone says little; the percentile bootstrap over bets gives an interval
without assuming normality.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from mlb_assets.lib.warehouse.reporting import REPORTING_VIEWS

SETTLED_RESULTS = ("win", "loss", "push")
# The same columns as the reporting views of the same names: one contract for BI tools
# reading the views and for the figures computed here.
DAILY_COLUMNS = list(REPORTING_VIEWS["roi_daily"].columns)
CURVE_COLUMNS = list(REPORTING_VIEWS["bankroll_curve"].columns)
SUMMARY_COLUMNS = [
    "scope",
    "key",
    "bets",
    "staked",
    "profit",
    "roi",
    "roi_ci_low",
    "roi_ci_high",
    "win_rate",
    "clv_mean",
    "clv_positive_share",
]
UNTIERED = "untiered"  # bets whose model probability is below the lowest tier
# Resampled bets held in memory at once by the bootstrap (with their values: ~24 MB).
_BOOT_CHUNK_ELEMENTS = 1_000_000


def _counts(ledger: pd.DataFrame) -> pd.DataFrame:
    """Per-bet indicator columns and settled-only money, ready to sum by any key."""
    result = ledger["result"]
    settled = result.isin(SETTLED_RESULTS)
    return pd.DataFrame(
        {
            "bets": 1,
            "settled": settled.astype(int),
            "wins": result.eq("win").astype(int),
            "losses": result.eq("loss").astype(int),
            "pushes": result.eq("push").astype(int),
            "voids": result.eq("void").astype(int),
            "pending": result.isna().astype(int),
            "staked": ledger["stake"].astype(float).where(settled, 0.0),
            "profit": ledger["profit"].astype(float).where(settled, 0.0),
        },
        index=ledger.index,
    )


def _roi(profit: pd.Series, staked: pd.Series) -> pd.Series:
    return (profit / staked).where(staked > 0)


def roi_daily(ledger: pd.DataFrame) -> pd.DataFrame:
    """Counts by result, settled stake and profit, and ROI per game date."""
    counts = _counts(ledger).assign(game_date=ledger["game_date"])
    daily = counts.groupby("game_date", sort=True).sum().reset_index()
    daily["staked"] = daily["staked"].round(2)
    daily["profit"] = daily["profit"].round(2)
    daily["roi"] = _roi(daily["profit"], daily["staked"])
    return daily[DAILY_COLUMNS]


def bankroll_curve(ledger: pd.DataFrame, starting_bankroll: float) -> pd.DataFrame:
    """The bankroll at the start and end of each game date, its running peak and drawdown.

    The peak includes the starting bankroll, so losing from the first day shows as a
    drawdown. Money is rounded to cents at every step, as the ledger's bankroll is.
    """
    daily = roi_daily(ledger)[["game_date", "profit"]]
    bankroll_end = (starting_bankroll + daily["profit"].cumsum()).round(2)
    curve = daily.assign(
        bankroll_start=bankroll_end.shift(1, fill_value=starting_bankroll),
        bankroll_end=bankroll_end,
        peak=np.maximum(bankroll_end.cummax(), starting_bankroll),
    )
    curve["drawdown"] = curve["bankroll_end"] / curve["peak"] - 1.0
    return curve[CURVE_COLUMNS]


def max_drawdown(curve: pd.DataFrame) -> float:
    """The deepest drawdown as a negative fraction of the peak (0.0 for no decline)."""
    return float(min(curve["drawdown"].min(), 0.0)) if len(curve) else 0.0


def bootstrap_roi_ci(
    profit: np.ndarray,
    stake: np.ndarray,
    *,
    n_boot: int = 2000,
    seed: int = 0,
    level: float = 0.95,
) -> tuple[float, float]:
    """Percentile bootstrap interval of ROI = sum(profit) / sum(stake) over resampled bets.

    Bets are drawn with replacement, ``n_boot`` times; the draws are made in chunks of
    bounded size so that a long history does not allocate ``n_boot x n`` indices at once.
    The generator draws row after row, so the chunk size does not change the answer: a
    seed gives one interval.
    (NaN, NaN) for fewer than 2 bets: one bet has no sampling variability to show.
    """
    profit, stake = np.asarray(profit, dtype=float), np.asarray(stake, dtype=float)
    n = len(profit)
    if n < 2:
        return (np.nan, np.nan)
    rng = np.random.default_rng(seed)
    chunk = max(1, _BOOT_CHUNK_ELEMENTS // n)
    rois = np.empty(n_boot)
    for start in range(0, n_boot, chunk):
        size = min(chunk, n_boot - start)
        draws = rng.integers(0, n, size=(size, n))
        with np.errstate(invalid="ignore", divide="ignore"):
            rois[start : start + size] = profit[draws].sum(axis=1) / stake[draws].sum(axis=1)
    tail = (1.0 - level) / 2.0 * 100.0
    low, high = np.nanpercentile(rois, [tail, 100.0 - tail])
    return (float(low), float(high))


def roi_summary(ledger: pd.DataFrame, *, n_boot: int = 2000, seed: int = 0) -> pd.DataFrame:
    """Settled-bet ROI with a bootstrap interval for each scope and key.

    Scopes: 'all' (key 'all'), 'tier' (A/B/C, and 'untiered' for bets below the lowest
    tier), 'market', 'month' (YYYY-MM) and 'season'. ``bets`` counts settled bets, the
    ones ROI is computed over. ``win_rate`` is wins / (wins + losses); the CLV columns
    are over settled bets that have a closing probability.
    """
    settled = ledger[ledger["result"].isin(SETTLED_RESULTS)]
    keys = {
        "all": pd.Series("all", index=settled.index),
        "tier": settled["tier"].fillna(UNTIERED).astype(str),
        "market": settled["market"].astype(str),
        "month": settled["month"].astype(str),
        "season": settled["season"].astype(int).astype(str),
    }
    rows = [
        _scope_row(scope, key, settled.loc[index], n_boot=n_boot, seed=seed)
        for scope, key_of_bet in keys.items()
        for key, index in sorted(settled.groupby(key_of_bet).groups.items())
    ]
    return pd.DataFrame(rows, columns=SUMMARY_COLUMNS)


def _scope_row(scope: str, key: str, bets: pd.DataFrame, *, n_boot: int, seed: int) -> dict:
    stake, profit = bets["stake"].to_numpy(float), bets["profit"].to_numpy(float)
    staked, total = float(stake.sum()), float(profit.sum())
    wins, losses = int(bets["result"].eq("win").sum()), int(bets["result"].eq("loss").sum())
    clv = bets["clv_prob"].astype(float).dropna()
    low, high = bootstrap_roi_ci(profit, stake, n_boot=n_boot, seed=seed)
    return {
        "scope": scope,
        "key": key,
        "bets": len(bets),
        "staked": round(staked, 2),
        "profit": round(total, 2),
        "roi": total / staked if staked > 0 else np.nan,
        "roi_ci_low": low,
        "roi_ci_high": high,
        "win_rate": wins / (wins + losses) if wins + losses else np.nan,
        "clv_mean": float(clv.mean()) if len(clv) else np.nan,
        "clv_positive_share": float((clv > 0).mean()) if len(clv) else np.nan,
    }


def headline(ledger: pd.DataFrame, summary: pd.DataFrame, curve: pd.DataFrame) -> dict[str, float]:
    """The figures a run reports: volume, money, ROI with its interval, CLV, bankroll."""
    overall = summary[summary["scope"].eq("all")]
    row = overall.iloc[0] if len(overall) else pd.Series(dtype=float)
    settled = ledger["result"].isin(SETTLED_RESULTS)
    return {
        "bets": float(len(ledger)),
        "settled": float(settled.sum()),
        "staked": float(row.get("staked", 0.0)),
        "profit": float(row.get("profit", 0.0)),
        **{
            name: float(row.get(name, np.nan))
            for name in ["roi", "roi_ci_low", "roi_ci_high", "clv_mean", "clv_positive_share"]
        },
        "final_bankroll": float(curve["bankroll_end"].iloc[-1]) if len(curve) else np.nan,
        "max_drawdown": max_drawdown(curve),
    }
