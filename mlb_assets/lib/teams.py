"""The one team-code mapping of the project.

Every source names teams its own way: Retrosheet game logs and Pinnacle's ``GameID``
use Retrosheet codes (``NYN``, ``KCA``), the season workbooks use their own codes
(``NYM``, ``KAN``) and Pinnacle's team columns hold full names ("New York Mets").
The canonical key of a team is its Retrosheet code *for that season*: the Marlins
are ``FLO`` through 2011 and ``MIA`` from 2012, the Nationals ``MON`` through 2004.

Every alias resolves to a franchise first and the franchise's code for the season
second, so one franchise always gets exactly one key per season, whatever spelling
(current or historical) a source used. The workbooks, for example, already write
``MIA`` for the 2010 Florida Marlins; that still becomes ``FLO``.

The workbook aliases (``Franchise.sbr``) list every code the site has used or is likely
to use over the seasons (``CUB``/``CHC``, ``KAN``/``KC``/``KCR``, ``LOS``/``LAD``,
``WAS``/``WSH``/``WSN``, ``ATH`` for the Athletics from 2025, Retrosheet's own codes);
a workbook spelling that is no code is tried as a full name or nickname ("Royals").
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from typing import Literal

import pandas as pd

# "name" is any source that spells teams by full name (The Odds API, the MLB Stats API);
# it shares the full-name aliases that Pinnacle's archive uses.
Source = Literal["retrosheet", "sbr", "pinnacle", "name"]
SOURCES: tuple[str, ...] = ("retrosheet", "sbr", "pinnacle", "name")
FULL_NAME_SOURCES = frozenset({"pinnacle", "name"})

# Open-ended periods use these bounds so a later season resolves to the current code.
_FIRST = 1871
_LAST = 9999

Period = tuple[int, int]


@dataclass(frozen=True)
class Franchise:
    """One club across its renames and moves.

    ``codes``, ``names`` and ``leagues`` are ``(value, (first, last))`` periods; the
    alias tuples list every other spelling a source is known (or likely) to use.
    """

    key: str
    codes: tuple[tuple[str, Period], ...]
    names: tuple[tuple[str, Period], ...]
    leagues: tuple[tuple[str, Period], ...]
    sbr: tuple[str, ...]
    name_aliases: tuple[str, ...] = ()
    kind: Literal["franchise", "allstar"] = "franchise"


def _always(value: str) -> tuple[tuple[str, Period], ...]:
    return ((value, (_FIRST, _LAST)),)


def _club(
    key: str,
    name: str,
    league: str,
    sbr: tuple[str, ...],
    aliases: tuple[str, ...] = (),
) -> Franchise:
    """A franchise that kept its code, name and league over the covered seasons."""
    return Franchise(key, _always(key), _always(name), _always(league), sbr, aliases)


# Modern franchises (seasons 2000 onward are what the archives cover). Pinnacle's
# 2016 spellings are the official names; short forms ("LA Dodgers") are accepted
# because odds feeds use them.
FRANCHISES: tuple[Franchise, ...] = (
    Franchise(
        "ANA",
        _always("ANA"),
        (
            ("Anaheim Angels", (1997, 2004)),
            ("Los Angeles Angels of Anaheim", (2005, 2015)),
            ("Los Angeles Angels", (2016, _LAST)),
        ),
        _always("AL"),
        ("LAA", "ANA", "CAL"),
        ("LA Angels", "LA Angels of Anaheim", "Angels", "Anaheim", "California Angels"),
    ),
    _club(
        "ARI",
        "Arizona Diamondbacks",
        "NL",
        ("ARI", "ARZ", "AZ"),
        ("Arizona D-backs", "Diamondbacks", "D-backs", "Arizona"),
    ),
    _club("ATL", "Atlanta Braves", "NL", ("ATL",), ("Braves", "Atlanta")),
    _club("BAL", "Baltimore Orioles", "AL", ("BAL",), ("Orioles", "Baltimore")),
    _club("BOS", "Boston Red Sox", "AL", ("BOS",), ("Red Sox", "Boston")),
    _club(
        "CHA",
        "Chicago White Sox",
        "AL",
        ("CWS", "CHW", "CHA"),
        ("White Sox", "Chi White Sox", "Chicago Sox", "Chi Sox"),
    ),
    _club("CHN", "Chicago Cubs", "NL", ("CUB", "CHC", "CHN"), ("Cubs", "Chi Cubs")),
    _club("CIN", "Cincinnati Reds", "NL", ("CIN",), ("Reds", "Cincinnati")),
    Franchise(
        "CLE",
        _always("CLE"),
        (("Cleveland Indians", (_FIRST, 2021)), ("Cleveland Guardians", (2022, _LAST))),
        _always("AL"),
        ("CLE", "CLG"),
        ("Indians", "Guardians", "Cleveland"),
    ),
    _club("COL", "Colorado Rockies", "NL", ("COL",), ("Rockies", "Colorado")),
    _club("DET", "Detroit Tigers", "AL", ("DET",), ("Tigers", "Detroit")),
    Franchise(
        "HOU",
        _always("HOU"),
        _always("Houston Astros"),
        (("NL", (_FIRST, 2012)), ("AL", (2013, _LAST))),
        ("HOU",),
        ("Astros", "Houston"),
    ),
    _club(
        "KCA",
        "Kansas City Royals",
        "AL",
        ("KAN", "KC", "KCR", "KCA"),
        ("Royals", "KC Royals", "Kansas City"),
    ),
    _club(
        "LAN",
        "Los Angeles Dodgers",
        "NL",
        ("LOS", "LAD", "LAN"),
        ("LA Dodgers", "Dodgers", "L.A. Dodgers"),
    ),
    Franchise(
        "MIA",
        (("FLO", (_FIRST, 2011)), ("MIA", (2012, _LAST))),
        (("Florida Marlins", (_FIRST, 2011)), ("Miami Marlins", (2012, _LAST))),
        _always("NL"),
        ("MIA", "FLA", "FLO"),
        ("Marlins", "Miami", "Florida"),
    ),
    Franchise(
        "MIL",
        _always("MIL"),
        _always("Milwaukee Brewers"),
        (("AL", (_FIRST, 1997)), ("NL", (1998, _LAST))),
        ("MIL",),
        ("Brewers", "Milwaukee"),
    ),
    _club("MIN", "Minnesota Twins", "AL", ("MIN",), ("Twins", "Minnesota")),
    _club("NYA", "New York Yankees", "AL", ("NYY", "NYA"), ("Yankees", "NY Yankees")),
    _club("NYN", "New York Mets", "NL", ("NYM", "NYN"), ("Mets", "NY Mets")),
    # The club plays as "Athletics" from 2025 (Sacramento); the key stays OAK here.
    _club(
        "OAK",
        "Oakland Athletics",
        "AL",
        ("OAK", "ATH"),
        ("Athletics", "Oakland A's", "A's", "Oakland", "Sacramento Athletics"),
    ),
    _club("PHI", "Philadelphia Phillies", "NL", ("PHI",), ("Phillies", "Philadelphia")),
    _club("PIT", "Pittsburgh Pirates", "NL", ("PIT",), ("Pirates", "Pittsburgh")),
    _club(
        "SDN",
        "San Diego Padres",
        "NL",
        ("SDG", "SD", "SDP", "SDN"),
        ("Padres", "SD Padres", "San Diego"),
    ),
    _club("SEA", "Seattle Mariners", "AL", ("SEA",), ("Mariners", "Seattle")),
    _club(
        "SFN",
        "San Francisco Giants",
        "NL",
        ("SFO", "SF", "SFG", "SFN"),
        ("Giants", "SF Giants", "San Francisco"),
    ),
    _club(
        "SLN",
        "St. Louis Cardinals",
        "NL",
        ("STL", "SLN"),
        ("Saint Louis Cardinals", "St Louis Cardinals", "Cardinals", "St. Louis", "Saint Louis"),
    ),
    Franchise(
        "TBA",
        _always("TBA"),
        (("Tampa Bay Devil Rays", (_FIRST, 2007)), ("Tampa Bay Rays", (2008, _LAST))),
        _always("AL"),
        ("TAM", "TB", "TBR", "TBA", "TBD"),
        ("Rays", "Devil Rays", "TB Rays", "Tampa Bay", "Tampa"),
    ),
    _club("TEX", "Texas Rangers", "AL", ("TEX",), ("Rangers", "Texas")),
    _club("TOR", "Toronto Blue Jays", "AL", ("TOR",), ("Blue Jays", "Toronto")),
    Franchise(
        "WAS",
        (("MON", (_FIRST, 2004)), ("WAS", (2005, _LAST))),
        (("Montreal Expos", (_FIRST, 2004)), ("Washington Nationals", (2005, _LAST))),
        _always("NL"),
        ("WAS", "WSH", "WSN", "MON"),
        ("Nationals", "Washington", "Expos"),
    ),
    # The All-Star teams are no franchises, but Pinnacle lists the All-Star game
    # ("American League" at "National League"); Retrosheet codes them ALS / NLS.
    Franchise("ALS", _always("ALS"), _always("American League"), _always("AL"), (), kind="allstar"),
    Franchise("NLS", _always("NLS"), _always("National League"), _always("NL"), (), kind="allstar"),
)


class UnknownTeamError(ValueError):
    """A team spelling that no franchise claims for the given source."""


def _in(period: Period, season: int) -> bool:
    return period[0] <= season <= period[1]


def _for_season(values: tuple[tuple[str, Period], ...], season: int) -> str:
    """The value whose period covers ``season``; outside all periods, the nearest."""
    for value, period in values:
        if _in(period, season):
            return value
    if season < values[0][1][0]:
        return values[0][0]
    return values[-1][0]


def _name_key(value: str) -> str:
    """Case-, punctuation- and whitespace-insensitive form of a full team name."""
    return re.sub(r"[^a-z0-9]+", " ", value.lower()).strip()


@cache
def _alias_index() -> dict[str, dict[str, Franchise]]:
    """source -> spelling key -> franchise; built once, checked for collisions."""
    index: dict[str, dict[str, Franchise]] = {source: {} for source in SOURCES}

    def add(source: str, key: str, franchise: Franchise) -> None:
        owner = index[source].setdefault(key, franchise)
        if owner is not franchise:
            raise AssertionError(f"{source} alias {key!r} claimed twice")

    for franchise in FRANCHISES:
        for code, _ in franchise.codes:
            add("retrosheet", code, franchise)
        for code in franchise.sbr:
            add("sbr", code, franchise)
        for name in tuple(n for n, _ in franchise.names) + franchise.name_aliases:
            add("pinnacle", _name_key(name), franchise)
    index["name"] = index["pinnacle"]
    return index


def _lookup_key(value: str, source: str) -> str:
    if source in FULL_NAME_SOURCES:
        return _name_key(value)
    if source == "sbr":
        # The workbooks are typed by hand: "K.C.", "s f" and "kc" all mean a code.
        return re.sub(r"[^A-Z0-9]+", "", value.upper())
    return value.strip().upper()


def _resolve(value: object, source: str) -> Franchise | None:
    if not isinstance(value, str):
        return None
    franchise = _alias_index()[source].get(_lookup_key(value, source))
    if franchise is None and source == "sbr":
        # A workbook may spell a team out ("Kansas City Royals", "Royals") instead of a code.
        franchise = _alias_index()["name"].get(_name_key(value))
    return franchise


def normalize_team(value: str, source: Source, season: int) -> str:
    """The canonical (Retrosheet, season-specific) code for a source's team spelling.

    Raises ``UnknownTeamError`` when the source has no such team, so callers that must
    not lose rows should use ``normalize_team_series`` and quarantine the ``None``s.
    """
    if source not in SOURCES:
        raise ValueError(f"unknown source {source!r}; expected one of {SOURCES}")
    franchise = _resolve(value, source)
    if franchise is None:
        raise UnknownTeamError(
            f"unknown {source} team {value!r} for season {season}; "
            "add the spelling to mlb_assets.lib.teams.FRANCHISES if it is a real alias"
        )
    return _for_season(franchise.codes, season)


def normalize_team_series(values: pd.Series, source: Source, season: int) -> pd.Series:
    """Vectorized ``normalize_team``: unknown spellings become ``None`` (not an error).

    Resolves each distinct spelling once and maps, so a season of rows costs a dict
    lookup per row.
    """
    if source not in SOURCES:
        raise ValueError(f"unknown source {source!r}; expected one of {SOURCES}")
    mapping: dict[object, str | None] = {}
    for value in pd.unique(values.dropna()):
        franchise = _resolve(value, source)
        mapping[value] = None if franchise is None else _for_season(franchise.codes, season)
    mapped = values.map(mapping).astype(object)
    return mapped.where(mapped.notna(), None)


def team_names(season: int | None = None, *, include_allstar: bool = False) -> pd.DataFrame:
    """Franchise table for a season: ``code, name, league, sbr_code, franchise``.

    ``season=None`` gives the latest names. ``code`` is the canonical key for that
    season; ``franchise`` is a stable key across renames and moves.
    """
    year = _LAST if season is None else season
    rows = [
        {
            "code": _for_season(f.codes, year),
            "name": _for_season(f.names, year),
            "league": _for_season(f.leagues, year),
            "sbr_code": f.sbr[0] if f.sbr else None,
            "franchise": f.key,
        }
        for f in FRANCHISES
        if include_allstar or f.kind == "franchise"
    ]
    return pd.DataFrame(rows).sort_values("code", ignore_index=True)


def team_name(code: str, season: int) -> str:
    """Full name of a canonical code in a season (the inverse of ``normalize_team``)."""
    franchise = _resolve(code, "retrosheet")
    if franchise is None:
        raise UnknownTeamError(f"unknown team code {code!r} for season {season}")
    return _for_season(franchise.names, season)
