"""The code location: everything under ``mlb_assets/defs``, loaded as a dg project, plus resources.

Every module of the defs folder contributes what it defines at module scope (assets, checks,
jobs, schedules, sensors); a new module is picked up without being listed anywhere. The
project's dg configuration ships inside the package (``mlb_assets/dg.toml``), so an installed
wheel loads exactly as this checkout does.

The configuration is read (``config.current``) before any asset or schedule is defined: a bad
variable stops the load with its own one-line message (variable, value, what is allowed).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import dagster as dg

from mlb_assets.config import current, prepare_process
from mlb_assets.resources import build_resources

prepare_process(current())

PACKAGE_DIR = Path(__file__).parent


def build_definitions(resources: Mapping[str, object] | None = None) -> dg.Definitions:
    """The defs folder bound to the configured resources; ``resources`` replaces them (tests)."""
    domains = dg.load_from_defs_folder(path_within_project=PACKAGE_DIR)
    return domains.with_resources(dict(resources or build_resources(current())))


@dg.definitions
def defs() -> dg.Definitions:
    return build_definitions()
