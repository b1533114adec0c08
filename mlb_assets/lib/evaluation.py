"""Training splits and the walk-forward evaluation against the market.

Betting results on history mean something only out of sample: each month of the evaluation
season is predicted by a model trained on every game before that month (expanding window),
and the same rows are scored for the market's own no-vig probability at decision time and
for the closing line (which is known only after the decision: a yardstick, not a rival).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

from mlb_assets.lib.models.metrics import calibration_table, evaluate

# Fits on ``train`` (with its own validation split) and returns P(target=1) for ``test``.
FitPredict = Callable[[pd.DataFrame, pd.DataFrame], np.ndarray]

MARKET_PREDICTORS = {
    "market_decision": "market_home_prob_decision",
    "market_close": "close_home_prob_mult",
}


def time_split(
    frame: pd.DataFrame, target: str, valid_fraction: float = 0.15, date_column: str = "game_date"
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Train on the earlier dates, validate on the latest ``valid_fraction`` of rows.

    A random split would validate on games older than some training games; the model is
    used on games after everything it saw, so it is validated that way too.
    """
    if not 0 < valid_fraction < 1:
        raise ValueError("valid_fraction must lie strictly between 0 and 1")
    known = frame[frame[target].notna()].sort_values([date_column, "game_id"])
    if len(known) < 20:
        raise ValueError(f"only {len(known)} rows with a known {target!r}: too few to train")
    cut = known[date_column].iloc[int(len(known) * (1 - valid_fraction))]
    return known[known[date_column] < cut], known[known[date_column] >= cut]


def month_starts(frame: pd.DataFrame, season: int, date_column: str = "game_date") -> list[date]:
    dates = pd.to_datetime(frame.loc[frame["season"] == season, date_column])
    months = sorted({d.replace(day=1).date() for d in dates})
    return months


@dataclass
class WalkForward:
    predictions: pd.DataFrame  # game_id, game_date, period, y, and one column per predictor
    metrics: pd.DataFrame  # predictor, period, n, log_loss, brier, auc
    calibration: pd.DataFrame  # predictor, bin, p_mean, y_rate, n


def walk_forward(
    frame: pd.DataFrame,
    target: str,
    season: int,
    engines: Mapping[str, FitPredict],
    *,
    date_column: str = "game_date",
    log: Callable[[str], None] = lambda _message: None,
) -> WalkForward:
    """Expanding-window evaluation by month of ``season`` for each engine and the market."""
    rows = []
    for start in month_starts(frame, season, date_column):
        end = (pd.Timestamp(start) + pd.offsets.MonthBegin(1)).date()
        dates = pd.to_datetime(frame[date_column]).dt.date
        train = frame[(dates < start) & frame[target].notna()]
        test = frame[(dates >= start) & (dates < end) & frame[target].notna()]
        if test.empty or train.empty:
            continue
        part = test[["game_id", date_column, target, *MARKET_PREDICTORS.values()]].copy()
        period = part["period"] = start.strftime("%Y-%m")
        for name, fit_predict in engines.items():
            log(f"walk-forward {name} {period}: train {len(train)}, test {len(test)}")
            part[name] = np.asarray(fit_predict(train, test), dtype=float)
        rows.append(part)
    if not rows:
        raise ValueError(f"no month of {season} has both earlier training rows and outcomes")
    predictions = pd.concat(rows, ignore_index=True).rename(columns={target: "y"})
    predictions = predictions.rename(columns={v: k for k, v in MARKET_PREDICTORS.items()})
    predictors = [*engines, *MARKET_PREDICTORS]
    return WalkForward(
        predictions, _metrics(predictions, predictors), _calibration(predictions, predictors)
    )


def _metrics(predictions: pd.DataFrame, predictors: list[str]) -> pd.DataFrame:
    records = []
    for predictor in predictors:
        for period, part in [("all", predictions), *predictions.groupby("period")]:
            scored = evaluate(part["y"], part[predictor])
            records.append({"predictor": predictor, "period": period, **scored})
    return pd.DataFrame(records)


def _calibration(predictions: pd.DataFrame, predictors: list[str]) -> pd.DataFrame:
    tables = [
        calibration_table(predictions["y"], predictions[p]).assign(predictor=p) for p in predictors
    ]
    return pd.concat(tables, ignore_index=True)


def verdict(metrics: pd.DataFrame, engines: list[str]) -> str:
    """One honest sentence: does any engine beat the market's decision-time line?"""
    overall = metrics[metrics["period"] == "all"].set_index("predictor")["log_loss"]
    market = overall.get("market_decision")
    if market is None or np.isnan(market):
        return "no market baseline to compare with"
    best = min(engines, key=lambda e: overall.get(e, np.inf))
    gap = overall[best] - market
    beats = "beats" if gap < 0 else "does not beat"
    return (
        f"best engine {best} {beats} the market at decision time: log-loss {overall[best]:.4f} "
        f"vs {market:.4f} ({gap:+.4f}); closing line {overall.get('market_close', np.nan):.4f}"
    )
