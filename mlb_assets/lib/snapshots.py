"""Validate, deduplicate and identify odds quotes in the long quote format.

Every odds source produces quotes with the columns of :data:`QUOTE_COLUMNS`: one row
per (game, book, market, side) price at the moment it was captured. Sources capture
whole boards, so most rows repeat the previous price of their side;
:func:`normalize_quotes` keeps only the rows where a side's line changed and sends
every row that cannot be trusted to a quarantine frame with a reason, so that bad
input is counted rather than silently dropped.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

from mlb_assets.lib import plausibility

QUOTE_COLUMNS = ["game_id", "book", "market", "side", "point", "price_american", "captured_at"]
KEY_COLUMNS = ["game_id", "book", "market", "side"]
SNAPSHOT_COLUMNS = [
    "snapshot_id",
    "game_id",
    "book",
    "market",
    "side",
    "point",
    "price_american",
    "captured_at",
    "source",
]
QUARANTINE_COLUMNS = ["source", "source_ref", "game_date", "reason", "record"]

#: The sides each market may quote; the first of each pair is the "a" side of a two-way market.
MARKET_SIDES: dict[str, tuple[str, str]] = {
    "h2h": ("home", "away"),
    "spreads": ("home", "away"),
    "totals": ("over", "under"),
}

_ID_MASK = np.uint64(2**63 - 1)
_CONFLICT = "conflicting quotes for the same side at one captured_at"


@dataclass(frozen=True)
class NormalizedQuotes:
    """The result of :func:`normalize_quotes`.

    ``snapshots`` holds one row per line change (columns :data:`SNAPSHOT_COLUMNS`);
    ``quarantine`` one row per rejected quote (columns :data:`QUARANTINE_COLUMNS`).
    """

    snapshots: pd.DataFrame
    quarantine: pd.DataFrame


def normalize_quotes(
    quotes: pd.DataFrame,
    *,
    source: str,
    game_dates: Mapping[str, date] | None = None,
    rules: plausibility.PlausibilityRules = plausibility.DEFAULT_RULES,
) -> NormalizedQuotes:
    """Validate quotes, keep only line changes and give each a deterministic id.

    Rejected rows go to the quarantine with a human-readable reason: structural problems
    (a price that is missing or not a number, an unknown market or side, a missing game,
    book or time, a spread or total without a point), values no book offers on a
    full-game market (the rules of :mod:`mlb_assets.lib.plausibility`, under ``rules``:
    e.g. a price of -35 or a total of 0.5; both sides of a pair that does not add up)
    and conflicting prices at one instant. The
    quarantine's ``game_date`` comes from ``game_dates`` (by game id) or else from a
    ``game_date`` column of ``quotes``; it is None when neither knows it.

    Of the valid rows, exact duplicates collapse and a row is kept only when its
    (price, point) differs from the previous kept row of its (game, book, market,
    side) in time order; the first row of each key is always kept. The output is a
    fixed point: normalizing it again returns the same rows and ids.

    Raises:
        ValueError: if a column of the quote format is missing or ``captured_at`` is a
            timezone-naive datetime (the contract requires UTC-aware timestamps).
    """
    missing = [column for column in QUOTE_COLUMNS if column not in quotes.columns]
    if missing:
        raise ValueError(f"quotes lack the columns {missing}")
    quotes = quotes.reset_index(drop=True)  # positional: a caller's index may repeat
    clean = _coerce(quotes)
    reasons = _combine(_row_reasons(clean, quotes), plausibility.row_reasons(clean, rules))
    ordered = _in_time_order(clean.drop(index=reasons.index))
    duplicate, conflict = _repeated_instants(ordered)
    conflicts = pd.Series(_CONFLICT, index=ordered.index[conflict], dtype=object)
    # Pairs are judged once each side has one price per instant.
    single = ordered[~(duplicate | conflict)]
    paired = plausibility.pair_reasons(single, rules)
    paired = paired[paired != ""]
    reasons = pd.concat([reasons, conflicts, paired]).sort_index()
    bad = reasons.index
    quarantine = _quarantine(quotes.loc[bad], clean.loc[bad], reasons, source, game_dates)
    snapshots = _changes_only(single.drop(index=paired.index))
    snapshots.insert(0, "snapshot_id", snapshot_ids(snapshots))
    snapshots["source"] = source
    return NormalizedQuotes(snapshots=snapshots[SNAPSHOT_COLUMNS], quarantine=quarantine)


def snapshot_ids(frame: pd.DataFrame) -> pd.Series:
    """Deterministic int64 ids from (game_id, book, market, side, captured_at).

    ``pd.util.hash_pandas_object`` hashes the key strings with SipHash under pandas'
    fixed default key (no per-process salt, so ids are stable across processes and
    machines; object, string and categorical columns hash alike) and the capture time
    as integer nanoseconds since the epoch (so the datetime unit and timezone of the
    input do not matter), then combines the columns; the 64-bit result is masked to
    63 bits to fit a signed BIGINT. Ids change only if pandas changes its hashing.
    """
    keys = pd.DataFrame({column: _as_category(frame[column]) for column in KEY_COLUMNS})
    keys["captured_at"] = _epoch_ns(frame["captured_at"])
    hashed = pd.util.hash_pandas_object(keys, index=False).to_numpy(np.uint64)
    return pd.Series((hashed & _ID_MASK).astype(np.int64), index=frame.index, name="snapshot_id")


def _epoch_ns(times: pd.Series) -> np.ndarray:
    """Integer nanoseconds since the epoch of a UTC-aware datetime Series (NaT: int64 min)."""
    return times.dt.tz_convert("UTC").dt.as_unit("ns").array.asi8


def _as_category(values: pd.Series) -> pd.Categorical:
    """Strings as a lexically ordered categorical; missing stays missing.

    Keys repeat millions of times over a few thousand values, so working on integer
    codes makes validation, sorting and change detection cheap. Non-string keys are
    converted with ``str`` once per distinct value.
    """
    codes, uniques = pd.factorize(np.asarray(values, dtype=object))
    labels = pd.Index(uniques, dtype=object).astype(str)
    label_codes, categories = pd.factorize(labels, sort=True)
    lookup = np.append(label_codes, -1)  # code -1 (missing) indexes the appended -1
    merged = lookup[codes]
    return pd.Categorical.from_codes(merged, categories=pd.Index(categories, dtype=object))


def _coerce(quotes: pd.DataFrame) -> pd.DataFrame:
    """The quote columns in canonical dtypes; unparseable values become NaN/NaT."""
    columns: dict[str, object] = {column: _as_category(quotes[column]) for column in KEY_COLUMNS}
    for column in ("point", "price_american"):
        columns[column] = pd.to_numeric(quotes[column], errors="coerce").astype(float)
    columns["captured_at"] = _coerce_times(quotes["captured_at"])
    return pd.DataFrame(columns)


def _coerce_times(times: pd.Series) -> pd.Series:
    """UTC-aware nanosecond datetimes; other values are parsed, bad ones become NaT.

    Strings without an offset are read as UTC, the format every source writes.
    """
    if isinstance(times.dtype, pd.DatetimeTZDtype):
        return times.dt.tz_convert("UTC").dt.as_unit("ns")
    if pd.api.types.is_datetime64_dtype(times.dtype):
        raise ValueError("captured_at must be timezone-aware (UTC)")
    parsed = pd.to_datetime(times, utc=True, errors="coerce", format="mixed")
    return parsed.dt.as_unit("ns")


def _row_reasons(clean: pd.DataFrame, raw: pd.DataFrame) -> pd.Series:
    """The '; '-joined structural reasons each unusable row cannot be used, indexed by row.

    Whether a well-formed price or point is plausible is :mod:`mlb_assets.lib.plausibility`'s
    to judge."""
    market, side = clean["market"], clean["side"]
    known_market = market.isin(list(MARKET_SIDES))
    known_side = (market.isin(["h2h", "spreads"]) & side.isin(["home", "away"])) | (
        (market == "totals") & side.isin(["over", "under"])
    )
    price, point = clean["price_american"].to_numpy(), clean["point"].to_numpy()
    point_given = raw["point"].notna().to_numpy()
    with np.errstate(invalid="ignore"):
        checks = {
            "missing game_id": _blank(clean["game_id"]),
            "missing book": _blank(clean["book"]),
            "missing or unparseable captured_at": clean["captured_at"].isna(),
            "unknown market": ~known_market,
            "unknown side for the market": known_market & ~known_side,
            "price missing or not numeric": np.isnan(price),
            "price not finite": np.isinf(price),
            "point not numeric": point_given & np.isnan(point),
            "point not finite": np.isinf(point),
            "h2h quote with a point": (market == "h2h") & ~np.isnan(point),
            "spreads/totals quote without a point": ~point_given
            & market.isin(["spreads", "totals"]),
        }
    return _join_reasons(checks)


def _combine(structural: pd.Series, implausible: pd.Series) -> pd.Series:
    """The reasons of both kinds per failing row, structural first, '; '-joined."""
    implausible = implausible[implausible != ""]
    both = pd.concat([structural, implausible])
    return both.groupby(level=0, sort=True).agg("; ".join)


def _blank(values: pd.Series) -> np.ndarray:
    """True where a key is missing or only whitespace (checked once per distinct value)."""
    codes = values.cat.codes.to_numpy()
    blank_label = np.asarray(values.cat.categories.str.strip() == "", dtype=bool)
    return (codes < 0) | np.append(blank_label, False)[codes]


def _join_reasons(checks: dict[str, object]) -> pd.Series:
    """'; '-join the names of the failed checks; strings are built for failing rows only."""
    masks = {text: np.asarray(mask, dtype=bool) for text, mask in checks.items()}
    bad_rows = np.flatnonzero(np.logical_or.reduce(list(masks.values())))
    texts = pd.Series("", index=bad_rows, dtype=object)
    for text, mask in masks.items():  # one pass per check, over the failing rows only
        texts = texts.where(~mask[bad_rows], texts + "; " + text)
    return texts.str.removeprefix("; ")


def _in_time_order(rows: pd.DataFrame) -> pd.DataFrame:
    """Rows sorted by key and capture time, with the combined key as column ``_key``.

    The sort is stable, so rows repeating a key and instant keep their input order.
    """
    key = _key_number(rows)
    order = np.lexsort([_epoch_ns(rows["captured_at"]), key])
    ordered = rows.iloc[order]
    ordered.insert(len(ordered.columns), "_key", key[order])  # in place: no second copy
    return ordered


def _key_number(rows: pd.DataFrame) -> np.ndarray:
    """One int64 per (game, book, market, side) that sorts like the strings.

    The categorical codes are lexically ordered and combined in mixed radix, so one
    sort key replaces four (sorting is the most expensive step at scale).
    """
    number = np.zeros(len(rows), dtype=np.int64)
    for column in KEY_COLUMNS:  # four columns, not rows
        codes = rows[column].cat
        number = number * len(codes.categories) + codes.codes.to_numpy().astype(np.int64)
    return number


def _repeated_instants(ordered: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Masks of exact repeats and of conflicts among rows in :func:`_in_time_order`.

    Rows of one key and instant are adjacent. Exact repeats are harmless and collapse
    onto the first; two different prices or points for one side at one instant cannot
    be ordered, so none of that instant's rows can be trusted as "the" line.
    """
    new_instant = _differs_from_previous(ordered["_key"].to_numpy())
    new_instant |= _differs_from_previous(_epoch_ns(ordered["captured_at"]))
    instant = np.cumsum(new_instant) - 1
    head = np.flatnonzero(new_instant)[instant]  # each row's first row of its instant
    price, point = ordered["price_american"].to_numpy(), _point_codes(ordered["point"])
    differs = (price != price[head]) | (point != point[head])
    conflict = np.bincount(instant, weights=differs)[instant] > 0
    return ~new_instant & ~conflict, conflict


def _changes_only(rows: pd.DataFrame) -> pd.DataFrame:
    """Keep the rows (in key and time order) where a key's (price, point) changed."""
    new_key = _differs_from_previous(rows["_key"].to_numpy())
    changed_price = _differs_from_previous(rows["price_american"].to_numpy())
    changed_point = _differs_from_previous(_point_codes(rows["point"]))
    changed = rows[new_key | changed_price | changed_point].drop(columns="_key")
    changed = changed.reset_index(drop=True)
    for column in KEY_COLUMNS:
        changed[column] = changed[column].astype(object)
    changed["price_american"] = changed["price_american"].astype(np.int64)
    return changed


def _point_codes(points: pd.Series) -> np.ndarray:
    """Points with NaN (h2h) replaced by a sentinel so that NaN equals NaN."""
    return np.nan_to_num(points.to_numpy(dtype=float), nan=np.inf)


def _differs_from_previous(values: np.ndarray) -> np.ndarray:
    """True for the first element and wherever an element differs from its predecessor."""
    if len(values) == 0:
        return np.zeros(0, dtype=bool)
    return np.concatenate([[True], values[1:] != values[:-1]])


def _quarantine(
    raw: pd.DataFrame,
    clean: pd.DataFrame,
    reasons: pd.Series,
    source: str,
    game_dates: Mapping[str, date] | None,
) -> pd.DataFrame:
    """One row per rejected quote, with a readable reference and the raw record."""
    if raw.empty:
        return pd.DataFrame({column: pd.Series(dtype=object) for column in QUARANTINE_COLUMNS})
    keys = [clean[column].astype(object).fillna("?").astype(str) for column in KEY_COLUMNS]
    times = clean["captured_at"].dt.strftime("%Y-%m-%dT%H:%M:%SZ").fillna("?")
    ref = keys[0].str.cat(keys[1:], sep="/") + "@" + times
    return pd.DataFrame(
        {
            "source": source,
            "source_ref": ref.to_numpy(),
            "game_date": _game_dates(raw, game_dates).to_numpy(),
            "reason": reasons.to_numpy(),
            "record": _records(raw),
        }
    )


def _game_dates(raw: pd.DataFrame, game_dates: Mapping[str, date] | None) -> pd.Series:
    """Game dates (``datetime.date`` or None) from the mapping, else the quotes' own column."""
    if game_dates is not None:
        found = raw["game_id"].map(dict(game_dates))
    elif "game_date" in raw.columns:
        found = raw["game_date"]
    else:
        return pd.Series(np.full(len(raw), None, dtype=object), index=raw.index)
    parsed = pd.to_datetime(found, errors="coerce")
    return parsed.dt.date.astype(object).where(parsed.notna(), None)


def _records(raw: pd.DataFrame) -> list[dict]:
    """The raw rows as JSON-serializable dicts (timestamps as ISO 8601, NaN/inf as null)."""
    return json.loads(raw.to_json(orient="records", date_format="iso", default_handler=str))


def normalize_by_source(quotes: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """:func:`normalize_quotes` per ``source``, keeping each quote's date and lineage.

    ``quotes`` carries the quote columns plus ``source``, ``game_date`` and ``payload_id``
    (the stored payload that carried the quote). Returns the snapshots, with ``game_date``
    and the ``payload_id`` of the first payload that carried each one, and the quarantine.
    """
    from mlb_assets.lib.archives.season import concat

    if quotes.empty:
        return pd.DataFrame(), pd.DataFrame()
    snapshots, bad = [], []
    for source, group in quotes.groupby("source", sort=False):
        dates = group.drop_duplicates("game_id").set_index("game_id")["game_date"]
        normalized = normalize_quotes(group, source=str(source), game_dates=dates.to_dict())
        snap = normalized.snapshots
        snapshots.append(
            snap.assign(game_date=snap["game_id"].map(dates), payload_id=_lineage(snap, group))
        )
        bad.append(normalized.quarantine)
    return concat(snapshots), concat(bad)


def _lineage(snapshots: pd.DataFrame, quotes: pd.DataFrame) -> pd.Series:
    """The first stored payload that carried each snapshot's quote."""
    keys = ["game_id", "book", "market", "side", "captured_at"]
    first = quotes[[*keys, "payload_id"]].drop_duplicates(keys)
    first = first.assign(captured_at=pd.to_datetime(first["captured_at"], utc=True))
    merged = snapshots[keys].merge(first, on=keys, how="left")
    return pd.Series(merged["payload_id"].to_numpy(), index=snapshots.index)
