"""A small logistic regression with an offset and a ridge penalty, by Newton's method.

Two places need one: the market-anchored blend (the market's logit is the offset, so with
every coefficient at zero the model IS the market) and the calibration of a model
(outcome on the model's logit: slope 1 and intercept 0 when it is calibrated). A few
parameters on a few thousand rows: Newton converges in a handful of steps, and no
library's defaults (a penalty on by default, no offset) get in the way.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

LOGIT_CLIP = 1e-6


def logit(p: np.ndarray) -> np.ndarray:
    """log(p / (1 - p)) with p clipped away from 0 and 1 (a finite log-odds for any price)."""
    clipped = np.clip(np.asarray(p, dtype=float), LOGIT_CLIP, 1.0 - LOGIT_CLIP)
    return np.log(clipped) - np.log1p(-clipped)


def sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.asarray(z, dtype=float)))


@dataclass(frozen=True)
class LogisticFit:
    """Coefficients (one per column of the design), their standard errors, and rows used."""

    coef: np.ndarray
    std_err: np.ndarray
    n: int


def fit_logistic(
    design: np.ndarray,
    y: np.ndarray,
    offset: np.ndarray | None = None,
    *,
    l2: float | np.ndarray = 0.0,
    max_iter: int = 50,
    tol: float = 1e-10,
) -> LogisticFit:
    """Maximise sum(log-likelihood) - l2/2 * ||coef||^2 for logit P(y=1) = offset + design @ coef.

    ``l2`` may be one value or one per column (0 leaves a column unpenalised). Rows with a
    NaN anywhere are left out. Standard errors come from the penalised Hessian, so they
    are those of the estimate actually returned.
    """
    x = np.asarray(design, dtype=float)
    if x.ndim == 1:
        x = x[:, None]
    target = np.asarray(y, dtype=float)
    base = np.zeros(len(target)) if offset is None else np.asarray(offset, dtype=float)
    keep = ~(np.isnan(x).any(axis=1) | np.isnan(target) | np.isnan(base))
    x, target, base = x[keep], target[keep], base[keep]
    penalty = np.broadcast_to(np.asarray(l2, dtype=float), (x.shape[1],))
    coef = np.zeros(x.shape[1])
    hessian = np.diag(penalty)
    for _ in range(max_iter):
        p = sigmoid(base + x @ coef)
        gradient = x.T @ (target - p) - penalty * coef
        hessian = (x * (p * (1 - p))[:, None]).T @ x + np.diag(penalty)
        step = np.linalg.solve(hessian + 1e-12 * np.eye(len(coef)), gradient)
        coef = coef + step
        if np.max(np.abs(step)) < tol:
            break
    covariance = np.linalg.pinv(hessian)
    return LogisticFit(
        coef=coef, std_err=np.sqrt(np.clip(np.diag(covariance), 0, None)), n=len(target)
    )
