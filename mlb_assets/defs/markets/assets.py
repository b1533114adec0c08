"""Markets: normalized odds snapshots, opening/closing lines and line movements."""

from datetime import date, timedelta

import dagster as dg
import pandas as pd
import sqlalchemy as sa

from mlb_assets.defs.ingestion.assets import games, raw_odds_payloads
from mlb_assets.defs.ingestion.live import days, stored_payloads
from mlb_assets.defs.partitions import (
    date_label,
    game_date_partitions,
    markdown_preview,
    partition_dates,
    single_run_backfill,
)
from mlb_assets.lib.archives.season import (
    SBR_SOURCE,
    SeasonArchives,
    concat,
    in_dates,
    season_quotes,
)
from mlb_assets.lib.ingest.live import ODDS_API_SOURCE, StoredPayload, quotes_from_payloads
from mlb_assets.lib.line_movements import MovementParams, compute_line_movements
from mlb_assets.lib.odds_api.normalize import parse_payload
from mlb_assets.lib.snapshots import normalize_by_source
from mlb_assets.lib.warehouse.load import read_frame, replace_dates
from mlb_assets.lib.warehouse.odds import read_observations, write_odds_snapshots
from mlb_assets.lib.warehouse.schema import games as games_table
from mlb_assets.lib.warehouse.schema import line_movements as line_movements_table
from mlb_assets.lib.warehouse.schema import odds_observations as observations_table
from mlb_assets.lib.warehouse.schema import odds_snapshots as odds_snapshots_table
from mlb_assets.lib.warehouse.schema import opening_closing_lines as open_close_table
from mlb_assets.lib.warehouse.store import stable_id
from mlb_assets.resources.archive import ArchiveResource
from mlb_assets.resources.live import IngestionResource
from mlb_assets.resources.warehouse import WarehouseResource


def _live_quotes(  # type: ignore[no-untyped-def]
    warehouse: WarehouseResource, ingestion: IngestionResource, start, end
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Quotes from the stored Odds API payloads of each day, matched to the schedule, the
    payloads' quarantine, and the observations the payloads make (see :func:`_observations`).
    """
    schedule = _schedule(warehouse, start - timedelta(days=1), end + timedelta(days=1))
    dates = schedule.set_index("game_id")["game_date"]
    quotes, bad, polls = [], [], {}
    for day in days(start, end):
        stored = stored_payloads(
            warehouse, ODDS_API_SOURCE, day, ingestion.historical_lookback_hours
        )
        result = quotes_from_payloads(stored, day, schedule)
        if not result.quotes.empty:
            quotes.append(result.quotes.assign(game_date=result.quotes["game_id"].map(dates)))
            carried = set(result.quotes["payload_id"])
            # A snapshot shared by nearby dates is read for each: its poll time once.
            for payload in stored:
                if payload.payload_id in carried and payload.payload_id not in polls:
                    polls[payload.payload_id] = _poll_time(payload)
        bad.append(result.quarantine)
    frame = concat(quotes)
    frame = frame.assign(source=ODDS_API_SOURCE) if not frame.empty else frame
    return frame, concat(bad), _observations(frame, polls, start, end)


def _observations(  # type: ignore[no-untyped-def]
    quotes: pd.DataFrame, polls: dict[int, pd.Timestamp], start, end
) -> pd.DataFrame:
    """When each (game, book) line was read: every stored Odds API poll that carried it.

    One row per game, book and poll time (``polls``: payload id -> :func:`_poll_time`),
    with the payload as lineage, for the games dated in [start, end]. A poll whose body
    repeats an earlier one byte for byte is stored once (raw_payloads keeps one row per
    content hash), so a board that did not change at all between polls loses those
    observations: gaps can only come out wider, which withholds a steam claim rather than
    inventing one.
    """
    columns = [c.name for c in observations_table.columns]
    if quotes.empty:
        return pd.DataFrame(columns=columns)
    seen = quotes[["game_id", "book", "game_date", "payload_id"]].drop_duplicates()
    seen = seen[in_dates(seen, start, end)]
    observed_at = pd.to_datetime(seen["payload_id"].map(polls), utc=True)
    return seen.assign(observed_at=observed_at).reindex(columns=columns)


def _schedule(warehouse: WarehouseResource, start, end) -> pd.DataFrame:  # type: ignore[no-untyped-def]
    query = sa.select(games_table).where(games_table.c.game_date.between(start, end))
    with warehouse.connect() as connection:
        return read_frame(connection, query)


@dg.asset(
    group_name="markets",
    kinds={"python", "sql"},
    partitions_def=game_date_partitions,
    backfill_policy=single_run_backfill,
    deps=[raw_odds_payloads, games],
    description=(
        "Every price change as received (American odds): one row per book x market x side x "
        "change with its captured_at (UTC). Unchanged re-quotes collapse; rows with invalid "
        "prices or points land in quarantine. A live feed's polls (which game's line each "
        "poll read at each book) go to odds_observations with the rows; the archives, "
        "observed continuously, have none. Re-materializing a date changes nothing."
    ),
)
def odds_snapshots(
    context: dg.AssetExecutionContext,
    archive: ArchiveResource,
    warehouse: WarehouseResource,
    ingestion: IngestionResource,
) -> dg.MaterializeResult:
    start, end = partition_dates(context)
    if ingestion.uses_odds_api:
        quotes, payload_bad, observations = _live_quotes(warehouse, ingestion, start, end)
    else:
        # The archives record every change as it happens: observed continuously, no polls.
        seasons = archive.seasons_between(start, end)
        books = archive.load_test_books
        quotes = concat(season_quotes(s, start, end, books) for s in seasons)
        payload_bad, observations = pd.DataFrame(), None
    snapshots, bad = normalize_by_source(quotes)
    result = write_odds_snapshots(
        warehouse.engine(), snapshots, concat([payload_bad, bad]), start, end, observations
    )
    if result.partitions_created:
        context.log.info(f"created partitions {', '.join(result.partitions_created)}")
    written, quarantined = result.written, result.quarantined
    context.log.info(
        f"odds_snapshots {date_label(start, end)}: {len(quotes)} quotes -> {written} changes, "
        f"{quarantined} quarantined, {result.observations} observations"
    )
    return dg.MaterializeResult(
        metadata={
            "row_count": written,
            "quotes_read": len(quotes),
            "quarantined": quarantined,
            "observations": result.observations,
            "games": int(snapshots["game_id"].nunique()) if written else 0,
            "books": dg.MetadataValue.json(
                sorted(snapshots["book"].unique().tolist()) if written else []
            ),
            "preview": markdown_preview(snapshots),
        }
    )


def _season_open_close(season: SeasonArchives, start, end) -> pd.DataFrame:  # type: ignore[no-untyped-def]
    lines = season.workbook_lines
    file = season.file_for(SBR_SOURCE)
    if lines.empty or file is None:
        return pd.DataFrame()
    dates = season.games.set_index("game_id")["game_date"]
    lines = lines.assign(
        game_date=lines["game_id"].map(dates),
        source=file.source,
        payload_id=stable_id(file.source, file.sha256),
    )
    return lines[in_dates(lines, start, end)]


@dg.asset(
    group_name="markets",
    kinds={"python", "sql"},
    partitions_def=game_date_partitions,
    backfill_policy=single_run_backfill,
    deps=[raw_odds_payloads, games],
    description=(
        "Opening and closing lines of archives that carry no timestamps (the season "
        "workbooks). The close comes after any decision time: point-in-time features may "
        "use the opening line only; the close serves as a target proxy and for CLV."
    ),
)
def opening_closing_lines(
    context: dg.AssetExecutionContext,
    archive: ArchiveResource,
    warehouse: WarehouseResource,
    ingestion: IngestionResource,
) -> dg.MaterializeResult:
    start, end = partition_dates(context)
    # Live feeds carry timestamps: their open and close are in line_movements instead.
    seasons = [] if ingestion.uses_odds_api else archive.seasons_between(start, end)
    frame = concat(_season_open_close(s, start, end) for s in seasons)
    columns = [c.name for c in open_close_table.columns]
    frame = frame.reindex(columns=columns) if not frame.empty else frame
    with warehouse.begin() as connection:
        written = replace_dates(connection, open_close_table, frame, start, end)
    context.log.info(f"opening_closing_lines {date_label(start, end)}: {written} rows")
    return dg.MaterializeResult(metadata={"row_count": written, "preview": markdown_preview(frame)})


def read_snapshots_and_schedule(
    warehouse: WarehouseResource, start: date, end: date
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The stored snapshots of [start, end] and those dates' games (id, date, first pitch)."""
    with warehouse.connect() as connection:
        snapshots = read_frame(
            connection,
            sa.select(odds_snapshots_table).where(
                odds_snapshots_table.c.game_date.between(start, end)
            ),
        )
        schedule = read_frame(
            connection,
            sa.select(
                games_table.c.game_id, games_table.c.game_date, games_table.c.start_time_utc
            ).where(games_table.c.game_date.between(start, end)),
        )
    return snapshots, schedule


def _poll_time(stored: StoredPayload) -> pd.Timestamp:
    """When a payload read the board: a historical snapshot's ``timestamp``, else fetch time.

    A live poll's body is the bare event list, which carries no timestamp: only a
    snapshot object is decoded again, for its ``timestamp``.
    """
    if stored.body.lstrip(b" \t\r\n\xef\xbb\xbf")[:1] == b"[":
        return pd.Timestamp(stored.fetched_at)
    payload, _ = parse_payload(stored.body)
    stamp = payload.get("timestamp") if isinstance(payload, dict) else None
    moment = pd.to_datetime(stamp, utc=True, errors="coerce") if isinstance(stamp, str) else None
    return moment if moment is not None and not pd.isna(moment) else pd.Timestamp(stored.fetched_at)


class LineMovementConfig(dg.Config):
    """When a bettor decides, and what counts as steam (a fast, large move)."""

    decision_minutes_before: int = MovementParams.decision_minutes_before
    steam_window_minutes: int = MovementParams.steam_window_minutes
    steam_min_move_prob: float = MovementParams.steam_min_move_prob

    def params(self) -> MovementParams:
        return MovementParams(
            decision_minutes_before=self.decision_minutes_before,
            steam_window_minutes=self.steam_window_minutes,
            steam_min_move_prob=self.steam_min_move_prob,
        )


@dg.asset(
    group_name="markets",
    kinds={"python", "sql"},
    partitions_def=game_date_partitions,
    backfill_policy=single_run_backfill,
    deps=[odds_snapshots, games],
    description=(
        "Per game x book x market x side: opening line and time, the line in effect at "
        "decision time, the closing line (last before first pitch), number of moves, largest "
        "single move and net move in no-vig probability points, moves in the 1h/3h before "
        "decision time, and a steam flag for a fast large move, claimed only when the polls "
        "that saw the line before and after each move lie within the steam window "
        "(steam_gap_minutes)."
    ),
)
def line_movements(
    context: dg.AssetExecutionContext, config: LineMovementConfig, warehouse: WarehouseResource
) -> dg.MaterializeResult:
    start, end = partition_dates(context)
    snapshots, schedule = read_snapshots_and_schedule(warehouse, start, end)
    with warehouse.connect() as connection:
        observations = read_observations(connection, start, end)
    movements = _movements(snapshots, schedule, config.params(), observations)
    with warehouse.begin() as connection:
        written = replace_dates(connection, line_movements_table, movements, start, end)
    steam = int(movements["steam"].sum()) if written else 0
    # Sides whose rise reached the threshold only across a gap wider than the window.
    unbracketed = (
        int((~movements["steam"] & movements["steam_gap_minutes"].notna()).sum()) if written else 0
    )
    context.log.info(
        f"line_movements {date_label(start, end)}: {written} rows, {steam} steam, "
        f"{unbracketed} not claimed (observation gap wider than the window)"
    )
    return dg.MaterializeResult(
        metadata={
            "row_count": written,
            "steam_moves": steam,
            "steam_not_claimed_observation_gap": unbracketed,
            "games_without_start_time": int(schedule["start_time_utc"].isna().sum()),
            "preview": markdown_preview(movements),
        }
    )


def _movements(
    snapshots: pd.DataFrame,
    schedule: pd.DataFrame,
    params: MovementParams,
    observations: pd.DataFrame | None = None,
) -> pd.DataFrame:
    timed = schedule.dropna(subset=["start_time_utc"])
    if snapshots.empty or timed.empty:
        return pd.DataFrame()
    movements = compute_line_movements(
        snapshots, timed[["game_id", "start_time_utc"]], params, observations
    )
    movements = movements.assign(
        game_date=movements["game_id"].map(timed.set_index("game_id")["game_date"])
    )
    return movements.reindex(columns=[c.name for c in line_movements_table.columns])
