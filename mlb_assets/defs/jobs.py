"""Jobs that span domains."""

from __future__ import annotations

import dagster as dg

from mlb_assets.defs.partitions import game_date_partitions

ARCHIVE_GROUPS = ("ingestion", "markets")

season_backfill_job = dg.define_asset_job(
    name="season_backfill",
    selection=dg.AssetSelection.groups(*ARCHIVE_GROUPS),
    partitions_def=game_date_partitions,
    description=(
        "Replays the public archives over a range of game dates as one run: payloads, games, "
        "odds snapshots, opening/closing lines and line movements."
    ),
)
