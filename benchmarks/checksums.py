"""Row counts and content checksums of every warehouse table, to compare two runs.

    python benchmarks/checksums.py sqlite:////path/a/warehouse.sqlite [sqlite:////path/b/...]

With one URL it prints each table's rows and checksum; with two it prints both and whether
they agree. The checksum is a sha256 over the rows sorted by every column, in a canonical
text form, leaving out the columns that record when a run happened rather than what it
computed (``VOLATILE``). Used to show that a change of structure changed no result.
"""

from __future__ import annotations

import hashlib
import sys

import pandas as pd
import sqlalchemy as sa

from mlb_assets.lib.warehouse import schema

# Wall-clock stamps of the run itself (not of the data): they differ between any two runs.
VOLATILE = {"fetched_at", "created_at", "computed_at", "checked_at", "predicted_at"}


def table_checksums(url: str) -> dict[str, tuple[int, str]]:
    engine = sa.create_engine(url)
    out: dict[str, tuple[int, str]] = {}
    with engine.connect() as connection:
        for table in schema.metadata.sorted_tables:
            if not sa.inspect(connection).has_table(table.name):
                continue
            frame = pd.read_sql_table(table.name, connection)
            out[table.name] = (len(frame), _checksum(frame))
    engine.dispose()
    return out


def _checksum(frame: pd.DataFrame) -> str:
    kept = frame[[c for c in sorted(frame.columns) if c not in VOLATILE]].copy()
    for column in kept.columns:
        if kept[column].dtype == object and kept[column].map(_is_bytes).any():
            kept[column] = kept[column].map(lambda v: hashlib.sha256(bytes(v)).hexdigest())
    text = kept.astype(str).sort_values(list(kept.columns)).to_csv(index=False)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _is_bytes(value: object) -> bool:
    return isinstance(value, bytes | memoryview)


def main(urls: list[str]) -> int:
    results = [table_checksums(url) for url in urls]
    names = sorted(set().union(*results))
    differ = 0
    for name in names:
        cells = [r.get(name, (0, "-")) for r in results]
        same = len({c for c in cells}) == 1
        differ += not same
        shown = "  ".join(f"{rows:>9,} {digest}" for rows, digest in cells)
        mark = "" if len(urls) == 1 else ("  same" if same else "  DIFFERENT")
        print(f"{name:<24} {shown}{mark}")
    if len(urls) > 1:
        print(f"{len(names) - differ} of {len(names)} tables identical")
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
