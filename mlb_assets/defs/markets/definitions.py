"""Markets domain: odds snapshots, opening/closing lines, line movements, consensus."""

import dagster as dg

from mlb_assets.defs.markets.assets import line_movements, odds_snapshots, opening_closing_lines
from mlb_assets.defs.markets.consensus import market_consensus_assets

defs = dg.Definitions(
    assets=[odds_snapshots, opening_closing_lines, line_movements, market_consensus_assets]
)
