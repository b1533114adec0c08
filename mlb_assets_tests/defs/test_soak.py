"""Soak: a simulated week of live odds polling against a faulty replay server.

The replay server plays The Odds API v4 from the 2016 archive on a simulated clock, and a
seeded schedule injects the failures the real service and the network produce: 5xx, 429
with Retry-After, HTML error pages from a proxy, truncated bodies, slow answers, answers
slower than the client's timeout, outages longer than the client's retries, and a quota
that runs out two evenings in a row. The clock steps through a week of the odds polling
schedule and at every step the project's own polling unit runs: the ``odds_poll`` job for
the partition the schedule requests (its poll alone at most ticks, the whole job at the
day's last), rerun as ``dagster.yaml``'s run retries rerun a failed run. Each morning after
an outage an operator re-executes the previous day, which is past by then, so the run walks
the historical endpoint; the two walks overlap by a day.

What the server published is recorded on the server side (each odds response that left it
intact and before the client gave up) and turned into expected line changes from the board
itself, without the pipeline's parser or normalizer. The Postgres warehouse must hold every
published body exactly once and every published line change exactly once, with its
lineage, and nothing else.
"""

from __future__ import annotations

import functools
import hashlib
import json
import random
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from datetime import time as local_time
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import dagster as dg
import pandas as pd
import pytest
import sqlalchemy as sa
import yaml
from dagster._core.storage.tags import (
    ASSET_PARTITION_RANGE_END_TAG,
    ASSET_PARTITION_RANGE_START_TAG,
)

from mlb_assets.config import variable
from mlb_assets.definitions import build_definitions
from mlb_assets.defs.ingestion.schedules import odds_polling_schedule
from mlb_assets.lib.odds_api.client import OddsApiClient
from mlb_assets.lib.warehouse.engine import create_warehouse_engine
from mlb_assets.lib.warehouse.load import read_frame
from mlb_assets.lib.warehouse.schema import odds_snapshots, quarantine, raw_payloads
from mlb_assets.replay.cli import mount_mlb_schedule
from mlb_assets.replay.clock import SimulatedClock
from mlb_assets.replay.faults import Fault
from mlb_assets.replay.odds_board import OddsBoard
from mlb_assets.replay.server import ReplayServer
from mlb_assets.resources.live import IngestionResource, MlbStatsResource, OddsApiResource
from mlb_assets_tests.defs.conftest import make_resources

pytestmark = [pytest.mark.archive, pytest.mark.postgres, pytest.mark.slow]

REPO = Path(__file__).resolve().parents[2]
EASTERN = ZoneInfo("America/New_York")
SEED = 20160502
API_KEY = "soak-key-4c7e1d"
QUOTA = 10_000_000
KEY = ["game_id", "book", "market", "side"]
CHANGE = [*KEY, "point", "price_american", "captured_at"]
NO_POINT = -1e9  # h2h quotes have no point; a sentinel makes "no point" equal to itself

# Monday to Sunday, 96 games. Polls every other tick of the 10-minute cron (09:00-23:40 New
# York) keep the soak bounded; two overnight polls see lines that move before the cron starts.
WEEK = [date(2016, 5, 2) + timedelta(days=offset) for offset in range(7)]
POLL_STEP = timedelta(minutes=20)
FIRST_POLL, LAST_POLL = local_time(9, 0), local_time(23, 40)
OVERNIGHT_POLLS = (local_time(3, 0), local_time(6, 0))
# The day's last tick runs the whole odds_poll job (games, snapshots, movements, consensus);
# the others run its poll alone. After the week one run re-derives the week's snapshots
# from everything landed, as a backfill of the markets would.
FULL_JOB_AT = (LAST_POLL,)

NOW_ENV = variable("now").env  # the replay session's "today", read at each run


@dataclass(frozen=True)
class Outage:
    """The plan's credits run out in the evening while late games are still listed (polls
    of an empty board are free and still succeed); the operator tops the plan up the next
    morning and re-executes the day's poll job, which by then walks the historical endpoint.
    """

    start: datetime
    end: datetime
    partition: str

    def __contains__(self, moment: datetime) -> bool:
        return self.start <= moment < self.end


def _eastern(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2016, 5, day, hour, minute, tzinfo=EASTERN).astimezone(UTC)


# Thursday's and Friday's evenings: the two re-executed walks overlap by a day (a walk starts
# a day before its game date), so the second fetches snapshots the first already stored.
QUOTA_OUTAGES = (
    Outage(_eastern(5, 21), _eastern(6, 7, 30), "2016-05-05"),
    Outage(_eastern(6, 21), _eastern(7, 7, 30), "2016-05-06"),
)

# The client's own timeout, kept short so that a response slower than it costs little.
CLIENT_TIMEOUT = 0.5
SLOW_SECONDS = 0.1  # slow but in time
TIMEOUT_SECONDS = CLIENT_TIMEOUT + 0.2  # the client gives up and asks again
# A historical walk starts this long before its game date.
WALK_LOOKBACK = timedelta(hours=IngestionResource().historical_lookback_hours)
# Waits between attempts (backoff, Retry-After) pass at this fraction of real time.
WAIT_SCALE = 0.001
# How often each fault plan is drawn for a step, out of 100.
FAULT_WEIGHTS = {
    "none": 44,
    "server_error": 12,
    "rate_limit": 10,
    "html": 8,
    "truncated": 8,
    "slow": 6,
    "timeout": 2,
    "flaky": 6,  # several failures in a row, within the client's retries
    "outage": 3,  # beyond the client's retries: the run fails, its rerun succeeds
    "long_outage": 1,  # every run of the step fails: the poll is lost
}

QUIET = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}
ODDS_API_ERRORS = {"OddsApiUnavailableError", "OddsApiQuotaExhaustedError"}


# --- the server: what it published -------------------------------------------------------


@dataclass(frozen=True)
class Published:
    """An odds response the client received: which partition's run asked, when, what."""

    partition: str
    path: str
    query: dict[str, list[str]]
    now: datetime
    body: bytes

    @property
    def historical(self) -> bool:
        return "/historical/" in self.path

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.body).hexdigest()


class RecordingReplayServer(ReplayServer):
    """The replay server, keeping every odds response it published.

    Published means a 200 with a JSON body (not an HTML page, not cut short) that left the
    server before the client's timeout: a slow answer the client gave up on was never
    received. :meth:`wait_idle` waits for answers still being prepared, so the clock never
    moves under a request.
    """

    def __init__(self, *args: Any, client_timeout: float, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.client_timeout = client_timeout
        self.partition = ""
        self.published: list[Published] = []
        self._busy = 0
        self._idle = threading.Condition()

    def handle(self, method: str, target: str, body: bytes) -> tuple[int, dict[str, str], bytes]:
        with self._idle:
            self._busy += 1
        started = time.monotonic()
        try:
            reply = super().handle(method, target, body)
            self._record(target, reply, time.monotonic() - started)
            return reply
        finally:
            with self._idle:
                self._busy -= 1
                self._idle.notify_all()

    def _record(self, target: str, reply: tuple[int, dict[str, str], bytes], took: float) -> None:
        status, _, data = reply
        parts = urlsplit(target)
        if status != 200 or not parts.path.endswith("/odds") or took >= self.client_timeout:
            return
        try:
            json.loads(data)
        except ValueError:
            return
        record = Published(
            self.partition, parts.path, parse_qs(parts.query), self.clock.now(), data
        )
        with self._idle:
            self.published.append(record)

    def wait_idle(self, timeout: float = 30.0) -> None:
        with self._idle:
            assert self._idle.wait_for(lambda: self._busy == 0, timeout), "requests hang"


# --- the client on the accelerated clock ---------------------------------------------------

REQUESTED_WAITS: list[float] = []


def _accelerated_sleep(scale: float, seconds: float) -> None:
    REQUESTED_WAITS.append(seconds)
    time.sleep(seconds * scale)


class AcceleratedOddsApi(OddsApiResource):
    """The Odds API resource whose client waits between attempts on the soak's clock.

    The client asks for its full backoff or Retry-After (recorded in ``REQUESTED_WAITS``)
    and sleeps ``time_scale`` of it, so a week of retries does not take a week.
    """

    time_scale: float = WAIT_SCALE

    def client(self, sleep: Callable[[float], None] | None = None) -> OddsApiClient:
        return super().client(sleep=sleep or functools.partial(_accelerated_sleep, self.time_scale))


# --- the week's steps and faults -----------------------------------------------------------


@dataclass(frozen=True)
class Step:
    """One run of the polling unit at a simulated instant."""

    at: datetime  # UTC
    partition: str
    full: bool  # the whole odds_poll job, else the poll (raw_odds_payloads) alone
    operator: bool = False  # a manual re-execution rather than a schedule tick


def _scheduled_partition(local: datetime) -> str:
    """The partition the odds polling schedule requests at this tick."""
    context = dg.build_schedule_context(
        scheduled_execution_time=local,
        resources={"ingestion": IngestionResource(now_override=local.isoformat())},
    )
    request = odds_polling_schedule(context)
    assert isinstance(request, dg.RunRequest) and request.partition_key
    return request.partition_key


def _local_poll_times(day: date) -> Iterator[datetime]:
    for moment in OVERNIGHT_POLLS:
        yield datetime.combine(day, moment, EASTERN)
    tick, last = (datetime.combine(day, t, EASTERN) for t in (FIRST_POLL, LAST_POLL))
    while tick <= last:
        yield tick
        tick += POLL_STEP


def week_steps() -> list[Step]:
    steps = [
        Step(local.astimezone(UTC), _scheduled_partition(local), local.time() in FULL_JOB_AT)
        for day in WEEK
        for local in _local_poll_times(day)
    ]
    steps += [Step(out.end, out.partition, full=True, operator=True) for out in QUOTA_OUTAGES]
    return sorted(steps, key=lambda step: step.at)


def _run_retries() -> int:
    """How often the deployed instance reruns a failed run (``dagster.yaml``)."""
    config = yaml.safe_load((REPO / "dagster.yaml").read_text())["run_retries"]
    return int(config["max_retries"]) if config.get("enabled") else 0


class FaultPlanner:
    """Seeded fault plans, one per step; each plan is used up within its step.

    ``attempts`` is what one run's client tries; ``runs`` how many runs a step gets.
    """

    def __init__(self, seed: int, attempts: int, runs: int) -> None:
        self.rng = random.Random(seed)
        self.attempts, self.runs = attempts, runs
        self.plans: Counter[str] = Counter()
        self.injected: Counter[str] = Counter()

    def plan(self) -> list[Fault]:
        kind = self.rng.choices(list(FAULT_WEIGHTS), weights=list(FAULT_WEIGHTS.values()))[0]
        faults = self._faults(kind)
        self.plans[kind] += 1
        for fault in faults:
            self.injected[_label(fault)] += fault.count
        return faults

    def _faults(self, kind: str) -> list[Fault]:
        rng = self.rng
        single = {
            "none": [],
            "server_error": [Fault("status", status=rng.choice((500, 502, 503, 504)))],
            "rate_limit": [Fault("status", status=429, retry_after=float(rng.choice((1, 2, 5))))],
            "html": [Fault("html")],
            "truncated": [Fault("truncated", count=rng.randint(1, 2))],
            "slow": [Fault("slow", seconds=SLOW_SECONDS)],
            "timeout": [Fault("slow", seconds=TIMEOUT_SECONDS)],
        }
        if kind in single:
            return single[kind]
        count = {
            "flaky": rng.randint(2, self.attempts - 1),
            "outage": rng.randint(self.attempts, self.attempts * self.runs - 1),
            "long_outage": self.attempts * self.runs,
        }[kind]
        return [self._failing() for _ in range(count)]

    def _failing(self) -> Fault:
        """One fault that fails an attempt (a slow answer in time does not)."""
        rng = self.rng
        return rng.choice(
            [
                Fault("status", status=rng.choice((500, 502, 503))),
                Fault("status", status=429, retry_after=1.0),
                Fault("html"),
                Fault("truncated"),
            ]
        )


def _label(fault: Fault) -> str:
    if fault.kind == "status":
        return f"status {fault.status}"
    if fault.kind == "slow":
        return "timeout" if fault.seconds >= CLIENT_TIMEOUT else "slow"
    return fault.kind


# --- the soak ------------------------------------------------------------------------------


@dataclass
class Soak:
    """Drives the week through the ``odds_poll`` job; each run reads "now" from
    ``MLB_ASSETS_NOW``, as a replay session sets it."""

    server: RecordingReplayServer
    job: dg.JobDefinition
    instance: dg.DagsterInstance
    planner: FaultPlanner
    runs_per_step: int
    set_now: Callable[[str], None]
    runs: Counter[str] = field(default_factory=Counter)
    failures: Counter[str] = field(default_factory=Counter)
    poll: dg.JobDefinition = field(init=False)

    def __post_init__(self) -> None:
        # The job's poll alone, built once (a selection per run would rebuild it each time).
        self.poll = self.job.get_subset(asset_selection={dg.AssetKey("raw_odds_payloads")})

    def step(self, step: Step) -> None:
        """Run the step's job, rerunning a failed run as the deployment would."""
        self.server.clock.set(step.at)
        self.server.partition = step.partition
        self.set_now(step.at.isoformat())
        quota_out = any(step.at in outage for outage in QUOTA_OUTAGES)
        self.server.quota_total = self.server.quota["used"] if quota_out else QUOTA
        if not (quota_out or step.operator):
            self.server.inject(*self.planner.plan())
        job = self.job if step.full else self.poll
        for _ in range(self.runs_per_step):
            result = job.execute_in_process(
                partition_key=step.partition,
                instance=self.instance,
                raise_on_error=False,
                run_config=QUIET,
            )
            self.runs["runs"] += 1
            if result.success:
                break
            self._count_failure(result)
        else:
            self.runs["lost polls"] += 1
        self.server.wait_idle()
        assert self.server.stats()["faults_pending"] == 0, "a fault plan outlived its step"

    def settle(self, first: date, last: date) -> None:
        """Re-derive the schedule and snapshots of [first, last] from the stored payloads, as
        one run (a day whose last job was lost has its polls' payloads but no snapshots yet)."""
        selection = {dg.AssetKey("games"), dg.AssetKey("odds_snapshots")}
        snapshots = self.job.get_subset(asset_selection=selection)
        tags = {
            ASSET_PARTITION_RANGE_START_TAG: first.isoformat(),
            ASSET_PARTITION_RANGE_END_TAG: last.isoformat(),
        }
        assert snapshots.execute_in_process(
            instance=self.instance, tags=tags, run_config=QUIET
        ).success

    def _count_failure(self, result: dg.ExecuteInProcessResult) -> None:
        """A run may fail only because the Odds API did: anything else fails the soak."""
        for event in result.all_events:
            if event.is_step_failure:
                error = event.step_failure_data.error
                while error.cause is not None and error.cls_name.startswith("Dagster"):
                    error = error.cause
                assert error.cls_name in ODDS_API_ERRORS, error.to_string()
                self.failures[error.cls_name] += 1


def poll_job(url: str, home: Path, server: ReplayServer) -> dg.JobDefinition:
    """The deployment's ``odds_poll`` job against the replay server, as a replay session
    configures it: live source, and "today" from ``MLB_ASSETS_NOW`` (read at each run)."""
    resources = make_resources(
        url,
        None,
        home,
        ingestion=IngestionResource(odds_source="odds_api", now_override=dg.EnvVar(NOW_ENV)),
        odds_api=AcceleratedOddsApi(
            base_url=server.url, api_key=API_KEY, timeout_seconds=CLIENT_TIMEOUT
        ),
        mlb_stats=MlbStatsResource(base_url=server.url),
    )
    return build_definitions(resources).resolve_job_def("odds_poll")


# --- what the warehouse must hold ----------------------------------------------------------


def _query_time(query: dict[str, list[str]], name: str) -> datetime | None:
    values = query.get(name)
    return datetime.fromisoformat(values[-1].replace("Z", "+00:00")) if values else None


def _walk_covers(day: date, moment: datetime) -> bool:
    """Whether a historical walk of ``day`` asks for snapshots at ``moment``: from the
    lookback before the day starts to its end (America/New_York)."""
    start = datetime.combine(day, local_time(0), EASTERN)
    return start - WALK_LOOKBACK <= moment <= start + timedelta(days=1)


def observed_quotes(board: OddsBoard, record: Published, game_days: pd.Series) -> pd.DataFrame:
    """The quotes one published response carried, from the board, for the days they serve.

    A live poll serves its own day. A historical snapshot shows the whole board and is
    stored once, so it serves every day whose walk covers its time, whichever day's walk
    fetched it. The API stamps each market with its latest change in whole seconds, rounded
    up: that stamp is the quote's ``captured_at``, never later than the snapshot's time.
    """
    if record.historical:
        cap = pd.Timestamp(json.loads(record.body)["timestamp"])
        frame = board.at(cap.to_pydatetime())
        served = frame["game_id"].map(game_days).map(lambda day: _walk_covers(day, cap))
    else:
        cap = None
        frame = board.at(
            record.now,
            commence_from=_query_time(record.query, "commenceTimeFrom"),
            commence_to=_query_time(record.query, "commenceTimeTo"),
        )
        served = frame["game_id"].map(game_days) == date.fromisoformat(record.partition)
    frame = frame[served.astype(bool)]
    market = frame.groupby(["game_id", "book", "market"])["captured_at"].transform("max")
    stamp = market.dt.ceil("s")
    stamp = stamp if cap is None else stamp.clip(upper=cap)
    return frame.assign(captured_at=stamp, payload_sha256=record.sha256)


def line_changes(quotes: pd.DataFrame) -> pd.DataFrame:
    """Each side's changes of (price, point) in capture order, with the first payload seen.

    A side repeating its line across polls is one change; ``payload_sha256`` is the first
    published body that carried the change (bodies are stored in the order published).
    """
    quotes = quotes.assign(point=quotes["point"].fillna(NO_POINT))
    seen = quotes.drop_duplicates(CHANGE)  # keeps the first publication of each quote
    assert not seen.duplicated([*KEY, "captured_at"]).any(), "two lines for one side at once"
    seen = seen.sort_values([*KEY, "captured_at"])
    previous = seen.groupby(KEY)[["price_american", "point"]].shift()
    moved = (seen["price_american"] != previous["price_american"]) | (
        seen["point"] != previous["point"]
    )
    return seen[moved].reset_index(drop=True)


def _canonical(frame: pd.DataFrame) -> Counter[tuple[object, ...]]:
    """Rows as comparable tuples: UTC timestamps, int prices, the no-point sentinel."""
    rows = frame.assign(
        point=frame["point"].astype(float).fillna(NO_POINT),
        price_american=frame["price_american"].astype(int),
        captured_at=pd.to_datetime(frame["captured_at"], utc=True).dt.as_unit("ns"),
    )
    return Counter(rows[CHANGE].itertuples(index=False, name=None))


def _read(url: str, statement: sa.Select) -> pd.DataFrame:
    engine = create_warehouse_engine(url)
    try:
        with engine.connect() as connection:
            return read_frame(connection, statement)
    finally:
        engine.dispose()


def _sample(rows: Counter[tuple[object, ...]], limit: int = 5) -> list[tuple[object, ...]]:
    return sorted(rows, key=str)[:limit]


# --- the test ------------------------------------------------------------------------------


@pytest.fixture
def replay(archive_dir: Path, state_home: Path) -> Iterator[RecordingReplayServer]:
    cache = state_home / "cache"
    board = OddsBoard.from_archive(archive_dir, 2016, cache_dir=cache)
    server = RecordingReplayServer(
        board,
        api_key=API_KEY,
        quota_total=QUOTA,
        clock=SimulatedClock(week_steps()[0].at),
        client_timeout=CLIENT_TIMEOUT,
    )
    mount_mlb_schedule(server, archive_dir, 2016, cache)
    with server:
        yield server


@pytest.mark.timeout(300)
def test_a_faulty_week_lands_every_published_snapshot_exactly_once(
    replay: RecordingReplayServer,
    postgres_url: str,
    state_home: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    REQUESTED_WAITS.clear()
    runs = 1 + _run_retries()
    planner = FaultPlanner(SEED, attempts=1 + OddsApiResource().max_retries, runs=runs)
    steps = week_steps()
    with dg.DagsterInstance.ephemeral() as instance:
        job = poll_job(postgres_url, state_home, replay)
        soak = Soak(
            replay, job, instance, planner, runs, functools.partial(monkeypatch.setenv, NOW_ENV)
        )
        for step in steps:
            soak.step(step)
        soak.settle(WEEK[0], WEEK[-1])

    board, published = replay.board, replay.published
    game_days = board.games.set_index("game_id")["start_time_utc"].dt.tz_convert(EASTERN).dt.date
    quotes = [observed_quotes(board, record, game_days) for record in published]
    expected = line_changes(pd.concat(quotes, ignore_index=True))
    week = odds_snapshots.c.game_date.between(WEEK[0], WEEK[-1])
    stored = _read(postgres_url, sa.select(odds_snapshots).where(week))
    landed = _read(postgres_url, sa.select(raw_payloads).where(raw_payloads.c.source == "odds_api"))
    bad = _read(postgres_url, sa.select(quarantine).where(quarantine.c.asset == "odds_snapshots"))

    _assert_payloads_landed_once(landed, published)
    _assert_changes_landed_once(stored, expected, game_days)
    _assert_lineage(stored, expected, landed)
    assert bad.empty, f"quarantined: {bad['reason'].value_counts().head().to_dict()}"
    _assert_operator_walk(stored, landed, published)
    _assert_faults_served(replay, soak, planner)
    print(
        f"\nsoak: {len(steps)} steps, {soak.runs['runs']} runs, failed {dict(soak.failures)}, "
        f"{soak.runs['lost polls']} polls lost; plans {dict(planner.plans)}; "
        f"faults served {dict(replay.stats()['faults_served'])} ({dict(planner.injected)}); "
        f"{len(published)} responses published, {len(landed)} payloads, "
        f"{len(expected)} line changes expected, {len(stored)} snapshots stored"
    )


def _assert_payloads_landed_once(landed: pd.DataFrame, published: list[Published]) -> None:
    """Every distinct published body is stored once, verbatim; nothing else is stored."""
    assert landed["content_hash"].is_unique
    hashes = [hashlib.sha256(bytes(body)).hexdigest() for body in landed["body"]]
    assert hashes == landed["content_hash"].tolist(), "a stored body differs from its hash"
    expected = {record.sha256 for record in published}
    assert len(landed) == len(expected)
    assert set(hashes) == expected, (
        f"{len(expected - set(hashes))} published bodies missing, "
        f"{len(set(hashes) - expected)} stored bodies never published"
    )


def _assert_changes_landed_once(
    stored: pd.DataFrame, expected: pd.DataFrame, game_days: pd.Series
) -> None:
    """The week's snapshots are the published line changes: each once, none missing or extra."""
    assert stored["snapshot_id"].is_unique, "a snapshot id is stored twice"
    assert not stored.duplicated([*KEY, "captured_at"]).any(), "a side has two rows at once"
    assert set(stored["source"]) == {"odds_api"}
    assert (stored["game_date"] == stored["game_id"].map(game_days)).all()
    actual, wanted = _canonical(stored), _canonical(expected)
    missing, extra = wanted - actual, actual - wanted
    assert not missing and not extra, (
        f"{sum(missing.values())} published changes missing (e.g. {_sample(missing)}), "
        f"{sum(extra.values())} unexpected rows (e.g. {_sample(extra)})"
    )


def _assert_lineage(stored: pd.DataFrame, expected: pd.DataFrame, landed: pd.DataFrame) -> None:
    """Each snapshot names the first stored payload that carried it."""
    payload_of = dict(zip(landed["content_hash"], landed["payload_id"], strict=True))
    first = expected.assign(
        payload_id=expected["payload_sha256"].map(payload_of),
        captured_at=pd.to_datetime(expected["captured_at"], utc=True),
    )
    merged = stored.assign(captured_at=pd.to_datetime(stored["captured_at"], utc=True)).merge(
        first[[*KEY, "captured_at", "payload_id"]], on=[*KEY, "captured_at"], suffixes=("", "_0")
    )
    assert len(merged) == len(stored)
    assert (merged["payload_id"] == merged["payload_id_0"]).all()


def _assert_operator_walk(
    stored: pd.DataFrame, landed: pd.DataFrame, published: list[Published]
) -> None:
    """Each re-execution after an outage walked the historical endpoint for its own day,
    never fetched a snapshot twice (the walks overlap by a day), and was the first to carry
    some of that day's line changes: those of the hours the outage hid from the live polls."""
    walked = [record for record in published if record.historical]
    assert {record.partition for record in walked} == {o.partition for o in QUOTA_OUTAGES}
    asked = Counter(record.query["date"][-1] for record in walked)
    assert max(asked.values()) == 1, "a stored snapshot was fetched again"
    payload_of = dict(zip(landed["content_hash"], landed["payload_id"], strict=True))
    for outage in QUOTA_OUTAGES:
        ids = {payload_of[r.sha256] for r in walked if r.partition == outage.partition}
        assert len(ids) >= 24, f"{outage.partition}: {len(ids)} snapshots walked"
        day = stored[stored["game_date"] == date.fromisoformat(outage.partition)]
        assert day["payload_id"].isin(ids).any(), f"{outage.partition}: the walk added nothing"


def _server_kind(label: str) -> str:
    """The server's name for an injected fault's kind (a client timeout is a slow answer)."""
    return {"timeout": "slow"}.get(label, label.split()[0])


def _assert_faults_served(server: RecordingReplayServer, soak: Soak, planner: FaultPlanner) -> None:
    """Every injected fault was served, each kind often enough to matter, and the runs
    failed only the way those faults make them fail."""
    served: Counter[str] = Counter()
    for label, count in planner.injected.items():
        served[_server_kind(label)] += count
    assert Counter(server.stats()["faults_served"]) == served
    injected = planner.injected
    server_errors = sum(n for label, n in injected.items() if label.startswith("status 5"))
    assert server_errors >= 50 and injected["status 429"] >= 50
    assert injected["html"] >= 40 and injected["truncated"] >= 50
    assert injected["slow"] >= 15 and injected["timeout"] >= 4
    assert soak.failures["OddsApiUnavailableError"] >= 10, "no outage outlasted the retries"
    assert soak.failures["OddsApiQuotaExhaustedError"] >= 10, "the quota never ran out"
    assert soak.runs["lost polls"] >= 8
    # Retry-After is honoured: a rate limit alone is always followed by a wait of its value.
    honoured = sum(1 for wait in REQUESTED_WAITS if wait in (1.0, 2.0, 5.0))
    assert honoured >= planner.plans["rate_limit"]
