"""Markets domain: odds snapshots, opening/closing lines, line movements."""

import dagster as dg

from mlb_assets.defs.markets.assets import line_movements, odds_snapshots, opening_closing_lines

defs = dg.Definitions(assets=[odds_snapshots, opening_closing_lines, line_movements])
