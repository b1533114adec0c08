"""Season workbooks from sportsbookreviewsonline.com ("MLB scores and odds archives").

Layout (2010–2017 checked): two rows per game, visitor ``V`` then home ``H``, paired by
rotation number (visitor odd, home = visitor + 1); ``Date`` is MDD/MMDD without a year
(the year is the file's); ``Team`` uses the site's own codes; ``Open``/``Close`` are
moneylines. From 2014 a ``Run Line`` column (that row's team's run line) precedes the
totals. Every odds column after ``Run Line``, ``Open OU`` and ``Close OU`` is unnamed
(``Unnamed: N`` in pandas), so they are located by position.

Which side the totals odds belong to: on the visitor row the odds are the *over*
price, on the home row the *under* price. Checked against Pinnacle's 2016 closing
totals: where both books had the same closing total, the visitor-row odds correlate
0.62 with Pinnacle's over price and the home-row odds 0.62 with its under price.

Quirks handled: ``NL`` (no line / no final score), ``pk`` and blanks are missing
values; 2010 closing totals are partly text with a "½" glyph (``8½``); 2010–2011
write ``MIA`` for the Florida Marlins (``FLO``); 2016 writes ``LAD`` once beside the
usual ``LOS``; 2016 keeps a postponed game (NYM at PIT, 6/06) with ``NL`` finals.
Rows that still cannot be read land in the quarantine with a reason; the rest of the
file loads. The by-inning columns (``x`` for an unplayed home half) are not read:
``Final`` is, and it is not always right (2016: six games miss runs of the ninth or
extra innings), which is why Retrosheet's scores take precedence in ``reconcile``.

The workbooks carry no timestamps: they know an opening and a closing line only, so
point-in-time features may use the opening line; the close comes after any decision.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
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
_FRACTIONS = {"½": 0.5, "¼": 0.25, "¾": 0.75}
_NUMBER_RE = re.compile(r"^([+-]?)(\d*(?:\.\d+)?)([½¼¾]?)$")

# Logical column -> accepted header keys (lower case, letters and digits only).
_NAMED = {
    "date": ("date",),
    "rot": ("rot", "rotation"),
    "vh": ("vh",),
    "team": ("team",),
    "pitcher": ("pitcher",),
    "final": ("final", "f"),
    "open": ("open", "openml"),
    "close": ("close", "closeml"),
    "run_line": ("runline", "rl"),
    "open_ou": ("openou", "openou1", "openovunder", "opentotal"),
    "close_ou": ("closeou", "closeovunder", "closetotal"),
}
_REQUIRED = ("date", "rot", "vh", "team", "open", "close")
# Point columns whose odds sit, unnamed, in the next column.
_WITH_ODDS = ("run_line", "open_ou", "close_ou")


@dataclass(frozen=True)
class WorkbookArchive:
    """Games and open/close lines of one season workbook, plus what could not be read."""

    games: pd.DataFrame
    lines: pd.DataFrame
    quarantine: pd.DataFrame


def read_workbook(path: Path, season: int) -> WorkbookArchive:
    """Parse one season workbook; unreadable rows are quarantined, never dropped."""
    path = Path(path)
    raw = _read_sheet(path)
    columns = _resolve_columns(list(raw.columns), path.name)
    rows = _parse_rows(raw, columns, season)
    pairs, unpaired = _pair_rows(rows)
    good, bad_rows = _split_bad_pairs(rows, pairs)
    reasons = pd.concat([unpaired, bad_rows])
    games = _games(rows, good, season)
    lines = _lines(rows, good, games["game_id"])
    quarantine = _quarantine(raw, rows, reasons, path.name)
    return WorkbookArchive(games=games, lines=lines, quarantine=quarantine)


# --- reading and header drift --------------------------------------------------------


def _read_sheet(path: Path) -> pd.DataFrame:
    """The first sheet with data, every cell as read (no dtype coercion)."""
    sheets = pd.read_excel(path, sheet_name=None, dtype=object)
    for frame in sheets.values():
        if not frame.dropna(how="all").empty:
            return frame.reset_index(drop=True)
    raise ValueError(f"{path.name}: no sheet holds data")


def _header_key(name: object) -> str:
    return re.sub(r"[^a-z0-9]+", "", str(name).lower())


def _resolve_columns(headers: list[object], file_name: str) -> dict[str, object]:
    """Logical column -> actual header, tolerant of spelling drift between seasons."""
    keys = [_header_key(h) for h in headers]
    found: dict[str, object] = {}
    for logical, accepted in _NAMED.items():
        for position, key in enumerate(keys):
            if key in accepted:
                found[logical] = headers[position]
                break
    missing = [name for name in _REQUIRED if name not in found]
    if missing:
        raise ValueError(f"{file_name}: no column for {missing}; headers are {headers}")
    named = set(found.values())
    for logical in _WITH_ODDS:
        if logical in found:
            position = headers.index(found[logical]) + 1
            if position >= len(headers) or headers[position] in named:
                raise ValueError(f"{file_name}: no odds column after {found[logical]!r}")
            found[f"{logical}_odds"] = headers[position]
    return found


# --- cell parsing --------------------------------------------------------------------


def _number(value: object) -> tuple[float, bool]:
    """(number, parse failed) for one cell: ``NL``/``pk``/blank are missing, not bad."""
    if value is None or isinstance(value, bool):
        return np.nan, value is not None
    if isinstance(value, int | float | np.integer | np.floating):
        return float(value), False
    text = str(value).strip().lower().replace(" ", "")
    if text in _MISSING_TOKENS:
        return np.nan, False
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


def _parse_rows(raw: pd.DataFrame, columns: dict[str, object], season: int) -> pd.DataFrame:
    """One parsed record per sheet row plus ``problems``: the reasons it is unusable."""
    rows = pd.DataFrame(index=raw.index)
    rows["excel_row"] = raw.index + 2  # the header is row 1
    problems: list[tuple[pd.Series, str]] = []

    date_raw, _ = _numbers(raw[columns["date"]])
    rows["date_raw"] = date_raw
    rows["game_date"] = _dates(date_raw, season)
    problems.append(
        (
            rows["game_date"].isna(),
            "date " + _shown(raw[columns["date"]]) + " is not a valid MDD/MMDD day of the season",
        )
    )

    rot, _ = _numbers(raw[columns["rot"]])
    rot_ok = rot.notna() & (rot % 1 == 0)
    rows["rot"] = rot.where(rot_ok).astype("Int64")
    problems.append((~rot_ok, "rotation number missing or not an integer"))

    rows["vh"] = raw[columns["vh"]].astype("string").str.strip().str.upper()
    problems.append((~rows["vh"].isin(["V", "H"]), "VH is not V or H"))

    rows["team"] = normalize_team_series(raw[columns["team"]].astype(object), "sbr", season)
    problems.append((rows["team"].isna(), "unknown team code " + _shown(raw[columns["team"]])))

    pitcher = columns.get("pitcher")
    rows["pitcher"] = raw[pitcher].where(raw[pitcher].notna(), None) if pitcher else None

    score, score_bad = _numbers(raw[columns["final"]]) if "final" in columns else _nan(raw)
    problems.append((score_bad, "final score is not a number"))
    rows["score"] = score.round().astype("Int64")

    for logical in ("open", "close", "run_line_odds", "open_ou_odds", "close_ou_odds"):
        values, bad = _numbers(raw[columns[logical]]) if logical in columns else _nan(raw)
        rows[logical] = values
        label = columns.get(logical, logical)
        problems.append((bad, f"{label}: odds are not a number"))
        problems.append(
            (
                values.abs() < 100,
                f"{label}: "
                + _shown(raw[columns[logical]])
                + " is not American odds (|price| < 100)"
                if logical in columns
                else "",
            )
        )
    for logical in ("run_line", "open_ou", "close_ou"):
        values, bad = _numbers(raw[columns[logical]]) if logical in columns else _nan(raw)
        rows[logical] = values
        problems.append((bad, f"{columns.get(logical, logical)}: line is not a number"))

    rows["problems"] = _join_reasons(raw.index, problems)
    return rows


def _shown(values: pd.Series) -> pd.Series:
    """Each raw cell as quoted text, for reasons that say what was wrong."""
    return values.map(repr)


def _nan(raw: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    return pd.Series(np.nan, index=raw.index), pd.Series(False, index=raw.index)


def _dates(date_raw: pd.Series, season: int) -> pd.Series:
    """MDD/MMDD integers to ``datetime.date`` in the file's year; invalid -> None."""
    whole = date_raw.where(date_raw.notna() & (date_raw % 1 == 0))
    month, day = whole // 100, whole % 100
    parsed = pd.to_datetime(
        pd.DataFrame({"year": season, "month": month, "day": day}), errors="coerce"
    )
    return pd.Series(parsed.dt.date, index=date_raw.index, dtype=object).where(parsed.notna(), None)


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


def _pair_rows(rows: pd.DataFrame) -> tuple[pd.DataFrame, pd.Series]:
    """Visitor/home pairs by rotation number: ``(pairs[v, h], reasons of unpaired rows)``.

    A visitor row (odd rotation) pairs with the home row right after it when that row
    holds rotation + 1. Rows out of that order are paired by (date, rotation) when the
    match is unique; what is left is unpairable.
    """
    rot = rows["rot"]
    visitor = (rows["vh"] == "V").fillna(False) & (rot % 2 == 1).fillna(False)
    home = (rows["vh"] == "H").fillna(False) & rot.notna()
    next_home = home.shift(-1, fill_value=False)
    next_rot = rot.shift(-1)
    adjacent = visitor & next_home & (next_rot == rot + 1).fillna(False)
    v_idx = rows.index[adjacent]
    pairs = pd.DataFrame({"v": v_idx, "h": rows.index[rows.index.get_indexer(v_idx) + 1]})

    left_v = rows[visitor & ~rows.index.isin(pairs["v"])]
    left_h = rows[home & ~rows.index.isin(pairs["h"])]
    if len(left_v) and len(left_h):
        pairs = pd.concat([pairs, _pair_by_key(left_v, left_h)], ignore_index=True)

    paired = rows.index.isin(pairs["v"]) | rows.index.isin(pairs["h"])
    reasons = pd.Series(
        np.where(
            visitor,
            "cannot pair: no home row with the next rotation number on this date",
            np.where(
                home,
                "cannot pair: no visitor row with the previous rotation number on this date",
                "cannot pair: not a visitor row with an odd rotation number or a home row",
            ),
        ),
        index=rows.index,
    )[~paired]
    reasons = reasons.where(rows["problems"][~paired] == "", rows["problems"] + "; " + reasons)
    return pairs.sort_values("v", ignore_index=True), reasons


def _pair_by_key(left_v: pd.DataFrame, left_h: pd.DataFrame) -> pd.DataFrame:
    """Pairs by (date, rotation + 1) where both sides are unique for that key."""
    v = pd.DataFrame({"v": left_v.index, "date": left_v["date_raw"], "rot": left_v["rot"] + 1})
    h = pd.DataFrame({"h": left_h.index, "date": left_h["date_raw"], "rot": left_h["rot"]})
    v = v.drop_duplicates(["date", "rot"], keep=False)
    h = h.drop_duplicates(["date", "rot"], keep=False)
    return v.merge(h, on=["date", "rot"])[["v", "h"]]


def _split_bad_pairs(rows: pd.DataFrame, pairs: pd.DataFrame) -> tuple[pd.DataFrame, pd.Series]:
    """Pairs with a problem in either row (or disagreeing dates) go to quarantine whole."""
    v_problem = rows["problems"].reindex(pairs["v"]).to_numpy()
    h_problem = rows["problems"].reindex(pairs["h"]).to_numpy()
    v_date = rows["date_raw"].reindex(pairs["v"]).to_numpy()
    h_date = rows["date_raw"].reindex(pairs["h"]).to_numpy()
    mismatch = (v_date != h_date) & (v_problem == "") & (h_problem == "")
    bad = (v_problem != "") | (h_problem != "") | mismatch
    bad_pairs = pairs[bad]
    excel = rows["excel_row"]
    reasons = {}
    for (v, h), vp, hp, mm in zip(
        bad_pairs.itertuples(index=False, name=None),
        v_problem[bad],
        h_problem[bad],
        mismatch[bad],
        strict=True,
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
    the closing run line.
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
                    "open_point": src[o_point].to_numpy() if o_point else np.nan,
                    "open_price": src[o_price].to_numpy(),
                    "close_point": src[c_point].to_numpy() if c_point else np.nan,
                    "close_price": src[c_price].to_numpy(),
                    "_order": np.arange(len(src)),
                }
            )
        )
    lines = pd.concat(frames, ignore_index=True)
    lines = lines[lines["open_price"].notna() | lines["close_price"].notna()]
    lines = lines.sort_values("_order", kind="stable")
    return lines[LINE_COLUMNS].reset_index(drop=True)


# --- quarantine ----------------------------------------------------------------------


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
        for index, reason in reasons.sort_index().items()
    ]
    return quarantine_frame(records)


def _maybe_date(value: object) -> date | None:
    return value if isinstance(value, date) else None
