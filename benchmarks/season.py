"""The full 2016 backfill (archives -> features, no training) on SQLite and on Postgres.

Each backend runs in a fresh child process so its peak memory is its own, recording its run
in the Dagster instance it is deployed with: the embedded SQLite instance beside the SQLite
warehouse, Postgres run and event storage beside the Postgres one. Postgres uses a
scratch database created on the server of ``MLB_ASSETS_BENCH_DATABASE_URL`` (default: the
local test server) and dropped afterwards. Needs ``MLB_ASSETS_ARCHIVE_DIR``.
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

from common import archive_dir, bench_server, peak_rss_mb, run_child, step_seconds

from mlb_assets.lib.ops.postgres import scratch_database

START, END = date(2016, 4, 3), date(2016, 11, 2)


def _instance_yaml(dagster_url: str | None) -> str:
    """The Dagster instance each deployment pairs with its warehouse: the embedded SQLite
    instance of ``MLB_ASSETS_HOME`` with SQLite, Postgres storage (as ``dagster.yaml`` in
    production) with Postgres, in a database of its own as in production (Dagster and the
    warehouse each keep an ``alembic_version`` table)."""
    config = "telemetry:\n  enabled: false\n"
    if dagster_url is None:
        return config
    plain = dagster_url.replace("postgresql+psycopg://", "postgresql://", 1)
    return config + f"storage:\n  postgres:\n    postgres_url: {plain}\n"


def _child(url: str, home: str, dagster_url: str | None = None) -> None:
    """Run one backfill and print a JSON line with the timings."""
    import dagster as dg

    from mlb_assets.resources import resources_for
    from mlb_assets.runner import run_season_backfill

    resources = resources_for(url, archive_dir(), home)
    dagster_home = Path(tempfile.mkdtemp(prefix="dagster_", dir=home))
    (dagster_home / "dagster.yaml").write_text(_instance_yaml(dagster_url))
    started = time.perf_counter()
    result = run_season_backfill(
        START, END, resources=resources, dagster_home=dagster_home, quiet=True
    )
    wall = time.perf_counter() - started
    with dg.DagsterInstance.from_config(str(dagster_home)) as instance:
        steps = step_seconds(instance, result.run_id)
    figures = {"success": result.success, "wall": wall, "peak_mb": peak_rss_mb(), "steps": steps}
    print(json.dumps(figures))


def _run_backend(name: str, url: str, warm_home: str, dagster_url: str | None = None) -> None:
    arguments = [url, warm_home, *([dagster_url] if dagster_url else [])]
    figures = run_child(__file__, arguments, f"season benchmark on {name}")
    print(f"season_{name}_wall: {figures['wall']:.2f} s")
    print(f"season_{name}_peak_rss: {figures['peak_mb']:.0f} MB")
    for step, seconds in sorted(figures["steps"].items()):
        print(f"season_{name}_step_{step}: {seconds:.2f} s")


def main() -> None:
    archive_dir()
    with tempfile.TemporaryDirectory() as home:
        # Parse once so both backends start from the same warm parquet cache.
        _run_backend("warmup_sqlite", f"sqlite:///{home}/warmup.sqlite", home)
        _run_backend("sqlite", f"sqlite:///{home}/warehouse.sqlite", home)
        server = bench_server()
        with (
            scratch_database(server, "bench") as url,
            scratch_database(server, "bench_dagster") as dagster_url,
        ):
            rendered = [u.render_as_string(hide_password=False) for u in (url, dagster_url)]
            _run_backend("postgres", *rendered[:1], home, rendered[1])


if __name__ == "__main__":
    if len(sys.argv) in (4, 5) and sys.argv[1] == "--child":
        _child(*sys.argv[2:])
    else:
        main()
