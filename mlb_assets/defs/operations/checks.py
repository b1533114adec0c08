"""Data-quality asset checks: a Great Expectations suite per table, and odds freshness.

Each check reads the rows its run just wrote (the run's game dates) and validates them
with the suite in ``mlb_assets.lib.quality``; the validation result goes into the check's
metadata. The table checks are blocking: a failure stops every downstream asset of the
same run, so bad odds never become line movements, features, picks or ledger rows.

Single implausible quotes are normalization's to quarantine (``mlb_assets.lib.plausibility``);
the odds_snapshots check adds the share of the dates' quotes quarantined: above
``MLB_ASSETS_QUARANTINE_WARN_SHARE`` it passes with WARN severity, above
``MLB_ASSETS_QUARANTINE_ERROR_SHARE`` it fails.
"""

import warnings
from dataclasses import dataclass
from datetime import date, timedelta

import dagster as dg
import pandas as pd
import sqlalchemy as sa

from mlb_assets.defs.partitions import date_label, game_date_partitions
from mlb_assets.lib.ingest.live import local_date
from mlb_assets.lib.names import FEATURE_SETS, STALE_ODDS_MINUTES
from mlb_assets.lib.quality.quarantine import QuarantineShare
from mlb_assets.lib.quality.rules import QualityRules
from mlb_assets.lib.quality.validate import validate_table
from mlb_assets.lib.teams import team_names
from mlb_assets.lib.warehouse import schema
from mlb_assets.lib.warehouse.freshness import todays_staleness
from mlb_assets.lib.warehouse.load import read_frame
from mlb_assets.resources.betting import BettingResource
from mlb_assets.resources.live import IngestionResource
from mlb_assets.resources.warehouse import WarehouseResource

QUALITY_CHECK = "quality"
FRESHNESS_CHECK = "odds_fresh"


@dataclass(frozen=True)
class CheckedTable:
    asset: str
    table: sa.Table
    suite: str
    partitioned: bool = True
    feature_set: str | None = None  # game_features rows of one feature asset


CHECKED_TABLES = (
    CheckedTable("games", schema.games, "games"),
    CheckedTable("odds_snapshots", schema.odds_snapshots, "odds_snapshots"),
    CheckedTable("line_movements", schema.line_movements, "line_movements"),
    *(
        CheckedTable(name, schema.game_features, "game_features", feature_set=name)
        for name in FEATURE_SETS
    ),
    CheckedTable("picks", schema.picks, "picks"),
    CheckedTable("bet_ledger", schema.bet_ledger, "bet_ledger", partitioned=False),
)


def check_dates(context: dg.AssetCheckExecutionContext) -> tuple[date, date] | None:
    """The game dates of the run's partitions; None for an unpartitioned run (everything)."""
    if not (context.has_partition_key or context.has_partition_key_range):
        return None
    window = context.partition_time_window
    return window.start.date(), (window.end - timedelta(days=1)).date()


def _query(target: CheckedTable, dates: tuple[date, date] | None) -> sa.Select:
    table = target.table
    query = sa.select(table)
    if target.suite == "odds_snapshots":  # first pitch, for "captured before the game"
        starts = sa.select(schema.games.c.game_id, schema.games.c.start_time_utc).subquery()
        query = sa.select(table, starts.c.start_time_utc).select_from(
            table.outerjoin(starts, starts.c.game_id == table.c.game_id)
        )
    if target.feature_set is not None:
        query = query.where(table.c.feature_set == target.feature_set)
    if dates is not None:
        query = query.where(table.c.game_date.between(*dates))
    return query


def quality_rules(frame: pd.DataFrame, betting: BettingResource) -> QualityRules:
    """Teams valid in the rows' seasons (All-Star teams included) and the stake cap. Books
    are open-ended (every bookmaker the API or an archive lists): any non-blank book is known."""
    seasons = sorted(pd.to_datetime(frame["game_date"]).dt.year.unique()) if len(frame) else []
    teams: set[str] = set()
    for season in seasons or [None]:
        codes = team_names(int(season) if season is not None else None, include_allstar=True)
        teams |= set(codes["code"])
    return QualityRules(
        known_teams=frozenset(teams),
        known_books=None,
        max_stake_fraction=betting.staking().max_bet_share,
    )


def build_quality_check(target: CheckedTable) -> dg.AssetChecksDefinition:
    @dg.asset_check(
        asset=target.asset,
        name=QUALITY_CHECK,
        blocking=True,
        partitions_def=game_date_partitions if target.partitioned else None,
        description=(
            f"Great Expectations suite '{target.suite}' over the rows this run wrote; "
            "blocking: a failure stops the downstream assets of the run."
        ),
    )
    def _quality(
        context: dg.AssetCheckExecutionContext,
        warehouse: WarehouseResource,
        betting: BettingResource,
        ingestion: IngestionResource,
    ) -> dg.AssetCheckResult:
        dates = check_dates(context)
        with warehouse.connect() as connection:
            frame = read_frame(connection, _query(target, dates))
            share = _quarantine_share(connection, target, dates, len(frame), ingestion)
        report = validate_table(target.suite, frame, quality_rules(frame, betting))
        scope = date_label(*dates) if dates else "all rows"
        passed = report.success and (share is None or share.level != "error")
        summary = report.summary() if share is None else f"{report.summary()}; {share.summary()}"
        (context.log.info if passed else context.log.error)(f"{scope}: {summary}")
        if share is not None and share.level == "warn":
            context.log.warning(f"{scope}: {share.summary()}")
        return dg.AssetCheckResult(
            passed=passed,
            severity=_severity(share),
            metadata={"dates": scope, **report.metadata(), **(share.metadata() if share else {})},
            description=summary,
        )

    return _quality


def _quarantine_share(
    connection: sa.Connection,
    target: CheckedTable,
    dates: tuple[date, date] | None,
    stored: int,
    ingestion: IngestionResource,
) -> QuarantineShare | None:
    """The share of the dates' quotes normalization quarantined (odds_snapshots only).

    The stored invariants are the suite's; this is the backstop against a feed or a
    normalization gone wrong as a whole, which would leave few, valid rows behind.
    """
    if target.suite != "odds_snapshots":
        return None
    query = sa.select(sa.func.count()).where(schema.quarantine.c.asset == target.asset)
    if dates is not None:
        query = query.where(schema.quarantine.c.game_date.between(*dates))
    return QuarantineShare(
        quarantined=int(connection.execute(query).scalar_one()),
        stored=stored,
        warn_share=ingestion.quarantine_warn_share,
        error_share=ingestion.quarantine_error_share,
    )


def _severity(share: QuarantineShare | None) -> dg.AssetCheckSeverity:
    """WARN for a quarantine share between the thresholds (the check still passes)."""
    if share is not None and share.level == "warn":
        return dg.AssetCheckSeverity.WARN
    return dg.AssetCheckSeverity.ERROR


@dg.asset_check(
    asset="odds_snapshots",
    name=FRESHNESS_CHECK,
    description=(
        f"On game days, today's newest odds are at most {STALE_ODDS_MINUTES} minutes old "
        "while games are still to come; passes outside game hours. Run every 10 minutes by "
        "odds_freshness_schedule."
    ),
)
def odds_fresh(warehouse: WarehouseResource, ingestion: IngestionResource) -> dg.AssetCheckResult:
    now = ingestion.now()
    with warehouse.connect() as connection:
        staleness = todays_staleness(connection, now)
    return dg.AssetCheckResult(
        passed=not staleness.stale,
        severity=dg.AssetCheckSeverity.WARN,
        description=staleness.reason,
        metadata={
            "game_date": local_date(now).isoformat(),
            "age_minutes": staleness.age_minutes if staleness.age_minutes is not None else -1.0,
            "limit_minutes": STALE_ODDS_MINUTES,
        },
    )


with warnings.catch_warnings():
    # Partitioned checks record the partition of each evaluation (alerts are per partition);
    # Dagster 1.13 labels them preview, and the project pins Dagster below 1.14.
    warnings.simplefilter("ignore", dg.PreviewWarning)
    # A list at module scope: the defs-folder loader collects each check in it.
    QUALITY_CHECKS = [build_quality_check(target) for target in CHECKED_TABLES]
