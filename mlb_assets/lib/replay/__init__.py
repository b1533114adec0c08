"""A local replay of The Odds API v4 over archived odds, on a simulated clock."""

from mlb_assets.lib.replay.odds_board import OddsBoard, event_id
from mlb_assets.lib.replay.server import Fault, ReplayServer, SimulatedClock, main

__all__ = ["Fault", "OddsBoard", "ReplayServer", "SimulatedClock", "event_id", "main"]
