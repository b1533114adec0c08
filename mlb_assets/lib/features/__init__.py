"""Point-in-time features per game: market, team and pitcher form, context and targets."""

from mlb_assets.lib.features.form import context_features, pitcher_form, team_form
from mlb_assets.lib.features.market import (
    closing_probabilities,
    cross_book_features,
    market_features,
    workbook_market_features,
)
from mlb_assets.lib.features.training_set import (
    TrainingSet,
    build_training_set,
    fingerprint,
    targets,
)

__all__ = [
    "TrainingSet",
    "build_training_set",
    "closing_probabilities",
    "context_features",
    "cross_book_features",
    "fingerprint",
    "market_features",
    "pitcher_form",
    "targets",
    "team_form",
    "workbook_market_features",
]
