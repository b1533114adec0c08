"""How cost grows with books: the real 2016 lines replayed as 1, 10 and 100 books.

A load test, not market truth: the real Pinnacle quotes are expanded across synthetic books
(``mlb_assets.replay.synthetic_books``: each book leads the real one by its own 0-30 min
plus up to 2 min per quote, and shades every price by its own -5..+5 cents), so 10 books
give 10 times the quotes, snapshots, line movements and market features.

For each scale, a fresh child process runs the ``season_backfill`` job (payloads, games,
odds_snapshots, opening/closing lines, line_movements, consensus and steam, features) over
the window in runs of ``CHUNK_DAYS`` game dates,
against a scratch migrated Postgres database. Printed per scale: wall time, peak RSS of the
child, seconds per asset (summed over the runs), rows per table; and per scale above 1 the
ratio of its time to the 1-book time measured in the same invocation.

Environment: ``MLB_ASSETS_ARCHIVE_DIR`` (required); ``MLB_ASSETS_BENCH_DATABASE_URL``
(server for the scratch databases; default the local test server);
``MLB_ASSETS_BENCH_SCALES`` (default ``1,10,100``); ``MLB_ASSETS_BENCH_SCALE_START`` and
``_END`` (default the first week of May 2016); ``MLB_ASSETS_BENCH_SCALE_CHUNK_DAYS``
(default 1: one run per game date, as the daily schedules run in production).
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

from common import archive_dir, bench_server, peak_rss_mb, step_seconds
from common import run_child as run_child_json

from mlb_assets.config import current

TABLES = ("odds_snapshots", "line_movements", "market_consensus", "steam_events", "game_features")
# Steps whose work grows with the number of books (the others read games or archive files
# only): the two multi-asset steps hold consensus and steam, and the three feature assets.
BOOK_SCALED = (
    "odds_snapshots",
    "odds_snapshots_quality",
    "line_movements",
    "line_movements_quality",
    "market_consensus_assets",
    "game_feature_assets",
)


def window() -> tuple[date, date]:
    config = current()
    return date.fromisoformat(config.bench_scale_start), date.fromisoformat(config.bench_scale_end)


def scales() -> list[int]:
    return [int(s) for s in current().bench_scales.split(",")]


def chunks(start: date, end: date, days: int) -> list[tuple[date, date]]:
    spans, first = [], start
    while first <= end:
        last = min(first + timedelta(days=days - 1), end)
        spans.append((first, last))
        first = last + timedelta(days=1)
    return spans


def _row_counts(url: str) -> dict[str, int]:
    import sqlalchemy as sa

    from mlb_assets.lib.warehouse.engine import create_warehouse_engine

    engine = create_warehouse_engine(url)
    with engine.connect() as connection:
        counts = {
            t: connection.execute(sa.text(f"SELECT count(*) FROM {t}")).scalar() for t in TABLES
        }
    engine.dispose()
    return counts


def build(url: str, books: int, home: str) -> dict[str, object]:
    """Run the backfill over the window at ``books`` books into ``url``; timings and counts."""
    import dagster as dg

    from mlb_assets.resources import resources_for
    from mlb_assets.resources.archive import ArchiveResource
    from mlb_assets.runner import run_season_backfill

    mirror = archive_dir()
    archive = ArchiveResource(archive_dir=mirror, home=home, load_test_books=books)
    resources = resources_for(url, mirror, home, archive=archive)
    dagster_home = Path(home) / f"dagster_{books}"
    dagster_home.mkdir(exist_ok=True)
    (dagster_home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    steps: dict[str, float] = {}
    days = current().bench_scale_chunk_days
    started = time.perf_counter()
    with dg.DagsterInstance.from_config(str(dagster_home)) as instance:
        for first, last in chunks(*window(), days):
            result = run_season_backfill(
                first, last, resources=resources, dagster_home=dagster_home, quiet=True
            )
            if not result.success:
                raise SystemExit(f"backfill {first}..{last} at {books} books failed")
            for step, seconds in step_seconds(instance, result.run_id).items():
                steps[step] = steps.get(step, 0.0) + seconds
    wall = time.perf_counter() - started
    return {"wall": wall, "peak_mb": peak_rss_mb(), "steps": steps, "rows": _row_counts(url)}


def _child(url: str, books: int, home: str) -> None:
    print(json.dumps(build(url, books, home)))


def run_child(url: str, books: int, home: str) -> dict[str, object]:
    """``build`` in a fresh process, so that its peak memory is its own."""
    return run_child_json(__file__, [url, str(books), home], f"scale benchmark at {books} books")


def _book_scaled_seconds(figures: dict[str, object]) -> float:
    steps = figures["steps"]
    assert isinstance(steps, dict)
    return sum(seconds for step, seconds in steps.items() if step in BOOK_SCALED)


def _print(books: int, figures: dict[str, object], baseline: dict[str, object] | None) -> None:
    print(f"scale_{books}x_wall: {figures['wall']:.1f} s")
    print(f"scale_{books}x_book_scaled_assets: {_book_scaled_seconds(figures):.1f} s")
    print(f"scale_{books}x_peak_rss: {figures['peak_mb']:.0f} MB")
    for table, count in dict(figures["rows"]).items():  # type: ignore[arg-type]
        print(f"scale_{books}x_rows_{table}: {count} rows")
    for step, seconds in sorted(dict(figures["steps"]).items()):  # type: ignore[arg-type]
        print(f"scale_{books}x_step_{step}: {seconds:.1f} s")
    if baseline is not None:
        wall_ratio = figures["wall"] / baseline["wall"]  # type: ignore[operator]
        assets_ratio = _book_scaled_seconds(figures) / _book_scaled_seconds(baseline)
        print(f"scale_{books}x_vs_1x_wall: {wall_ratio:.1f} ratio")
        print(f"scale_{books}x_vs_1x_book_scaled_assets: {assets_ratio:.1f} ratio")
    sys.stdout.flush()


def _warm_cache(home: str) -> None:
    """Parse the archives once, so that no scale pays for filling the parsed-file cache."""
    from mlb_assets.resources.archive import ArchiveResource

    start, end = window()
    ArchiveResource(archive_dir=archive_dir(), home=home).seasons_between(start, end)


def main() -> None:
    from mlb_assets.lib.ops.postgres import scratch_database

    archive_dir()
    start, end = window()
    print(f"scale_window: {start}..{end} ({(end - start).days + 1} game dates)")
    server = bench_server()
    baseline = None
    with tempfile.TemporaryDirectory() as home:
        _warm_cache(home)
        for books in scales():
            with scratch_database(server, "bench") as url:
                figures = run_child(url.render_as_string(hide_password=False), books, home)
            _print(books, figures, baseline if books != 1 else None)
            baseline = figures if books == 1 else baseline


if __name__ == "__main__":
    if len(sys.argv) == 5 and sys.argv[1] == "--child":
        _child(sys.argv[2], int(sys.argv[3]), sys.argv[4])
    else:
        main()
