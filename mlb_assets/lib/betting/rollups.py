"""ROI, bankroll curve, drawdown and a bootstrap interval from the bet ledger.

Only settled bets (win, loss or push) count towards money staked, profit and ROI
(profit / staked): a void returns the stake and says nothing about skill, and a pending
bet has no outcome yet. Pushes stay in: their stake was at risk.

A season's ROI is a mean over a few hundred bets with heavy-tailed payoffs, so its
point value alone says little; the percentile bootstrap over bets gives an interval
without assuming normality. Closing-line value gets one too, in probability points and as
price value (the expected return of the price taken at the closing probability).

Money and paper are two ledgers: the daily figures and the bankroll curve are money only
(paper bets never touch the bankroll); the summary has both, under ``ledger`` 'money' and
'paper', every scope of each.
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
LEDGERS = ("money", "paper")
SUMMARY_COLUMNS = [
    "ledger",
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
    "clv_ci_low",
    "clv_ci_high",
    "clv_value_mean",
    "clv_value_ci_low",
    "clv_value_ci_high",
    "bankroll_return",
    "max_drawdown",
]
UNTIERED = "untiered"  # bets whose model probability is below the lowest tier
# Resampled bets held in memory at once by the bootstrap (with their values: ~24 MB).
_BOOT_CHUNK_ELEMENTS = 1_000_000


def is_paper(ledger: pd.DataFrame) -> pd.Series:
    """The paper bets of the ledger (a ledger without the column holds money bets only)."""
    if "paper" not in ledger.columns:
        return pd.Series(False, index=ledger.index)
    return ledger["paper"].eq(True)


def money_bets(ledger: pd.DataFrame) -> pd.DataFrame:
    return ledger[~is_paper(ledger)]


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
    """Counts by result, settled stake and profit, and ROI per game date (money bets)."""
    ledger = money_bets(ledger)
    counts = _counts(ledger).assign(game_date=ledger["game_date"])
    daily = counts.groupby("game_date", sort=True).sum().reset_index()
    daily["staked"] = daily["staked"].round(2)
    daily["profit"] = daily["profit"].round(2)
    daily["roi"] = _roi(daily["profit"], daily["staked"])
    return daily[DAILY_COLUMNS]


def bankroll_curve(ledger: pd.DataFrame, starting_bankroll: float) -> pd.DataFrame:
    """The bankroll at the start and end of each game date, its running peak and drawdown
    (money bets only).

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


def bankroll_return(curve: pd.DataFrame, starting_bankroll: float) -> float:
    """Final bankroll / starting bankroll − 1 (0.0 before any money bet)."""
    if not len(curve):
        return 0.0
    return float(curve["bankroll_end"].iloc[-1]) / starting_bankroll - 1.0


def bootstrap_mean_ci(
    values: np.ndarray, *, n_boot: int = 2000, seed: int = 0, level: float = 0.95
) -> tuple[float, float]:
    """Percentile bootstrap interval of the mean of ``values`` (NaN dropped)."""
    values = np.asarray(values, dtype=float)
    values = values[~np.isnan(values)]
    return bootstrap_roi_ci(values, np.ones_like(values), n_boot=n_boot, seed=seed, level=level)


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


def roi_summary(
    ledger: pd.DataFrame,
    *,
    n_boot: int = 2000,
    seed: int = 0,
    starting_bankroll: float | None = None,
) -> pd.DataFrame:
    """Settled-bet ROI and CLV with bootstrap intervals for each ledger, scope and key.

    Ledgers: 'money' and 'paper' (rows only for a ledger with settled bets). Scopes: 'all'
    (key 'all'), 'tier' (A/B/C, and 'untiered' for bets below the lowest tier), 'market',
    'month' (YYYY-MM) and 'season'. ``bets`` counts settled bets, the ones ROI is computed
    over. ``win_rate`` is wins / (wins + losses); the CLV columns are over settled bets
    that have a closing probability at their own point (:func:`same_point_close`). The
    money 'all' row also carries the bankroll return and the maximum drawdown when
    ``starting_bankroll`` is given.
    """
    settled = ledger[ledger["result"].isin(SETTLED_RESULTS)]
    paper = is_paper(settled)
    rows = []
    for name, part in (("money", settled[~paper]), ("paper", settled[paper])):
        rows += _ledger_rows(name, part, n_boot=n_boot, seed=seed)
    summary = pd.DataFrame(rows, columns=SUMMARY_COLUMNS)
    if starting_bankroll is not None:
        money_all = summary["ledger"].eq("money") & summary["scope"].eq("all")
        curve = bankroll_curve(ledger, starting_bankroll)
        summary.loc[money_all, "bankroll_return"] = bankroll_return(curve, starting_bankroll)
        summary.loc[money_all, "max_drawdown"] = max_drawdown(curve)
    return summary


def _ledger_rows(name: str, settled: pd.DataFrame, *, n_boot: int, seed: int) -> list[dict]:
    keys = {
        "all": pd.Series("all", index=settled.index),
        "tier": settled["tier"].fillna(UNTIERED).astype(str),
        "market": settled["market"].astype(str),
        "month": settled["month"].astype(str),
        "season": settled["season"].astype(int).astype(str),
    }
    return [
        {"ledger": name, **_scope_row(scope, key, settled.loc[index], n_boot=n_boot, seed=seed)}
        for scope, key_of_bet in keys.items()
        for key, index in sorted(settled.groupby(key_of_bet).groups.items())
    ]


def _scope_row(scope: str, key: str, bets: pd.DataFrame, *, n_boot: int, seed: int) -> dict:
    stake, profit = bets["stake"].to_numpy(float), bets["profit"].to_numpy(float)
    staked, total = float(stake.sum()), float(profit.sum())
    wins, losses = int(bets["result"].eq("win").sum()), int(bets["result"].eq("loss").sum())
    same_point = same_point_close(bets)
    clv = bets["clv_prob"].astype(float)[same_point].dropna()
    value = _clv_value(bets)[same_point].dropna()
    low, high = bootstrap_roi_ci(profit, stake, n_boot=n_boot, seed=seed)
    clv_low, clv_high = bootstrap_mean_ci(clv.to_numpy(), n_boot=n_boot, seed=seed)
    value_low, value_high = bootstrap_mean_ci(value.to_numpy(), n_boot=n_boot, seed=seed)
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
        "clv_ci_low": clv_low,
        "clv_ci_high": clv_high,
        "clv_value_mean": float(value.mean()) if len(value) else np.nan,
        "clv_value_ci_low": value_low,
        "clv_value_ci_high": value_high,
        "bankroll_return": np.nan,
        "max_drawdown": np.nan,
    }


def same_point_close(bets: pd.DataFrame) -> pd.Series:
    """Bets whose CLV was measured at their own point (``clv_point_diff`` 0).

    A close at another point (a total moved from 8.5 to 9) prices another bet, so its CLV
    is never averaged in. Ledgers without the column predate the point check and count.
    """
    if "clv_point_diff" not in bets.columns:
        return pd.Series(True, index=bets.index)
    return bets["clv_point_diff"].astype(float).eq(0.0)


def _clv_value(bets: pd.DataFrame) -> pd.Series:
    if "clv_value" in bets.columns:
        return bets["clv_value"].astype(float)
    return pd.Series(np.nan, index=bets.index)


_FIGURES = (
    "roi",
    "roi_ci_low",
    "roi_ci_high",
    "clv_mean",
    "clv_ci_low",
    "clv_ci_high",
    "clv_positive_share",
    "clv_value_mean",
    "clv_value_ci_low",
    "clv_value_ci_high",
)


def headline(ledger: pd.DataFrame, summary: pd.DataFrame, curve: pd.DataFrame) -> dict[str, float]:
    """The figures a run reports, money first, then paper (``paper_`` prefix, in units).

    Money: volume, stake, profit, ROI with its interval, CLV in points and as price value
    with theirs, final bankroll, bankroll return and maximum drawdown.
    """
    paper = is_paper(ledger)
    figures = _ledger_figures(ledger[~paper], summary, "money")
    start = float(curve["bankroll_start"].iloc[0]) if len(curve) else np.nan
    final = float(curve["bankroll_end"].iloc[-1]) if len(curve) else np.nan
    figures["final_bankroll"] = final
    figures["bankroll_return"] = final / start - 1.0 if len(curve) else np.nan
    figures["max_drawdown"] = max_drawdown(curve)
    paper_figures = _ledger_figures(ledger[paper], summary, "paper")
    if paper.any():  # in units: a paper stake is one unit's worth of money, never money
        first = ledger[paper].iloc[0]
        unit = float(first["stake"]) / float(first["stake_units"])
        paper_figures["staked"] /= unit
        paper_figures["profit"] /= unit
    figures.update({f"paper_{name}": value for name, value in paper_figures.items()})
    return figures


def _ledger_figures(bets: pd.DataFrame, summary: pd.DataFrame, name: str) -> dict[str, float]:
    overall = summary[summary["ledger"].eq(name) & summary["scope"].eq("all")]
    row = overall.iloc[0] if len(overall) else pd.Series(dtype=float)
    return {
        "bets": float(len(bets)),
        "settled": float(bets["result"].isin(SETTLED_RESULTS).sum()),
        "staked": float(row.get("staked", 0.0)),
        "profit": float(row.get("profit", 0.0)),
        **{figure: float(row.get(figure, np.nan)) for figure in _FIGURES},
    }
