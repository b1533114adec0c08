"""Joining the three sources: doubleheader repairs, unmatched reasons, real 2016 figures."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from mlb_assets.lib.archives.reconcile import (
    GAME_COLUMNS,
    UNMATCHED_COLUMNS,
    apply_repairs,
    reconcile_games,
)


def _games(rows: list[tuple], source: str) -> pd.DataFrame:
    """Minimal game tables: (game_id, away, away score, home score) per row."""
    frame = pd.DataFrame(rows, columns=["game_id", "away_team", "away_score", "home_score"])
    frame["home_team"] = frame["game_id"].str[:3]
    frame["game_date"] = pd.to_datetime(frame["game_id"].str[3:11]).dt.date
    frame["game_number"] = frame["game_id"].str[-1].astype(int)
    frame["season"] = [d.year for d in frame["game_date"]]
    for side in ("away_score", "home_score"):
        frame[side] = frame[side].astype("Int64")
    if source == "retrosheet":
        frame["away_pitcher_name"] = "Retro Away"
        frame["home_pitcher_name"] = "Retro Home"
        frame["day_night"] = "N"
    else:
        frame["away_pitcher"] = f"{source} away"
        frame["home_pitcher"] = f"{source} home"
    if source == "pinnacle":
        frame["start_time_utc"] = pd.to_datetime(frame["game_date"]).dt.tz_localize(
            "UTC"
        ) + pd.Timedelta(hours=23)
    return frame


def test_swapped_doubleheader_is_renumbered_by_score() -> None:
    retro = _games([("BAL201605071", "TEX", 8, 4), ("BAL201605072", "TEX", 2, 5)], "retrosheet")
    sbr = _games([("BAL201605071", "TEX", 2, 5), ("BAL201605072", "TEX", 8, 4)], "sbr")
    result = reconcile_games(retro, None, sbr)
    assert result.repairs[["original_game_id", "game_id", "method"]].values.tolist() == [
        ["BAL201605071", "BAL201605072", "matched by final score"],
        ["BAL201605072", "BAL201605071", "matched by final score"],
    ]
    assert result.unmatched.empty and result.conflicts.empty
    assert result.games["sources"].tolist() == ["retrosheet,sbr", "retrosheet,sbr"]


def test_single_listing_of_a_doubleheader() -> None:
    retro = _games([("SLN201607201", "SDN", 2, 4), ("SLN201607202", "SDN", 2, 3)], "retrosheet")
    sbr = _games([("SLN201607200", "SDN", 2, 3)], "sbr")
    result = reconcile_games(retro, None, sbr)
    assert result.repairs["game_id"].tolist() == ["SLN201607202"]
    (row,) = result.unmatched.to_dict("records")
    assert (row["source"], row["game_id"], row["missing_from"]) == (
        "retrosheet",
        "SLN201607201",
        "sbr",
    )
    assert "lists SLN201607202" in row["reason"]


def test_numbering_without_scores_follows_game_order() -> None:
    pinnacle = _games([("NYA201604050", "DET", None, None)], "pinnacle")
    sbr = _games([("NYA201604051", "DET", None, None)], "sbr")
    result = reconcile_games(None, pinnacle, sbr)
    assert result.repairs[["source", "game_id", "reference", "method"]].values.tolist() == [
        ["sbr", "NYA201604050", "pinnacle", "by game order"]
    ]
    assert result.games["status"].tolist() == ["scheduled"]


def test_ambiguous_doubleheader_is_left_alone() -> None:
    retro = _games([("CHA201605231", "NYA", 1, 2), ("CHA201605232", "NYA", 1, 2)], "retrosheet")
    sbr = _games([("CHA201605231", "NYA", 1, 2), ("CHA201605232", "NYA", 1, 2)], "sbr")
    result = reconcile_games(retro, None, sbr)
    assert result.repairs.empty and result.unmatched.empty


def test_precedence_conflicts_and_status() -> None:
    retro = _games([("DET201606240", "CLE", 7, 5)], "retrosheet")
    pinnacle = _games([("DET201606240", "CLE", 7, 5)], "pinnacle")
    sbr = _games([("DET201606240", "CLE", 7, 4)], "sbr")
    result = reconcile_games(retro, pinnacle, sbr)
    (game,) = result.games.to_dict("records")
    assert list(result.games.columns) == GAME_COLUMNS
    assert (game["away_score"], game["home_score"]) == (7, 5)
    assert (game["away_pitcher"], game["home_pitcher"]) == ("Retro Away", "Retro Home")
    assert game["start_time_utc"] == pd.Timestamp("2016-06-24 23:00", tz="UTC")
    assert (game["status"], game["sources"], game["day_night"]) == (
        "final",
        "pinnacle,retrosheet,sbr",
        "N",
    )
    assert game["game_date"] == date(2016, 6, 24) and game["game_number"] == 0
    assert result.conflicts.to_dict("records") == [
        {
            "game_id": "DET201606240",
            "field": "home_score",
            "retrosheet": 5,
            "pinnacle": 5,
            "sbr": 4,
            "chosen": 5,
        }
    ]


def test_reasons_for_games_that_do_not_join() -> None:
    retro = _games(
        [
            ("PIT201606071", "NYN", 1, 2),
            ("PIT201606072", "NYN", 3, 4),
            ("LAN201609060", "ARI", 1, 5),
            ("SEA201605020", "OAK", 1, 0),
            ("TOR201610020", "BAL", 4, 3),
        ],
        "retrosheet",
    )
    pinnacle = _games(
        [
            ("PIT201606071", "NYN", 1, 2),
            ("PIT201606072", "NYN", 3, 4),
            ("SEA201605010", "OAK", 1, 0),
            ("TOR201610020", "BAL", 4, 3),
            ("TOR201610040", "BAL", 2, 5),
            ("NLS201607120", "ALS", 4, 2),
        ],
        "pinnacle",
    )
    sbr = _games(
        [
            ("PIT201606060", "NYN", None, None),
            ("PIT201606071", "NYN", 1, 2),
            ("PIT201606072", "NYN", 3, 4),
            ("LAN201609060", "ARI", 1, 5),
            ("SEA201605020", "OAK", 1, 0),
            ("TOR201610020", "BAL", 4, 3),
            ("TOR201610040", "BAL", 2, 5),
        ],
        "sbr",
    )
    result = reconcile_games(retro, pinnacle, sbr)
    unmatched = result.unmatched
    assert list(unmatched.columns) == UNMATCHED_COLUMNS
    reasons = {(r.source, r.game_id): r.reason for r in unmatched.itertuples()}
    assert "no final score here (postponed listing)" in reasons[("sbr", "PIT201606060")]
    assert (
        "date mismatch; pinnacle has this matchup on 2016-05-01"
        in (reasons[("retrosheet", "SEA201605020")])
    )
    assert (
        "date mismatch; retrosheet has this matchup on 2016-05-02"
        in (reasons[("pinnacle", "SEA201605010")])
    )
    assert reasons[("retrosheet", "LAN201609060")].startswith("pinnacle: not listed")
    assert "postseason game" in reasons[("pinnacle", "TOR201610040")]
    assert "All-Star game" in reasons[("pinnacle", "NLS201607120")]
    status = result.games.set_index("game_id")["status"]
    assert status["PIT201606060"] == "postponed"
    assert (status.drop("PIT201606060") == "final").all()


def test_single_source_and_no_source() -> None:
    pinnacle = _games([("NYA201604050", "DET", 3, 2)], "pinnacle")
    result = reconcile_games(None, pinnacle, None)
    assert result.games["sources"].tolist() == ["pinnacle"]
    assert result.unmatched.empty and result.repairs.empty and result.conflicts.empty
    with pytest.raises(ValueError, match="at least one source"):
        reconcile_games(None, None, None)


def test_repeated_game_id_is_refused() -> None:
    retro = _games([("NYA201604050", "DET", 3, 2), ("NYA201604050", "DET", 3, 2)], "retrosheet")
    with pytest.raises(ValueError, match="repeat game_id"):
        reconcile_games(retro, None, None)


def test_apply_repairs_rekeys_other_tables() -> None:
    retro = _games([("BAL201605071", "TEX", 8, 4), ("BAL201605072", "TEX", 2, 5)], "retrosheet")
    sbr = _games([("BAL201605071", "TEX", 2, 5), ("BAL201605072", "TEX", 8, 4)], "sbr")
    repairs = reconcile_games(retro, None, sbr).repairs
    lines = pd.DataFrame({"game_id": ["BAL201605071", "BAL201605072", "NYA201604050"]})
    assert apply_repairs(lines, repairs, "sbr")["game_id"].tolist() == [
        "BAL201605072",
        "BAL201605071",
        "NYA201604050",
    ]
    assert apply_repairs(lines, repairs, "pinnacle") is lines


# --- real 2016 -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def real_2016(retrosheet_2016, pinnacle_2016, sbr_2016):
    return reconcile_games(retrosheet_2016.games, pinnacle_2016.games, sbr_2016.games)


@pytest.mark.archive
def test_real_2016_joins(real_2016, retrosheet_2016) -> None:
    """Every Retrosheet 2016 game joins one Pinnacle game and one workbook game, except:

    * LAN201609060 (ARI at LAN, 9/06) and ANA201610020 (HOU at ANA, 10/02): Pinnacle
      does not list them.
    * SLN201607201 (SDN at SLN) and NYN201607261 (SLN at NYN): the workbook lists only
      one game of each doubleheader (game 2, by its final score), numbered 0.

    Beyond Retrosheet: 35 postseason games (in Pinnacle and the workbook), the All-Star
    game NLS201607120 (Pinnacle only) and PIT201606060 (NYN at PIT, 6/06, workbook only,
    no final score: rained out and played in the 6/07 doubleheader).

    Repairs: 14 workbook games re-numbered by final score: six doubleheaders listed in
    the other order (BAL 5/07, CHN 5/11, WAS 5/14, CHA 5/23, BAL 6/25, MIN 9/22) and the
    two single listings above. Conflicts: six workbook final scores that miss runs of
    the ninth or extra innings (ARI 9/09, BAL 9/04, CHA 7/23, DET 6/24, NYN 9/02,
    PHI 9/02); Retrosheet's scores are kept.
    """
    games = real_2016.games
    assert len(games) == 2465
    assert games["game_id"].is_unique
    assert games["sources"].value_counts().to_dict() == {
        "pinnacle,retrosheet,sbr": 2424,
        "pinnacle,sbr": 35,
        "pinnacle,retrosheet": 2,
        "retrosheet,sbr": 2,
        "pinnacle": 1,
        "sbr": 1,
    }
    assert games["status"].value_counts().to_dict() == {"final": 2464, "postponed": 1}
    retro_ids = set(retrosheet_2016.games["game_id"])
    in_retro = games[games["game_id"].isin(retro_ids)]
    assert len(in_retro) == 2428
    assert in_retro["start_time_utc"].isna().sum() == 2
    assert (in_retro["away_pitcher"].str.contains(" ")).all()  # Retrosheet's full names

    unmatched = real_2016.unmatched
    from_retro = unmatched[unmatched["source"] == "retrosheet"]
    assert sorted(zip(from_retro["game_id"], from_retro["missing_from"], strict=True)) == [
        ("ANA201610020", "pinnacle"),
        ("LAN201609060", "pinnacle"),
        ("NYN201607261", "sbr"),
        ("SLN201607201", "sbr"),
    ]
    postseason = unmatched["reason"].str.contains("postseason game")
    assert unmatched[postseason].groupby("source").size().to_dict() == {"pinnacle": 35, "sbr": 35}
    others = unmatched[~postseason & (unmatched["source"] != "retrosheet")]
    assert sorted(zip(others["source"], others["game_id"], strict=True)) == [
        ("pinnacle", "NLS201607120"),
        ("pinnacle", "NYN201607261"),
        ("pinnacle", "SLN201607201"),
        ("sbr", "ANA201610020"),
        ("sbr", "LAN201609060"),
        ("sbr", "PIT201606060"),
    ]


@pytest.mark.archive
def test_real_2016_repairs_and_conflicts(real_2016) -> None:
    repairs = real_2016.repairs
    assert len(repairs) == 14 and set(repairs["source"]) == {"sbr"}
    assert set(repairs["method"]) == {"matched by final score"}
    singles = repairs[repairs["original_game_id"].str.endswith("0")]
    assert dict(zip(singles["original_game_id"], singles["game_id"], strict=True)) == {
        "NYN201607260": "NYN201607262",
        "SLN201607200": "SLN201607202",
    }
    conflicts = real_2016.conflicts
    assert conflicts["game_id"].tolist() == [
        "ARI201609090",
        "BAL201609040",
        "CHA201607230",
        "DET201606240",
        "NYN201609020",
        "PHI201609020",
    ]
    assert (conflicts["retrosheet"] == conflicts["pinnacle"]).all()
    assert (conflicts["chosen"] == conflicts["retrosheet"]).all()


def test_renumbering_never_merges_two_games() -> None:
    # The workbook holds a second BAL game that day against another visitor, already
    # numbered 2: moving the TEX game to 2 would collide, so it is left as it is.
    retro = _games([("BAL201605071", "TEX", 8, 4), ("BAL201605072", "TEX", 2, 5)], "retrosheet")
    sbr = _games([("BAL201605070", "TEX", 2, 5), ("BAL201605072", "NYA", 1, 1)], "sbr")
    result = reconcile_games(retro, None, sbr)
    assert result.repairs.empty
    assert result.games["game_id"].is_unique
    assert set(result.unmatched["game_id"]) == {"BAL201605070", "BAL201605071"}
    # Same id, different visitor: a conflict to look at, not a silent merge.
    conflicts = result.conflicts.set_index("field")
    assert conflicts.loc["away_team", ["retrosheet", "sbr"]].tolist() == ["TEX", "NYA"]


def test_neutral_site_is_true_when_any_source_says_so() -> None:
    retro = _games([("BOS201906290", "NYA", 17, 13), ("BOS201907010", "TOR", 5, 4)], "retrosheet")
    retro["neutral_site"] = [True, False]
    sbr = _games([("BOS201906290", "NYA", 17, 13), ("BOS201907010", "TOR", 5, 4)], "sbr")
    sbr["neutral_site"] = [False, False]
    pinnacle = _games([("BOS201907010", "TOR", 5, 4)], "pinnacle")  # cannot tell
    games = reconcile_games(retro, pinnacle, sbr).games.set_index("game_id")
    assert games["neutral_site"].to_dict() == {"BOS201906290": True, "BOS201907010": False}
    assert games["neutral_site"].dtype == bool
    only_workbook = sbr.assign(neutral_site=[True, False])
    games = reconcile_games(None, None, only_workbook).games
    assert games["neutral_site"].tolist() == [True, False]
    assert list(games.columns) == GAME_COLUMNS
