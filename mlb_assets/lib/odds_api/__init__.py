"""The Odds API v4: a client with retries, quota tracking and key redaction."""

from mlb_assets.lib.odds_api.client import (
    ApiResponse,
    OddsApiAuthError,
    OddsApiClient,
    OddsApiError,
    OddsApiQuotaError,
    OddsApiQuotaExhaustedError,
    OddsApiRequestError,
    OddsApiUnavailableError,
    Quota,
    QuotaFloorError,
    redact,
    request_cost,
)

__all__ = [
    "ApiResponse",
    "OddsApiAuthError",
    "OddsApiClient",
    "OddsApiError",
    "OddsApiQuotaError",
    "OddsApiQuotaExhaustedError",
    "OddsApiRequestError",
    "OddsApiUnavailableError",
    "Quota",
    "QuotaFloorError",
    "redact",
    "request_cost",
]
