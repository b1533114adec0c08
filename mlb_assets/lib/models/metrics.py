"""Probability metrics for binary outcomes, computed the same way for every engine.

Both engines report their own scores, but on different scales and with different
conventions for missing values. The champion decision compares models across engines,
so the numbers must come from one implementation: these functions.

Rows whose outcome or probability is missing are left out (and counted in ``n``);
probabilities are clipped to ``[1e-15, 1 - 1e-15]`` so a confident miss costs a large
but finite log loss.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

EPSILON = 1e-15

ArrayLike = Sequence[float] | np.ndarray | pd.Series


def _clean(y: ArrayLike, p: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """Aligned float arrays of outcomes and clipped probabilities, NA rows removed."""
    y_arr = pd.to_numeric(pd.Series(np.asarray(y, dtype=object)), errors="coerce").to_numpy(
        dtype=float
    )
    p_arr = pd.to_numeric(pd.Series(np.asarray(p, dtype=object)), errors="coerce").to_numpy(
        dtype=float
    )
    if y_arr.shape != p_arr.shape:
        raise ValueError(f"y and p differ in length: {y_arr.shape[0]} != {p_arr.shape[0]}")
    keep = ~(np.isnan(y_arr) | np.isnan(p_arr))
    y_arr, p_arr = y_arr[keep], p_arr[keep]
    if not np.isin(y_arr, (0.0, 1.0)).all():
        raise ValueError("y must hold only 0 and 1 (or missing values)")
    if ((p_arr < 0.0) | (p_arr > 1.0)).any():
        raise ValueError("p must lie in [0, 1]")
    return y_arr, np.clip(p_arr, EPSILON, 1.0 - EPSILON)


def count(y: ArrayLike, p: ArrayLike) -> int:
    """How many rows the metrics use: those with both an outcome and a probability."""
    return int(_clean(y, p)[0].size)


def log_loss(y: ArrayLike, p: ArrayLike) -> float:
    """Mean negative log-likelihood; NaN when no row is usable."""
    y_arr, p_arr = _clean(y, p)
    if y_arr.size == 0:
        return float("nan")
    return float(-np.mean(y_arr * np.log(p_arr) + (1.0 - y_arr) * np.log1p(-p_arr)))


def brier(y: ArrayLike, p: ArrayLike) -> float:
    """Mean squared error of the probability; NaN when no row is usable."""
    y_arr, p_arr = _clean(y, p)
    if y_arr.size == 0:
        return float("nan")
    return float(np.mean((p_arr - y_arr) ** 2))


def auc(y: ArrayLike, p: ArrayLike) -> float:
    """Area under the ROC curve by the rank-sum statistic (ties count one half).

    NaN when only one class is present: ranking is undefined, not perfect.
    """
    y_arr, p_arr = _clean(y, p)
    positives = int(y_arr.sum())
    negatives = y_arr.size - positives
    if positives == 0 or negatives == 0:
        return float("nan")
    ranks = pd.Series(p_arr).rank(method="average").to_numpy()
    rank_sum = ranks[y_arr == 1.0].sum()
    return float((rank_sum - positives * (positives + 1) / 2.0) / (positives * negatives))


def calibration_table(y: ArrayLike, p: ArrayLike, bins: int = 10) -> pd.DataFrame:
    """Reliability table over ``bins`` equal-width probability bins.

    Every bin appears, empty ones with ``n == 0`` and NaN rates, so tables from
    different models line up row for row. A probability of exactly 1 falls in the top bin.
    """
    if bins < 1:
        raise ValueError("bins must be at least 1")
    y_arr, p_arr = _clean(y, p)
    index = np.minimum((p_arr * bins).astype(int), bins - 1)
    frame = pd.DataFrame({"bin": index, "p": p_arr, "y": y_arr})
    grouped = frame.groupby("bin").agg(p_mean=("p", "mean"), y_rate=("y", "mean"), n=("y", "size"))
    table = grouped.reindex(range(bins)).rename_axis("bin").reset_index()
    table["n"] = table["n"].fillna(0).astype(int)
    return table[["bin", "p_mean", "y_rate", "n"]]


def evaluate(y: ArrayLike, p: ArrayLike) -> dict[str, float | int]:
    """The validation metrics every trained model reports: log_loss, brier, auc and n."""
    return {
        "log_loss": log_loss(y, p),
        "brier": brier(y, p),
        "auc": auc(y, p),
        "n": count(y, p),
    }
