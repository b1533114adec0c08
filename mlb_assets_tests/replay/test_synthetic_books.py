"""Synthetic books for load tests: N times the rows, valid prices, reproducible."""

from __future__ import annotations

import numpy as np
import pandas as pd

from mlb_assets.lib.snapshots import normalize_quotes
from mlb_assets.replay.synthetic_books import (
    MAX_JITTER_SECONDS,
    MAX_LEAD_SECONDS,
    expand_books,
    shade_american,
    synthetic_book,
)


def _quotes() -> pd.DataFrame:
    """Two line changes of one game and one invalid quote (fixtures, not market truth)."""
    rows = [
        ("2016-04-03 10:00", "home", -102),
        ("2016-04-03 10:00", "away", -108),
        ("2016-04-03 12:00", "home", 101),
        ("2016-04-03 12:00", "away", -111),
        ("2016-04-03 13:00", "home", 50),  # not an American price: quarantined in every book
    ]
    frame = pd.DataFrame(rows, columns=["captured_at", "side", "price_american"])
    frame["captured_at"] = pd.to_datetime(frame["captured_at"], utc=True)
    return frame.assign(game_id="PIT201604030", book="pinnacle", market="h2h", point=np.nan)


def test_shading_walks_the_american_scale_across_even_money() -> None:
    prices = np.array([102.0, -102.0, -110.0, 150.0, 100.0])
    assert shade_american(prices, np.array([5.0, -5.0, 5.0, -5.0, 0.0])).tolist() == [
        -103.0,
        103.0,
        -115.0,
        155.0,
        100.0,
    ]


def test_books_multiply_rows_and_keep_prices_valid() -> None:
    quotes = _quotes()
    expanded = expand_books(quotes, 4)
    assert len(expanded) == 4 * len(quotes)
    assert sorted(expanded["book"].unique()) == [
        "pinnacle",
        *[synthetic_book(n) for n in (1, 2, 3)],
    ]
    copies = expanded[expanded["book"] != "pinnacle"]
    valid = copies[copies["price_american"].astype(float).abs() >= 100]
    assert len(valid) == 3 * 4, "every valid real price stays a valid American price"
    lead = (
        np.tile(quotes["captured_at"].to_numpy(), 3) - copies["captured_at"].to_numpy()
    ) / np.timedelta64(1, "s")
    assert lead.min() >= 0 and lead.max() <= MAX_LEAD_SECONDS + MAX_JITTER_SECONDS
    normalized = normalize_quotes(expanded, source="test")
    assert len(normalized.snapshots) == 4 * 4
    assert len(normalized.quarantine) == 4, "the invalid quote is rejected once per book"


def test_expansion_is_the_same_however_the_quotes_are_cut() -> None:
    quotes = _quotes()
    whole = expand_books(quotes, 3)
    parts = pd.concat([expand_books(quotes.iloc[:2], 3), expand_books(quotes.iloc[2:], 3)])
    key = ["book", "side", "captured_at", "price_american"]
    assert (
        whole.sort_values(key)[key]
        .reset_index(drop=True)
        .equals(parts.sort_values(key)[key].reset_index(drop=True))
    )
    assert expand_books(quotes, 1) is quotes
