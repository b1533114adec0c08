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


def gate_lines(engine: sa.Engine) -> list[str]:
    """One line per model's betting gate, as the last ``picks`` run left it (none before
    revision 0008 or before the first picks)."""
    from mlb_assets.lib.warehouse.schema import betting_gate

    if not sa.inspect(engine).has_table(betting_gate.name):
        return []
    with engine.connect() as connection:
        rows = connection.execute(sa.select(betting_gate).order_by(betting_gate.c.model_name))
        return [
            f"{row.model_name} v{row.model_version}: {_GATE_STATE[bool(row.gate_open)]} "
            f"({row.reason})"
            for row in rows
        ]


_GATE_STATE = {True: "OPEN, money staked", False: "closed, paper picks only"}
