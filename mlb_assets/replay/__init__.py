"""A local replay of The Odds API v4 over archived odds, on a simulated clock."""

from mlb_assets.replay.cli import main
from mlb_assets.replay.clock import SimulatedClock
from mlb_assets.replay.faults import Fault
from mlb_assets.replay.odds_board import OddsBoard, event_id
from mlb_assets.replay.server import ReplayServer

__all__ = ["Fault", "OddsBoard", "ReplayServer", "SimulatedClock", "event_id", "main"]
