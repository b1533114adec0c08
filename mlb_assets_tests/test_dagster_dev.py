"""`dagster dev` loads the code location and the UI's GraphQL API lists the assets."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from mlb_assets_tests.test_definitions import EXPECTED_ASSETS, REPO

pytestmark = pytest.mark.slow

ASSET_QUERY = "{ assetNodes { assetKey { path } } }"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_for_assets(url: str, process: subprocess.Popen, deadline: float) -> set[str]:
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"dagster dev exited with {process.returncode}")
        try:
            response = httpx.post(f"{url}/graphql", json={"query": ASSET_QUERY}, timeout=5)
            nodes = response.json()["data"]["assetNodes"]
            if nodes:
                return {"/".join(n["assetKey"]["path"]) for n in nodes}
        except (httpx.HTTPError, KeyError, TypeError, ValueError):
            pass
        time.sleep(1)
    raise AssertionError("dagster dev did not serve the assets in time")


def test_dagster_dev_loads_the_code_location(tmp_path: Path) -> None:
    port = _free_port()
    dagster = Path(sys.executable).with_name("dagster")
    env = {**os.environ, "DAGSTER_HOME": str(tmp_path), "MLB_ASSETS_HOME": str(tmp_path)}
    process = subprocess.Popen(
        [str(dagster), "dev", "-m", "mlb_assets.definitions", "-h", "127.0.0.1", "-p", str(port)],
        cwd=REPO,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        assets = _wait_for_assets(f"http://127.0.0.1:{port}", process, time.monotonic() + 120)
        assert assets >= EXPECTED_ASSETS
        info = httpx.get(f"http://127.0.0.1:{port}/server_info", timeout=5)
        assert info.status_code == 200
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            pytest.fail("dagster dev did not stop on SIGTERM")
