"""The data behind the replay server: which prices were in effect at any instant.

A board is built once from quotes in the long quote format (any book, any source) and
the games they belong to, and then answers "what did every book offer at time t" for
the handful of games a poll covers. Quotes are first run through the shared
normalizer, so the board serves exactly the line changes the warehouse would store.

Layout, chosen so that a poll touches only the rows of the games it returns:

* games are sorted by first pitch, so the games upcoming at t are a suffix and a
  ``commenceTime`` window is a slice found by binary search;
* line changes are sorted by (game, book, market, side, time), so each game owns one
  contiguous block of rows and, inside it, each side's changes are in time order.

The price in effect for a side at t is its last change at or before t; for the rows
of the selected games that is one comparison and one neighbour test, with no
per-side Python loop.

The functions ``v4_*`` shape the board into The Odds API v4 JSON. Choices the real
API leaves open are documented where they are made (event ids, which games are
"listed", when a game counts as completed).
"""

from __future__ import annotations

import hashlib
import logging
import math
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from mlb_assets.lib.snapshots import MARKET_SIDES, QUOTE_COLUMNS, normalize_quotes
from mlb_assets.lib.teams import UnknownTeamError, team_name

log = logging.getLogger(__name__)

SPORT_KEY = "baseball_mlb"
SPORT_TITLE = "MLB"
MARKETS: tuple[str, ...] = ("h2h", "spreads", "totals")
GAME_COLUMNS = [
    "game_id",
    "home_team",
    "away_team",
    "start_time_utc",
    "season",
    "home_score",
    "away_score",
]
#: How long after first pitch a replayed game counts as completed (a typical game).
GAME_DURATION = timedelta(hours=3)
#: How far ahead ``/scores`` lists upcoming games (the real API lists the next few days).
SCORES_UPCOMING_WINDOW = timedelta(days=2)
#: The historical endpoint's snapshot interval (5 minutes for data after 2022).
HISTORICAL_INTERVAL = timedelta(minutes=5)

# [market code, side code] -> side name, e.g. [2, 1] -> "under"
_SIDE_NAMES = np.array([MARKET_SIDES[m] for m in MARKETS], dtype=object)
_NEVER = np.iinfo(np.int64).max
_NS = 1_000_000_000
_BOOK_TITLES = {
    "pinnacle": "Pinnacle",
    "draftkings": "DraftKings",
    "fanduel": "FanDuel",
    "betmgm": "BetMGM",
    "williamhill_us": "Caesars",
    "betrivers": "BetRivers",
    "bovada": "Bovada",
    "betonlineag": "BetOnline.ag",
    "lowvig": "LowVig.ag",
    "mybookieag": "MyBookie.ag",
    "betus": "BetUS",
}

DateFormat = Literal["iso", "unix"]
OddsFormat = Literal["american", "decimal"]


def event_id(game_id: str, sport: str = SPORT_KEY) -> str:
    """A stable 32-hex event id for a game, shaped like the API's ids.

    Derived from the game id (not random), so a replayed event keeps its id across
    server restarts and stored payloads can be joined back to the game.
    """
    return hashlib.md5(f"{sport}:{game_id}".encode(), usedforsecurity=False).hexdigest()


def book_title(key: str) -> str:
    """A bookmaker's display title: the API's title for known keys, else a readable key."""
    return _BOOK_TITLES.get(key, key.replace("_", " ").title())


def _ns(moment: datetime) -> int:
    """Integer nanoseconds since the epoch of an aware datetime."""
    if moment.tzinfo is None:
        raise ValueError(f"{moment!r} is naive; the board works in UTC-aware datetimes")
    return pd.Timestamp(moment).value


def _ns_or(moment: datetime | None, default: int) -> int:
    return default if moment is None else _ns(moment)


def _format_time(ns: int, date_format: DateFormat) -> str | int:
    # The API speaks whole seconds. Rounding a change time up, never down, keeps a
    # consumer's captured_at at or after the moment the price really appeared.
    seconds = int(-(-ns // _NS))
    if date_format == "unix":
        return seconds
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(seconds))


def _decimal(american: int) -> float:
    """American to decimal odds, two places like the API."""
    won = american / 100 if american > 0 else 100 / -american
    return round(1.0 + won, 2)


def _ranges(lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """The concatenation of ``arange(lo[i], hi[i])`` without a Python loop."""
    lengths = hi - lo
    total = int(lengths.sum())
    if total == 0:
        return np.zeros(0, dtype=np.int64)
    starts = np.repeat(lo - np.concatenate([[0], np.cumsum(lengths)[:-1]]), lengths)
    return starts + np.arange(total, dtype=np.int64)


class OddsBoard:
    """Line changes of many books for a set of games, indexed for point-in-time lookups.

    Build it with :meth:`from_quotes` or :meth:`from_archive`. Books are whatever
    ``book`` values the quotes carry.
    """

    def __init__(self, games: pd.DataFrame, changes: pd.DataFrame) -> None:
        """Index validated line changes (``normalize_quotes(...).snapshots``) by game."""
        self._index_games(_clean_games(games))
        self._index_changes(changes)

    # --- construction ----------------------------------------------------------------

    @classmethod
    def from_quotes(cls, quotes: pd.DataFrame, games: pd.DataFrame) -> OddsBoard:
        """A board from quotes in the long quote format and the games frame.

        Quotes the shared normalizer rejects and quotes of games missing from ``games``
        cannot be served; both are counted in a warning rather than dropped silently.
        """
        normalized = normalize_quotes(quotes[QUOTE_COLUMNS], source="replay")
        if len(normalized.quarantine):
            reasons = normalized.quarantine["reason"].value_counts().head(3).to_dict()
            log.warning(
                "odds board: %d quote(s) rejected by validation (top reasons: %s)",
                len(normalized.quarantine),
                reasons,
            )
        return cls(games, normalized.snapshots)

    @classmethod
    def from_archive(
        cls, archive_dir: Path, season: int = 2016, cache_dir: Path | None = None
    ) -> OddsBoard:
        """The board of a season's Pinnacle archive (games from the Pinnacle games frame)."""
        from mlb_assets.lib.archives.catalog import ArchiveCatalog
        from mlb_assets.lib.archives.pinnacle import pinnacle_quotes, read_pinnacle

        path = ArchiveCatalog(Path(archive_dir)).pinnacle_path(season)
        if path is None:
            raise FileNotFoundError(f"no Pinnacle archive for {season} under {archive_dir}")
        archive = read_pinnacle(path, cache_dir=cache_dir)
        return cls.from_quotes(pinnacle_quotes(archive.lines), archive.games)

    def _index_games(self, games: pd.DataFrame) -> None:
        self.games = games
        self._game_ids = games["game_id"].to_numpy(dtype=object)
        self._starts = games["start_time_utc"].array.asi8.copy()
        self._event_ids = np.array([event_id(g) for g in self._game_ids], dtype=object)
        self._home_names = _names(games["home_team"], games["season"])
        self._away_names = _names(games["away_team"], games["season"])
        self._home_scores = _scores(games["home_score"])
        self._away_scores = _scores(games["away_score"])
        self._position = pd.Index(self._game_ids)

    def _index_changes(self, changes: pd.DataFrame) -> None:
        game = self._position.get_indexer(changes["game_id"])
        known = game >= 0
        if not known.all():
            unknown = pd.unique(changes.loc[~known, "game_id"])
            log.warning(
                "odds board: %d line change(s) of %d game(s) missing from the games frame "
                "are not served (e.g. %s)",
                int((~known).sum()),
                len(unknown),
                list(unknown[:3]),
            )
        changes = changes[known]
        game = game[known]
        book_codes, books = pd.factorize(changes["book"].astype(str), sort=True)
        self.books: tuple[str, ...] = tuple(books)
        market = pd.Index(MARKETS).get_indexer(changes["market"])
        side = _side_codes(changes["market"].to_numpy(), changes["side"].to_numpy())
        times = changes["captured_at"].dt.tz_convert("UTC").dt.as_unit("ns").array.asi8
        order = np.lexsort([times, side, market, book_codes, game])
        self._store_rows(
            game[order], book_codes[order], market[order], side[order], times[order], changes, order
        )

    def _store_rows(
        self,
        game: np.ndarray,
        book: np.ndarray,
        market: np.ndarray,
        side: np.ndarray,
        times: np.ndarray,
        changes: pd.DataFrame,
        order: np.ndarray,
    ) -> None:
        """Keep the sorted columns, one key id per side and each game's row block."""
        self._times = np.ascontiguousarray(times, dtype=np.int64)
        self._prices = changes["price_american"].to_numpy(dtype=np.int64)[order]
        self._points = changes["point"].to_numpy(dtype=float)[order]
        new_key = np.zeros(len(game), dtype=bool)
        new_key[:1] = True
        for column in (game, book, market, side):
            new_key[1:] |= column[1:] != column[:-1]
        self._key = np.cumsum(new_key) - 1
        self._row_game, self._row_book = game, book
        self._row_market, self._row_side = market, side
        all_games = np.arange(len(self._game_ids))
        self._lo = np.searchsorted(game, all_games, side="left")
        self._hi = np.searchsorted(game, all_games, side="right")
        self._first_quote = np.full(len(all_games), _NEVER, dtype=np.int64)
        has_rows = self._hi > self._lo
        if has_rows.any():
            firsts = np.minimum.reduceat(self._times, self._lo[has_rows])
            self._first_quote[has_rows] = firsts

    # --- queries ---------------------------------------------------------------------

    def __len__(self) -> int:
        """The number of line changes on the board."""
        return len(self._times)

    def __repr__(self) -> str:
        return f"OddsBoard(games={len(self._game_ids)}, changes={len(self)}, books={self.books})"

    @property
    def first_quote_at(self) -> datetime | None:
        """When the first line of any game was captured (None for an empty board)."""
        if len(self._times) == 0:
            return None
        return pd.Timestamp(int(self._times.min()), tz="UTC").to_pydatetime()

    def listed_games(
        self,
        t: datetime,
        *,
        commence_from: datetime | None = None,
        commence_to: datetime | None = None,
    ) -> np.ndarray:
        """Positions of the games listed at ``t``: first pitch after ``t``, a line out.

        A game is listed once any book has quoted it and until it starts, which is when
        books take pre-game lines down; ``commence_*`` narrow by first pitch
        (inclusive, as the API's ``commenceTimeFrom``/``To``).
        """
        t_ns = _ns(t)
        lo = np.searchsorted(self._starts, max(t_ns, _ns_or(commence_from, t_ns) - 1), "right")
        hi = np.searchsorted(self._starts, _ns_or(commence_to, _NEVER - 1), "right")
        candidates = np.arange(lo, max(lo, hi))
        return candidates[self._first_quote[candidates] <= t_ns]

    def _in_effect(
        self,
        t_ns: int,
        games: np.ndarray,
        books: Iterable[str] | None = None,
        markets: Iterable[str] | None = None,
    ) -> np.ndarray:
        """Row positions of the last change at or before ``t_ns`` of each side of ``games``.

        Within a side's rows times ascend, so the rows at or before t are a prefix and
        its last row is where the next row belongs to another side or comes after t.
        """
        rows = _ranges(self._lo[games], self._hi[games])
        rows = rows[self._times[rows] <= t_ns]
        if len(rows) == 0:
            return rows
        keys = self._key[rows]
        rows = rows[np.append(keys[1:] != keys[:-1], True)]
        if books is not None:
            wanted = [self.books.index(b) for b in set(books) if b in self.books]
            rows = rows[np.isin(self._row_book[rows], wanted)]
        if markets is not None:
            wanted = [MARKETS.index(m) for m in set(markets) if m in MARKETS]
            rows = rows[np.isin(self._row_market[rows], wanted)]
        return rows

    def at(
        self,
        t: datetime,
        *,
        game_ids: Sequence[str] | None = None,
        commence_from: datetime | None = None,
        commence_to: datetime | None = None,
        books: Iterable[str] | None = None,
        markets: Iterable[str] | None = None,
    ) -> pd.DataFrame:
        """The price in effect at ``t`` for every (game, book, market, side) quoted by then.

        Without ``game_ids`` the games are those listed at ``t``
        (:meth:`listed_games`); with them, exactly those games, started or not (an
        unknown id raises ``KeyError``). Columns: the long quote format, where
        ``captured_at`` is when the price in effect was set.
        """
        if game_ids is None:
            games = self.listed_games(t, commence_from=commence_from, commence_to=commence_to)
        else:
            games = self._positions(game_ids)
        rows = self._in_effect(_ns(t), games, books, markets)
        return self._frame(rows)

    def _positions(self, game_ids: Sequence[str]) -> np.ndarray:
        positions = self._position.get_indexer(list(game_ids))
        if (positions < 0).any():
            missing = [g for g, p in zip(game_ids, positions, strict=True) if p < 0]
            raise KeyError(f"games not on the board: {missing[:5]}")
        return np.sort(positions)

    def _frame(self, rows: np.ndarray) -> pd.DataFrame:
        market_codes = self._row_market[rows]
        market = np.asarray(MARKETS, dtype=object)[market_codes]
        sides = _SIDE_NAMES[market_codes, self._row_side[rows]]
        return pd.DataFrame(
            {
                "game_id": self._game_ids[self._row_game[rows]],
                "book": np.asarray(self.books, dtype=object)[self._row_book[rows]],
                "market": market,
                "side": sides,
                "point": self._points[rows],
                "price_american": self._prices[rows],
                "captured_at": pd.to_datetime(self._times[rows], utc=True),
            },
            columns=QUOTE_COLUMNS,
        )


def _clean_games(games: pd.DataFrame) -> pd.DataFrame:
    """The games columns the board needs, UTC start times, sorted by first pitch."""
    missing = [column for column in GAME_COLUMNS if column not in games.columns]
    if missing:
        raise ValueError(f"games lack the columns {missing}")
    frame = games[GAME_COLUMNS].copy()
    start = frame["start_time_utc"]
    if not isinstance(start.dtype, pd.DatetimeTZDtype):
        raise ValueError("start_time_utc must be timezone-aware (UTC)")
    frame["start_time_utc"] = start.dt.tz_convert("UTC").dt.as_unit("ns")
    frame = frame.dropna(subset=["game_id", "start_time_utc"])
    repeated = frame["game_id"].duplicated()
    if repeated.any():
        log.warning("odds board: %d repeated game id(s) ignored", int(repeated.sum()))
        frame = frame[~repeated]
    return frame.sort_values(["start_time_utc", "game_id"], kind="stable", ignore_index=True)


def _names(codes: pd.Series, seasons: pd.Series) -> np.ndarray:
    """Full team names for (code, season); a code no franchise claims stays as it is."""
    found: dict[tuple[str, int], str] = {}
    for code, season in set(zip(codes, seasons, strict=True)):
        try:
            found[(code, season)] = team_name(code, int(season))
        except (UnknownTeamError, TypeError, ValueError):
            found[(code, season)] = str(code)
    return np.array([found[pair] for pair in zip(codes, seasons, strict=True)], dtype=object)


def _scores(values: pd.Series) -> np.ndarray:
    """Final runs as Python ints, None where unknown."""
    numbers = pd.to_numeric(values, errors="coerce")
    return np.array([None if pd.isna(v) else int(v) for v in numbers], dtype=object)


def _side_codes(markets: np.ndarray, sides: np.ndarray) -> np.ndarray:
    """0 for a market's first side (home/over), 1 for its second (away/under)."""
    second = np.array([MARKET_SIDES[m][1] for m in MARKETS], dtype=object)
    market_index = pd.Index(MARKETS).get_indexer(markets)
    return (sides == second[market_index]).astype(np.int64)


# --- The Odds API v4 shapes -----------------------------------------------------------


def _event_base(board: OddsBoard, game: int, date_format: DateFormat) -> dict[str, Any]:
    return {
        "id": board._event_ids[game],
        "sport_key": SPORT_KEY,
        "sport_title": SPORT_TITLE,
        "commence_time": _format_time(int(board._starts[game]), date_format),
        "home_team": board._home_names[game],
        "away_team": board._away_names[game],
    }


def v4_events(
    board: OddsBoard,
    now: datetime,
    *,
    commence_from: datetime | None = None,
    commence_to: datetime | None = None,
    date_format: DateFormat = "iso",
) -> list[dict[str, Any]]:
    """``/v4/sports/{sport}/events``: the games listed at ``now``, without odds."""
    games = board.listed_games(now, commence_from=commence_from, commence_to=commence_to)
    return [_event_base(board, int(g), date_format) for g in games]


def v4_odds(
    board: OddsBoard,
    now: datetime,
    *,
    commence_from: datetime | None = None,
    commence_to: datetime | None = None,
    books: Iterable[str] | None = None,
    markets: Iterable[str] | None = None,
    date_format: DateFormat = "iso",
    odds_format: OddsFormat = "american",
) -> list[dict[str, Any]]:
    """``/v4/sports/{sport}/odds``: listed games with each book's prices in effect at ``now``.

    Only markets with a price in effect appear, and only books with such a market;
    a listed game whose books are all filtered out is left out, as the API does.
    """
    games = board.listed_games(now, commence_from=commence_from, commence_to=commence_to)
    rows = board._in_effect(_ns(now), games, books, markets)
    events: dict[int, dict[str, Any]] = {}
    for row in rows:  # rows come grouped by game, book, market, side
        game, book = int(board._row_game[row]), int(board._row_book[row])
        event = events.get(game)
        if event is None:
            event = events[game] = {**_event_base(board, game, date_format), "bookmakers": []}
        _add_outcome(board, event["bookmakers"], int(row), game, book, odds_format)
    for event in events.values():
        for bookmaker in event["bookmakers"]:
            _finish_bookmaker(bookmaker, date_format)
    return list(events.values())


def _add_outcome(
    board: OddsBoard,
    bookmakers: list[dict[str, Any]],
    row: int,
    game: int,
    book: int,
    odds_format: OddsFormat,
) -> None:
    """Append one side's price to its bookmaker and market, opening them as needed."""
    key = board.books[book]
    if not bookmakers or bookmakers[-1]["key"] != key:
        bookmakers.append({"key": key, "title": book_title(key), "markets": []})
    markets = bookmakers[-1]["markets"]
    market = MARKETS[board._row_market[row]]
    if not markets or markets[-1]["key"] != market:
        markets.append({"key": market, "_updated": 0, "outcomes": []})
    entry = markets[-1]
    entry["_updated"] = max(entry["_updated"], int(board._times[row]))
    side = MARKET_SIDES[market][board._row_side[row]]
    american = int(board._prices[row])
    outcome: dict[str, Any] = {
        "name": _outcome_name(board, game, market, side),
        "price": american if odds_format == "american" else _decimal(american),
    }
    if market != "h2h":
        outcome["point"] = float(board._points[row])
    entry["outcomes"].append(outcome)


def _outcome_name(board: OddsBoard, game: int, market: str, side: str) -> str:
    if market == "totals":
        return side.capitalize()
    return board._home_names[game] if side == "home" else board._away_names[game]


def _finish_bookmaker(bookmaker: dict[str, Any], date_format: DateFormat) -> None:
    """Turn the markets' latest change times into ``last_update`` fields, API order."""
    updated = 0
    for market in bookmaker["markets"]:
        stamp = market.pop("_updated")
        updated = max(updated, stamp)
        outcomes = market.pop("outcomes")
        market["last_update"] = _format_time(stamp, date_format)
        market["outcomes"] = outcomes
    markets = bookmaker.pop("markets")
    bookmaker["last_update"] = _format_time(updated, date_format)
    bookmaker["markets"] = markets


@dataclass(frozen=True)
class ImplausibleQuote:
    """A quote served off the board's data, to see the pipeline quarantine it.

    The board holds only quotes the normalizer accepts; a real feed does not. In every odds
    payload, ``market`` of ``book`` (default: the first book listed) in the game ``game_id``
    (default: the first event listed) gets ``point`` on each outcome and ``price`` on its
    first outcome, where given; e.g. ``ImplausibleQuote("totals", point=0.5)`` is a
    first-inning total sent under the full-game key. Off by default: a server only serves
    one when it is given one.
    """

    market: str = "totals"
    point: float | None = None
    price: float | None = None
    book: str | None = None
    game_id: str | None = None

    def apply(self, events: list[dict[str, Any]]) -> None:
        """Alter the matching market of ``events`` in place (nothing when none matches)."""
        wanted = event_id(self.game_id) if self.game_id else None
        event = next((e for e in events if wanted in (None, e["id"])), None)
        books = event["bookmakers"] if event else []
        book = next((b for b in books if self.book in (None, b["key"])), None)
        markets = book["markets"] if book else []
        market = next((m for m in markets if m["key"] == self.market), None)
        if market is None:
            return
        for outcome in market["outcomes"]:
            if self.point is not None:
                outcome["point"] = self.point
        if self.price is not None and market["outcomes"]:
            market["outcomes"][0]["price"] = self.price


def with_implausible(
    events: list[dict[str, Any]], quotes: Sequence[ImplausibleQuote]
) -> list[dict[str, Any]]:
    """``events`` (fresh from :func:`v4_odds`) with each implausible quote applied."""
    for quote in quotes:
        quote.apply(events)
    return events


def v4_scores(
    board: OddsBoard,
    now: datetime,
    *,
    days_from: int | None = None,
    date_format: DateFormat = "iso",
) -> list[dict[str, Any]]:
    """``/v4/sports/{sport}/scores``: live and upcoming games, and recent completed ones.

    Replay rules: a game is completed :data:`GAME_DURATION` after first pitch when its
    final score is known (``last_update`` is that moment); until then ``scores`` is
    null (the archive has no in-game scores). Upcoming games are listed for
    :data:`SCORES_UPCOMING_WINDOW`; ``days_from`` adds games that started in the last
    N days and are completed. A game past its duration without a score (postponed) is
    not listed.
    """
    now_ns = _ns(now)
    duration = int(GAME_DURATION.total_seconds()) * _NS
    earliest = now_ns - (days_from * 86400 * _NS if days_from else duration)
    latest = now_ns + int(SCORES_UPCOMING_WINDOW.total_seconds()) * _NS
    lo = np.searchsorted(board._starts, earliest, "left")
    hi = np.searchsorted(board._starts, latest, "right")
    events = []
    for game in range(lo, hi):
        event = _score_event(board, game, now_ns, duration, date_format)
        if event is not None and (days_from or not event["completed"]):
            events.append(event)
    return events


def _score_event(
    board: OddsBoard, game: int, now_ns: int, duration: int, date_format: DateFormat
) -> dict[str, Any] | None:
    """One game's scores entry, or None for a game that ended without a known score."""
    home, away = board._home_scores[game], board._away_scores[game]
    ended = now_ns >= board._starts[game] + duration
    if ended and (home is None or away is None):
        return None
    event = {**_event_base(board, game, date_format), "completed": bool(ended)}
    event["scores"] = None
    event["last_update"] = None
    if ended:
        event["scores"] = [
            {"name": board._home_names[game], "score": str(home)},
            {"name": board._away_names[game], "score": str(away)},
        ]
        event["last_update"] = _format_time(int(board._starts[game]) + duration, date_format)
    return event


def snapshot_times(date: datetime, now: datetime) -> tuple[datetime, datetime, datetime | None]:
    """The historical snapshot served for ``date``: (timestamp, previous, next).

    Snapshots sit on a :data:`HISTORICAL_INTERVAL` grid aligned to the epoch (the
    real API's interval for data after 2022). The timestamp is the latest grid point
    at or before ``date``; a replay cannot have captured anything after its simulated
    now, so a later ``date`` gets the latest snapshot before now and ``next`` is None
    when the next grid point is still in the future.
    """
    step = int(HISTORICAL_INTERVAL.total_seconds())
    seconds = math.floor(min(date, now).timestamp())
    stamp = datetime.fromtimestamp(seconds - seconds % step, UTC)
    following = stamp + HISTORICAL_INTERVAL
    return stamp, stamp - HISTORICAL_INTERVAL, following if following <= now else None


def v4_historical_odds(
    board: OddsBoard,
    date: datetime,
    now: datetime,
    *,
    books: Iterable[str] | None = None,
    markets: Iterable[str] | None = None,
    date_format: DateFormat = "iso",
    odds_format: OddsFormat = "american",
) -> dict[str, Any]:
    """``/v4/historical/sports/{sport}/odds``: the board as of the snapshot for ``date``."""
    stamp, previous, following = snapshot_times(date, now)
    data = v4_odds(
        board, stamp, books=books, markets=markets, date_format=date_format, odds_format=odds_format
    )
    return {
        "timestamp": _format_time(_ns(stamp), date_format),
        "previous_timestamp": _format_time(_ns(previous), date_format),
        "next_timestamp": None if following is None else _format_time(_ns(following), date_format),
        "data": data,
    }
