"""The configured source of games and odds, built from the source resources.

``MLB_ASSETS_ODDS_SOURCE`` (``IngestionResource.odds_source``) picks the adapter: the
public archives, or The Odds API with the MLB Stats API (pointed at ``mlb-assets
replay-server`` to run the live path locally). The assets see only
:class:`mlb_assets.lib.sources.base.MarketSource`.
"""

from __future__ import annotations

from mlb_assets.lib.sources.archive import ArchiveSource
from mlb_assets.lib.sources.base import Log, MarketSource
from mlb_assets.lib.sources.odds_api import OddsApiSource, OddsRequest
from mlb_assets.resources.archive import ArchiveResource
from mlb_assets.resources.live import IngestionResource, MlbStatsResource, OddsApiResource
from mlb_assets.resources.warehouse import WarehouseResource


def market_source(
    ingestion: IngestionResource,
    archive: ArchiveResource,
    odds_api: OddsApiResource,
    mlb_stats: MlbStatsResource,
    warehouse: WarehouseResource,
    log: Log,
) -> MarketSource:
    """The adapter of the configured source, landing into and reading from ``warehouse``."""
    if ingestion.uses_odds_api:
        return OddsApiSource(
            engine=warehouse.engine(),
            odds_client=odds_api.client,
            mlb_client=mlb_stats.client,
            request=OddsRequest(
                odds_api.regions, odds_api.market_list(), odds_api.bookmaker_list()
            ),
            clock=ingestion.now,
            historical_interval_minutes=ingestion.historical_interval_minutes,
            historical_lookback_hours=ingestion.historical_lookback_hours,
            log=log,
        )
    source: MarketSource = ArchiveSource(archive.seasons_between, warehouse.engine(), log)
    if archive.load_test_books > 1:
        # Load tests only: the real lines replayed as many books (not market truth).
        from mlb_assets.replay.synthetic_books import SyntheticBooks

        source = SyntheticBooks(source, archive.load_test_books)
    return source
