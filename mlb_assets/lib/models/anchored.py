"""Market-anchored models: the market's price is the starting point, the engine the residual.

A closing-quality betting market is a strong forecaster; an AutoML engine trained from
scratch re-learns most of the price, badly, and loses to it. Here the market's no-vig
probability at decision time (the *anchor*) is the model's starting point, and the
engine only gets to move away from it as far as held-out games support:

    logit P(y=1) = m + gamma * (e - m - c)

where ``m`` is the anchor's logit, ``e`` the engine's and ``c`` the engine's average
disagreement with the market on the held-out games. That average is a level bias of the
engine (a home win rate learned from other seasons), not information about a game: it is
taken out, and the market's own level stands. There is no free intercept either: fit on
one season's held-out slice, it moved every 2016 probability by most of a point.

This is a second-stage blend (the AutoML libraries offer no offset inside AutoML: H2O
AutoML has no ``offset_column``, AutoGluon no ``init_score``), fit on games the engine
never saw (its validation split). ``gamma`` carries a ridge penalty toward zero, i.e.
toward the market: with no evidence the model IS the market, and the engine has to earn
its distance.

The engine does not see the price columns the anchor already carries (the target
market's own open and decision probabilities, the cross-book consensus): it learns what
form, pitchers, schedule and line movement say, and the blend decides how much of that
the price has not already absorbed.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd

from mlb_assets.lib.models import metrics
from mlb_assets.lib.models.blend import Blend
from mlb_assets.lib.models.logistic import fit_logistic, logit
from mlb_assets.lib.models.pyfunc import BLEND_KEY, ModelSpec, TrainedModel, load_engine_scorer

# The anchor of each target: the market's no-vig probability of the same side at decision
# time (the open where a season's archive has no timestamps), a column of the training set.
ANCHORS = {"home_win": "market_home_prob_anchor", "total_over": "market_over_prob_anchor"}
# Price columns of each target's own market: carried by the anchor, withheld from the engine.
PRICE_COLUMNS = {
    "home_win": (
        "ml_open_home_prob_mult",
        "ml_open_home_prob_shin",
        "ml_decision_home_prob_mult",
        "ml_decision_home_prob_shin",
        "xb_consensus_home_prob",
    ),
    "total_over": ("total_over_prob_open", "total_over_prob_decision"),
}
# Ridge penalty on gamma, in log-likelihood units: a prior that the model is the
# market, about as strong as a few dozen games' worth of information.
BLEND_L2 = 20.0
# A feature is offered to an engine only when this share of its training rows has it:
# a column empty (or nearly so) in training would only ever be seen at scoring time.
MIN_FEATURE_COVERAGE = 0.10


def anchor_column(target: str) -> str:
    if target not in ANCHORS:
        raise ValueError(
            f"no market anchor is defined for target {target!r}; known: {sorted(ANCHORS)}"
        )
    return ANCHORS[target]


def engine_features(target: str, features: list[str]) -> list[str]:
    """The candidate features an engine may see for ``target``: all but its market's prices."""
    withheld = set(PRICE_COLUMNS.get(target, ()))
    return [name for name in features if name not in withheld]


def coverage(frame: pd.DataFrame, features: list[str]) -> pd.Series:
    """Share of rows with a value, per feature."""
    if frame.empty:
        return pd.Series(0.0, index=features)
    return frame[features].notna().mean()


def offered_features(
    train: pd.DataFrame, features: list[str], min_coverage: float = MIN_FEATURE_COVERAGE
) -> list[str]:
    """``features`` present in at least ``min_coverage`` of the training rows, in order.

    A column empty in every training season (decision-time lines before timestamped
    archives, say) teaches nothing and would change meaning at scoring time, where it
    is filled: it is not offered.
    """
    shares = coverage(train, features)
    return [name for name in features if shares[name] >= min_coverage]


def fit_blend(
    engine_prob: np.ndarray,
    anchor_prob: np.ndarray,
    y: np.ndarray,
    *,
    anchor: str,
    l2: float = BLEND_L2,
) -> Blend:
    """Fit gamma on held-out rows (rows missing any input are left out)."""
    m = logit(np.asarray(anchor_prob, dtype=float))
    e = logit(np.asarray(engine_prob, dtype=float))
    known = ~np.isnan(np.asarray(anchor_prob, dtype=float))
    if known.sum() < 30:
        raise ValueError(f"only {int(known.sum())} held-out rows have a market anchor: too few")
    disagreement = (e - m)[known]
    center = float(disagreement.mean())
    fit = fit_logistic(
        (disagreement - center)[:, None], np.asarray(y, dtype=float)[known], m[known], l2=l2
    )
    return Blend(
        anchor=anchor,
        gamma=float(fit.coef[0]),
        center=center,
        gamma_std_err=float(fit.std_err[0]),
        n_fit=fit.n,
        l2=float(l2),
    )


def anchor_trained(trained: TrainedModel, valid: pd.DataFrame, anchor: str) -> TrainedModel:
    """``trained`` made market-anchored: the blend fit on ``valid`` and saved with the model.

    ``valid`` must be rows the engine never learned from (its validation split). The
    validation metrics become the anchored model's; the engine's alone stay in the params
    (``engine_val_log_loss``), next to the market's on the same rows, so that a reader
    sees how much the engine added.
    """
    rows = valid[valid[trained.target].notna()].reset_index(drop=True)
    y = rows[trained.target].astype(float).to_numpy()
    engine_prob = load_engine_scorer(trained.model_dir)(rows[trained.features])
    anchor_prob = rows[anchor].to_numpy(dtype=float)
    blend = fit_blend(engine_prob, anchor_prob, y, anchor=anchor)
    spec = ModelSpec.read(trained.model_dir)
    ModelSpec(
        engine=spec.engine,
        features=spec.features,
        target=spec.target,
        engine_version=spec.engine_version,
        details={**spec.details, BLEND_KEY: blend.as_dict()},
    ).write(trained.model_dir)
    known = ~np.isnan(anchor_prob)
    anchored = blend.apply(engine_prob, anchor_prob)
    params = {
        **trained.params,
        "anchor": anchor,
        "blend_center": round(blend.center, 6),
        "blend_gamma": round(blend.gamma, 6),
        "blend_l2": blend.l2,
        "engine_val_log_loss": metrics.log_loss(y[known], engine_prob[known]),
        "market_val_log_loss": metrics.log_loss(y[known], anchor_prob[known]),
    }
    example = rows[[*trained.features, anchor]].head(5).astype("float64")
    return replace(
        trained,
        val_metrics=metrics.evaluate(y[known], anchored[known]),
        params=params,
        input_example=example.reset_index(drop=True),
    )
