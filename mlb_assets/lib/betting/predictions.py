"""Model probabilities per game and market at decision time, and their outcomes.

A market is priced by the champion of the registered model trained on its target:
``mlb_home_win`` gives P(home wins) for ``h2h``, ``mlb_total_over`` P(over) for
``totals`` at the decision-time total line (a feature the model saw, so the point it
priced is known).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from mlb_assets.lib.betting.settlement import margin
from mlb_assets.lib.names import MODEL_NAMES

PREDICTION_COLUMNS = [
    "game_id",
    "market",
    "game_date",
    "side",
    "point",
    "prob",
    "prob_bin",
    "outcome",
    "model_name",
    "model_version",
    "model_run_id",
    "in_sample",
    "decision_at",
    "predicted_at",
]


@dataclass(frozen=True)
class MarketModel:
    """Which registered model prices a market, for which side, at which line."""

    market: str
    model_name: str
    target: str
    side: str
    point_feature: str | None = None


MARKET_MODELS = {
    "h2h": MarketModel("h2h", MODEL_NAMES["home_win"], "home_win", "home"),
    "totals": MarketModel(
        "totals", MODEL_NAMES["total_over"], "total_over", "over", "total_decision_line"
    ),
}


def feature_matrix(long: pd.DataFrame, features: list[str]) -> pd.DataFrame:
    """Wide float features (index game_id, columns ``features`` in order) from the long
    ``game_features`` rows; a feature absent from the rows is NaN, as in training."""
    if long.empty:
        return pd.DataFrame(columns=features, dtype=float, index=pd.Index([], name="game_id"))
    wide = long.pivot_table(index="game_id", columns="name", values="value", dropna=False)
    return wide.reindex(columns=features).astype(float)


def probability_bin(prob: pd.Series) -> pd.Series:
    """Decile of a probability, 0..9 (1.0 falls in 9)."""
    return np.floor(prob.astype(float) * 10).clip(0, 9).astype(int)


def prediction_outcomes(predictions: pd.DataFrame, games: pd.DataFrame) -> pd.Series:
    """1 when the predicted side won, 0 when it lost, NA on a push or before a final score."""
    scores = games.set_index("game_id")[["status", "home_score", "away_score"]]
    joined = predictions[["game_id", "market", "side", "point"]].join(scores, on="game_id")
    final = joined["status"].eq("final") & joined["home_score"].notna()
    final &= joined["away_score"].notna()
    m = margin(joined)
    outcome = pd.Series(pd.NA, index=predictions.index, dtype="Int64")
    outcome[final & (m > 0)] = 1
    outcome[final & (m < 0)] = 0
    return outcome


def build_predictions(
    games: pd.DataFrame,
    features: pd.DataFrame,
    probs: np.ndarray,
    model: MarketModel,
    *,
    model_version: str,
    model_run_id: str,
    train_last_date: str | None,
    predicted_at: pd.Timestamp,
) -> pd.DataFrame:
    """Rows of the ``predictions`` table for ``games`` (game_id, game_date, decision_at),
    scored in the order of ``features``' index. Games on or before ``train_last_date`` are
    in sample; an unknown last training date marks every game in sample (the cautious
    reading: such predictions never reach picks unless allowed)."""
    scored = games.set_index("game_id").loc[features.index]
    out = pd.DataFrame(
        {
            "game_id": features.index,
            "market": model.market,
            "game_date": scored["game_date"].to_numpy(),
            "side": model.side,
            "point": features[model.point_feature].to_numpy() if model.point_feature else np.nan,
            "prob": np.asarray(probs, dtype=float),
            "model_name": model.model_name,
            "model_version": str(model_version),
            "model_run_id": model_run_id,
            "decision_at": scored["decision_at"].to_numpy(),
            "predicted_at": predicted_at,
        }
    )
    out["prob_bin"] = probability_bin(out["prob"])
    out["in_sample"] = (
        pd.to_datetime(out["game_date"]) <= pd.Timestamp(train_last_date)
        if train_last_date
        else True
    )
    out["outcome"] = prediction_outcomes(out, games)
    return out[PREDICTION_COLUMNS]
