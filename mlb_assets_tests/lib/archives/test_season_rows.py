"""Every quarantined row of a season has a run that writes it, whatever its date."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd

from mlb_assets.lib.archives.catalog import quarantine_frame
from mlb_assets.lib.archives.season import SeasonArchives, SourceRows, quarantine_for


def _season(games_dates: list[date], quarantine_dates: list[date | None]) -> SeasonArchives:
    games = pd.DataFrame({"game_id": [f"G{i}" for i in range(len(games_dates))]})
    games["game_date"] = pd.Series(games_dates, dtype=object)
    rows = quarantine_frame(
        [
            {
                "source": "sbr",
                "source_ref": f"file.xlsx:row {n}",
                "game_date": day,
                "reason": "made up",
                "record": "{}",
            }
            for n, day in enumerate(quarantine_dates, start=2)
        ]
    )
    empty = pd.DataFrame()
    return SeasonArchives(2016, [], games, empty, empty, empty, empty, empty, {"sbr": rows})


FIRST, LAST = date(2016, 4, 3), date(2016, 10, 2)
EARLY, LATE, MID = date(2016, 3, 1), date(2016, 12, 24), date(2016, 6, 1)


def _refs(frame: pd.DataFrame) -> list[str]:
    return sorted(frame["source_ref"]) if not frame.empty else []


def test_the_span_covers_quarantined_rows_beyond_the_games() -> None:
    season = _season([FIRST, LAST], [EARLY, LATE, None])
    assert season.date_span() == (EARLY, LATE)
    assert _season([FIRST, LAST], [None]).date_span() == (FIRST, LAST)
    assert _season([], [MID]).date_span() == (MID, MID)
    assert _season([], [None]).date_span() is None


def test_rows_outside_the_games_are_written_by_the_run_covering_that_end() -> None:
    season = _season([FIRST, LAST], [EARLY, MID, LATE, None])
    refs = {d: f"file.xlsx:row {n}" for n, d in enumerate([EARLY, MID, LATE, None], start=2)}
    opening = quarantine_for(season, FIRST, FIRST)
    assert _refs(opening) == sorted([refs[EARLY], refs[None]])
    middle = quarantine_for(season, MID, MID)
    assert _refs(middle) == sorted([refs[MID], refs[None]])
    closing = quarantine_for(season, date(2016, 9, 1), LAST)
    assert _refs(closing) == sorted([refs[LATE], refs[None]])
    whole = quarantine_for(season, *season.date_span())
    assert len(whole) == 4


def test_a_season_without_games_writes_its_rows_with_any_run_of_its_year() -> None:
    season = _season([], [MID, None])
    assert len(quarantine_for(season, FIRST, FIRST)) == 2
    assert quarantine_for(season, date(2017, 4, 1), date(2017, 4, 2))["game_date"].isna().all()


def test_source_rows_show_rows_neither_loaded_nor_quarantined() -> None:
    balanced = SourceRows("sbr_archive", "x.xlsx", rows_read=10, rows_loaded=8, rows_quarantined=2)
    lost = SourceRows("sbr_archive", "x.xlsx", rows_read=10, rows_loaded=8, rows_quarantined=1)
    assert balanced.unaccounted == 0
    assert lost.unaccounted == 1
    assert lost.as_dict()["unaccounted"] == 1


def test_real_seasons_account_for_every_source_row(archive_dir: Path) -> None:
    from mlb_assets.lib.archives.season import load_season

    season = load_season(archive_dir, 2016)
    assert {r.source for r in season.source_rows} == {
        "retrosheet_archive",
        "pinnacle_archive",
        "sbr_archive",
    }
    for rows in season.source_rows:
        assert rows.rows_read > 2000, rows
        assert rows.unaccounted == 0, rows
