"""Jobs that span domains."""

from __future__ import annotations

import dagster as dg

ARCHIVE_GROUPS = ("ingestion", "markets")

season_backfill_job = dg.define_asset_job(
    name="season_backfill",
    selection=dg.AssetSelection.groups(*ARCHIVE_GROUPS),
    description=(
        "Replays the public archives over a range of game dates as one run: payloads, games, "
        "odds snapshots, opening/closing lines and line movements."
    ),
)
