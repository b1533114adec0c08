"""Alerts for failed runs, failed checks and failed backups: sinks, dedupe and rate limiting.

Framework-free on purpose: a Dagster sensor builds :class:`Alert` objects, keeps an
:class:`AlertLedger` in its cursor (it serializes to JSON) and calls :func:`dispatch` on every
tick. The ledger makes the sensor idempotent across ticks:

* an alert is sent once per :attr:`Alert.key` and the key stays *open*; while open, the same
  failure reported again is a duplicate. A check's key closes when the sensor reports it in
  ``resolved`` (the check passed again), so a later failure alerts again. A run failure's key
  holds the run id, so every failed run alerts exactly once.
* at most ``max_per_window`` alerts go out per sliding window; the rest wait (their keys stay
  closed) and go out on a later tick, so a burst of failures cannot flood a channel.
* a sink that fails leaves the key closed, so the alert is retried on the next tick.

Webhook URLs are secrets (a Slack incoming-webhook URL is its own credential): they never
appear in exceptions, ``repr`` or logs; :func:`mask_url` keeps scheme and host only.
"""

from __future__ import annotations

import contextlib
import json
import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol
from urllib.parse import urlsplit

import httpx

SINK_ENV = "MLB_ASSETS_ALERT_SINK"
SLACK_URL_ENV = "SLACK_WEBHOOK_URL"
WEBHOOK_URL_ENV = "MLB_ASSETS_ALERT_WEBHOOK_URL"
WEBHOOK_TOKEN_ENV = "MLB_ASSETS_ALERT_WEBHOOK_TOKEN"

# Slack rejects a section text over 3,000 characters; leave room for the code fence.
MAX_REASON_CHARS = 2500
TRUNCATION_MARK = "… (truncated)"
# Keys open this long are forgotten: it bounds the ledger (a sensor cursor) since run-failure
# keys are never resolved, and re-sends a reminder for a check that is still failing.
DEFAULT_FORGET_AFTER_SECONDS = 30 * 86400.0

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Alert:
    """One thing that went wrong and someone should look at."""

    kind: str  # "run_failure" | "check_failure" | "backup_failure" | ...
    title: str  # one line
    reason: str  # why: the error message, or a summary of the failed expectations
    asset: str | None = None
    partition: str | None = None
    check: str | None = None
    job: str | None = None
    run_id: str | None = None
    run_url: str | None = None  # the run in the Dagster UI
    severity: str = "error"

    @property
    def key(self) -> str:
        """The dedupe key: one alert per run for run failures, else per asset/check/partition.

        The asset comes before the job so that the same check failing in runs of different
        jobs is one alert (see :func:`check_failure_key`).
        """
        if self.kind == "run_failure":
            return _join(self.kind, self.job, self.run_id)
        return _join(self.kind, self.asset or self.job, self.check, self.partition)

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "title": self.title,
            "reason": self.reason,
            "asset": self.asset,
            "partition": self.partition,
            "check": self.check,
            "job": self.job,
            "run_id": self.run_id,
            "run_url": self.run_url,
            "severity": self.severity,
            "key": self.key,
        }


def check_failure_key(asset: str, check: str, partition: str | None = None) -> str:
    """The key of a check-failure alert, for reporting the check as ``resolved``."""
    alert = Alert("check_failure", "", "", asset=asset, check=check, partition=partition)
    return alert.key


def _join(*parts: str | None) -> str:
    return "|".join(part or "" for part in parts)


class AlertDeliveryError(RuntimeError):
    """A webhook sink could not deliver; the message never contains the webhook URL."""

    def __init__(self, message: str, *, status_code: int | None = None) -> None:
        super().__init__(message)
        self.status_code = status_code


class AlertSink(Protocol):
    name: str

    def send(self, alert: Alert) -> None: ...


class LogSink:
    """Writes alerts to a logger at warning level; the embedded default. Never raises."""

    name = "log"

    def __init__(self, logger: logging.Logger | None = None) -> None:
        self.logger = logger or logging.getLogger("mlb_assets.alerts")

    def send(self, alert: Alert) -> None:
        # A log sink must not turn an alert into a sensor failure.
        with contextlib.suppress(Exception):
            self.logger.warning("ALERT %s", format_alert(alert))


def format_alert(alert: Alert) -> str:
    """One line: severity, title, the context that is set, and the reason."""
    context = [
        f"{name}={value}"
        for name, value in (
            ("asset", alert.asset),
            ("partition", alert.partition),
            ("check", alert.check),
            ("job", alert.job),
            ("run_id", alert.run_id),
            ("run_url", alert.run_url),
        )
        if value
    ]
    return f"[{alert.severity}] {alert.title} ({', '.join(context)}): {alert.reason}"


class _WebhookSink:
    """POSTs JSON to a URL that is a secret; shared by the Slack and generic sinks."""

    name = "webhook"

    def __init__(
        self,
        url: str,
        *,
        headers: Mapping[str, str] | None = None,
        timeout: float = 10.0,
        client: httpx.Client | None = None,
    ) -> None:
        _require_http_url(url, self.name)
        self._url = url
        self._headers = dict(headers or {})
        self.timeout = timeout
        self._client = client
        self._owns_client = False

    def __repr__(self) -> str:
        return f"{type(self).__name__}(url={mask_url(self._url)!r})"

    def payload(self, alert: Alert) -> dict[str, Any]:
        raise NotImplementedError

    def send(self, alert: Alert) -> None:
        body = self.payload(alert)
        error: AlertDeliveryError | None = None
        try:
            response = self._post(body)
        except (httpx.HTTPError, httpx.InvalidURL) as exc:
            error = self._error(f"{type(exc).__name__}: {exc}")
        else:
            if not response.is_success:
                text = " ".join(response.text.split())[:200]
                error = self._error(
                    f"HTTP {response.status_code} {text}".rstrip(), response.status_code
                )
        if error is not None:
            # Raised outside the except block: httpx's exception may quote the URL, and a
            # chained exception would print it with the traceback.
            raise error

    def _post(self, body: dict[str, Any]) -> httpx.Response:
        if self._client is None:
            # One client per sink: building one loads the CA bundle, which costs more than
            # the request itself when a tick sends several alerts.
            self._client = httpx.Client(timeout=self.timeout)
            self._owns_client = True
        return self._client.post(self._url, json=body, headers=self._headers, timeout=self.timeout)

    def close(self) -> None:
        """Close the HTTP client this sink created (a client passed in is the caller's)."""
        if self._client is not None and self._owns_client:
            self._client.close()
            self._client = None

    def _error(self, detail: str, status_code: int | None = None) -> AlertDeliveryError:
        detail = redact(detail, self._url, extra=self._headers.values())
        message = f"{self.name} alert to {mask_url(self._url)} failed: {detail}"
        return AlertDeliveryError(message, status_code=status_code)


class SlackWebhookSink(_WebhookSink):
    """Posts to a Slack incoming webhook: a fallback ``text`` plus Block Kit ``blocks``."""

    name = "slack"

    def __init__(
        self, url: str, *, timeout: float = 10.0, client: httpx.Client | None = None
    ) -> None:
        super().__init__(url, timeout=timeout, client=client)

    def payload(self, alert: Alert) -> dict[str, Any]:
        return slack_payload(alert)


class JsonWebhookSink(_WebhookSink):
    """Posts the alert as a flat JSON object (see :func:`json_payload`)."""

    name = "webhook"

    def payload(self, alert: Alert) -> dict[str, Any]:
        return json_payload(alert)


def json_payload(alert: Alert, *, sent_at: datetime | None = None) -> dict[str, Any]:
    stamp = (sent_at or datetime.now(UTC)).astimezone(UTC).isoformat()
    return {**alert.to_dict(), "sent_at": stamp}


def slack_payload(alert: Alert) -> dict[str, Any]:
    """Slack incoming-webhook JSON: header, context fields, the reason, and a run link."""
    fields = [
        {"type": "mrkdwn", "text": f"*{label}*\n{_slack_escape(value)}"}
        for label, value in (
            ("Asset", alert.asset),
            ("Partition", alert.partition),
            ("Check", alert.check),
            ("Job", alert.job),
            ("Severity", alert.severity),
            ("Kind", alert.kind),
        )
        if value
    ]
    if alert.run_url:
        label = _slack_escape(alert.run_id or "open in Dagster")
        fields.append({"type": "mrkdwn", "text": f"*Run*\n<{alert.run_url}|{label}>"})
    reason = _slack_escape(truncate(alert.reason, MAX_REASON_CHARS))
    blocks: list[dict[str, Any]] = [
        # Slack caps header text at 150 characters.
        {"type": "header", "text": {"type": "plain_text", "text": truncate(alert.title, 150)}},
        {"type": "section", "fields": fields[:10]},
        {"type": "section", "text": {"type": "mrkdwn", "text": f"```{reason}```"}},
    ]
    if not fields:
        blocks.pop(1)  # Slack rejects a section without fields or text
    fallback = f"[{alert.severity}] {alert.title}: {truncate(alert.reason, 300)}"
    return {"text": fallback, "blocks": blocks}


def truncate(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    return text[: max(limit - len(TRUNCATION_MARK), 0)] + TRUNCATION_MARK


def _slack_escape(text: str) -> str:
    # Slack's mrkdwn treats these three as control characters.
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def mask_url(url: str) -> str:
    """Scheme, host and port only: the part of a URL that is safe to log."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        return "<invalid URL>"
    if not parts.scheme or not host:
        return "<URL>"
    return f"{parts.scheme}://{host}{port}"


def redact(text: str, url: str, *, extra: Iterable[str] = ()) -> str:
    """``text`` with the secret parts of ``url`` (and any ``extra`` secrets) replaced by ***.

    Covers the URL as written and as httpx normalizes it, its credentials, path, query and
    each long path segment (a webhook token may be quoted on its own).
    """
    secrets = {url, *extra}
    try:
        parts = urlsplit(url)
        secrets |= {parts.path, parts.query, parts.username or "", parts.password or ""}
        secrets |= {segment for segment in parts.path.split("/") if len(segment) >= 8}
        if parts.username:
            secrets.add(parts.netloc)
        normalized = httpx.URL(url)
        secrets |= {str(normalized), normalized.raw_path.decode("ascii", "replace")}
    except (ValueError, httpx.InvalidURL):
        pass
    for secret in sorted(secrets, key=len, reverse=True):
        if len(secret) > 1:
            text = text.replace(secret, "***")
    # Tokens often travel as "Bearer <token>"; the bare token counts too.
    for value in extra:
        token = value.removeprefix("Bearer ").strip()
        if len(token) > 1:
            text = text.replace(token, "***")
    return text


def _require_http_url(url: str, variable: str) -> None:
    try:
        parts = urlsplit(url)
        ok = parts.scheme in {"http", "https"} and bool(parts.hostname)
    except ValueError:
        ok = False
    if not ok:
        raise ValueError(f"the {variable} URL must be an http(s) URL with a host")


def sink_from_env(env: Mapping[str, str], logger: logging.Logger | None = None) -> AlertSink:
    """The sink ``MLB_ASSETS_ALERT_SINK`` names: ``log`` (default), ``slack`` or ``webhook``.

    ``slack`` needs ``SLACK_WEBHOOK_URL``; ``webhook`` needs ``MLB_ASSETS_ALERT_WEBHOOK_URL``
    and sends ``MLB_ASSETS_ALERT_WEBHOOK_TOKEN``, when set, as a bearer token. Errors name the
    variable, never its value.
    """
    choice = env.get(SINK_ENV, "").strip().lower() or "log"
    if choice == "log":
        return LogSink(logger)
    if choice == "slack":
        return SlackWebhookSink(_required_url(env, SLACK_URL_ENV))
    if choice == "webhook":
        url = _required_url(env, WEBHOOK_URL_ENV)
        token = env.get(WEBHOOK_TOKEN_ENV, "").strip()
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return JsonWebhookSink(url, headers=headers)
    raise ValueError(f"{SINK_ENV} must be one of: log, slack, webhook")


def _required_url(env: Mapping[str, str], variable: str) -> str:
    url = env.get(variable, "").strip()
    if not url:
        raise ValueError(f"{variable} is not set")
    try:
        _require_http_url(url, variable)
    except ValueError:
        raise ValueError(f"{variable} is not an http(s) URL with a host") from None
    return url


@dataclass
class AlertLedger:
    """Dedupe and rate-limit state; JSON so a sensor can keep it in its cursor."""

    open: dict[str, float] = field(default_factory=dict)  # key -> unix time first alerted
    sent: list[float] = field(default_factory=list)  # send times within the rate window
    suppressed: int = 0  # alerts held back by the rate limit since the last send

    def to_json(self) -> str:
        body = {"open": self.open, "sent": self.sent, "suppressed": self.suppressed}
        return json.dumps(body, sort_keys=True, separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str | None) -> AlertLedger:
        """The ledger ``text`` holds; empty for None, "" or anything that is not a ledger.

        A corrupt cursor must not stop alerting: the worst outcome of starting empty is one
        repeated alert per open failure.
        """
        if not text:
            return cls()
        try:
            raw = json.loads(text)
            return cls(
                open={str(k): float(v) for k, v in dict(raw.get("open", {})).items()},
                sent=sorted(float(t) for t in raw.get("sent", [])),
                suppressed=int(raw.get("suppressed", 0)),
            )
        except (ValueError, TypeError, AttributeError):
            logger.warning("alert ledger is not valid JSON of a ledger; starting empty")
            return cls()


@dataclass(frozen=True)
class Dispatch:
    """What :func:`dispatch` did with each alert."""

    sent: list[Alert] = field(default_factory=list)
    duplicates: list[Alert] = field(default_factory=list)
    rate_limited: list[Alert] = field(default_factory=list)
    failed: list[tuple[Alert, str]] = field(default_factory=list)  # (alert, error message)


def dispatch(
    alerts: Sequence[Alert],
    *,
    resolved: Iterable[str],
    ledger: AlertLedger,
    sink: AlertSink,
    now: float,
    max_per_window: int = 20,
    window_seconds: float = 3600.0,
    forget_after_seconds: float | None = DEFAULT_FORGET_AFTER_SECONDS,
) -> Dispatch:
    """Send each new alert once, within the rate limit; updates ``ledger`` in place.

    ``resolved`` holds the keys of failures that cleared (a check that passed again): they are
    closed first, so the same failure later alerts again. Keys open longer than
    ``forget_after_seconds`` are closed too (None keeps them until resolved).
    """
    _close(ledger, resolved, now=now, forget_after_seconds=forget_after_seconds)
    ledger.sent = [t for t in ledger.sent if t > now - window_seconds]
    result = Dispatch()
    seen: set[str] = set()
    for alert in alerts:
        key = alert.key
        if key in ledger.open or key in seen:
            result.duplicates.append(alert)
            continue
        seen.add(key)
        if len(ledger.sent) >= max_per_window:
            ledger.suppressed += 1
            result.rate_limited.append(alert)
            continue
        error = _try_send(sink, alert)
        if error is not None:
            result.failed.append((alert, error))
            continue
        ledger.open[key] = now
        ledger.sent.append(now)
        ledger.suppressed = 0
        result.sent.append(alert)
    return result


def _close(
    ledger: AlertLedger, resolved: Iterable[str], *, now: float, forget_after_seconds: float | None
) -> None:
    for key in resolved:
        ledger.open.pop(key, None)
    if forget_after_seconds is not None:
        cutoff = now - forget_after_seconds
        ledger.open = {k: t for k, t in ledger.open.items() if t > cutoff}


def _try_send(sink: AlertSink, alert: Alert) -> str | None:
    """None when sent, else why not; one sink error must not stop the other alerts."""
    try:
        sink.send(alert)
    except AlertDeliveryError as exc:
        return str(exc)
    except Exception as exc:  # any sink failure means "retry later", whatever its type
        return f"{getattr(sink, 'name', type(sink).__name__)}: {type(exc).__name__}: {exc}"
    return None
