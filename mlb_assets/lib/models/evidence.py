"""Out-of-sample evidence that a model beats the market, with its uncertainty.

The question a stake asks is not "is the model good" but "is it better than the price":
both are scored on the same games, and the per-game difference of log-loss
(model − market; negative favours the model) is resampled by game. Its 95% percentile
interval is the evidence; a model whose interval reaches above zero has shown no edge.

Calibration is the logistic regression of the outcome on the model's logit: slope 1 and
intercept 0 for a calibrated model, a slope below 1 for one too confident.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from mlb_assets.lib.models.logistic import fit_logistic, logit

EPSILON = 1e-15
# Resampled games held in memory at once by the bootstrap.
_BOOT_CHUNK = 200


@dataclass(frozen=True)
class Evidence:
    """Model against market on the same games (probabilities of the same side)."""

    n_games: int
    model_log_loss: float
    market_log_loss: float
    diff_mean: float  # mean per-game log-loss, model − market (negative: model better)
    diff_ci_low: float
    diff_ci_high: float
    edge_probability: float  # share of bootstrap resamples where the model is better
    calibration_slope: float
    calibration_intercept: float
    mean_gap: float  # mean of model − market probability

    def as_record(self) -> dict[str, float | int]:
        return asdict(self)

    @property
    def shows_edge(self) -> bool:
        """The whole 95% interval favours the model (the default gate)."""
        return bool(self.diff_ci_high < 0)

    def describe(self) -> str:
        """One line with the numbers, e.g. for logs, metadata and alerts."""
        return (
            f"model − market log-loss {self.diff_mean:+.4f} (95% CI {self.diff_ci_low:+.4f} "
            f"to {self.diff_ci_high:+.4f}) over {self.n_games} games; model "
            f"{self.model_log_loss:.4f}, market {self.market_log_loss:.4f}; calibration slope "
            f"{self.calibration_slope:.2f}, intercept {self.calibration_intercept:+.3f}; mean "
            f"model − market probability {self.mean_gap:+.4f}"
        )


def per_game_log_loss(y: np.ndarray, p: np.ndarray) -> np.ndarray:
    clipped = np.clip(np.asarray(p, dtype=float), EPSILON, 1 - EPSILON)
    outcome = np.asarray(y, dtype=float)
    return -(outcome * np.log(clipped) + (1 - outcome) * np.log1p(-clipped))


def calibration(y: np.ndarray, p: np.ndarray) -> tuple[float, float]:
    """(slope, intercept) of the logistic regression of ``y`` on logit(``p``)."""
    z = logit(np.asarray(p, dtype=float))
    fit = fit_logistic(np.column_stack([np.ones_like(z), z]), np.asarray(y, dtype=float))
    return float(fit.coef[1]), float(fit.coef[0])


def paired_evidence(
    y: np.ndarray,
    model_prob: np.ndarray,
    market_prob: np.ndarray,
    *,
    n_boot: int = 2000,
    seed: int = 0,
    level: float = 0.95,
) -> Evidence:
    """The evidence on the games where the outcome and both probabilities are known.

    Raises ``ValueError`` when fewer than 30 games remain: an interval over a handful of
    games would look like evidence and be none.
    """
    y_arr = np.asarray(y, dtype=float)
    model = np.asarray(model_prob, dtype=float)
    market = np.asarray(market_prob, dtype=float)
    keep = ~(np.isnan(y_arr) | np.isnan(model) | np.isnan(market))
    y_arr, model, market = y_arr[keep], model[keep], market[keep]
    if len(y_arr) < 30:
        raise ValueError(f"only {len(y_arr)} games with an outcome and both probabilities")
    diff = per_game_log_loss(y_arr, model) - per_game_log_loss(y_arr, market)
    means = _bootstrap_means(diff, n_boot, seed)
    tail = (1 - level) / 2
    slope, intercept = calibration(y_arr, model)
    return Evidence(
        n_games=len(y_arr),
        model_log_loss=float(per_game_log_loss(y_arr, model).mean()),
        market_log_loss=float(per_game_log_loss(y_arr, market).mean()),
        diff_mean=float(diff.mean()),
        diff_ci_low=float(np.quantile(means, tail)),
        diff_ci_high=float(np.quantile(means, 1 - tail)),
        edge_probability=float((means < 0).mean()),
        calibration_slope=slope,
        calibration_intercept=intercept,
        mean_gap=float((model - market).mean()),
    )


def _bootstrap_means(values: np.ndarray, n_boot: int, seed: int) -> np.ndarray:
    """Means of ``n_boot`` resamples (with replacement) of ``values``."""
    rng = np.random.default_rng(seed)
    means = []
    for start in range(0, n_boot, _BOOT_CHUNK):
        size = min(_BOOT_CHUNK, n_boot - start)
        picks = rng.integers(0, len(values), size=(size, len(values)))
        means.append(values[picks].mean(axis=1))
    return np.concatenate(means)


def evidence_weight(evidence: Evidence | None) -> float:
    """The share of the model's departure from the market that a stake may trust.

    1 − (standard error / mean improvement)², floored at 0: with no improvement, or one
    the noise could explain away, the weight is 0 (bet the market, i.e. not at all); as
    the improvement grows against its noise, the weight tends to 1. The standard error
    is read off the bootstrap interval (its half-width over 1.96).
    """
    if evidence is None or not evidence.diff_mean < 0:
        return 0.0
    std_err = (evidence.diff_ci_high - evidence.diff_ci_low) / (2 * 1.959964)
    return float(max(0.0, 1.0 - (std_err / -evidence.diff_mean) ** 2))
