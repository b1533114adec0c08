"""The one Definitions object: each domain's definitions merged, plus shared resources.

The configuration is read (``config.current``) before any asset or schedule is defined: a bad
variable stops the load with its own one-line message (variable, value, what is allowed).
"""

from __future__ import annotations

from collections.abc import Mapping

import dagster as dg

from mlb_assets.config import current, prepare_process
from mlb_assets.defs.betting import definitions as betting
from mlb_assets.defs.features import definitions as features
from mlb_assets.defs.ingestion import definitions as ingestion
from mlb_assets.defs.jobs import JOBS
from mlb_assets.defs.markets import definitions as markets
from mlb_assets.defs.models import definitions as models
from mlb_assets.defs.operations import definitions as operations
from mlb_assets.resources import build_resources

prepare_process(current())


def build_definitions(resources: Mapping[str, object] | None = None) -> dg.Definitions:
    """Merge the domains; ``resources`` replaces the configured ones (tests)."""
    shared = dg.Definitions(jobs=JOBS, resources=dict(resources or build_resources(current())))
    return dg.Definitions.merge(
        ingestion.defs,
        markets.defs,
        features.defs,
        models.defs,
        betting.defs,
        operations.defs,
        shared,
    )


defs = build_definitions()
