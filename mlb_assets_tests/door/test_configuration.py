"""Configuration at the door: what a user sees for a bad value, `config` and `doctor`.

A wrong value stops every entry point (`mlb-assets config`, `mlb-assets summary`, `dagster
asset list`) with a non-zero exit and one line naming the variable and what it allows: no
traceback, no pydantic internals, and a secret's value never printed. `mlb-assets config`
lists each variable with where its value came from; `mlb-assets doctor` checks what the
configuration points at, including whether the replay server accepts the key.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from mlb_assets_tests.door.conftest import (
    CODE,
    DAGSTER,
    MLB_ASSETS,
    REPLAY_DEFAULT_KEY,
    Door,
    assert_no_secret,
)

# (variable, value, words of what is allowed that the message must carry)
BAD_VALUES = [
    ("MLB_ASSETS_ODDS_SOURCE", "foo", "archive, odds_api"),
    ("KELLY_FRACTION", "-0.25", "(0, 1]"),
    ("MLB_ASSETS_DATABASE_URL", "not-a-url", "postgresql+psycopg://"),
    ("MAX_BET_PERCENT", "abc", "(0, 100]"),
    ("MLB_ASSETS_ODDS_POLL_CRON", "every minute", "cron"),
    ("MLB_ASSETS_DATABASE_URL", "postgresql+psycopg://u:hunter2@/db", "host and database"),
    ("MLB_ASSETS_DATABASE_URL", "postgresql+psycopg://u:hunter2@db:notaport/mlb", "SQLAlchemy"),
    ("MLB_ASSETS_DATABASE_URL", "postgresql+psycopg://u:hunter2@db:99999/mlb", "port"),
    ("SLACK_WEBHOOK_URL", "https://hooks.slack.com:99999/hunter2", "http(s) URL"),
    ("MLB_ASSETS_NOW", "2016-04-04T23:00:00", "with a zone"),
]
SECRET = "hunter2"
COMMANDS = {
    "config": [MLB_ASSETS, "config"],
    "summary": [MLB_ASSETS, "summary"],
    "asset list": [DAGSTER, "asset", "list", *CODE],
}


@pytest.mark.parametrize(
    ("name", "value", "allowed"), BAD_VALUES, ids=[f"{n}={v}" for n, v, _ in BAD_VALUES]
)
def test_a_bad_value_stops_every_entry_point_with_one_line(
    door: Door, name: str, value: str, allowed: str
) -> None:
    env = door.env(**{name: value})
    # Every value at `mlb-assets config`; the issue's own examples at every entry point.
    every_door = (name, value, allowed) in BAD_VALUES[:5]
    for what, command in COMMANDS.items() if every_door else [("config", COMMANDS["config"])]:
        ran = door.run(command, env, timeout=120)
        assert ran.returncode != 0, f"{what} accepted {name}={value!r}\n{ran.tail()}"
        naming = [line for line in ran.output.splitlines() if name in line]
        assert len(naming) == 1, f"{what}: expected one line naming {name}\n{ran.tail()}"
        assert allowed in naming[0], f"{what}: the line does not say what is allowed\n{ran.tail()}"
        assert "Traceback" not in ran.output, ran.tail()
        assert "pydantic" not in ran.output.lower(), ran.tail()
        assert SECRET not in ran.output, f"{what} printed the secret\n{ran.tail()}"
    # Nothing was created in the warehouse's place.
    assert not (door.home / "warehouse.sqlite").exists()


def test_config_lists_each_variable_with_its_origin(door: Door, archive_dir: Path) -> None:
    key = "door-config-key-1b2c3d"
    env = door.env(
        MLB_ASSETS_ARCHIVE_DIR=str(archive_dir),
        KELLY_FRACTION="0.5",
        ODDS_API_KEY=key,
        MLB_ASSETS_DATABASE_URL="postgresql+psycopg://reader:hunter2@db.example:5433/mlb",
    )
    ran = door.run([MLB_ASSETS, "config"], env, timeout=120)
    assert ran.returncode == 0, ran.tail()
    lines = {line.split()[0]: line for line in ran.stdout.splitlines() if line.startswith("  ")}
    for name in ("MLB_ASSETS_HOME", "MLB_ASSETS_ARCHIVE_DIR", "KELLY_FRACTION", "ODDS_API_KEY"):
        assert lines[name].endswith("(environment)"), lines[name]
    assert str(door.home) in lines["MLB_ASSETS_HOME"]
    assert str(archive_dir) in lines["MLB_ASSETS_ARCHIVE_DIR"]
    assert " 0.5 " in lines["KELLY_FRACTION"]
    assert "***" in lines["ODDS_API_KEY"]
    database = lines["MLB_ASSETS_DATABASE_URL"]
    assert database.endswith("(environment)") and "db.example" in database
    for name in ("MAX_BET_PERCENT", "MLB_ASSETS_ODDS_SOURCE", "MLB_ASSETS_ODDS_POLL_CRON"):
        assert lines[name].endswith("(default)"), lines[name]
    assert " archive " in lines["MLB_ASSETS_ODDS_SOURCE"]
    assert key not in ran.output and SECRET not in ran.output

    as_json = door.run([MLB_ASSETS, "config", "--json"], env, timeout=120)
    assert as_json.returncode == 0, as_json.tail()
    rows = [json.loads(line) for line in as_json.stdout.splitlines() if line.strip()]
    by_name = {row["variable"]: row for row in rows}
    assert len(by_name) == len(lines)
    assert by_name["KELLY_FRACTION"] == {
        "variable": "KELLY_FRACTION",
        "value": "0.5",
        "origin": "environment",
    }
    assert by_name["MAX_BET_PERCENT"]["origin"] == "default"
    assert by_name["ODDS_API_KEY"]["value"] == "***"
    assert key not in as_json.output and SECRET not in as_json.output


def _doctor_lines(output: str) -> dict[str, str]:
    """``[status] what: detail`` lines by ``what``."""
    found = {}
    for line in output.splitlines():
        if line.startswith("[") and "]" in line and ":" in line:
            status, rest = line[1:].split("]", 1)
            found[rest.split(":", 1)[0].strip()] = f"{status.strip()}:{rest}"
    return found


@pytest.mark.archive
def test_doctor_on_the_embedded_default(door: Door, archive_dir: Path) -> None:
    env = door.env(MLB_ASSETS_ARCHIVE_DIR=str(archive_dir))
    java = shutil.which("java", path=env["PATH"])
    # A fresh home: the warehouse is reachable but empty, and doctor says what to run.
    fresh = door.run([MLB_ASSETS, "doctor"], env, timeout=120)
    found = _doctor_lines(fresh.stdout)
    assert found["warehouse"].startswith("warn:"), fresh.tail()
    assert "reachable" in found["warehouse"] and "schema at empty" in found["warehouse"]
    assert str(door.home / "warehouse.sqlite") in found["warehouse"]
    assert "fix: run `mlb-assets migrate`" in fresh.stdout, fresh.tail()
    assert found["archives"].startswith("ok:"), fresh.tail()
    assert re.search(r"seasons \d{4}–\d{4}", found["archives"]), fresh.tail()
    assert found["odds api"].startswith("ok:") and "not used" in found["odds api"]
    assert fresh.returncode == (0 if java else 1), fresh.tail()

    migrated = door.run([MLB_ASSETS, "migrate"], env, timeout=300)
    assert migrated.returncode == 0 and "empty ->" in migrated.stdout, migrated.tail()
    ran = door.run([MLB_ASSETS, "doctor"], env, timeout=120)
    found = _doctor_lines(ran.stdout)
    assert found["warehouse"].startswith("ok:") and "reachable" in found["warehouse"], ran.tail()
    if java:
        assert ran.returncode == 0, ran.tail()
        assert "everything reachable" in ran.stdout
    else:  # Java 17 is a requirement: its absence is a failure with a fix
        assert ran.returncode == 1 and found["java"].startswith("fail:"), ran.tail()


@pytest.mark.archive
@pytest.mark.slow
def test_doctor_checks_the_key_against_the_replay_server(door: Door, replay_server) -> None:
    replay = replay_server("2016-04-04T22:00:00Z")

    def doctor(key: str):
        env = door.env(
            MLB_ASSETS_ODDS_SOURCE="odds_api",
            ODDS_API_KEY=key,
            ODDS_API_BASE_URL=replay.url,
            MLB_STATS_BASE_URL=replay.url,
        )
        return door.run([MLB_ASSETS, "doctor"], env, timeout=120)

    right = doctor(REPLAY_DEFAULT_KEY)
    found = _doctor_lines(right.stdout)
    assert found["odds api"].startswith("ok:") and "key accepted" in found["odds api"], right.tail()
    assert found["mlb stats api"].startswith("ok:"), right.tail()
    assert REPLAY_DEFAULT_KEY not in right.output
    if shutil.which("java", path=door.env()["PATH"]):
        assert right.returncode == 0, right.tail()

    wrong_key = "door-wrong-key-5e6f7a"
    wrong = doctor(wrong_key)
    assert wrong.returncode == 1, wrong.tail()
    found = _doctor_lines(wrong.stdout)
    assert found["odds api"].startswith("fail:") and "refused" in found["odds api"], wrong.tail()
    assert "fix: check ODDS_API_KEY" in wrong.stdout, wrong.tail()
    assert found["mlb stats api"].startswith("ok:"), wrong.tail()
    assert_no_secret(wrong_key, [wrong.output], [door.home])


@pytest.mark.slow
def test_the_ui_shows_a_bad_value_as_the_code_location_error(door: Door) -> None:
    """`dagster dev` (a code server behind the UI) keeps running and reports the one line as
    the code location's load error, instead of a server that exited."""
    import os
    import signal
    import subprocess
    import time

    import httpx

    from mlb_assets_tests.door.conftest import free_port

    port = free_port()
    env = door.env(KELLY_FRACTION="-0.25")
    query = """{ workspaceOrError { ... on Workspace { locationEntries {
        locationOrLoadError { __typename ... on PythonError { message causes { message } } }
    } } } }"""
    command = [str(DAGSTER), "dev", *CODE, "-h", "127.0.0.1", "-p", str(port)]
    process = subprocess.Popen(
        command,
        env=env,
        cwd=door.root,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    message = None
    try:
        deadline = time.monotonic() + 180
        while message is None and time.monotonic() < deadline:
            time.sleep(1)
            try:
                answer = httpx.post(
                    f"http://127.0.0.1:{port}/graphql", json={"query": query}, timeout=5
                ).json()
                entries = answer["data"]["workspaceOrError"]["locationEntries"]
                error = entries[0]["locationOrLoadError"]
                if "message" in error:  # the error and its causes, as the UI lists them
                    causes = [cause["message"] for cause in error.get("causes") or []]
                    message = "\n".join([error["message"], *causes])
            except (httpx.HTTPError, KeyError, TypeError, ValueError, IndexError):
                continue
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=60)
    assert message is not None, "the UI never reported the code location"
    assert "KELLY_FRACTION='-0.25' is not valid: expected a number in (0, 1]" in message
    assert "pydantic" not in message.lower()
