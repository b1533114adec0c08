"""Tiny season workbooks in the layouts the site has used or may use.

Every figure here is made up (teams, pitchers, scores, prices): the sheets exercise the
parser's layout handling and say nothing about any real game or market.

A sheet is built as a grid of cells (``grid``) that ``parse_sheet`` reads directly, or
written to an .xlsx file (``write_workbook``) for the path ``read_workbook`` takes.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import openpyxl
import pandas as pd

INNINGS = ["1st", "2nd", "3rd", "4th", "5th", "6th", "7th", "8th", "9th"]
# 2014-2017: the odds after Run Line, Open OU and Close OU sit in unnamed columns.
HEADER_2014 = [
    "Date", "Rot", "VH", "Team", "Pitcher", *INNINGS, "Final", "Open", "Close",
    "Run Line", None, "Open OU", None, "Close OU", None,
]  # fmt: skip
# A later spelling: no spaces, and the odds columns named after their points.
HEADER_LATER = [
    "Date", "Rot", "VH", "Team", "Pitcher", *INNINGS, "Final", "Open", "Close",
    "RunLine", "RunLineOdds", "OpenOU", "OpenOUOdds", "CloseOU", "CloseOUOdds",
]  # fmt: skip

Cell = object


def team_row(
    day: Cell,
    rot: Cell,
    vh: str,
    team: str,
    final: Cell,
    open_: Cell,
    close: Cell,
    run_line: tuple[Cell, Cell] = (1.5, -150),
    open_ou: tuple[Cell, Cell] = (8.5, -110),
    close_ou: tuple[Cell, Cell] | None = None,
) -> list[Cell]:
    """One team's row in the 2014+ column order (innings are not read by the parser)."""
    innings = [0] * 8 + ["x" if vh == "H" else 0]
    close_ou = open_ou if close_ou is None else close_ou
    return [
        day, rot, vh, team, "MADEUP-R", *innings, final, open_, close,
        *run_line, *open_ou, *close_ou,
    ]  # fmt: skip


def game_rows(
    day: Cell,
    rot: int,
    away: str,
    home: str,
    moneylines: tuple[Cell, Cell, Cell, Cell] = (120, 125, -130, -135),
    vh: tuple[str, str] = ("V", "H"),
    home_rot: int | None = None,
) -> list[list[Cell]]:
    """A game's two rows; ``moneylines`` are (away open, away close, home open, home close)."""
    a_open, a_close, h_open, h_close = moneylines
    return [
        team_row(day, rot, vh[0], away, 3, a_open, a_close, (1.5, -160), (8.5, -105)),
        team_row(
            day,
            rot + 1 if home_rot is None else home_rot,
            vh[1],
            home,
            4,
            h_open,
            h_close,
            (-1.5, 140),
            (8.5, -115),
        ),
    ]


def grid(header: list[Cell], rows: list[list[Cell]], title: str | None = None) -> pd.DataFrame:
    """The sheet as ``read_workbook`` sees it: header row first, no header applied."""
    top = [[title] + [None] * (len(header) - 1)] if title else []
    return pd.DataFrame([*top, header, *rows], dtype=object)


def write_workbook(
    path: Path, header: list[Cell], rows: list[list[Cell]], title: str | None = None
) -> Path:
    """Write one sheet to ``path`` with openpyxl (dates stay real Excel dates)."""
    book = openpyxl.Workbook()
    sheet = book.active
    if title:
        sheet.append([title])
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    book.save(path)
    return path


# --- one sheet per class of input the parser must survive -----------------------------


def neutral_site_rows() -> list[list[Cell]]:
    """A two-game series abroad (both rows ``N``) between ordinary games."""
    return [
        *game_rows(608, 901, "NYY", "BOS"),
        *game_rows(608, 903, "NYY", "BOS", vh=("N", "N")),
        *game_rows(609, 905, "BOS", "NYY", vh=("N", "N")),
        *game_rows(609, 907, "SEA", "OAK"),
    ]


def duplicated_rotation_rows() -> list[list[Cell]]:
    """One game whose home row repeats the visitor's rotation number."""
    return [
        *game_rows(518, 905, "CIN", "ATL"),
        *game_rows(518, 907, "SFO", "CIN", home_rot=907),
        *game_rows(518, 909, "LOS", "SDG"),
    ]


def bad_market_rows() -> list[list[Cell]]:
    """A totals price of -35 and a truncated run-line price beside valid moneylines."""
    rows = [*game_rows(701, 901, "TAM", "TOR"), *game_rows(701, 903, "KAN", "MIN")]
    rows[0][20] = -35  # visitor row, Open OU odds
    rows[3][18] = "-1"  # home row of the second game, run-line odds
    return rows


def half_cent_rows() -> list[list[Cell]]:
    """Moneylines quoted in half cents, as numbers and as text."""
    return [
        *game_rows(801, 901, "WAS", "PHI", moneylines=(189.5, 180, -219.5, -200)),
        *game_rows(801, 903, "CWS", "DET", moneylines=("+105.5", "EV", "-115.5", "-120")),
    ]


def real_date_rows(season: int) -> list[list[Cell]]:
    """Dates as real dates, as ``M/D`` text and as ``M/D/YYYY`` text."""
    return [
        *game_rows(datetime(season, 4, 1), 901, "ARI", "COL"),
        *game_rows("4/2", 903, "ARI", "COL"),
        *game_rows(f"04/03/{season}", 905, "ARI", "COL"),
    ]
