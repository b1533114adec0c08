"""``mlb-assets``: the command line for people (demo, migrations, UI, summaries)."""

from __future__ import annotations

import argparse
import signal
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import date
from pathlib import Path

from mlb_assets.config import Config, ConfigError, child_environment, load_config, prepare_process

DEMO_SEASON = 2016
REPLAY_SERVER = "replay-server"


# The local instance: SQLite storage, telemetry off, and a run queue so that schedule ticks
# never start more than two runs at once against the embedded SQLite warehouse.
LOCAL_INSTANCE_YAML = """telemetry:
  enabled: false
run_coordinator:
  module: dagster._core.run_coordinator
  class: QueuedRunCoordinator
  config:
    max_concurrent_runs: 2
"""


def _dagster_home(home: Path) -> Path:
    """The local Dagster instance in MLB_ASSETS_HOME (written once; yours to edit after)."""
    path = home / "dagster"
    path.mkdir(parents=True, exist_ok=True)
    config = path / "dagster.yaml"
    if not config.exists():
        config.write_text(LOCAL_INSTANCE_YAML)
    return path


@contextmanager
def _steps(name: str) -> Iterator[Callable[[int, int, str], None]]:
    """A phase's run, step by step: a bar on a terminal, one line per step elsewhere."""
    from mlb_assets.lib.progress import StepProgress

    progress = StepProgress(name, total=0)

    def on_step(done: int, total: int, step: str) -> None:
        progress.total = total
        progress.advance(done, f"{step} done")

    try:
        yield on_step
    finally:
        progress.close()


def _phase_done(name: str, started: float, url: str | None = None, tables=()) -> None:  # type: ignore[no-untyped-def]
    """One line closing a phase: wall time and, with ``tables``, their row counts."""
    from mlb_assets.lib.progress import phase_done

    counts = {}
    if url and tables:
        from mlb_assets.lib.warehouse.engine import create_warehouse_engine
        from mlb_assets.lib.warehouse.summary import table_counts

        engine = create_warehouse_engine(url)
        try:
            every = table_counts(engine)
        finally:
            engine.dispose()
        counts = {table: int(every.get(table, 0)) for table in tables}
    print(phase_done(name, time.perf_counter() - started, counts), flush=True)


def _print_table(rows: Sequence[tuple[str, object]]) -> None:
    width = max(len(name) for name, _ in rows)
    for name, value in rows:
        print(f"  {name:<{width}}  {value}")


def _url(args: argparse.Namespace, config: Config) -> str:
    """The warehouse URL: ``--database-url`` when given, else the configured one."""
    return args.database_url or config.warehouse_url


def cmd_migrate(args: argparse.Namespace, config: Config) -> int:
    from mlb_assets.lib.warehouse import migrate
    from mlb_assets.lib.warehouse.engine import create_warehouse_engine, safe_url

    url = _url(args, config)
    engine = create_warehouse_engine(url)
    before = migrate.current_revision(engine)
    migrate.upgrade(engine, args.revision)
    print(f"{safe_url(url)}: {before or 'empty'} -> {migrate.current_revision(engine)}")
    return 0


BI_PASSWORD_ENV = "MLB_ASSETS_BI_PASSWORD"


def cmd_bi_user(args: argparse.Namespace, config: Config) -> int:
    from mlb_assets.lib.warehouse import migrate
    from mlb_assets.lib.warehouse.bi import BI_ROLE, ensure_bi_login
    from mlb_assets.lib.warehouse.engine import create_warehouse_engine, safe_url

    url = _url(args, config)
    engine = create_warehouse_engine(url)
    if engine.dialect.name != "postgresql":
        print("bi-user needs a Postgres warehouse (SQLite has no roles)", file=sys.stderr)
        return 2
    migrate.upgrade(engine)  # the group role comes with the migrations
    password = config.bi_password
    with engine.begin() as connection:
        ensure_bi_login(connection, args.name, password)
    how = "with the password from " + BI_PASSWORD_ENV if password else "without a password"
    print(f"{safe_url(url)}: login {args.name!r} in role {BI_ROLE} ({how}); reads `reporting` only")
    return 0


def cmd_seasons(args: argparse.Namespace, config: Config) -> int:
    from mlb_assets.lib.archives.catalog import ArchiveCatalog

    raw = args.archive_dir or config.archive_dir
    root = Path(raw).expanduser().resolve() if raw else None
    if root is None:
        print("no archive mirror configured (set MLB_ASSETS_ARCHIVE_DIR or pass --archive-dir)")
        return 2
    for season, sources in sorted(ArchiveCatalog(root).seasons().items()):
        print(f"{season}: {', '.join(sorted(sources))}")
        if args.rows:
            _print_season_rows(root, season)
    return 0


def _print_season_rows(root: Path, season: int) -> None:
    """Each file's rows read, loaded and quarantined, and the quarantine by kind of reason."""
    from mlb_assets.lib.archives.season import load_season, quarantine_by_reason

    archives = load_season(root, season)
    print(f"  games loaded: {len(archives.games)}")
    for rows in archives.source_rows:
        print(
            f"  {rows.file:<22} read {rows.rows_read:>6}  loaded {rows.rows_loaded:>6}  "
            f"quarantined {rows.rows_quarantined:>5}  unaccounted {rows.unaccounted}"
        )
    for entry in quarantine_by_reason(archives).itertuples(index=False):
        print(f"    {entry.rows:>5}  {entry.source}: {entry.reason}")


def cmd_summary(args: argparse.Namespace, config: Config) -> int:
    from mlb_assets.lib.warehouse.engine import create_warehouse_engine, safe_url
    from mlb_assets.lib.warehouse.summary import gate_lines, table_counts

    url = _url(args, config)
    engine = create_warehouse_engine(url)
    print(f"warehouse {safe_url(url)}")
    _print_table(list(table_counts(engine).items()))
    gates = gate_lines(engine)
    if gates:
        print("\nbetting gate (money is staked only where a model's edge is proven):")
        for line in gates:
            print(f"  {line}")
    return 0


def _season_range(config: Config, first_season: int, season: int) -> tuple[date, date] | None:
    """From the first dated row of the archived seasons in [first_season, season] to the last.

    Quarantined rows count as well as games: a row dated before the first game that parsed
    (or after the last) must fall inside the backfill that writes it to the quarantine.
    Seasons without files are skipped; None when no season has any.
    """
    from mlb_assets.resources import build_resources

    archive = build_resources(config)["archive"]
    years = list(range(first_season, season + 1))
    available = archive.catalog(years).seasons()
    spans = [archive.season(year).date_span() for year in years if year in available]
    spans = [span for span in spans if span is not None]
    return (spans[0][0], spans[-1][1]) if spans else None


def _print_models(result) -> None:  # type: ignore[no-untyped-def]
    """The champion and the walk-forward verdict from the models run's metadata."""
    from mlb_assets.runner import materialization_metadata

    events = materialization_metadata(result)
    for engine in ("h2o_model", "autogluon_model"):
        meta = events.get(engine, {})
        if meta:
            print(
                f"  {engine:<16} version {meta['version']}  validation log-loss "
                f"{meta['val_log_loss']:.4f}  champion moved: {meta['promoted_to_champion']}"
            )
    if "champion" in events:
        print(
            f"  champion         {events['champion']['model_uri']} = version "
            f"{events['champion']['version']} ({events['champion']['engine']})"
        )
    evaluation = events.get("model_evaluation", {})
    if evaluation:
        print("\nwalk-forward evaluation (out of sample, by month):")
        print(evaluation["overall"])
        print("\nagainst the market at decision time (paired bootstrap 95% intervals):")
        print(evaluation.get("against_market", ""))
        print(f"\n  {evaluation.get('engines_verdict', '')}")
        print(f"  {evaluation['verdict']}")


# What a backfill phase reports when it closes.
BACKFILL_COUNTS = ("games", "odds_snapshots", "line_movements", "game_features")


def cmd_demo(args: argparse.Namespace, config: Config) -> int:
    if args.database_url:
        config = config.with_values(database_url=args.database_url)
    home = config.home_path
    home.mkdir(parents=True, exist_ok=True)
    from mlb_assets.lib.warehouse.engine import create_warehouse_engine, safe_url
    from mlb_assets.lib.warehouse.summary import table_counts
    from mlb_assets.resources import build_resources
    from mlb_assets.runner import (
        BETTING_BACKTEST_JOB,
        run_models,
        run_partitioned_job,
        run_season_backfill,
    )

    resources = build_resources(config)
    url = config.warehouse_url
    started = time.perf_counter()
    print(f"mlb-assets demo: season {args.season} -> warehouse {safe_url(url)}")
    print(f"state directory {home} (runs visible with `mlb-assets ui`)")
    dagster_home = _dagster_home(home)
    if args.history_from < args.season:
        # History seasons run on an ephemeral instance: a recorded run writes one event per
        # partition and asset, minutes for six seasons of daily partitions on SQLite.
        history_range = _season_range(config, args.history_from, args.season - 1)
        if history_range is None:
            print(f"no archived season in {args.history_from}..{args.season - 1}: no history")
        else:
            start, end = history_range
            print(f"loading history {start}..{end} as one run (not recorded in the UI)")
            phase = time.perf_counter()
            with _steps("history") as on_step:
                history = run_season_backfill(
                    start, end, resources=resources, quiet=True, on_step=on_step
                )
            if not history.success:
                print(f"history run {history.run_id} FAILED", file=sys.stderr)
                return 1
            _phase_done("history", phase, url, BACKFILL_COUNTS)
    season_range = _season_range(config, args.season, args.season)
    if season_range is None:
        raise SystemExit(f"no archive data found for season {args.season}")
    start, end = season_range
    print(f"backfilling {start}..{end} as one run (recorded: `mlb-assets ui` shows it)")
    phase = time.perf_counter()
    with _steps("season") as on_step:
        result = run_season_backfill(
            start,
            end,
            dagster_home=dagster_home,
            resources=resources,
            quiet=args.quiet,
            on_step=on_step,
        )
    if not result.success:
        print(f"backfill run {result.run_id} FAILED", file=sys.stderr)
        return 1
    _phase_done("season", phase)
    print(f"\nbackfill done in {time.perf_counter() - started:.1f}s (run {result.run_id})")
    _print_table(list(table_counts(create_warehouse_engine(url)).items()))
    if args.no_models:
        return 0
    print(
        f"\ntraining H2O AutoML and AutoGluon ({args.train_seconds}s each), then the "
        f"walk-forward evaluation of {args.season} ({args.eval_seconds}s per monthly fit)"
    )
    # The champion learns from seasons before the demo season only, so that season's picks
    # are out of sample: a backtest, not a replay of what the model memorized.
    train_before = f"{args.season}-01-01"
    phase = time.perf_counter()
    with _steps("models") as on_step:
        models = run_models(
            dagster_home=dagster_home,
            resources=resources,
            training={"time_budget_seconds": args.train_seconds, "train_before": train_before},
            evaluation={"season": args.season, "time_budget_seconds": args.eval_seconds},
            quiet=args.quiet,
            on_step=on_step,
        )
    if not models.success:
        print(f"models run {models.run_id} FAILED", file=sys.stderr)
        return 1
    _phase_done("models", phase)
    _print_models(models)
    print(f"\nbetting {start}..{end}: predictions, picks, ledger, rollups, reporting views")
    phase = time.perf_counter()
    with _steps("betting") as on_step:
        betting = run_partitioned_job(
            BETTING_BACKTEST_JOB,
            start,
            end,
            dagster_home=dagster_home,
            resources=resources,
            quiet=args.quiet,
            on_step=on_step,
        )
    if not betting.success:
        print(f"betting run {betting.run_id} FAILED", file=sys.stderr)
        return 1
    _phase_done("betting", phase, url, ("predictions", "picks", "bet_ledger"))
    _print_betting(betting, args.season)
    print(f"\ndemo done in {time.perf_counter() - started:.1f}s")
    return 0


def _print_betting(result, season: int) -> None:  # type: ignore[no-untyped-def]
    """The season's gate and ledger: money and paper apart, ROI and CLV with intervals."""
    from mlb_assets.runner import materialization_metadata

    events = materialization_metadata(result)
    picks = events.get("picks", {})
    if picks.get("in_sample_predictions_skipped"):
        print(
            f"  note: {picks['in_sample_predictions_skipped']} predictions were in the "
            "champion's own training data and were not picked"
        )
    for model, gate in dict(picks.get("betting_gate") or {}).items():
        state = "open (money staked)" if gate["open"] else "closed (paper picks only)"
        print(f"  betting gate {model}: {state}; {gate['reason']}")
    rollups = events.get("roi_rollups", {})
    print(
        f"\n{season} ledger (money: fractional Kelly on a compounding bankroll, only while the "
        "model's evidence shows an edge; paper: one unit per pick otherwise):"
    )
    summary = str(rollups.get("summary", "no rollups"))
    print("  " + summary.replace("; paper (", "\n  paper ("))  # money and paper on two lines
    if "by_scope" in rollups:
        print(rollups["by_scope"])


def cmd_doctor(args: argparse.Namespace, config: Config) -> int:
    from mlb_assets.cli_config import run_doctor

    return run_doctor(config)


def cmd_ui(args: argparse.Namespace, config: Config) -> int:
    import os

    env = child_environment({"DAGSTER_HOME": str(_dagster_home(config.home_path))})
    command = ["dagster", "dev", "-m", "mlb_assets.definitions", "-p", str(args.port)]
    print(f"DAGSTER_HOME={env['DAGSTER_HOME']} {' '.join(command)}")
    os.execvpe(command[0], command, env)
    return 0  # pragma: no cover - exec does not return


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="mlb-assets",
        description="MLB betting analytics on Dagster: archives, odds, line movements, models.",
    )
    sub = parser.add_subparsers(dest="command", required=True)

    demo = sub.add_parser("demo", help="backfill a real season through every asset and summarize")
    demo.add_argument("--season", type=int, default=DEMO_SEASON, help="season (default 2016)")
    demo.add_argument(
        "--database-url",
        help="warehouse URL (default: MLB_ASSETS_DATABASE_URL or the embedded SQLite file)",
    )
    demo.add_argument(
        "--history-from",
        type=int,
        default=2010,
        help="first season loaded as history for features and training (default 2010)",
    )
    demo.add_argument("--train-seconds", type=int, default=30, help="AutoML budget per engine")
    demo.add_argument(
        "--eval-seconds", type=int, default=15, help="AutoML budget per monthly walk-forward fit"
    )
    demo.add_argument("--no-models", action="store_true", help="stop after the backfill")
    demo.add_argument("--quiet", action="store_true", help="only warnings from Dagster")
    demo.set_defaults(func=cmd_demo)

    mig = sub.add_parser("migrate", help="upgrade the warehouse schema (run before deploying)")
    mig.add_argument("--database-url", help="warehouse URL")
    mig.add_argument("--revision", default="head", help="target revision (default head)")
    mig.set_defaults(func=cmd_migrate)

    seasons = sub.add_parser("seasons", help="list the seasons found in the archive mirror")
    seasons.add_argument("--archive-dir", help="mirror directory (default MLB_ASSETS_ARCHIVE_DIR)")
    seasons.add_argument(
        "--rows",
        action="store_true",
        help="parse each season: rows read, loaded and quarantined per file, by reason",
    )
    seasons.set_defaults(func=cmd_seasons)

    summary = sub.add_parser("summary", help="row counts of the warehouse tables")
    summary.add_argument("--database-url", help="warehouse URL")
    summary.set_defaults(func=cmd_summary)

    # Listed here for the overview; `config` and replay-server parse their own options.
    sub.add_parser("config", help="print the effective configuration; non-zero if invalid")
    doctor = sub.add_parser(
        "doctor", help="check what the configuration points at and say how to fix each failure"
    )
    doctor.set_defaults(func=cmd_doctor)
    sub.add_parser(
        "replay-server",
        help="serve the archives as The Odds API v4 and the MLB Stats API on 127.0.0.1",
    )

    bi = sub.add_parser(
        "bi-user",
        help=f"create or update a read-only BI login (Postgres; password from {BI_PASSWORD_ENV})",
    )
    bi.add_argument("name", help="login name, e.g. grafana")
    bi.add_argument("--database-url", help="warehouse URL")
    bi.set_defaults(func=cmd_bi_user)

    from mlb_assets import cli_ops

    cli_ops.add_commands(sub)

    ui = sub.add_parser("ui", help="open the Dagster UI on the local instance")
    ui.add_argument("--port", type=int, default=3000)
    ui.set_defaults(func=cmd_ui)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    # `mlb-assets config | head` should end quietly, as other command-line tools do.
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    # Progress lines should appear as they happen, also when the output goes to a file.
    if hasattr(sys.stdout, "reconfigure"):
        sys.stdout.reconfigure(line_buffering=True)
    arguments = list(sys.argv[1:] if argv is None else argv)
    if arguments[:1] == ["config"]:
        from mlb_assets.cli_config import cmd_config

        return cmd_config(arguments[1:])
    try:
        config = load_config()
    except ConfigError as error:
        print(f"mlb-assets: invalid configuration: {error}", file=sys.stderr)
        print("run `mlb-assets config` to see every variable and what it allows", file=sys.stderr)
        return 2
    prepare_process(config)
    if arguments[:1] == [REPLAY_SERVER]:
        from mlb_assets.replay.cli import main as replay_main

        return replay_main(arguments[1:], archive_dir=config.archive_dir, home=config.home_path)
    args = build_parser().parse_args(arguments)
    return int(args.func(args, config))


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
