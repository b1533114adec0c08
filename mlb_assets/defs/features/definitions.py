"""Features domain: point-in-time features per game date."""

import dagster as dg

from mlb_assets.defs.features.assets import game_feature_assets

defs = dg.Definitions(assets=[game_feature_assets])
