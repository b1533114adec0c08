"""Row counts and content checksums of the warehouse tables."""

from __future__ import annotations

import sqlalchemy as sa

from mlb_assets.lib.warehouse.schema import metadata


def table_counts(engine: sa.Engine) -> dict[str, int]:
    """Rows per table, in schema order (tables not yet created count as 0)."""
    existing = set(sa.inspect(engine).get_table_names())
    counts: dict[str, int] = {}
    with engine.connect() as connection:
        for table in metadata.sorted_tables:
            if table.name not in existing:
                counts[table.name] = 0
                continue
            counts[table.name] = connection.execute(
                sa.select(sa.func.count()).select_from(table)
            ).scalar_one()
    return counts
