"""Ingestion domain: source payloads, the game schedule, polling schedules and sensors."""

import dagster as dg

from mlb_assets.defs.ingestion.assets import games, raw_odds_payloads
from mlb_assets.defs.ingestion.schedules import SCHEDULES
from mlb_assets.defs.ingestion.sensors import SENSORS

defs = dg.Definitions(assets=[raw_odds_payloads, games], schedules=SCHEDULES, sensors=SENSORS)
