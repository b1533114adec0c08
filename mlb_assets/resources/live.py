"""Resources for live sources: The Odds API v4 and the MLB Stats API schedule."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Literal

import dagster as dg

from mlb_assets.config import default
from mlb_assets.lib.ingest.live import DEFAULT_LOOKBACK_HOURS, replay_clock_now
from mlb_assets.lib.mlb_stats.client import MlbStatsClient
from mlb_assets.lib.odds_api.client import OddsApiClient
from mlb_assets.lib.splits import BettingSplitsSource, splits_source_from_config

OddsSource = Literal["archive", "odds_api"]


class IngestionResource(dg.ConfigurableResource):
    """Which source feeds the ingestion assets (``MLB_ASSETS_ODDS_SOURCE``).

    ``archive`` replays the public archives (games and odds); ``odds_api`` polls The Odds
    API for odds and the MLB Stats API for the schedule and scores. Both feed the same
    tables through the same normalization.
    """

    odds_source: OddsSource = default("odds_source")
    # Historical backfills walk the historical endpoint at this spacing (each call costs
    # 10 x markets x regions credits); live polling spacing is set by the schedule.
    historical_interval_minutes: int = default("historical_interval_minutes")
    # How long before a game date begins (midnight, America/New_York) a walk starts.
    historical_lookback_hours: int = DEFAULT_LOOKBACK_HOURS
    # The current time as ISO 8601 (``MLB_ASSETS_NOW``); unset means the wall clock. A replay
    # session sets it to the replay server's simulated time so "today" is polled live.
    now_override: str | None = None
    # A replay server's clock endpoint (``MLB_ASSETS_CLOCK_URL``): "now" is read from it, so
    # a replay whose clock runs fast moves every process's "today" with it.
    clock_url: str | None = None
    # Shares of a date's quotes quarantined by normalization above which the odds_snapshots
    # quality check warns, and fails (``MLB_ASSETS_QUARANTINE_WARN_SHARE``/``_ERROR_SHARE``).
    quarantine_warn_share: float = default("quarantine_warn_share")
    quarantine_error_share: float = default("quarantine_error_share")

    @property
    def replays_time(self) -> bool:
        """Whether "now" is a replay's (fixed or read from a replay server), not the wall's."""
        return bool(self.now_override or self.clock_url)

    @property
    def uses_odds_api(self) -> bool:
        return self.odds_source == "odds_api"

    def now(self) -> datetime:
        if self.clock_url:
            return replay_clock_now(self.clock_url)
        if not self.now_override:
            return datetime.now(UTC)
        moment = datetime.fromisoformat(self.now_override.replace("Z", "+00:00"))
        if moment.tzinfo is None:
            raise ValueError(f"MLB_ASSETS_NOW must carry a time zone: {self.now_override!r}")
        return moment.astimezone(UTC)


class OddsApiResource(dg.ConfigurableResource):
    """The Odds API v4 (``ODDS_API_BASE_URL``, ``ODDS_API_KEY``).

    Point ``base_url`` at ``mlb-assets replay-server`` to run the live code path locally.
    """

    base_url: str = default("odds_api_base_url")
    api_key: str | None = None
    regions: str = "us"
    markets: str = "h2h,spreads,totals"
    bookmakers: str | None = None
    quota_floor: int = default("odds_api_quota_floor")
    timeout_seconds: float = 10.0
    max_retries: int = 4

    def market_list(self) -> tuple[str, ...]:
        return tuple(m.strip() for m in self.markets.split(",") if m.strip())

    def bookmaker_list(self) -> tuple[str, ...] | None:
        if not self.bookmakers:
            return None
        return tuple(b.strip() for b in self.bookmakers.split(",") if b.strip())

    def client(self, sleep: Callable[[float], None] = time.sleep) -> OddsApiClient:
        """A client for this configuration; ``sleep`` waits out backoffs and Retry-After."""
        return OddsApiClient(
            self.base_url,
            self.api_key,
            timeout=self.timeout_seconds,
            max_retries=self.max_retries,
            quota_floor=self.quota_floor,
            sleep=sleep,
        )


class MlbStatsResource(dg.ConfigurableResource):
    """The public MLB Stats API (``MLB_STATS_BASE_URL``): schedule, pitchers, scores."""

    base_url: str = default("mlb_stats_base_url")
    timeout_seconds: float = 10.0
    max_retries: int = 3

    def client(self) -> MlbStatsClient:
        return MlbStatsClient(
            self.base_url, timeout=self.timeout_seconds, max_retries=self.max_retries
        )


class BettingSplitsResource(dg.ConfigurableResource):
    """Public betting splits (bet % / money %) for reverse-line-movement features.

    ``source`` (``MLB_ASSETS_SPLITS_SOURCE``) names a source in ``mlb_assets.lib.splits``;
    unset or "none" means no splits data, and the split features are null.
    """

    source: str | None = default("splits_source")

    def splits_source(self) -> BettingSplitsSource:
        return splits_source_from_config(self.source)
