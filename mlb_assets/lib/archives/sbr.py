"""Season workbooks from sportsbookreviewsonline.com ("MLB scores and odds archives").

Layout (2010–2017 checked): two rows per game, visitor ``V`` then home ``H``, paired by
rotation number (visitor odd, home = visitor + 1); ``Date`` is MDD/MMDD without a year
(the year is the file's); ``Team`` uses the site's own codes; ``Open``/``Close`` are
moneylines. From 2014 a ``Run Line`` column (that row's team's run line) precedes the
totals. Every odds column after ``Run Line``, ``Open OU`` and ``Close OU`` is unnamed
(``Unnamed: N`` in pandas), so they are located by position unless named (``RunLineOdds``).

Which side the totals odds belong to: on the visitor row the odds are the *over*
price, on the home row the *under* price. Checked against Pinnacle's 2016 closing
totals: where both books had the same closing total, the visitor-row odds correlate
0.62 with Pinnacle's over price and the home-row odds 0.62 with its under price.

Quirks handled: ``NL`` (no line / no final score), ``pk`` and blanks are missing
values, ``EV``/``even`` is +100; 2010 closing totals are partly text with a "½" glyph
(``8½``); 2010–2011 write ``MIA`` for the Florida Marlins (``FLO``); 2016 writes ``LAD``
once beside the usual ``LOS``; 2016 keeps a postponed game (NYM at PIT, 6/06) with
``NL`` finals. Prices are kept as given, half cents included (``-219.5``).

What other seasons may hold, and how it is read:

- neutral sites (series abroad, neutral postseasons): ``VH`` is ``N`` on both rows; the
  first row of the pair is the visitor, the second the designated home side, and the
  game is flagged ``neutral_site``;
- one rotation number on both rows of a game: adjacent ``V``/``H`` rows of one date pair
  by order whether the home row carries visitor + 1 or the same number;
- header drift (``RunLine``, ``OpenOU``, named odds columns, a title row above the
  header) and dates as real dates or ``M/D`` text besides MDD integers.

Quarantine works at two levels. A row whose date, rotation, ``VH``, team or final score
cannot be read, or that cannot be paired, takes its game's two rows into quarantine
(only that game). A market cell that cannot be read (a truncated price, |price| < 100,
an impossible total) withholds that quote only: the game and its other markets load, and
the cell gets its own quarantine entry. ``WorkbookArchive.counts`` accounts for every row.
The by-inning columns are not read: ``Final`` is, and it is not always right (2016: six
games miss runs of the ninth or extra innings), which is why Retrosheet's scores take
precedence in ``reconcile``.

The workbooks carry no timestamps: they know an opening and a closing line only, so
point-in-time features may use the opening line; the close comes after any decision.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, fields
from datetime import date, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd

from mlb_assets.lib.archives.catalog import json_record, quarantine_frame
from mlb_assets.lib.teams import normalize_team_series

GAME_COLUMNS = [
    "game_id",
    "season",
    "game_date",
    "game_number",
    "away_team",
    "home_team",
    "away_pitcher",
    "home_pitcher",
    "away_score",
    "home_score",
    "away_rot",
    "home_rot",
    "neutral_site",
]
LINE_COLUMNS = [
    "game_id",
    "market",
    "side",
    "open_point",
    "open_price",
    "close_point",
    "close_price",
]

# Values that mean "no number here" rather than "bad number".
_MISSING_TOKENS = {"", "nl", "pk", "x", "-", "nan", "none"}
_EVEN_TOKENS = {"ev", "even", "evn", "evs"}
_FRACTIONS = {"½": 0.5, "¼": 0.25, "¾": 0.75}
_NUMBER_RE = re.compile(r"^([+-]?)(\d*(?:\.\d+)?)([½¼¾]?)$")
_DASHES = str.maketrans({"−": "-", "–": "-", "—": "-"})

# Logical column -> accepted header keys (lower case, letters and digits only).
_NAMED = {
    "date": ("date", "gamedate"),
    "rot": ("rot", "rotation", "rotno", "rotnum", "rotnumber", "rotationnumber"),
    "vh": ("vh", "hv", "visitorhome"),
    "team": ("team", "teams", "teamname"),
    "pitcher": ("pitcher", "pitchers", "starter", "startingpitcher"),
    "final": ("final", "f", "finalscore", "score"),
    "open": ("open", "openml", "openmoneyline", "opening", "openingml", "mlopen"),
    "close": ("close", "closeml", "closemoneyline", "closing", "closingml", "mlclose"),
    "run_line": ("runline", "rl", "runlines"),
    "open_ou": ("openou", "openou1", "openovunder", "opentotal", "openoverunder", "openingou"),
    "close_ou": ("closeou", "closeovunder", "closetotal", "closeoverunder", "closingou"),
    # Odds columns are usually unnamed (found by position); later seasons may name them.
    "run_line_odds": ("runlineodds", "rlodds", "runlineprice"),
    "open_ou_odds": ("openouodds", "opentotalodds", "openouprice"),
    "close_ou_odds": ("closeouodds", "closetotalodds", "closeouprice"),
}
_REQUIRED = ("date", "rot", "vh", "team", "open", "close")
# Point columns whose odds sit in the next column when not named.
_WITH_ODDS = ("run_line", "open_ou", "close_ou")
# How many leading rows may precede the header (a title, a blank line).
_HEADER_SEARCH_ROWS = 10

# Market cells: logical column -> (market, kind). A cell that cannot be read withholds
# the quote it belongs to (see _QUOTES), never the game.
_MARKET_CELLS = {
    "open": ("h2h", "price"),
    "close": ("h2h", "price"),
    "run_line": ("spreads", "point"),
    "run_line_odds": ("spreads", "price"),
    "open_ou": ("totals", "point"),
    "open_ou_odds": ("totals", "price"),
    "close_ou": ("totals", "point"),
    "close_ou_odds": ("totals", "price"),
}
# Quote -> the cells it is made of: a bad point voids its price and the other way round.
_QUOTES = {
    "open": ("open",),
    "close": ("close",),
    "run_line": ("run_line", "run_line_odds"),
    "open_ou": ("open_ou", "open_ou_odds"),
    "close_ou": ("close_ou", "close_ou_odds"),
}
# Plausible points: anything outside is a data error (a lost decimal point, a price
# typed into the point column).
_POINT_LIMITS = {"spreads": (-10.0, 10.0), "totals": (0.0, 30.0)}


@dataclass(frozen=True)
class WorkbookCounts(Mapping[str, int]):
    """Where every sheet row went; ``rows_read == rows_loaded + rows_quarantined``.

    ``rows_blank`` (empty separator rows) are skipped and lie outside ``rows_read``;
    ``market_values_quarantined`` counts cells withheld from games that did load. Read
    as attributes or as a mapping (``counts["rows_read"]``, ``dict(counts)``).
    """

    rows_read: int
    rows_loaded: int
    rows_quarantined: int
    market_values_quarantined: int
    rows_blank: int = 0
    dates_resolved: int = 0  # games whose two rows named adjacent days (see _resolve_split_dates)

    def __getitem__(self, name: str) -> int:
        if name not in self._names():
            raise KeyError(name)
        return int(getattr(self, name))

    def __iter__(self) -> Iterator[str]:
        return iter(self._names())

    def __len__(self) -> int:
        return len(self._names())

    @classmethod
    def _names(cls) -> tuple[str, ...]:
        return tuple(f.name for f in fields(cls))


@dataclass(frozen=True)
class WorkbookArchive:
    """Games and open/close lines of one season workbook, plus what could not be read."""

    games: pd.DataFrame
    lines: pd.DataFrame
    quarantine: pd.DataFrame
    counts: WorkbookCounts


def read_workbook(path: Path, season: int) -> WorkbookArchive:
    """Parse one season workbook; unreadable rows are quarantined, never dropped."""
    path = Path(path)
    return parse_sheet(_read_sheet(path), season, path.name)


def parse_sheet(cells: pd.DataFrame, season: int, file_name: str) -> WorkbookArchive:
    """Parse one sheet given as a grid of cells (row 0 is Excel row 1, no header applied).

    ``read_workbook`` reads the grid from the file; tests build it in memory.
    """
    raw, blank = _table(cells, file_name)
    columns = _resolve_columns(list(raw.columns), file_name)
    rows, cell_problems = _parse_rows(raw, columns, season)
    pairs, unpaired = _pair_rows(rows)
    rows, dates_resolved = _resolve_split_dates(rows, pairs)
    good, bad_rows = _split_bad_pairs(rows, pairs)
    reasons = pd.concat([unpaired, bad_rows]).sort_index()
    reasons = _with_cell_problems(reasons, cell_problems)
    games = _games(rows, good, season)
    market_bad = _loaded_cell_problems(cell_problems, good)
    lines = _lines(_withhold(rows, cell_problems), good, games["game_id"])
    quarantine = pd.concat(
        [
            _quarantine(raw, rows, reasons, file_name),
            _market_quarantine(raw, rows, market_bad, columns, file_name),
        ],
        ignore_index=True,
    )
    counts = WorkbookCounts(
        rows_read=len(raw),
        rows_loaded=2 * len(good),
        rows_quarantined=len(reasons),
        market_values_quarantined=len(market_bad),
        rows_blank=blank,
        dates_resolved=dates_resolved,
    )
    if counts.rows_read != counts.rows_loaded + counts.rows_quarantined:
        raise AssertionError(f"{file_name}: rows unaccounted for: {counts}")
    return WorkbookArchive(games=games, lines=lines, quarantine=_sorted(quarantine), counts=counts)


# --- reading and header drift --------------------------------------------------------


def _read_sheet(path: Path) -> pd.DataFrame:
    """The first sheet with data as a grid of cells, every cell as read (no coercion)."""
    sheets = pd.read_excel(path, sheet_name=None, header=None, dtype=object)
    for frame in sheets.values():
        if not frame.dropna(how="all").empty:
            return frame.reset_index(drop=True)
    raise ValueError(f"{path.name}: no sheet holds data")


def _table(cells: pd.DataFrame, file_name: str) -> tuple[pd.DataFrame, int]:
    """Data rows under their header (index = Excel row number) and how many were blank.

    The header is the first of the leading rows that names every required column, so a
    title row above it does not matter.
    """
    cells = cells.reset_index(drop=True)
    for position in range(min(_HEADER_SEARCH_ROWS, len(cells))):
        headers = _header_names(cells.iloc[position].tolist())
        if _missing_required(headers) == []:
            body = cells.iloc[position + 1 :].copy()
            body.columns = headers
            body.index = pd.RangeIndex(position + 2, position + 2 + len(body))
            blank = _blank_rows(body)
            return body[~blank], int(blank.sum())
    first = _header_names(cells.iloc[0].tolist()) if len(cells) else []
    raise ValueError(
        f"{file_name}: unknown layout, no header row names {list(_REQUIRED)} "
        f"(missing {_missing_required(first)}); headers are {first}"
    )


def _header_names(values: list[object]) -> list[str]:
    """Header texts as pandas would name them: blanks ``Unnamed: N``, repeats ``X.1``."""
    names: list[str] = []
    for position, value in enumerate(values):
        text = "" if _blank(value) else str(value).strip()
        name = text or f"Unnamed: {position}"
        repeats = sum(1 for n in names if n == name or n.startswith(f"{name}."))
        names.append(f"{name}.{repeats}" if repeats else name)
    return names


def _blank(value: object) -> bool:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return True
    return isinstance(value, str) and not value.strip()


def _blank_rows(body: pd.DataFrame) -> pd.Series:
    """Rows with no cell holding anything (separator lines between months or days)."""
    if body.empty:
        return pd.Series(False, index=body.index)
    return body.map(_blank).all(axis=1)


def _header_key(name: object) -> str:
    return re.sub(r"[^a-z0-9]+", "", str(name).lower())


def _find_named(headers: list[str]) -> dict[str, str]:
    keys = [_header_key(h) for h in headers]
    found: dict[str, str] = {}
    for logical, accepted in _NAMED.items():
        for position, key in enumerate(keys):
            if key in accepted:
                found[logical] = headers[position]
                break
    return found


def _missing_required(headers: list[str]) -> list[str]:
    found = _find_named(headers)
    return [name for name in _REQUIRED if name not in found]


def _resolve_columns(headers: list[str], file_name: str) -> dict[str, str]:
    """Logical column -> actual header, tolerant of spelling drift between seasons."""
    found = _find_named(headers)
    named = set(found.values())
    for logical in _WITH_ODDS:
        odds = f"{logical}_odds"
        if logical not in found or odds in found:
            continue
        position = headers.index(found[logical]) + 1
        if position >= len(headers) or headers[position] in named:
            raise ValueError(
                f"{file_name}: no odds column after {found[logical]!r}; headers are {headers}"
            )
        found[odds] = headers[position]
    return found


def _label(columns: dict[str, str], logical: str) -> str:
    """A readable name of a column: unnamed odds columns are called after their point."""
    header = columns[logical]
    if logical.endswith("_odds") and header.startswith("Unnamed"):
        return f"{columns[logical.removesuffix('_odds')]} odds"
    return header


# --- cell parsing --------------------------------------------------------------------


def _number(value: object) -> tuple[float, bool]:
    """(number, parse failed) for one cell: ``NL``/``pk``/blank are missing, not bad."""
    if value is None or isinstance(value, bool):
        return np.nan, value is not None
    if isinstance(value, int | float | np.integer | np.floating):
        return float(value), False
    text = str(value).strip().lower().replace(" ", "").translate(_DASHES)
    if text in _MISSING_TOKENS:
        return np.nan, False
    if text.lstrip("+") in _EVEN_TOKENS:
        return 100.0, False
    match = _NUMBER_RE.match(text)
    if not match or not (match.group(2) or match.group(3)):
        return np.nan, True
    sign, digits, fraction = match.groups()
    number = float(digits or 0) + _FRACTIONS.get(fraction, 0.0)
    return (-number if sign == "-" else number), False


def _numbers(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Vectorized ``_number``: plain numbers pass straight through, text is parsed once."""
    numeric = pd.to_numeric(values, errors="coerce").astype("float64")
    bad = pd.Series(False, index=values.index)
    text = values.notna() & numeric.isna()
    if text.any():
        cells = values[text]
        parsed = {v: _number(v) for v in pd.unique(cells)}
        numeric[text] = np.fromiter((parsed[v][0] for v in cells), float, len(cells))
        bad[text] = np.fromiter((parsed[v][1] for v in cells), bool, len(cells))
    return numeric, bad


_DATE_TEXT_RE = re.compile(r"^(\d{1,2})[/.-](\d{1,2})(?:[/.-](\d{2}|\d{4}))?$")
_ISO_DATE_RE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T].*)?$")
# Excel day serials of 1982-2064: a date cell that lost its format reads as one of these.
_SERIAL_RANGE = (30000, 60000)
_EXCEL_EPOCH = date(1899, 12, 30)


def _day(value: object, season: int) -> date | None:
    """One ``Date`` cell as a day of ``season``; None when it is not one.

    MDD/MMDD numbers take the file's year. Real dates (and text with a year) must fall in
    the season: a date of another year is a data error, not something to re-date.
    """
    if _blank(value) or isinstance(value, bool):
        return None
    if isinstance(value, datetime | date):
        day = value.date() if isinstance(value, datetime) else value
        return day if day.year == season else None
    if isinstance(value, int | float | np.integer | np.floating):
        return _numeric_day(float(value), season)
    text = str(value).strip()
    if text.isdigit():
        return _numeric_day(float(text), season)
    if match := _ISO_DATE_RE.match(text):
        year, month, day_ = (int(g) for g in match.groups())
        return _safe_date(year, month, day_, season)
    if match := _DATE_TEXT_RE.match(text):
        month, day_, year_text = match.groups()
        year = season if year_text is None else int(year_text) % 100 + 2000
        if year_text is not None and len(year_text) == 4:
            year = int(year_text)
        return _safe_date(year, int(month), int(day_), season)
    return None


def _numeric_day(number: float, season: int) -> date | None:
    if np.isnan(number) or number % 1:
        return None
    whole = int(number)
    if _SERIAL_RANGE[0] <= whole <= _SERIAL_RANGE[1]:
        day = _EXCEL_EPOCH + timedelta(days=whole)
        return day if day.year == season else None
    return _safe_date(season, whole // 100, whole % 100, season)


def _safe_date(year: int, month: int, day: int, season: int) -> date | None:
    if year != season:
        return None
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _dates(values: pd.Series, season: int) -> pd.Series:
    """Each ``Date`` cell as ``datetime.date`` (None when invalid); parsed once per value."""
    parsed = {}
    for value in values:
        key = _cell_key(value)
        if key not in parsed:
            parsed[key] = _day(value, season)
    return pd.Series([parsed[_cell_key(v)] for v in values], index=values.index, dtype=object)


def _cell_key(value: object) -> object:
    """A hashable stand-in for a cell (NaN is not equal to itself)."""
    return None if _blank(value) else value


def _shown(value: object) -> str:
    """One raw cell as it reads in a reason: numbers plain, dates ISO, text quoted."""
    if _blank(value):
        return "blank"
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, int | float | np.integer | np.floating) and not isinstance(value, bool):
        return f"{float(value):g}"
    return repr(value)


def _described(values: pd.Series) -> pd.Series:
    return values.map(_shown)


def _parse_rows(
    raw: pd.DataFrame, columns: dict[str, str], season: int
) -> tuple[pd.DataFrame, dict[str, pd.Series]]:
    """One parsed record per sheet row, with ``problems`` (reasons the row is unusable),
    and per market cell the reasons it cannot be read ('' where it is fine)."""
    rows = pd.DataFrame(index=raw.index)
    rows["excel_row"] = raw.index
    problems: list[tuple[pd.Series, str | pd.Series]] = []

    rows["game_date"] = _dates(raw[columns["date"]], season)
    # Rows of one game must agree on the date; the key compares unreadable dates as typed.
    rows["date_key"] = rows["game_date"].where(
        rows["game_date"].notna(), _described(raw[columns["date"]])
    )
    problems.append(
        (
            rows["game_date"].isna(),
            "date "
            + _described(raw[columns["date"]])
            + f" is not a day of season {season} (MDD, M/D or a date)",
        )
    )

    rot, _ = _numbers(raw[columns["rot"]])
    rot_ok = rot.notna() & (rot % 1 == 0)
    rows["rot"] = rot.where(rot_ok).astype("Int64")
    problems.append((~rot_ok, "rotation number missing or not an integer"))

    rows["vh"] = raw[columns["vh"]].astype("string").str.strip().str.upper()
    problems.append(
        (
            ~rows["vh"].isin(["V", "H", "N"]),
            "VH " + _described(raw[columns["vh"]]) + " is not V, H or N",
        )
    )

    rows["team"] = normalize_team_series(_stripped(raw[columns["team"]]), "sbr", season)
    problems.append((rows["team"].isna(), "unknown team code " + _described(raw[columns["team"]])))

    pitcher = columns.get("pitcher")
    rows["pitcher"] = raw[pitcher].where(raw[pitcher].notna(), None) if pitcher else None

    score, score_bad = _numbers(raw[columns["final"]]) if "final" in columns else _nan(raw)
    score_bad = score_bad | (score.notna() & ((score % 1 != 0) | (score < 0)))
    if "final" in columns:
        shown = _described(raw[columns["final"]])
        problems.append((score_bad, "final score " + shown + " is not a number of runs"))
    rows["score"] = score.where(~score_bad).round().astype("Int64")

    cell_problems: dict[str, pd.Series] = {}
    for logical, (market, kind) in _MARKET_CELLS.items():
        if logical not in columns:
            rows[logical] = np.nan
            continue
        values, unreadable = _numbers(raw[columns[logical]])
        rows[logical] = values
        cell_problems[logical] = _cell_reasons(
            raw[columns[logical]], values, unreadable, market, kind, _label(columns, logical)
        )

    rows["problems"] = _join_reasons(raw.index, problems)
    return rows, cell_problems


def _stripped(values: pd.Series) -> pd.Series:
    """Team cells without surrounding blanks (codes are looked up as written otherwise)."""
    return values.map(lambda v: v.strip() if isinstance(v, str) else v).astype(object)


def _cell_reasons(
    cells: pd.Series, values: pd.Series, unreadable: pd.Series, market: str, kind: str, label: str
) -> pd.Series:
    """Why each market cell cannot be used ('' when it can)."""
    shown = _described(cells)
    if kind == "price":
        odd = values.abs() < 100
        what = " is not American odds (|price| < 100)"
    else:
        low, high = _POINT_LIMITS[market]
        odd = (values <= low) | (values >= high) if market == "totals" else values.abs() >= high
        what = f" is not a plausible {market} line"
    prefix = f"{market} {kind} {label}: "
    reasons = pd.Series("", index=cells.index, dtype=object)
    reasons[unreadable] = prefix + shown[unreadable] + " is not a number"
    flagged = odd.fillna(False) & ~unreadable
    reasons[flagged] = prefix + shown[flagged] + what
    return reasons


def _nan(raw: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    return pd.Series(np.nan, index=raw.index), pd.Series(False, index=raw.index)


def _join_reasons(index: pd.Index, checks: list[tuple[pd.Series, str | pd.Series]]) -> pd.Series:
    """'; '-joined reasons per row ('' when clean); only flagged rows are touched.

    A reason is one text for every flagged row, or a Series of texts naming each row's value.
    """
    reasons = pd.Series("", index=index, dtype=object)
    for mask, reason in checks:
        flagged = pd.Series(mask, index=index).astype("boolean").fillna(True).astype(bool)
        if not flagged.any():
            continue
        texts = reason[flagged] if isinstance(reason, pd.Series) else reason
        current = reasons[flagged]
        reasons[flagged] = (current + "; " + texts).where(current != "", texts)
    return reasons


# --- pairing -------------------------------------------------------------------------

_FIRST_SIDES = ("V", "N")
_SECOND_SIDES = ("H", "N")


def _pair_rows(rows: pd.DataFrame) -> tuple[pd.DataFrame, pd.Series]:
    """Visitor/home pairs: ``(pairs[v, h, neutral], reasons of unpaired rows)``.

    A ``V`` row pairs with the ``H`` row right after it when that row holds the same
    rotation number or the next one; two adjacent ``N`` rows (a neutral site) pair the
    same way, the first being the visitor. Rows are consumed in order, so a run of
    neutral games pairs two by two. Rows out of that order are paired by (date, rotation
    + 1) when the match is unique; what is left is unpairable.
    """
    vh = rows["vh"].fillna("").to_numpy(dtype=object)
    rot = rows["rot"].astype("float64").to_numpy()
    first, second = [], []
    position, size = 0, len(rows)
    while position < size - 1:
        if _adjacent(vh[position], vh[position + 1], rot[position], rot[position + 1]):
            first.append(position)
            second.append(position + 1)
            position += 2
        else:
            position += 1
    pairs = pd.DataFrame({"v": rows.index[first], "h": rows.index[second]}, dtype="int64")
    taken = rows.index.isin(pairs["v"]) | rows.index.isin(pairs["h"])
    left = rows[~taken & rows["rot"].notna()]
    pairs = pd.concat([pairs, _pair_by_key(left)], ignore_index=True)
    pairs["neutral"] = (rows["vh"].reindex(pairs["v"]).to_numpy() == "N") | (
        rows["vh"].reindex(pairs["h"]).to_numpy() == "N"
    )
    paired = rows.index.isin(pairs["v"]) | rows.index.isin(pairs["h"])
    reasons = _unpaired_reasons(rows[~paired])
    return pairs.sort_values("v", ignore_index=True), reasons


def _adjacent(vh_a: str, vh_b: str, rot_a: float, rot_b: float) -> bool:
    """Whether two consecutive rows are one game's visitor and home rows."""
    if (
        vh_a not in _FIRST_SIDES
        or vh_b not in _SECOND_SIDES
        or ("N" in (vh_a, vh_b)) != (vh_a == vh_b)
    ):
        return False
    return rot_b - rot_a in (0.0, 1.0)


def _pair_by_key(left: pd.DataFrame) -> pd.DataFrame:
    """Pairs by (date, rotation + 1) where both sides are unique for that key."""
    firsts = left[left["vh"].isin(_FIRST_SIDES).fillna(False)]
    seconds = left[left["vh"].isin(_SECOND_SIDES).fillna(False)]
    v = pd.DataFrame(
        {
            "v": firsts.index,
            "date": firsts["date_key"].astype(str),
            "rot": firsts["rot"] + 1,
            "vh": firsts["vh"],
        }
    )
    h = pd.DataFrame(
        {
            "h": seconds.index,
            "date": seconds["date_key"].astype(str),
            "rot": seconds["rot"],
            "hv": seconds["vh"],
        }
    )
    v = v.drop_duplicates(["date", "rot"], keep=False)
    h = h.drop_duplicates(["date", "rot"], keep=False)
    pairs = v.merge(h, on=["date", "rot"])
    # Neutral rows pair with neutral rows only; a row may take part in one pair only.
    pairs = pairs[(pairs["vh"] == "N") == (pairs["hv"] == "N")]
    used = pd.concat([pairs["v"], pairs["h"]])
    pairs = pairs[
        ~pairs["v"].isin(used[used.duplicated()]) & ~pairs["h"].isin(used[used.duplicated()])
    ]
    return pairs[["v", "h"]].astype("int64")


def _unpaired_reasons(rows: pd.DataFrame) -> pd.Series:
    """Why each left-over row has no partner, after its own problems."""
    vh, has_rot = rows["vh"], rows["rot"].notna()
    reason = np.where(
        (vh == "V").fillna(False) & has_rot,
        "cannot pair: no home row with this or the next rotation number on this date",
        np.where(
            (vh == "H").fillna(False) & has_rot,
            "cannot pair: no visitor row with this or the previous rotation number on this date",
            np.where(
                (vh == "N").fillna(False) & has_rot,
                "cannot pair: no other neutral-site row with an adjacent rotation number",
                "cannot pair: not a V, H or N row with a rotation number",
            ),
        ),
    )
    reasons = pd.Series(reason, index=rows.index, dtype=object)
    return reasons.where(rows["problems"] == "", rows["problems"] + "; " + reasons)


def _resolve_split_dates(rows: pd.DataFrame, pairs: pd.DataFrame) -> tuple[pd.DataFrame, int]:
    """Date a game whose two rows name adjacent days by the rest of the file.

    A known data-entry error writes one row of a game on the day before or after the other
    (2010: CIN at CUB, 6/30 beside 7/01). The game is dated on the one candidate day on
    which neither team has another row; when both days or neither qualify, the rows stay
    as they are and the pair is quarantined.
    """
    v_date = rows["game_date"].reindex(pairs["v"]).to_numpy()
    h_date = rows["game_date"].reindex(pairs["h"]).to_numpy()
    clean = (rows["problems"].reindex(pairs["v"]).to_numpy() == "") & (
        rows["problems"].reindex(pairs["h"]).to_numpy() == ""
    )
    split = [
        i
        for i in np.flatnonzero(clean)
        if v_date[i] is not None
        and h_date[i] is not None
        and abs((v_date[i] - h_date[i]).days) == 1
    ]
    if not split:
        return rows, 0
    team_days = pd.Series(list(zip(rows["team"], rows["game_date"], strict=True)), rows.index)
    busy = team_days.value_counts().to_dict()
    resolved = rows.copy()
    count = 0
    for i in split:
        v, h = pairs.at[i, "v"], pairs.at[i, "h"]
        own = team_days[[v, h]].value_counts().to_dict()  # the pair's own rows do not count
        free = [
            day
            for day in (v_date[i], h_date[i])
            if all(
                busy.get((team, day), 0) == own.get((team, day), 0)
                for team in (rows.at[v, "team"], rows.at[h, "team"])
            )
        ]
        if len(free) == 1:
            resolved.loc[[v, h], ["game_date", "date_key"]] = free[0]
            count += 1
    return resolved, count


def _split_bad_pairs(rows: pd.DataFrame, pairs: pd.DataFrame) -> tuple[pd.DataFrame, pd.Series]:
    """Pairs with a problem in either row (or disagreeing dates) go to quarantine whole."""
    v_problem = rows["problems"].reindex(pairs["v"]).to_numpy()
    h_problem = rows["problems"].reindex(pairs["h"]).to_numpy()
    v_date = rows["date_key"].reindex(pairs["v"]).to_numpy()
    h_date = rows["date_key"].reindex(pairs["h"]).to_numpy()
    mismatch = (v_date != h_date) & (v_problem == "") & (h_problem == "")
    bad = (v_problem != "") | (h_problem != "") | mismatch
    bad_pairs = pairs[bad]
    excel = rows["excel_row"]
    reasons = {}
    for v, h, vp, hp, mm in zip(
        bad_pairs["v"], bad_pairs["h"], v_problem[bad], h_problem[bad], mismatch[bad], strict=True
    ):
        if mm:
            vp = hp = "visitor and home rows disagree on the date"
        reasons[v] = vp or f"paired with row {excel[h]}, which is quarantined ({hp})"
        reasons[h] = hp or f"paired with row {excel[v]}, which is quarantined ({vp})"
    return pairs[~bad].reset_index(drop=True), pd.Series(reasons, dtype=object)


# --- games and lines -----------------------------------------------------------------


def _games(rows: pd.DataFrame, pairs: pd.DataFrame, season: int) -> pd.DataFrame:
    v = rows.loc[pairs["v"]].reset_index(drop=True)
    h = rows.loc[pairs["h"]].reset_index(drop=True)
    games = pd.DataFrame(
        {
            "season": season,
            "game_date": v["game_date"].astype(object),
            "away_team": v["team"],
            "home_team": h["team"],
            "away_pitcher": v["pitcher"],
            "home_pitcher": h["pitcher"],
            "away_score": v["score"],
            "home_score": h["score"],
            "away_rot": v["rot"].astype("int64"),
            "home_rot": h["rot"].astype("int64"),
            "neutral_site": pairs["neutral"].astype(bool).to_numpy(),
        }
    )
    games["game_number"] = _doubleheader_numbers(games)
    day = pd.to_datetime(games["game_date"]).dt.strftime("%Y%m%d")
    games["game_id"] = games["home_team"] + day + games["game_number"].astype(str)
    return games[GAME_COLUMNS]


def _doubleheader_numbers(games: pd.DataFrame) -> pd.Series:
    """1, 2 (in row order) for pairs sharing a date and home team; 0 for single games."""
    group = games.groupby(["game_date", "home_team"], sort=False)
    size = group["home_team"].transform("size")
    return (group.cumcount() + 1).where(size > 1, 0).astype("int64")


def _withhold(rows: pd.DataFrame, cell_problems: dict[str, pd.Series]) -> pd.DataFrame:
    """The rows with every quote that has an unreadable cell blanked (point and price)."""
    clean = rows.copy()
    for cells in _QUOTES.values():
        bad = np.zeros(len(rows), dtype=bool)
        for cell in cells:
            if cell in cell_problems:
                bad |= (cell_problems[cell] != "").to_numpy()
        clean.loc[bad, list(cells)] = np.nan
    return clean


# (market, side, row (v/h), open point, open price, close point, close price)
_LINE_SPECS = (
    ("h2h", "away", "v", None, "open", None, "close"),
    ("h2h", "home", "h", None, "open", None, "close"),
    ("spreads", "away", "v", "run_line", "run_line_odds", "run_line", "run_line_odds"),
    ("spreads", "home", "h", "run_line", "run_line_odds", "run_line", "run_line_odds"),
    ("totals", "over", "v", "open_ou", "open_ou_odds", "close_ou", "close_ou_odds"),
    ("totals", "under", "h", "open_ou", "open_ou_odds", "close_ou", "close_ou_odds"),
)


def _lines(rows: pd.DataFrame, pairs: pd.DataFrame, game_ids: pd.Series) -> pd.DataFrame:
    """Long open/close lines: one row per game, market and side with any price.

    The workbooks give a single run line per row, so it serves as both the opening and
    the closing run line. Prices stay floats: half cents (``-219.5``) are kept as given.
    """
    frames = []
    for market, side, which, o_point, o_price, c_point, c_price in _LINE_SPECS:
        src = rows.loc[pairs[which]].reset_index(drop=True)
        frames.append(
            pd.DataFrame(
                {
                    "game_id": game_ids.to_numpy(),
                    "market": market,
                    "side": side,
                    "open_point": src[o_point].to_numpy(float) if o_point else np.nan,
                    "open_price": src[o_price].to_numpy(float),
                    "close_point": src[c_point].to_numpy(float) if c_point else np.nan,
                    "close_price": src[c_price].to_numpy(float),
                    "_order": np.arange(len(src)),
                }
            )
        )
    lines = pd.concat(frames, ignore_index=True)
    lines = lines[lines["open_price"].notna() | lines["close_price"].notna()]
    lines = lines.sort_values("_order", kind="stable")
    return lines[LINE_COLUMNS].reset_index(drop=True)


# --- quarantine ----------------------------------------------------------------------


def _with_cell_problems(reasons: pd.Series, cell_problems: dict[str, pd.Series]) -> pd.Series:
    """Rows quarantined whole also name their unreadable market cells, for the record."""
    if reasons.empty:
        return reasons
    extra = _join_reasons(
        reasons.index,
        [
            (p.reindex(reasons.index) != "", p.reindex(reasons.index))
            for p in cell_problems.values()
        ],
    )
    return reasons.where(extra == "", reasons + "; " + extra)


def _loaded_cell_problems(cell_problems: dict[str, pd.Series], good: pd.DataFrame) -> pd.DataFrame:
    """(row, column, reason) of every unreadable market cell of a loaded game."""
    loaded = pd.Index(np.concatenate([good["v"].to_numpy(), good["h"].to_numpy()]))
    parts = [
        pd.DataFrame({"row": p.index, "logical": logical, "reason": p.to_numpy()})
        for logical, p in cell_problems.items()
    ]
    if not parts:
        return pd.DataFrame(columns=["row", "logical", "reason"])
    cells = pd.concat(parts, ignore_index=True)
    return cells[(cells["reason"] != "") & cells["row"].isin(loaded)].reset_index(drop=True)


def _quarantine(
    raw: pd.DataFrame, rows: pd.DataFrame, reasons: pd.Series, file_name: str
) -> pd.DataFrame:
    records = [
        {
            "source": "sbr",
            "source_ref": f"{file_name}:row {rows.at[index, 'excel_row']}",
            "game_date": _maybe_date(rows.at[index, "game_date"]),
            "reason": reason,
            "record": json_record(raw.loc[index].to_dict()),
        }
        for index, reason in reasons.items()
    ]
    return quarantine_frame(records)


def _market_quarantine(
    raw: pd.DataFrame,
    rows: pd.DataFrame,
    cells: pd.DataFrame,
    columns: dict[str, str],
    file_name: str,
) -> pd.DataFrame:
    """One entry per withheld market cell: its file, row and market in ``source_ref``."""
    records = []
    for index, logical, reason in cells.itertuples(index=False, name=None):
        market = _MARKET_CELLS[logical][0]
        records.append(
            {
                "source": "sbr",
                "source_ref": f"{file_name}:row {rows.at[index, 'excel_row']}:{market}:"
                f"{_label(columns, logical)}",
                "game_date": _maybe_date(rows.at[index, "game_date"]),
                "reason": f"{reason}; this quote is withheld, the game loads",
                "record": json_record(raw.loc[index].to_dict()),
            }
        )
    return quarantine_frame(records)


def _sorted(quarantine: pd.DataFrame) -> pd.DataFrame:
    """Entries in sheet order: by row number, a row's own entry before its market cells."""
    row = quarantine["source_ref"].str.extract(r":row (\d+)", expand=False).astype(float)
    order = pd.DataFrame({"row": row, "ref": quarantine["source_ref"]})
    return quarantine.loc[order.sort_values(["row", "ref"]).index].reset_index(drop=True)


def _maybe_date(value: object) -> date | None:
    return value if isinstance(value, date) else None
