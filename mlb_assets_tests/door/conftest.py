"""Helpers for door tests: child processes configured only by the environment.

A door test runs the installed commands as a user does: a fresh process, the exact command
line the README writes, configuration through environment variables only. The child's
environment is built from a minimal base (``PATH``, ``HOME``, ``LANG``) plus what the test
sets, so no ``MLB_ASSETS_*`` variable of the developer's shell leaks into it; each test gets
its own ``MLB_ASSETS_HOME`` and ``DAGSTER_HOME``.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
DAGSTER = Path(sys.executable).with_name("dagster")
MLB_ASSETS = Path(sys.executable).with_name("mlb-assets")
CODE = ("-m", "mlb_assets.definitions")
DAY = "2016-04-04"
#: The games of 2016-04-04 (Retrosheet ids: home team, date, game number).
GAMES_2016_04_04 = {
    "ANA201604040",
    "ARI201604040",
    "ATL201604040",
    "BAL201604040",
    "CIN201604040",
    "MIL201604040",
    "OAK201604040",
    "SDN201604040",
    "TBA201604040",
    "TEX201604040",
}
SIDES = {("h2h", "home"), ("h2h", "away"), ("spreads", "home"), ("spreads", "away")} | {
    ("totals", "over"),
    ("totals", "under"),
}
#: The replay server's default key (``mlb-assets replay-server --help``: ``--api-key``).
REPLAY_DEFAULT_KEY = "replay-key"


def base_environment() -> dict[str, str]:
    """The minimal environment of a user's shell: the venv's commands on PATH, a home, a
    locale. Nothing else of this process's environment reaches the child."""
    return {
        "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '/usr/bin:/bin')}",
        "HOME": os.environ.get("HOME", "/tmp"),
        "LANG": "C.UTF-8",
    }


@dataclass
class Ran:
    """A finished command: its exit status and output."""

    command: list[str]
    returncode: int
    stdout: str
    stderr: str
    seconds: float

    @property
    def output(self) -> str:
        return self.stdout + self.stderr

    def tail(self, chars: int = 4000) -> str:
        return f"$ {' '.join(self.command)}\nexit {self.returncode}\n{self.output[-chars:]}"


@dataclass
class Door:
    """One test's fresh state folders and the commands it runs in them."""

    root: Path
    home: Path
    dagster_home: Path
    runs: list[Ran] = field(default_factory=list)

    def env(self, **values: str) -> dict[str, str]:
        """The base environment, this test's MLB_ASSETS_HOME and DAGSTER_HOME, and ``values``."""
        return {
            **base_environment(),
            "MLB_ASSETS_HOME": str(self.home),
            "DAGSTER_HOME": str(self.dagster_home),
            **values,
        }

    def run(
        self,
        command: Sequence[str | Path],
        env: Mapping[str, str],
        timeout: float = 600,
        cwd: Path | None = None,
    ) -> Ran:
        """Run ``command`` in a fresh process with exactly ``env`` (in this test's folder unless
        ``cwd``); keep its output."""
        args = [str(part) for part in command]
        started = time.monotonic()
        result = subprocess.run(
            args,
            env=dict(env),
            cwd=cwd or self.root,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        ran = Ran(args, result.returncode, result.stdout, result.stderr, time.monotonic() - started)
        self.runs.append(ran)
        log = self.root / f"command-{len(self.runs)}.log"
        log.write_text(ran.tail(10**9))
        return ran

    def materialize(self, select: str, partition: str, env: Mapping[str, str]) -> Ran:
        """``dagster asset materialize -m mlb_assets.definitions --select S --partition P``;
        fails the test with the output's tail when the command fails."""
        ran = self.run(
            [DAGSTER, "asset", "materialize", *CODE, "--select", select, "--partition", partition],
            env,
        )
        assert ran.returncode == 0, ran.tail()
        assert "RUN_SUCCESS" in ran.output, ran.tail()
        return ran

    @property
    def sqlite_url(self) -> str:
        return f"sqlite:///{self.home / 'warehouse.sqlite'}"


@pytest.fixture
def door(tmp_path: Path) -> Door:
    """A fresh MLB_ASSETS_HOME and DAGSTER_HOME (with a dagster.yaml) for one test."""
    home = tmp_path / "mlb_assets_home"
    dagster_home = tmp_path / "dagster_home"
    home.mkdir()
    dagster_home.mkdir()
    (dagster_home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    return Door(tmp_path, home, dagster_home)


# --- reading the warehouse -------------------------------------------------------------------


def query(url: str, sql: str, **params: Any) -> list[dict[str, Any]]:
    """Rows of ``sql`` on the warehouse at ``url``, as dicts."""
    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            return [dict(row) for row in connection.execute(sa.text(sql), params).mappings()]
    finally:
        engine.dispose()


def day_of(value: object) -> str:
    """A date column as ``YYYY-MM-DD`` (SQLite gives text, Postgres a date)."""
    return str(value)[:10]


def table_counts(url: str) -> dict[str, int]:
    """Rows in every table of the warehouse (Postgres: the public schema)."""
    engine = sa.create_engine(url)
    try:
        names = sa.inspect(engine).get_table_names()
        with engine.connect() as connection:
            return {
                name: int(connection.execute(sa.text(f'SELECT count(*) FROM "{name}"')).scalar())
                for name in sorted(names)
            }
    finally:
        engine.dispose()


def assert_no_secret(secret: str, texts: Sequence[str], folders: Sequence[Path]) -> None:
    """``secret`` appears in none of ``texts`` and in no file under ``folders`` (bytes)."""
    needle = secret.encode()
    for text in texts:
        assert secret not in text, f"{secret!r} printed"
    for folder in folders:
        for path in folder.rglob("*"):
            if path.is_file() and not path.is_symlink():
                assert needle not in path.read_bytes(), f"{secret!r} written to {path}"


# --- the replay server -----------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Replay:
    url: str
    process: subprocess.Popen
    log: Path

    def clock(self) -> dict[str, Any]:
        return httpx.get(f"{self.url}/_replay/clock", timeout=5).json()

    def stats(self) -> dict[str, Any]:
        return httpx.get(f"{self.url}/_replay/stats", timeout=5).json()


@pytest.fixture(scope="session")
def replay_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """MLB_ASSETS_HOME of the replay servers: their parquet cache is built once a session."""
    return tmp_path_factory.mktemp("replay-home")


@pytest.fixture
def replay_server(
    archive_dir: Path, replay_home: Path, tmp_path: Path
) -> Iterator[Callable[..., Replay]]:
    """Start ``mlb-assets replay-server --port P --start ISO --quota 1000000 [more]`` as its
    own process (env: MLB_ASSETS_ARCHIVE_DIR, MLB_ASSETS_HOME) and wait until it answers."""
    started: list[subprocess.Popen] = []

    def start(start: str, *more: str) -> Replay:
        port = free_port()
        env = {
            **base_environment(),
            "MLB_ASSETS_ARCHIVE_DIR": str(archive_dir),
            "MLB_ASSETS_HOME": str(replay_home),
        }
        command = [str(MLB_ASSETS), "replay-server", "--port", str(port), "--start", start]
        command += ["--quota", "1000000", *more]
        log = tmp_path / f"replay-{port}.log"
        with log.open("w") as out:
            process = subprocess.Popen(
                command, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
            )
        started.append(process)
        replay = Replay(f"http://127.0.0.1:{port}", process, log)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if process.poll() is not None:
                pytest.fail(
                    f"the replay server exited with {process.returncode}:\n{log.read_text()}"
                )
            try:
                if httpx.get(f"{replay.url}/_replay/clock", timeout=2).status_code == 200:
                    return replay
            except httpx.HTTPError:
                pass
            time.sleep(0.3)
        pytest.fail(f"the replay server did not answer in 120 s:\n{log.read_text()}")

    yield start
    for process in started:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=30)


def request_params(row: Mapping[str, Any]) -> dict[str, Any]:
    """A raw_payloads row's request parameters (stored as JSON text or JSON)."""
    value = row["request_params"]
    return value if isinstance(value, dict) else json.loads(value or "{}")
