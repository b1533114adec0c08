"""Real odds quotes expanded across synthetic books: a load test, not market truth.

The public archives carry one book (Pinnacle); production polls many. To measure how the
graph scales with books, :func:`expand_books` replays the real quotes as ``books`` books:
the real one unchanged, plus ``books - 1`` synthetic ones named ``synthetic_001``,
``synthetic_002``, ... Each synthetic book copies every real quote with three documented,
seeded perturbations, so that it behaves like a book that follows the market:

* **Lead**: the book quotes each price earlier than the real book, by a fixed lead of its
  own (0 to 30 minutes) plus a per-quote jitter (0 to 120 seconds), so its line changes
  land at instants of their own. Earlier rather than later: a real quote close to first
  pitch must not be copied past it (pre-game markets close at first pitch, and the
  quality checks hold quotes to that).
* **Margin**: the book shades every price by a fixed number of cents of its own, between
  -5 and +5 (negative: a cheaper book), moving along the American scale across even money
  (``+102`` shaded by 5 cents is ``-103``): the spread between books is what best-price
  picks shop for.
* **Points**: unchanged, so spreads and totals stay on the real grid.

Every real quote yields one quote per book, valid or not (an invalid real quote stays
invalid in every copy and is quarantined per book), so ``books`` books give ``books`` times
the rows at every later step. The same ``seed`` and ``books`` give the same quotes.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date

import numpy as np
import pandas as pd

from mlb_assets.lib.sources.base import MarketSource, Quotes, Schedule

SYNTHETIC_PREFIX = "synthetic_"
MAX_LEAD_SECONDS = 30 * 60
MAX_JITTER_SECONDS = 120
MAX_MARGIN_CENTS = 5
DEFAULT_SEED = 2016
# Odd 64-bit constants of the SplitMix64 mixer: spread book numbers over the hash bits.
_GOLDEN = 0x9E3779B97F4A7C15
_MIX = np.uint64(0xBF58476D1CE4E5B9)


def synthetic_book(number: int) -> str:
    return f"{SYNTHETIC_PREFIX}{number:03d}"


def shade_american(prices: np.ndarray, cents: np.ndarray) -> np.ndarray:
    """Prices moved ``cents`` toward the bettor's loss on the American scale.

    The scale runs ... -105, -100 = +100, +105 ...: subtracting cents and stepping over the
    gap between -100 and +100 keeps every result a valid American price. NaN stays NaN.
    """
    shaded = prices - cents
    crossed_down = (prices >= 100) & (shaded < 100)
    crossed_up = (prices <= -100) & (shaded > -100)
    return np.where(crossed_down, shaded - 200, np.where(crossed_up, shaded + 200, shaded))


def _quote_hashes(quotes: pd.DataFrame) -> np.ndarray:
    """One 64-bit hash per quote of its game, market, side and time (not its book)."""
    keys = quotes[["game_id", "market", "side", "captured_at"]].astype(str)
    return pd.util.hash_pandas_object(keys, index=False).to_numpy(np.uint64)


def _jitter(hashes: np.ndarray, number: int) -> np.ndarray:
    # From the quote itself, not from a random stream: a quote gets the same jitter however
    # the season is cut into partitions, so reruns and re-chunked backfills agree.
    salt = np.uint64(number * _GOLDEN % 2**64)
    mixed = (hashes ^ salt) * _MIX
    return ((mixed >> np.uint64(33)) % np.uint64(MAX_JITTER_SECONDS + 1)).astype(np.int64)


def _one_book(quotes: pd.DataFrame, hashes: np.ndarray, number: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng([seed, number])
    lead = int(rng.integers(0, MAX_LEAD_SECONDS + 1))
    margin = int(rng.integers(-MAX_MARGIN_CENTS, MAX_MARGIN_CENTS + 1))
    prices = pd.to_numeric(quotes["price_american"], errors="coerce").to_numpy(dtype=float)
    # Only real American prices are shaded; anything else is copied as it came, so that
    # validation rejects each copy for the same reason as the original.
    valid = np.isfinite(prices) & (np.abs(prices) >= 100)
    shaded = shade_american(prices, np.full(len(prices), margin))
    captured = pd.to_datetime(quotes["captured_at"], utc=True, errors="coerce")
    return quotes.assign(
        book=synthetic_book(number),
        price_american=np.where(valid, shaded, quotes["price_american"].to_numpy(dtype=object)),
        captured_at=captured - pd.to_timedelta(lead + _jitter(hashes, number), unit="s"),
    )


def expand_books(quotes: pd.DataFrame, books: int, seed: int = DEFAULT_SEED) -> pd.DataFrame:
    """``quotes`` replayed as ``books`` books (the real ones plus synthetic followers).

    ``books`` of 1 (or less) returns ``quotes`` unchanged. Each synthetic book's lead and
    margin come from ``seed`` and its number only, and each quote's jitter from the quote,
    so a book behaves the same in every partition and every run.
    """
    if books <= 1 or quotes.empty:
        return quotes
    hashes = _quote_hashes(quotes)
    copies = [quotes]
    copies += [_one_book(quotes, hashes, number, seed) for number in range(1, books)]
    return pd.concat(copies, ignore_index=True)


@dataclass
class SyntheticBooks:
    """A source whose quotes are replayed as ``books`` books by :func:`expand_books`.

    Everything else is the wrapped source's. A load test's stand-in for a many-book feed,
    chosen only by configuration (``ArchiveResource.load_test_books``).
    """

    source: MarketSource
    books: int
    seed: int = DEFAULT_SEED

    @property
    def name(self) -> str:
        return self.source.name

    def land(self, start: date, end: date) -> dict[str, object]:
        return self.source.land(start, end)

    def schedule(self, start: date, end: date) -> Schedule:
        return self.source.schedule(start, end)

    def quotes(self, start: date, end: date) -> Quotes:
        read = self.source.quotes(start, end)
        return replace(read, quotes=expand_books(read.quotes, self.books, self.seed))

    def open_close(self, start: date, end: date) -> pd.DataFrame:
        return self.source.open_close(start, end)
