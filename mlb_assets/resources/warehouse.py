"""The warehouse resource: one SQLAlchemy engine on embedded SQLite or Postgres."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import dagster as dg
import sqlalchemy as sa
from pydantic import PrivateAttr

from mlb_assets.lib import settings
from mlb_assets.lib.warehouse import migrate
from mlb_assets.lib.warehouse.engine import cached_engine, dialect_of, safe_url


class WarehouseResource(dg.ConfigurableResource):
    """The analytics warehouse.

    ``database_url`` unset means the embedded SQLite file in ``MLB_ASSETS_HOME``; a
    ``postgresql+psycopg://`` URL means Postgres. Migrations run on first use unless
    ``auto_migrate`` is off (production upgrades run ``mlb-assets migrate`` first).
    """

    database_url: str | None = None
    home: str | None = None
    auto_migrate: bool = True

    _migrated: bool = PrivateAttr(default=False)

    @property
    def url(self) -> str:
        return settings.database_url(self.database_url, settings.home_dir(self.home))

    @property
    def dialect(self) -> str:
        return dialect_of(self.url)

    @property
    def display_url(self) -> str:
        """The URL with the password masked: the only form that may reach logs."""
        return safe_url(self.url)

    def engine(self) -> sa.Engine:
        engine = cached_engine(self.url)
        if self.auto_migrate and not self._migrated:
            migrate.ensure_schema(engine)
            self._migrated = True
        return engine

    @contextmanager
    def begin(self) -> Iterator[sa.Connection]:
        """A transaction: everything inside commits together or not at all."""
        with self.engine().begin() as connection:
            yield connection

    @contextmanager
    def connect(self) -> Iterator[sa.Connection]:
        with self.engine().connect() as connection:
            yield connection
