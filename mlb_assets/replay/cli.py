"""``mlb-assets replay-server``: the replay server from the command line."""

from __future__ import annotations

import argparse
import contextlib
import signal
import threading
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from mlb_assets.replay.clock import SimulatedClock
from mlb_assets.replay.odds_board import (
    ImplausibleQuote,
    OddsBoard,
)
from mlb_assets.replay.server import DEFAULT_API_KEY, ReplayServer, _iso, _parse_time

# --- command line --------------------------------------------------------------------


def _start_time(text: str) -> datetime:
    try:
        return _parse_time(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """The options of ``mlb-assets replay-server``."""
    parser = argparse.ArgumentParser(
        prog="mlb-assets replay-server",
        description="Serve archived odds as a local The Odds API v4 on a simulated clock.",
    )
    parser.add_argument("--archive-dir", help="archive mirror (default: MLB_ASSETS_ARCHIVE_DIR)")
    parser.add_argument("--season", type=int, default=2016)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument(
        "--start",
        type=_start_time,
        help="simulated start, e.g. 2016-04-03T12:00:00Z (default: the season's first quote)",
    )
    parser.add_argument("--speed", type=float, default=0.0, help="simulated seconds per second")
    parser.add_argument("--api-key", default=DEFAULT_API_KEY, help="key clients must send")
    parser.add_argument("--no-auth", action="store_true", help="accept requests without a key")
    parser.add_argument("--quota", type=int, default=500, help="credits of the simulated plan")
    parser.add_argument("--cache-dir", help="parquet cache (default: MLB_ASSETS_HOME/cache)")
    parser.add_argument(
        "--implausible-total",
        type=float,
        metavar="POINT",
        help="serve the first listed game's totals of its first book at POINT (e.g. 0.5, a "
        "first-inning total under the full-game key), to see normalization quarantine it",
    )
    return parser.parse_args(argv)


def server_from_args(
    args: argparse.Namespace, *, archive_dir: Path | None = None, home: Path | None = None
) -> ReplayServer:
    """Build (not start) the server the options describe; ``archive_dir`` and ``home`` are
    the configured defaults (``MLB_ASSETS_ARCHIVE_DIR``, ``MLB_ASSETS_HOME``)."""
    from mlb_assets.lib import settings

    archive = settings.archive_dir(args.archive_dir or archive_dir)
    if archive is None or not archive.is_dir():
        raise SystemExit(
            f"no archive mirror: pass --archive-dir or set MLB_ASSETS_ARCHIVE_DIR (got {archive})"
        )
    cache = Path(args.cache_dir) if args.cache_dir else settings.home_dir(home) / "cache"
    board = OddsBoard.from_archive(archive, args.season, cache_dir=cache)
    start = args.start or board.first_quote_at or datetime.now(UTC)
    server = ReplayServer(
        board,
        host=args.host,
        port=args.port,
        api_key=None if args.no_auth else args.api_key,
        quota_total=args.quota,
        clock=SimulatedClock(start, args.speed),
        implausible=_implausible(args),
    )
    mount_mlb_schedule(server, archive, args.season, cache)
    return server


def _implausible(args: argparse.Namespace) -> tuple[ImplausibleQuote, ...]:
    if args.implausible_total is None:
        return ()
    return (ImplausibleQuote("totals", point=args.implausible_total),)


def mount_mlb_schedule(server: ReplayServer, archive: Path, season: int, cache: Path) -> None:
    """Serve the season's reconciled schedule as the MLB Stats API at ``/api/v1/schedule``.

    Skipped (with a note) when the archive holds no file of that season to build it from.
    """
    from mlb_assets.lib.archives.catalog import ArchiveCatalog
    from mlb_assets.lib.archives.season import load_season
    from mlb_assets.replay.mlb_schedule import schedule_route

    if not ArchiveCatalog(archive).seasons().get(season):
        print(f"no {season} archive files under {archive}: /api/v1/schedule not served")
        return
    games = load_season(archive, season, cache_dir=cache).games
    server.add_route("/api/v1/schedule", schedule_route(games, server.clock.now))


def main(
    argv: Sequence[str] | None = None,
    *,
    stop: threading.Event | None = None,
    archive_dir: Path | None = None,
    home: Path | None = None,
) -> int:
    """``mlb-assets replay-server``: serve until Ctrl-C, SIGTERM or ``stop`` is set."""
    args = parse_args(argv)
    server = server_from_args(args, archive_dir=archive_dir, home=home)
    stop = stop or threading.Event()
    with server, _stop_on_signals(stop):
        auth = "no key needed" if args.no_auth else f"apiKey={args.api_key}"
        print(f"replay server for The Odds API v4 at {server.url} ({auth})", flush=True)
        print(
            f"simulated now {_iso(server.clock.now())}, speed {args.speed:g}x; "
            f"control endpoints under {server.url}/_replay/; Ctrl-C stops",
            flush=True,
        )
        while not stop.wait(0.5):  # a timed wait lets signal handlers run promptly
            pass
        print("stopping", flush=True)
    return 0


@contextlib.contextmanager
def _stop_on_signals(stop: threading.Event) -> Iterator[None]:
    """SIGINT and SIGTERM set ``stop`` (a container's ``docker stop`` sends SIGTERM).

    Handlers can only be installed from the main thread; elsewhere (tests) the caller
    sets ``stop`` itself.
    """
    previous: dict[int, Any] = {}
    for signum in (signal.SIGINT, signal.SIGTERM):
        try:
            previous[signum] = signal.signal(signum, lambda *_: stop.set())
        except ValueError:
            break
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
