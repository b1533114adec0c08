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

from mlb_assets.lib.models.evidence import Evidence, paired_evidence
from mlb_assets.lib.models.metrics import calibration_table, evaluate

# Fits on ``train`` (with its own validation split) and returns P(target=1) for ``test``.
FitPredict = Callable[[pd.DataFrame, pd.DataFrame], np.ndarray]

# The market's own probability of each target's side: at decision time (the anchor: the
# decision-time line, the open where a season has no timestamps) and at the close.
MARKET_PREDICTORS = {
    "home_win": {
        "market_decision": "market_home_prob_anchor",
        "market_close": "close_home_prob_mult",
    },
    "total_over": {
        "market_decision": "market_over_prob_anchor",
        "market_close": "close_over_prob_mult",
    },
}
MARKET_DECISION = "market_decision"


def market_predictors(target: str) -> dict[str, str]:
    if target not in MARKET_PREDICTORS:
        raise ValueError(
            f"no market baseline for target {target!r}; known: {sorted(MARKET_PREDICTORS)}"
        )
    return MARKET_PREDICTORS[target]


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
    markets = market_predictors(target)
    rows = []
    for start in month_starts(frame, season, date_column):
        end = (pd.Timestamp(start) + pd.offsets.MonthBegin(1)).date()
        dates = pd.to_datetime(frame[date_column]).dt.date
        train = frame[(dates < start) & frame[target].notna()]
        test = frame[(dates >= start) & (dates < end) & frame[target].notna()]
        if test.empty or train.empty:
            continue
        part = test[["game_id", date_column, target, *markets.values()]].copy()
        period = part["period"] = start.strftime("%Y-%m")
        for name, fit_predict in engines.items():
            log(f"walk-forward {name} {period}: train {len(train)}, test {len(test)}")
            part[name] = np.asarray(fit_predict(train, test), dtype=float)
        rows.append(part)
    if not rows:
        raise ValueError(f"no month of {season} has both earlier training rows and outcomes")
    predictions = pd.concat(rows, ignore_index=True).rename(columns={target: "y"})
    predictions = predictions.rename(columns={v: k for k, v in markets.items()})
    predictors = [*engines, *markets]
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


def paired_against_market(
    predictions: pd.DataFrame, predictors: list[str], *, n_boot: int = 2000, seed: int = 0
) -> dict[str, Evidence]:
    """Each predictor's evidence against the market at decision time, on the games both
    scored (a predictor with fewer than 30 such games is left out)."""
    found = {}
    for name in predictors:
        try:
            found[name] = paired_evidence(
                predictions["y"].astype(float).to_numpy(),
                predictions[name].to_numpy(dtype=float),
                predictions[MARKET_DECISION].to_numpy(dtype=float),
                n_boot=n_boot,
                seed=seed,
            )
        except ValueError:
            continue
    return found


def evidence_table(evidence: Mapping[str, Evidence]) -> pd.DataFrame:
    """One row per predictor: its log-loss, the market's on the same games, the interval."""
    return pd.DataFrame([{"predictor": name, **e.as_record()} for name, e in evidence.items()])


def verdict(
    metrics: pd.DataFrame, engines: list[str], evidence: Mapping[str, Evidence] | None = None
) -> str:
    """One honest sentence about the best engine against the market's decision-time line.

    "Beats" needs the paired interval entirely below zero; a lower log-loss whose interval
    reaches above zero is reported as no proven edge, and without an interval no claim
    is made either way beyond the point figures.
    """
    overall = metrics[metrics["period"] == "all"].set_index("predictor")["log_loss"]
    market = overall.get("market_decision")
    if market is None or np.isnan(market):
        return "no market baseline to compare with"
    best = min(engines, key=lambda e: overall.get(e, np.inf))
    figures = (
        f"log-loss {overall[best]:.4f} vs {market:.4f} ({overall[best] - market:+.4f}); "
        f"closing line {overall.get('market_close', np.nan):.4f}"
    )
    found = (evidence or {}).get(best)
    if found is None:
        return f"best engine {best}, without an interval (no claim of an edge): {figures}"
    outcome = "beats" if found.shows_edge else "does not beat (no proven edge)"
    return (
        f"best engine {best} {outcome} the market at decision time: {figures}; paired 95% CI "
        f"{found.diff_ci_low:+.4f} to {found.diff_ci_high:+.4f}"
    )
