"""Where each archive file lives inside an archive directory (mirror or download cache).

The layout is the mirror's: ``cran-pinnacle.data/MLB<season>.rda``,
``sbr/mlb-odds-<season>.xlsx`` (older copies ``sbr/mlb odds <season>.xlsx``) and
``retrosheet/gl<season>.zip``. Seasons are discovered from file names, so adding a
file is all it takes to make a season available.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import numpy as np
import pandas as pd

PINNACLE_DIR = "cran-pinnacle.data"
SBR_DIR = "sbr"
RETROSHEET_DIR = "retrosheet"

# source -> (folder, file-name pattern with the season as group 1)
_PATTERNS: dict[str, tuple[str, re.Pattern[str]]] = {
    "pinnacle": (PINNACLE_DIR, re.compile(r"^MLB(\d{4})\.rda$")),
    "sbr": (SBR_DIR, re.compile(r"^mlb[- ]odds[- ](\d{4})\.xlsx$", re.IGNORECASE)),
    "retrosheet": (RETROSHEET_DIR, re.compile(r"^gl(\d{4})\.zip$", re.IGNORECASE)),
}


def file_md5(path: Path, chunk_size: int = 1 << 20) -> str:
    """Hex md5 of a file, read in chunks (the upstream publishes md5s, hence md5)."""
    digest = hashlib.md5(usedforsecurity=False)
    with path.open("rb") as handle:
        while chunk := handle.read(chunk_size):
            digest.update(chunk)
    return digest.hexdigest()


def pinnacle_relpath(season: int) -> str:
    """Canonical location of a Pinnacle season file, relative to the archive root."""
    return f"{PINNACLE_DIR}/MLB{season}.rda"


def workbook_relpath(season: int) -> str:
    """Canonical (current upstream) location of a season workbook."""
    return f"{SBR_DIR}/mlb-odds-{season}.xlsx"


def gamelog_relpath(season: int) -> str:
    """Canonical location of a Retrosheet game-log zip."""
    return f"{RETROSHEET_DIR}/gl{season}.zip"


@dataclass(frozen=True)
class ArchiveCatalog:
    """Read-only view of an archive directory; never writes."""

    root: Path

    def _find(self, source: str, season: int) -> Path | None:
        folder, pattern = _PATTERNS[source]
        directory = self.root / folder
        if not directory.is_dir():
            return None
        # The current spelling (no spaces: "mlb-odds-") wins over the older one.
        for path in sorted(directory.iterdir(), key=lambda p: (" " in p.name, p.name)):
            match = pattern.match(path.name)
            if match and int(match.group(1)) == season and path.is_file():
                return path
        return None

    def pinnacle_path(self, season: int) -> Path | None:
        """``MLB<season>.rda`` when present (upstream publishes 2016 only)."""
        return self._find("pinnacle", season)

    def workbook_path(self, season: int) -> Path | None:
        """The season workbook under either upstream spelling, when present."""
        return self._find("sbr", season)

    def gamelog_path(self, season: int) -> Path | None:
        """The Retrosheet game-log zip, when present."""
        return self._find("retrosheet", season)

    def path(self, source: str, season: int) -> Path | None:
        """Generic form of the three lookups above."""
        if source not in _PATTERNS:
            raise ValueError(f"unknown source {source!r}; expected one of {sorted(_PATTERNS)}")
        return self._find(source, season)

    def seasons(self) -> dict[int, set[str]]:
        """Each season found on disk mapped to the sources that have a file for it."""
        found: dict[int, set[str]] = {}
        for source, (folder, pattern) in _PATTERNS.items():
            directory = self.root / folder
            if not directory.is_dir():
                continue
            for path in directory.iterdir():
                match = pattern.match(path.name)
                if match and path.is_file():
                    found.setdefault(int(match.group(1)), set()).add(source)
        return dict(sorted(found.items()))


# --- quarantine records shared by the archive readers --------------------------------

QUARANTINE_COLUMNS = ["source", "source_ref", "game_date", "reason", "record"]


def json_value(value: object) -> object:
    """A JSON-serializable form of one raw cell (NaN/NA -> None, numpy -> Python)."""
    if value is None or value is pd.NaT:
        return None
    if isinstance(value, float | np.floating):
        return None if np.isnan(value) else float(value)
    if isinstance(value, bool | np.bool_):
        return bool(value)
    if isinstance(value, int | np.integer):
        return int(value)
    if isinstance(value, str):
        return value
    if value is pd.NA:
        return None
    if isinstance(value, datetime | date | pd.Timestamp):
        return value.isoformat()
    return str(value)


def json_record(row: Mapping[str, object]) -> dict[str, object]:
    """A raw row as a plain dict that ``json.dumps`` accepts, keys as strings."""
    return {str(key): json_value(value) for key, value in row.items()}


def quarantine_frame(records: list[dict[str, object]]) -> pd.DataFrame:
    """Quarantine entries in the shared column order (empty frames keep the columns)."""
    return pd.DataFrame(records, columns=QUARANTINE_COLUMNS)
