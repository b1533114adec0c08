"""The market anchor's blend: how far a model's probability may move from the market's."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from mlb_assets.lib.models.logistic import logit, sigmoid


@dataclass(frozen=True)
class Blend:
    """The second stage: which column anchors, and how far the engine may move from it."""

    anchor: str
    gamma: float
    center: float
    gamma_std_err: float
    n_fit: int
    l2: float

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Blend:
        return cls(**data)

    def apply(self, engine_prob: np.ndarray, anchor_prob: np.ndarray) -> np.ndarray:
        """P(y=1); NaN where the anchor is unknown (no market, no anchored probability)."""
        m = logit(np.asarray(anchor_prob, dtype=float))
        e = logit(np.asarray(engine_prob, dtype=float))
        blended = sigmoid(m + self.gamma * (e - m - self.center))
        return np.where(np.isnan(np.asarray(anchor_prob, dtype=float)), np.nan, blended)
