"""Ingestion domain: source payloads and the game schedule."""

import dagster as dg

from mlb_assets.defs.ingestion.assets import games, raw_odds_payloads

defs = dg.Definitions(assets=[raw_odds_payloads, games])
