"""Train/serve skew: does a feature mean the same in the seasons learned from and the one scored?

A model learns what a column looked like in its training seasons. When the scored season
fills a column that training left empty (decision-time lines that only timestamped archives
know), or the column's distribution moves, the model is applied to inputs it never saw.
:func:`skew_report` puts the two side by side per feature; :func:`empty_in_training` names
the columns that must not be offered to a model (see
:func:`mlb_assets.lib.models.anchored.offered_features`, which drops them).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

SKEW_COLUMNS = [
    "feature",
    "train_null_rate",
    "score_null_rate",
    "train_mean",
    "score_mean",
    "train_p10",
    "score_p10",
    "train_p50",
    "score_p50",
    "train_p90",
    "score_p90",
    "std_mean_shift",
]


def _profile(values: pd.Series) -> dict[str, float]:
    known = pd.to_numeric(values, errors="coerce").dropna()
    if known.empty:
        nan = float("nan")
        return {"null_rate": 1.0, "mean": nan, "std": nan, "p10": nan, "p50": nan, "p90": nan}
    p10, p50, p90 = np.quantile(known.to_numpy(dtype=float), [0.1, 0.5, 0.9])
    return {
        "null_rate": float(1 - len(known) / len(values)) if len(values) else 1.0,
        "mean": float(known.mean()),
        "std": float(known.std(ddof=0)),
        "p10": float(p10),
        "p50": float(p50),
        "p90": float(p90),
    }


def skew_report(train: pd.DataFrame, score: pd.DataFrame, features: list[str]) -> pd.DataFrame:
    """Per feature: null rate, mean and 10/50/90th percentiles in ``train`` and ``score``.

    ``std_mean_shift`` is the scored mean minus the training mean, in training standard
    deviations (NaN when either side is empty or the training values are constant).
    """
    rows = []
    for name in features:
        fit, scored = _profile(train[name]), _profile(score[name])
        spread = fit["std"]
        shift = (scored["mean"] - fit["mean"]) / spread if spread and spread > 0 else np.nan
        row: dict[str, object] = {"feature": name, "std_mean_shift": shift}
        for key in ("null_rate", "mean", "p10", "p50", "p90"):
            row[f"train_{key}"], row[f"score_{key}"] = fit[key], scored[key]
        rows.append(row)
    return pd.DataFrame(rows, columns=SKEW_COLUMNS)


def empty_in_training(report: pd.DataFrame) -> list[str]:
    """Features with no value in training but values when scored."""
    flagged = (report["train_null_rate"] >= 1.0) & (report["score_null_rate"] < 1.0)
    return report.loc[flagged, "feature"].tolist()
