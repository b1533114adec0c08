"""The code location is a dg project: `dg check defs` and `dg list defs` load it, and an
installed wheel (no checkout above the package, as in the user-code image) loads it the same way.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest

from mlb_assets_tests.door.conftest import BIN, REPO, Door
from mlb_assets_tests.test_definitions import EXPECTED_ASSETS

DG = BIN / "dg"
PACKAGED_CONFIG = REPO / "mlb_assets" / "dg.toml"


def _dg_env(door: Door, **values: str) -> dict[str, str]:
    # VIRTUAL_ENV as an activated venv sets it: dg warns when the project's venv is not active.
    return door.env(VIRTUAL_ENV=str(BIN.parent), **values)


def test_pyproject_and_the_packaged_config_name_the_same_project() -> None:
    pyproject = tomllib.loads((REPO / "pyproject.toml").read_text())
    packaged = tomllib.loads(PACKAGED_CONFIG.read_text())
    assert pyproject["tool"]["dg"]["directory_type"] == packaged["directory_type"] == "project"
    assert pyproject["tool"]["dg"]["project"] == packaged["project"]
    assert (
        packaged["project"]["code_location_name"]
        == pyproject["tool"]["dagster"]["code_location_name"]
    )
    assert "dg.toml" in pyproject["tool"]["setuptools"]["package-data"]["mlb_assets"]


def test_dg_check_and_list_defs(door: Door) -> None:
    checked = door.run([DG, "check", "defs"], _dg_env(door), timeout=300, cwd=REPO)
    assert checked.returncode == 0, checked.tail()
    assert "All definitions loaded successfully" in checked.output, checked.tail()

    listed = door.run([DG, "list", "defs", "--json"], _dg_env(door), timeout=300, cwd=REPO)
    assert listed.returncode == 0, listed.tail()
    found = json.loads(listed.stdout)
    assert {a["asset_key"] for a in found["assets"]} == EXPECTED_ASSETS
    assert {"season_backfill", "odds_poll", "daily_picks", "settlement"} <= {
        j["name"] for j in found["jobs"]
    }
    assert "odds_polling_schedule" in {s["name"] for s in found["schedules"]}
    assert "settlement_sensor" in {s["name"] for s in found["sensors"]}


def test_dg_check_defs_fails_on_a_bad_variable(door: Door) -> None:
    env = _dg_env(door, MLB_ASSETS_ODDS_SOURCE="foo")
    ran = door.run([DG, "check", "defs"], env, timeout=300, cwd=REPO)
    assert ran.returncode != 0, ran.tail()
    assert "MLB_ASSETS_ODDS_SOURCE" in ran.output and "archive, odds_api" in ran.output


@pytest.mark.slow
def test_an_installed_wheel_loads_without_the_checkout(door: Door, tmp_path: Path) -> None:
    # The files the user-code image copies before `pip install .` (Dockerfile.user_code).
    source = tmp_path / "src"
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(REPO / name, source / name)
    shutil.copytree(
        REPO / "mlb_assets", source / "mlb_assets", ignore=shutil.ignore_patterns("__pycache__")
    )
    wheels = tmp_path / "wheels"
    built = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", wheels, source],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert built.returncode == 0, built.stderr[-3000:]
    (wheel,) = wheels.glob("mlb_assets-*.whl")
    site = tmp_path / "site"
    with zipfile.ZipFile(wheel) as archive:
        assert "mlb_assets/dg.toml" in archive.namelist()
        archive.extractall(site)

    script = (
        "import mlb_assets, json\n"
        "from mlb_assets.definitions import build_definitions\n"
        "graph = build_definitions().resolve_asset_graph()\n"
        "print(json.dumps({'file': mlb_assets.__file__,\n"
        "  'assets': sorted(k.to_user_string() for k in graph.get_all_asset_keys())}))\n"
    )
    # PYTHONPATH puts the unpacked wheel ahead of this checkout's editable install.
    ran = door.run([sys.executable, "-c", script], door.env(PYTHONPATH=str(site)), timeout=300)
    assert ran.returncode == 0, ran.tail()
    loaded = json.loads(ran.stdout.strip().splitlines()[-1])
    assert Path(loaded["file"]).is_relative_to(site), loaded["file"]
    assert set(loaded["assets"]) == EXPECTED_ASSETS
