"""Archive layout: paths, both workbook spellings, seasons found from file names."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from mlb_assets.lib.archives.catalog import ArchiveCatalog, file_md5, json_record


def _touch(root: Path, relpath: str, content: bytes = b"x") -> Path:
    path = root / relpath
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    return path


def test_paths_and_seasons_from_file_names(tmp_path: Path) -> None:
    _touch(tmp_path, "cran-pinnacle.data/MLB2016.rda")
    _touch(tmp_path, "sbr/mlb-odds-2016.xlsx")
    _touch(tmp_path, "sbr/mlb odds 2009.xlsx")
    _touch(tmp_path, "retrosheet/gl2016.zip")
    _touch(tmp_path, "retrosheet/gl2031.zip")
    _touch(tmp_path, "retrosheet/glas.zip")  # All-Star logs: not a season
    _touch(tmp_path, "sbr/notes.txt")
    catalog = ArchiveCatalog(tmp_path)

    assert catalog.pinnacle_path(2016) == tmp_path / "cran-pinnacle.data/MLB2016.rda"
    assert catalog.pinnacle_path(2015) is None
    assert catalog.workbook_path(2009) == tmp_path / "sbr/mlb odds 2009.xlsx"
    assert catalog.gamelog_path(2031) == tmp_path / "retrosheet/gl2031.zip"
    assert catalog.path("sbr", 2016) == tmp_path / "sbr/mlb-odds-2016.xlsx"
    assert catalog.seasons() == {
        2009: {"sbr"},
        2016: {"pinnacle", "sbr", "retrosheet"},
        2031: {"retrosheet"},
    }


def test_current_workbook_spelling_wins(tmp_path: Path) -> None:
    _touch(tmp_path, "sbr/mlb odds 2016.xlsx")
    _touch(tmp_path, "sbr/mlb-odds-2016.xlsx")
    assert ArchiveCatalog(tmp_path).workbook_path(2016).name == "mlb-odds-2016.xlsx"


def test_empty_or_missing_root(tmp_path: Path) -> None:
    catalog = ArchiveCatalog(tmp_path / "nowhere")
    assert catalog.seasons() == {}
    assert catalog.gamelog_path(2016) is None
    with pytest.raises(ValueError, match="unknown source"):
        catalog.path("espn", 2016)


def test_file_md5(tmp_path: Path) -> None:
    content = b"retrosheet" * 100_000
    path = _touch(tmp_path, "a.bin", content)
    assert file_md5(path, chunk_size=4096) == hashlib.md5(content).hexdigest()


def test_json_record_turns_cells_into_plain_values() -> None:
    import json
    from datetime import date

    import numpy as np
    import pandas as pd

    record = json_record(
        {"a": np.int64(3), "b": float("nan"), "c": pd.NA, "d": date(2016, 4, 3), 5: "x"}
    )
    assert record == {"a": 3, "b": None, "c": None, "d": "2016-04-03", "5": "x"}
    json.dumps(record)


@pytest.mark.archive
def test_real_mirror(archive_dir: Path) -> None:
    catalog = ArchiveCatalog(archive_dir)
    seasons = catalog.seasons()
    assert seasons == {
        **{season: {"sbr"} for season in range(2010, 2018)},
        2015: {"sbr", "retrosheet"},
        2016: {"pinnacle", "sbr", "retrosheet"},
    }
    assert file_md5(catalog.pinnacle_path(2016)) == "de5052a9431ff0a767b2c16cd01717ff"
