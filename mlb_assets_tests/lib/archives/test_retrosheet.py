"""Retrosheet game logs: the fields kept, malformed lines, and the real 2015/2016 logs."""

from __future__ import annotations

import csv
import io
import zipfile
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from mlb_assets.lib.archives.retrosheet import (
    FIELD_COUNT,
    GAME_COLUMNS,
    neutral_sites,
    read_gamelog,
)


def _line(date_="20160403", number="0", away="NYN", home="KCA", scores=(3, 4), extra=None) -> str:
    """A synthetic 161-field game-log line (made-up ids and names)."""
    fields = [""] * FIELD_COUNT
    values = {
        1: date_, 2: number, 3: "Sun", 4: away, 5: "NL", 6: "1", 7: home, 8: "AL", 9: "1",
        10: str(scores[0]), 11: str(scores[1]), 12: "51", 13: "N", 17: "PARK01",
        18: "40030", 20: "000000030", 21: "10010200x",
        102: "awayp001", 103: "Away Pitcher", 104: "homep001", 105: "Home Pitcher",
    }  # fmt: skip
    values.update(extra or {})
    for number_, value in values.items():
        fields[number_ - 1] = value
    buffer = io.StringIO()
    csv.writer(buffer, quoting=csv.QUOTE_NONNUMERIC, lineterminator="\n").writerow(fields)
    return buffer.getvalue()


def _zip(path: Path, lines: list[str], member: str = "GL2016.TXT") -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr(member, "".join(lines).encode("latin-1"))
    return path


def test_fields_and_types(tmp_path: Path) -> None:
    archive = read_gamelog(
        _zip(
            tmp_path / "gl2016.zip",
            [_line(), _line(number="1", home="BAL"), _line(number="2", home="BAL", extra={18: ""})],
        )
    )
    games = archive.games
    assert list(games.columns) == GAME_COLUMNS
    assert games["game_id"].tolist() == ["KCA201604030", "BAL201604031", "BAL201604032"]
    first = games.iloc[0]
    assert first["game_date"] == date(2016, 4, 3) and first["season"] == 2016
    assert (first["away_team"], first["home_team"]) == ("NYN", "KCA")
    assert (first["away_league"], first["home_league"]) == ("NL", "AL")
    assert (first["away_score"], first["home_score"]) == (3, 4)
    assert first["day_of_week"] == "Sun" and first["day_night"] == "N"
    assert (first["park_id"], first["attendance"]) == ("PARK01", 40030)
    assert (first["away_pitcher_id"], first["home_pitcher_name"]) == ("awayp001", "Home Pitcher")
    assert (first["away_line_score"], first["home_line_score"]) == ("000000030", "10010200x")
    assert games["attendance"].isna().tolist() == [False, False, True]
    assert str(games["home_score"].dtype) == "Int64"
    assert archive.quarantine.empty


def test_malformed_lines_are_quarantined(tmp_path: Path) -> None:
    lines = [
        _line(),
        '"20160404","0","Mon","NYN"\n',  # truncated
        "\n",  # blank: ignored
        _line(away="XYZ", home="CLE"),
        _line(date_="20161345", home="TOR"),
        _line(home="SEA", number="7"),
    ]
    archive = read_gamelog(_zip(tmp_path / "gl2016.zip", lines))
    assert archive.games["game_id"].tolist() == ["KCA201604030"]
    quarantine = archive.quarantine
    refs = quarantine["source_ref"].str.rsplit(" ", n=1).str[-1].astype(int).tolist()
    assert refs == [2, 4, 5, 6]
    reasons = quarantine["reason"].tolist()
    assert reasons[0] == "expected 161 fields, found 4"
    assert reasons[1] == "unknown visiting team code"
    assert reasons[2] == "date is not YYYYMMDD"
    assert reasons[3] == "game number is not 0/1/2"
    assert quarantine["source_ref"].iloc[0] == "gl2016.zip/GL2016.TXT:line 2"
    assert quarantine["record"].iloc[1]["field_4"] == "XYZ"
    assert (quarantine["source"] == "retrosheet").all()


def test_duplicate_games_are_quarantined(tmp_path: Path) -> None:
    archive = read_gamelog(_zip(tmp_path / "gl2016.zip", [_line(), _line()]))
    assert archive.games.empty
    assert set(archive.quarantine["reason"]) == {"duplicate game (same home team, date, number)"}


def test_zip_without_a_game_log(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"expected one GLYYYY\.TXT"):
        read_gamelog(_zip(tmp_path / "gl2016.zip", [_line()], member="README.TXT"))


@pytest.mark.archive
def test_real_2016(retrosheet_2016) -> None:
    games = retrosheet_2016.games
    assert len(games) == 2428 and retrosheet_2016.quarantine.empty
    assert games["game_id"].is_unique
    assert games["game_number"].value_counts().to_dict() == {0: 2400, 1: 14, 2: 14}
    assert games["game_date"].min() == date(2016, 4, 3)
    assert games["game_date"].max() == date(2016, 10, 2)
    opener = games.set_index("game_id").loc["KCA201604030"]
    assert (opener["away_team"], opener["away_score"], opener["home_score"]) == ("NYN", 3, 4)
    assert (opener["away_pitcher_name"], opener["home_pitcher_name"]) == (
        "Matt Harvey",
        "Edinson Volquez",
    )
    tie = games.set_index("game_id").loc["PIT201609290"]  # called after 6 innings, 1-1
    assert (tie["away_score"], tie["home_score"]) == (1, 1)
    assert games[["away_score", "home_score"]].notna().all().all()
    assert set(games["day_night"]) == {"D", "N"}


@pytest.mark.archive
def test_real_2015(archive_dir: Path) -> None:
    archive = read_gamelog(archive_dir / "retrosheet" / "gl2015.zip")
    assert len(archive.games) == 2429 and archive.quarantine.empty
    assert (archive.games["season"] == 2015).all()


def test_neutral_sites_are_parks_of_neither_team() -> None:
    games = pd.DataFrame(
        {
            "home_team": ["BOS", "BOS", "BOS", "NYA", "NYA", "TOR", "TOR", "TOR"],
            "away_team": ["NYA", "NYA", "TOR", "BOS", "BOS", "NYA", "NYA", "BOS"],
            # London series, then a TOR home game moved to the visitor's park.
            "park_id": ["BOS07", "LON01", "BOS07", "NYC21", "NYC21", "TOR02", "NYC21", "TOR02"],
        }
    )
    assert neutral_sites(games).tolist() == [False, True, False, False, False, False, False, False]
