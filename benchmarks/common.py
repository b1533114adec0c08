"""What every benchmark needs: the archive mirror, the Postgres server for scratch databases,
a child process whose peak memory is its own, and a run's seconds per step."""

from __future__ import annotations

import json
import resource
import subprocess
import sys
from pathlib import Path

from mlb_assets.config import current


def archive_dir() -> str:
    """``MLB_ASSETS_ARCHIVE_DIR``; a benchmark without the mirror stops with a clear message."""
    path = current().archive_dir
    if not path:
        raise SystemExit("set MLB_ASSETS_ARCHIVE_DIR to the archive mirror")
    return str(path)


def bench_server() -> str:
    """The Postgres server scratch databases are made on (``MLB_ASSETS_BENCH_DATABASE_URL``)."""
    return current().bench_database_url


def peak_rss_mb() -> float:
    """This process's peak resident memory so far, in MB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def step_seconds(instance, run_id: str) -> dict[str, float]:  # type: ignore[no-untyped-def]
    """Seconds per step of a run recorded in ``instance``."""
    return {
        s.step_key: s.end_time - s.start_time
        for s in instance.get_run_step_stats(run_id)
        if s.end_time and s.start_time
    }


def run_child(script: str, arguments: list[str], what: str) -> dict[str, object]:
    """Run ``script --child ARGUMENTS`` in a fresh process; the JSON of its last stdout line.

    A fresh process per measurement keeps each peak memory its own. On failure the child's
    stderr tail is shown and the benchmark stops, naming ``what`` failed.
    """
    completed = subprocess.run(
        [sys.executable, str(Path(script).resolve()), "--child", *arguments],
        capture_output=True,
        text=True,
        check=False,
    )
    if completed.returncode != 0:
        print(completed.stderr[-3000:], file=sys.stderr)
        raise SystemExit(f"{what} failed")
    return json.loads(completed.stdout.strip().splitlines()[-1])
