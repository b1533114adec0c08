"""normalize_quotes: validation into quarantine, change-only dedupe, deterministic ids."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import date

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mlb_assets.lib.snapshots import (
    QUARANTINE_COLUMNS,
    SNAPSHOT_COLUMNS,
    normalize_quotes,
    snapshot_ids,
)

T0 = pd.Timestamp("2016-04-02 12:00", tz="UTC")


def quote(
    minutes: float = 0,
    price: object = -110,
    *,
    market: str = "h2h",
    side: str = "home",
    point: object = np.nan,
    game_id: object = "PIT201604030",
    book: object = "pinnacle",
) -> dict:
    """One row of the long quote format, ``minutes`` after T0."""
    return {
        "game_id": game_id,
        "book": book,
        "market": market,
        "side": side,
        "point": point,
        "price_american": price,
        "captured_at": T0 + pd.Timedelta(minutes=minutes),
    }


def frame(*rows: dict) -> pd.DataFrame:
    return pd.DataFrame(list(rows))


def normalize(*rows: dict, **kwargs: object):
    return normalize_quotes(frame(*rows), source="test", **kwargs)


def test_valid_quotes_become_typed_sorted_snapshots() -> None:
    result = normalize(
        quote(5, 120, side="away"),
        quote(0, -130),
        quote(0, -105, market="totals", side="over", point=8.5),
        quote(0, -115, market="totals", side="under", point=8.5),
    )
    snaps = result.snapshots
    assert list(snaps.columns) == SNAPSHOT_COLUMNS
    assert result.quarantine.empty
    assert list(result.quarantine.columns) == QUARANTINE_COLUMNS
    assert snaps["price_american"].dtype == np.int64
    assert snaps["snapshot_id"].dtype == np.int64
    assert str(snaps["captured_at"].dtype) == "datetime64[ns, UTC]"
    assert (snaps["source"] == "test").all()
    expected_order = [("h2h", "away"), ("h2h", "home"), ("totals", "over"), ("totals", "under")]
    assert list(zip(snaps["market"], snaps["side"], strict=True)) == expected_order
    assert snaps["price_american"].tolist() == [120, -130, -105, -115]


def test_duplicates_and_unchanged_quotes_collapse_to_changes() -> None:
    result = normalize(
        quote(0, -110),
        quote(0, -110),  # exact duplicate
        quote(10, -110),  # unchanged
        quote(20, -120),  # change
        quote(30, -110),  # back to the old price: a change
        quote(40, -110),  # unchanged
        quote(50, -110, market="spreads", point=-1.5),
        quote(60, -110, market="spreads", point=-2.5),  # point alone changed
    )
    snaps = result.snapshots
    h2h = snaps[snaps["market"] == "h2h"]
    assert h2h["price_american"].tolist() == [-110, -120, -110]
    assert h2h["captured_at"].tolist() == [T0 + pd.Timedelta(minutes=m) for m in (0, 20, 30)]
    assert snaps.loc[snaps["market"] == "spreads", "point"].tolist() == [-1.5, -2.5]
    assert result.quarantine.empty


def test_changes_are_tracked_per_key_not_across_sides() -> None:
    result = normalize(
        quote(0, -110, side="home"),
        quote(0, -110, side="away"),
        quote(10, -110, side="home"),
        quote(10, -110, side="away", book="other"),
    )
    assert len(result.snapshots) == 3


def test_input_order_does_not_matter() -> None:
    rows = [quote(m, p) for m, p in [(0, -110), (10, -120), (20, -120), (30, -110)]]
    forward = normalize(*rows).snapshots
    backward = normalize(*rows[::-1]).snapshots
    pd.testing.assert_frame_equal(forward, backward)


BAD_INPUTS = [
    (quote(price=np.nan), "price missing or not numeric"),
    (quote(price="abc"), "price missing or not numeric"),
    (quote(price=None), "price missing or not numeric"),
    (quote(price=np.inf), "price not finite"),
    (quote(price=-np.inf), "price not finite"),
    (quote(price=1.91), "price 1.91 is not an American price (|price| < 100)"),
    (quote(price=-99), "price -99 is not an American price (|price| < 100)"),
    (
        quote(price=-110.5),
        "price -110.5 is not a whole American price (quarantined, not rounded)",
    ),
    (quote(market="moneyline"), "unknown market"),
    (quote(side="over"), "unknown side for the market"),
    (quote(market="totals", side="home", point=8.5), "unknown side for the market"),
    (quote(game_id=None), "missing game_id"),
    (quote(game_id="  "), "missing game_id"),
    (quote(book=None), "missing book"),
    (quote(market="spreads", point=np.nan), "spreads/totals quote without a point"),
    (quote(market="totals", side="over", point=None), "spreads/totals quote without a point"),
    (quote(market="totals", side="over", point=8.3), "totals point 8.3 is not a multiple of 0.5"),
    (quote(market="spreads", point="one"), "point not numeric"),
    (quote(market="spreads", point=np.inf), "point not finite"),
    (quote(point=1.5), "h2h quote with a point"),
    (quote() | {"captured_at": None}, "missing or unparseable captured_at"),
]


@pytest.mark.parametrize(("row", "reason"), BAD_INPUTS, ids=[r for _, r in BAD_INPUTS])
def test_bad_input_is_quarantined_with_a_reason(row: dict, reason: str) -> None:
    result = normalize(row, quote(5, -120, side="away"))
    assert len(result.snapshots) == 1  # the good row survives
    assert len(result.quarantine) == 1
    bad = result.quarantine.iloc[0]
    assert bad["reason"] == reason
    assert bad["source"] == "test"
    json.dumps(bad["record"])  # serializable as stored


def test_several_problems_are_all_named() -> None:
    result = normalize(quote(price="x", market="totals", side="over"))
    assert result.quarantine["reason"].iloc[0] == (
        "price missing or not numeric; spreads/totals quote without a point"
    )


def test_conflicting_prices_at_one_instant_are_quarantined() -> None:
    result = normalize(quote(0, -110), quote(0, -120), quote(0, -120), quote(5, -130))
    assert result.snapshots["price_american"].tolist() == [-130]
    assert len(result.quarantine) == 3
    assert set(result.quarantine["reason"]) == {
        "conflicting quotes for the same side at one captured_at"
    }


def test_quarantine_record_reference_and_game_date() -> None:
    rows = [quote(0, "junk"), quote(1, "junk", game_id="NYA201604050")]
    mapped = normalize(*rows, game_dates={"PIT201604030": date(2016, 4, 3)}).quarantine
    assert mapped["game_date"].tolist() == [date(2016, 4, 3), None]
    assert mapped["source_ref"].iloc[0] == "PIT201604030/pinnacle/h2h/home@2016-04-02T12:00:00Z"
    record = mapped["record"].iloc[0]
    assert record["price_american"] == "junk"
    assert record["game_id"] == "PIT201604030"
    assert record["captured_at"].startswith("2016-04-02T12:00:00")
    assert record["point"] is None

    dated = frame(*rows).assign(game_date=[date(2016, 4, 3), date(2016, 4, 5)])
    from_column = normalize_quotes(dated, source="test").quarantine
    assert from_column["game_date"].tolist() == [date(2016, 4, 3), date(2016, 4, 5)]
    assert normalize(*rows).quarantine["game_date"].tolist() == [None, None]


def test_quarantine_reference_survives_missing_keys() -> None:
    result = normalize(quote(game_id=None) | {"captured_at": "not a time"})
    assert result.quarantine["source_ref"].iloc[0] == "?/pinnacle/h2h/home@?"


def test_contract_violations_raise() -> None:
    with pytest.raises(ValueError, match="lack the columns"):
        normalize_quotes(frame(quote()).drop(columns=["point"]), source="test")
    naive = frame(quote()).assign(captured_at=pd.Timestamp("2016-04-02 12:00"))
    with pytest.raises(ValueError, match="timezone-aware"):
        normalize_quotes(naive, source="test")


def test_string_timestamps_and_other_timezones_are_converted_to_utc() -> None:
    eastern = frame(quote()).assign(
        captured_at=pd.Timestamp("2016-04-02 08:00", tz="America/New_York")
    )
    as_text = frame(quote()).assign(captured_at="2016-04-02T12:00:00Z")
    for quotes in (eastern, as_text):
        snaps = normalize_quotes(quotes, source="test").snapshots
        assert snaps["captured_at"].iloc[0] == T0
        assert str(snaps["captured_at"].dt.tz) == "UTC"


def test_ids_are_deterministic_and_independent_of_dtypes() -> None:
    rows = frame(quote(0, -110), quote(0, 100, side="away"), quote(9, -115))
    ids = normalize_quotes(rows, source="a").snapshots["snapshot_id"]
    other = rows.astype({"game_id": "category", "book": "string"})
    other["captured_at"] = other["captured_at"].dt.as_unit("us").dt.tz_convert("Asia/Tokyo")
    assert ids.tolist() == normalize_quotes(other, source="b").snapshots["snapshot_id"].tolist()
    assert ids.is_unique
    assert (ids >= 0).all()


def test_ids_are_the_same_in_another_process() -> None:
    """Python salts str hashes per process; the ids must not depend on that."""
    one = frame(quote(0, -110))
    here = int(snapshot_ids(one).iloc[0])
    code = (
        "import pandas as pd;"
        "from mlb_assets.lib.snapshots import snapshot_ids;"
        "f = pd.DataFrame({'game_id': ['PIT201604030'], 'book': ['pinnacle'],"
        " 'market': ['h2h'], 'side': ['home'],"
        " 'captured_at': [pd.Timestamp('2016-04-02 12:00', tz='UTC')]});"
        "print(int(snapshot_ids(f).iloc[0]))"
    )
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env
    )
    assert int(done.stdout) == here


def test_normalizing_is_idempotent() -> None:
    first = normalize(
        quote(0, -110),
        quote(5, -110),
        quote(10, -120),
        quote(10, -120, side="away"),
        quote(0, -105, market="totals", side="over", point=8.5),
        quote(3, "bad"),
    ).snapshots
    again = normalize_quotes(first, source="test")
    pd.testing.assert_frame_equal(again.snapshots, first)
    assert again.quarantine.empty


def test_a_repeating_index_is_harmless() -> None:
    quotes = frame(quote(0, -110), quote(5, "bad"), quote(10, -120))
    quotes.index = [7, 7, 7]
    result = normalize_quotes(quotes, source="test")
    assert result.snapshots["price_american"].tolist() == [-110, -120]
    assert len(result.quarantine) == 1


def test_empty_input() -> None:
    empty = frame(quote()).iloc[0:0]
    result = normalize_quotes(empty, source="test")
    assert result.snapshots.empty
    assert list(result.snapshots.columns) == SNAPSHOT_COLUMNS
    assert result.quarantine.empty


# Property tests: random board captures of one game, a few prices, some garbage.
prices = st.sampled_from([-120, -110, 100, 105, "bad", 50])
rows = st.builds(
    lambda minute, price, side, book: quote(minute, price, side=side, book=book),
    st.integers(0, 30),
    prices,
    st.sampled_from(["home", "away"]),
    st.sampled_from(["pinnacle", "other"]),
)
quote_frames = st.lists(rows, min_size=1, max_size=40).map(lambda r: frame(*r))


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(quote_frames)
def test_property_idempotent_and_nothing_silently_lost(quotes: pd.DataFrame) -> None:
    result = normalize_quotes(quotes, source="test")
    snaps = result.snapshots
    again = normalize_quotes(snaps, source="test")
    pd.testing.assert_frame_equal(again.snapshots, snaps)
    assert again.quarantine.empty
    # every input row is quarantined, or kept, or repeats a kept line of its key
    assert len(snaps) + len(result.quarantine) <= len(quotes)
    keys = ["game_id", "book", "market", "side"]
    consecutive = snaps.groupby(keys)["price_american"].diff()
    assert (consecutive.dropna() != 0).all()


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(quote_frames)
def test_property_line_in_effect_is_preserved(quotes: pd.DataFrame) -> None:
    """At every accepted quote's time, the snapshots show that quote's price."""
    result = normalize_quotes(quotes, source="test")
    accepted = quotes[pd.to_numeric(quotes["price_american"], errors="coerce").abs() >= 100]
    instant = ["book", "side", "captured_at"]
    conflicted = accepted.groupby(instant)["price_american"].transform("nunique") > 1
    accepted = accepted[~conflicted].astype({"price_american": np.int64})
    keys = ["game_id", "book", "market", "side"]
    in_effect = pd.merge_asof(
        accepted.sort_values("captured_at"),
        result.snapshots.sort_values("captured_at"),
        on="captured_at",
        by=keys,
        suffixes=("", "_snapshot"),
    )
    assert (in_effect["price_american"] == in_effect["price_american_snapshot"]).all()
