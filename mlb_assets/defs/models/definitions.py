"""Models domain: training set, AutoML engines, champion, walk-forward evaluation."""

import dagster as dg

from mlb_assets.defs.models.assets import (
    autogluon_model,
    champion,
    h2o_model,
    model_evaluation,
    training_set,
)

defs = dg.Definitions(assets=[training_set, h2o_model, autogluon_model, champion, model_evaluation])
