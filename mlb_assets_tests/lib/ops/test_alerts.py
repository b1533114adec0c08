"""Alert sinks against a real local HTTP server, and dispatch's dedupe and rate limit."""

from __future__ import annotations

import logging
from datetime import datetime

import httpx
import pytest

from mlb_assets.lib.ops.alerts import (
    MAX_REASON_CHARS,
    Alert,
    AlertDeliveryError,
    AlertLedger,
    JsonWebhookSink,
    LogSink,
    SlackWebhookSink,
    check_failure_key,
    dispatch,
    sink_from_env,
)
from mlb_assets_tests.http_receiver import Receiver, closed_port_url, http_receiver

SLACK_PATH = "/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX"
TOKEN = "s3cr3t-token-value"
T0 = 1_700_000_000.0


def _check_failure(partition: str = "2016-04-03", check: str = "no_null_prices") -> Alert:
    return Alert(
        kind="check_failure",
        title=f"{check} failed on odds_snapshots",
        reason="3 rows with a null price",
        asset="odds_snapshots",
        partition=partition,
        check=check,
        job="odds_poll",
        run_id="run-1",
        run_url="http://dagster.local/runs/run-1",
    )


def _run_failure(run_id: str) -> Alert:
    return Alert(
        kind="run_failure",
        title="settlement failed",
        reason="OperationalError: database is locked",
        job="settlement",
        run_id=run_id,
    )


def _sent_keys(receiver: Receiver) -> list[str]:
    return [request.json()["key"] for request in receiver.requests]


# --- sinks -------------------------------------------------------------------------------


def test_slack_sink_posts_blocks_with_context_and_run_link() -> None:
    with http_receiver() as receiver:
        SlackWebhookSink(receiver.base_url + SLACK_PATH).send(_check_failure())
    [request] = receiver.requests
    assert (request.method, request.path) == ("POST", SLACK_PATH)
    assert request.headers["content-type"] == "application/json"
    body = request.json()
    assert body["text"].startswith("[error] no_null_prices failed on odds_snapshots")
    header, fields, reason = body["blocks"]
    assert header == {
        "type": "header",
        "text": {"type": "plain_text", "text": "no_null_prices failed on odds_snapshots"},
    }
    texts = [f["text"] for f in fields["fields"]]
    for expected in (
        "*Asset*\nodds_snapshots",
        "*Partition*\n2016-04-03",
        "*Check*\nno_null_prices",
        "*Job*\nodds_poll",
        "*Run*\n<http://dagster.local/runs/run-1|run-1>",
    ):
        assert expected in texts
    assert reason["text"]["text"] == "```3 rows with a null price```"


def test_slack_sink_truncates_a_long_reason_and_escapes_markup() -> None:
    alert = Alert(kind="run_failure", title="t", reason="<x> & " + "y" * 10_000, job="j")
    with http_receiver() as receiver:
        SlackWebhookSink(receiver.base_url + SLACK_PATH).send(alert)
    reason = receiver.requests[0].json()["blocks"][-1]["text"]["text"]
    assert reason.startswith("```&lt;x&gt; &amp; yyy")
    assert reason.endswith("(truncated)```")
    assert len(reason) < MAX_REASON_CHARS + 50


def test_json_webhook_sink_posts_every_field_with_the_bearer_token() -> None:
    alert = _check_failure()
    with http_receiver() as receiver:
        sink = JsonWebhookSink(
            receiver.base_url + "/hooks/alerts", headers={"Authorization": f"Bearer {TOKEN}"}
        )
        sink.send(alert)
    [request] = receiver.requests
    assert (request.method, request.path) == ("POST", "/hooks/alerts")
    assert request.headers["authorization"] == f"Bearer {TOKEN}"
    body = request.json()
    assert set(body) == {
        "kind",
        "title",
        "reason",
        "asset",
        "partition",
        "check",
        "job",
        "run_id",
        "run_url",
        "severity",
        "key",
        "sent_at",
    }
    assert body["key"] == alert.key == "check_failure|odds_snapshots|no_null_prices|2016-04-03"
    assert body["run_url"] == "http://dagster.local/runs/run-1"
    assert datetime.fromisoformat(body["sent_at"]).tzinfo is not None


@pytest.mark.parametrize("status", [500, 429, 404])
def test_a_non_2xx_answer_raises_without_the_secret_url(status: int) -> None:
    with http_receiver() as receiver:
        receiver.respond_with(status)
        url = receiver.base_url + SLACK_PATH
        with pytest.raises(AlertDeliveryError) as caught:
            SlackWebhookSink(url).send(_check_failure())
    message = str(caught.value)
    assert caught.value.status_code == status
    assert f"HTTP {status}" in message and receiver.base_url in message
    assert "services" not in message and "XXXX" not in message
    assert SLACK_PATH not in repr(SlackWebhookSink(url))


def test_a_refused_connection_raises_without_the_url_path_or_token() -> None:
    url = closed_port_url() + "/hooks/" + TOKEN
    sink = JsonWebhookSink(url, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=2)
    with pytest.raises(AlertDeliveryError) as caught:
        sink.send(_check_failure())
    message = str(caught.value)
    assert "ConnectError" in message and TOKEN not in message and "/hooks" not in message
    # Nothing chained either: a traceback would print the original exception's text.
    assert caught.value.__cause__ is None and caught.value.__context__ is None


def test_httpx_exception_text_quoting_the_url_is_masked() -> None:
    # A caller's client that raises on error statuses: httpx's message quotes the full URL.
    client = httpx.Client(event_hooks={"response": [lambda response: response.raise_for_status()]})
    with http_receiver() as receiver, client:
        receiver.respond_with(500)
        url = receiver.base_url + SLACK_PATH
        with pytest.raises(AlertDeliveryError) as caught:
            SlackWebhookSink(url, client=client).send(_check_failure())
    message = str(caught.value)
    assert "HTTPStatusError" in message
    assert SLACK_PATH not in message and "XXXXXXXX" not in message and "T00000000" not in message


def test_log_sink_logs_a_warning(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="mlb_assets.alerts"):
        LogSink().send(_check_failure())
    [record] = caplog.records
    assert record.levelno == logging.WARNING
    assert "no_null_prices failed on odds_snapshots" in record.getMessage()
    assert "partition=2016-04-03" in record.getMessage()


def test_log_sink_never_raises() -> None:
    class Broken(logging.Logger):
        def warning(self, *args: object, **kwargs: object) -> None:
            raise OSError("disk full")

    LogSink(Broken("broken")).send(_check_failure())


# --- sink_from_env ------------------------------------------------------------------------


def test_sink_from_env_defaults_to_the_log_sink() -> None:
    assert isinstance(sink_from_env({}), LogSink)
    assert isinstance(sink_from_env({"MLB_ASSETS_ALERT_SINK": " Log "}), LogSink)


def test_sink_from_env_builds_webhook_sinks_that_deliver() -> None:
    with http_receiver() as receiver:
        env = {
            "MLB_ASSETS_ALERT_SINK": "webhook",
            "MLB_ASSETS_ALERT_WEBHOOK_URL": receiver.base_url + "/in",
            "MLB_ASSETS_ALERT_WEBHOOK_TOKEN": TOKEN,
        }
        sink_from_env(env).send(_check_failure())
        slack = {"MLB_ASSETS_ALERT_SINK": "slack", "SLACK_WEBHOOK_URL": receiver.base_url + "/s"}
        sink_from_env(slack).send(_check_failure())
    webhook_request, slack_request = receiver.requests
    assert webhook_request.headers["authorization"] == f"Bearer {TOKEN}"
    assert "blocks" in slack_request.json() and "authorization" not in slack_request.headers


@pytest.mark.parametrize(
    ("env", "variable"),
    [
        ({"MLB_ASSETS_ALERT_SINK": "slack"}, "SLACK_WEBHOOK_URL"),
        ({"MLB_ASSETS_ALERT_SINK": "slack", "SLACK_WEBHOOK_URL": " "}, "SLACK_WEBHOOK_URL"),
        ({"MLB_ASSETS_ALERT_SINK": "webhook"}, "MLB_ASSETS_ALERT_WEBHOOK_URL"),
        (
            {"MLB_ASSETS_ALERT_SINK": "slack", "SLACK_WEBHOOK_URL": "hooks.slack.com/" + TOKEN},
            "SLACK_WEBHOOK_URL",
        ),
        ({"MLB_ASSETS_ALERT_SINK": "pager-" + TOKEN}, "MLB_ASSETS_ALERT_SINK"),
    ],
)
def test_sink_from_env_errors_name_the_variable_not_its_value(
    env: dict[str, str], variable: str
) -> None:
    with pytest.raises(ValueError, match=variable) as caught:
        sink_from_env(env)
    assert TOKEN not in str(caught.value)


# --- dispatch -----------------------------------------------------------------------------


def test_a_failing_check_reported_on_five_ticks_is_sent_once_until_resolved() -> None:
    ledger = AlertLedger()
    with http_receiver() as receiver:
        sink = JsonWebhookSink(receiver.base_url + "/in")
        for tick in range(5):
            # The ledger travels through the sensor cursor between ticks.
            ledger = AlertLedger.from_json(ledger.to_json())
            dispatch([_check_failure()], resolved=[], ledger=ledger, sink=sink, now=T0 + tick)
        assert len(receiver.requests) == 1

        key = check_failure_key("odds_snapshots", "no_null_prices", "2016-04-03")
        passed = dispatch([], resolved=[key], ledger=ledger, sink=sink, now=T0 + 10)
        assert passed.sent == [] and key not in ledger.open
        again = dispatch([_check_failure()], resolved=[], ledger=ledger, sink=sink, now=T0 + 20)
    assert again.sent == [_check_failure()]
    assert _sent_keys(receiver) == [key, key]


def test_same_key_twice_in_one_call_is_sent_once_and_partitions_are_separate() -> None:
    alerts = [_check_failure(), _check_failure(), _check_failure(partition="2016-04-04")]
    with http_receiver() as receiver:
        sink = JsonWebhookSink(receiver.base_url + "/in")
        result = dispatch(alerts, resolved=[], ledger=AlertLedger(), sink=sink, now=T0)
    assert [a.partition for a in result.sent] == ["2016-04-03", "2016-04-04"]
    assert result.duplicates == [_check_failure()]
    assert len(receiver.requests) == 2


def test_each_failed_run_alerts_once() -> None:
    ledger = AlertLedger()
    with http_receiver() as receiver:
        sink = JsonWebhookSink(receiver.base_url + "/in")
        dispatch([_run_failure("a")], resolved=[], ledger=ledger, sink=sink, now=T0)
        dispatch(
            [_run_failure("a"), _run_failure("b")],
            resolved=[],
            ledger=ledger,
            sink=sink,
            now=T0 + 30,
        )
    assert _sent_keys(receiver) == ["run_failure|settlement|a", "run_failure|settlement|b"]


def test_rate_limit_holds_back_the_excess_and_sends_it_when_the_window_slides() -> None:
    burst = [_check_failure(partition=f"2016-04-{day:02d}") for day in range(1, 8)]
    ledger = AlertLedger()
    with http_receiver() as receiver:
        sink = JsonWebhookSink(receiver.base_url + "/in")
        limits = {"max_per_window": 3, "window_seconds": 600.0}
        first = dispatch(burst, resolved=[], ledger=ledger, sink=sink, now=T0, **limits)
        assert (len(first.sent), len(first.rate_limited)) == (3, 4)
        assert ledger.suppressed == 4 and len(ledger.open) == 3

        # Still inside the window: nothing more goes out, nothing is lost.
        second = dispatch(burst, resolved=[], ledger=ledger, sink=sink, now=T0 + 300, **limits)
        assert (len(second.sent), len(second.duplicates), len(second.rate_limited)) == (0, 3, 4)

        third = dispatch(burst, resolved=[], ledger=ledger, sink=sink, now=T0 + 601, **limits)
        assert [a.partition for a in third.sent] == ["2016-04-04", "2016-04-05", "2016-04-06"]
        assert ledger.suppressed == 1
    assert len(receiver.requests) == 6


def test_a_failing_sink_leaves_keys_closed_so_a_later_call_retries() -> None:
    ledger = AlertLedger()
    other = _check_failure(check="prices_in_range")
    with http_receiver() as receiver:
        receiver.respond_with(500)  # only the first request fails
        sink = SlackWebhookSink(receiver.base_url + SLACK_PATH)
        first = dispatch([_check_failure(), other], resolved=[], ledger=ledger, sink=sink, now=T0)
        assert first.sent == [other]
        [(failed, error)] = first.failed
        assert failed == _check_failure() and "HTTP 500" in error and SLACK_PATH not in error
        assert _check_failure().key not in ledger.open

        retry = dispatch(
            [_check_failure(), other], resolved=[], ledger=ledger, sink=sink, now=T0 + 60
        )
    assert retry.sent == [_check_failure()] and retry.duplicates == [other]
    assert len(receiver.requests) == 3


def test_a_sink_raising_anything_is_recorded_as_failed() -> None:
    class Exploding:
        name = "exploding"

        def send(self, alert: Alert) -> None:
            raise KeyError("boom")

    ledger = AlertLedger()
    result = dispatch([_check_failure()], resolved=[], ledger=ledger, sink=Exploding(), now=T0)
    assert result.failed[0][1] == "exploding: KeyError: 'boom'" and ledger.open == {}


def test_keys_open_too_long_are_forgotten_so_the_ledger_stays_bounded() -> None:
    ledger = AlertLedger(open={"run_failure|settlement|old": T0, "x": T0 + 100})
    dispatch([], resolved=[], ledger=ledger, sink=LogSink(), now=T0 + 150, forget_after_seconds=100)
    assert ledger.open == {"x": T0 + 100}


def test_ledger_round_trips_and_tolerates_garbage() -> None:
    ledger = AlertLedger(open={"a|b|c|d": T0}, sent=[T0, T0 + 1.5], suppressed=2)
    assert AlertLedger.from_json(ledger.to_json()) == ledger
    for bad in (None, "", "{not json", "[1, 2]", '{"open": 5}', '{"sent": ["x"]}'):
        assert AlertLedger.from_json(bad) == AlertLedger()
