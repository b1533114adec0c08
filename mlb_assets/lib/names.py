"""Names the graph's domains share: one definition each, imported by every domain.

Domains under ``mlb_assets/defs`` never import each other; what two of them must agree on
(an asset key they both name, the decision time, a run parameter one writes and another
reads) lives here.
"""

# The stored feature sets (assets and ``game_features.feature_set`` values).
FEATURE_SETS = ("sharp_action_features", "team_form", "pitcher_form")

# The project's decision time: first pitch minus this many minutes (DESIGN.md).
DECISION_MINUTES_BEFORE = 60

# The one declaration of the models: registered model per training target. Each target is a
# partition of the model assets (both engines, the champion, the walk-forward evaluation), so
# a new entry here (the run line, once its target exists) is trained, promoted and evaluated
# like the others. The betting markets they price are in lib/betting/predictions.MARKET_MODELS.
MODEL_NAMES = {"home_win": "mlb_home_win", "total_over": "mlb_total_over"}
# The target trained when none is named (the demo, `run_models`): the moneyline's.
DEFAULT_TARGET = "home_win"

# The MLflow run parameter holding the last game date a model was trained on.
TRAIN_LAST_DATE_PARAM = "train_last_date"

# Today's odds older than this while games are still to come are stale.
STALE_ODDS_MINUTES = 30
