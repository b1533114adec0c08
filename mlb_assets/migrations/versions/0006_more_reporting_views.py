"""Two more reporting views: edge_distribution (materialized on Postgres) and
quarantine_summary (a plain view).

The upgrade recreates every reporting view from ``sql/reporting``. On Postgres the default
privileges set by revision 0005 grant the recreated views to the BI role; they apply to
relations created by the role that set them, so SELECT is granted once more here in case
another role runs this revision. The downgrade drops the two views and leaves the others
(0005's set) as they are.

A warehouse migrated from scratch already has both views at 0005, which creates every view
the code defines; this revision brings them to warehouses migrated before they existed.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-24
"""

from __future__ import annotations

from alembic import op

from mlb_assets.lib.warehouse.reporting import create_reporting_views
from mlb_assets.migrations.sqlfiles import grant_reporting_to_bi

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

# The views this revision adds, newest first, and how each is stored on Postgres. Spelled
# out here rather than read from the registry, so this revision keeps working whatever later
# revisions do to the views.
_ADDED = (("quarantine_summary", "VIEW"), ("edge_distribution", "MATERIALIZED VIEW"))


def upgrade() -> None:
    create_reporting_views(op.get_bind())
    grant_reporting_to_bi()


def downgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    for name, postgres_kind in _ADDED:
        if postgres:
            op.execute(f"DROP {postgres_kind} IF EXISTS reporting.{name}")
        else:
            op.execute(f"DROP VIEW IF EXISTS reporting_{name}")
