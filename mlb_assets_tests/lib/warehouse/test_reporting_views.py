"""Reporting views: the same numbers on SQLite and Postgres, matching hand-computed ones."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, date, datetime

import pandas as pd
import pytest
import sqlalchemy as sa

from mlb_assets.lib.warehouse import migrate
from mlb_assets.lib.warehouse.engine import create_warehouse_engine
from mlb_assets.lib.warehouse.load import bulk_insert
from mlb_assets.lib.warehouse.odds import write_odds_snapshots
from mlb_assets.lib.warehouse.reporting import (
    REPORTING_VIEWS,
    ReportingView,
    read_view,
    refresh_reporting_views,
    reporting_relation,
)
from mlb_assets.lib.warehouse.schema import (
    bet_ledger,
    betting_gate,
    games,
    model_evidence,
    picks,
    predictions,
    quarantine,
    roi_summary,
)

MATERIALIZED = sorted(name for name, view in REPORTING_VIEWS.items() if view.materialized)


def _ts(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def _games() -> pd.DataFrame:
    rows = [
        ("NYN201604030", 2016, "2016-04-03", "final", 3, 5),
        ("BOS201604040", 2016, "2016-04-04", "final", 4, 2),
        ("CHN201605010", 2016, "2016-05-01", "final", 1, 6),
        ("LAN201605020", 2016, "2016-05-02", "scheduled", None, None),
        ("NYA201704020", 2017, "2017-04-02", "scheduled", None, None),
    ]
    frame = pd.DataFrame(
        rows, columns=["game_id", "season", "game_date", "status", "away_score", "home_score"]
    )
    frame["game_date"] = frame["game_date"].map(date.fromisoformat)
    frame["game_number"] = 0
    frame["away_team"] = "AAA"
    frame["home_team"] = frame["game_id"].str[:3]
    frame["sources"] = "test"
    frame["start_time_utc"] = [_ts(f"{d.isoformat()} 23:05") for d in frame["game_date"]]
    return frame


def _predictions() -> pd.DataFrame:
    rows = [  # game, market, prob, prob_bin, outcome
        ("NYN201604030", "h2h", 0.62, 6, 1),
        ("NYN201604030", "totals", 0.55, 5, 0),
        ("BOS201604040", "h2h", 0.68, 6, 0),
        ("BOS201604040", "totals", 0.58, 5, 1),
        ("CHN201605010", "h2h", 0.71, 7, 1),
        ("CHN201605010", "totals", 0.52, 5, 1),
        ("LAN201605020", "h2h", 0.60, 6, None),  # open game: not in calibration
    ]
    frame = pd.DataFrame(rows, columns=["game_id", "market", "prob", "prob_bin", "outcome"])
    frame["game_date"] = (
        [date(2016, 4, 3)] * 2
        + [date(2016, 4, 4)] * 2
        + [date(2016, 5, 1)] * 2
        + [date(2016, 5, 2)]
    )
    frame["side"] = frame["market"].map({"h2h": "home", "totals": "over"})
    frame["model_name"] = "m"
    frame["model_version"] = "1"
    frame["model_run_id"] = "run"
    frame["in_sample"] = False
    frame["decision_at"] = _ts("2016-04-03 22:05")
    frame["predicted_at"] = [_ts(f"2016-05-0{i} 12:00") for i in range(1, 8)]
    return frame


# bet, game, date, market, tier, stake, result, profit, clv, bankroll_before
_BETS = [
    (1, "NYN201604030", "2016-04-03", "h2h", "A", 100.0, "win", 110.0, 0.02, 1000.0),
    (2, "NYN201604030", "2016-04-03", "totals", "B", 50.0, "loss", -50.0, -0.01, 1000.0),
    (3, "BOS201604040", "2016-04-04", "h2h", "A", 80.0, "push", 0.0, 0.00, 1060.0),
    (4, "BOS201604040", "2016-04-04", "totals", None, 40.0, "loss", -40.0, 0.03, 1060.0),
    (5, "CHN201605010", "2016-05-01", "h2h", "B", 60.0, "void", 0.0, None, 1020.0),
    (6, "CHN201605010", "2016-05-01", "totals", "A", 70.0, "loss", -70.0, -0.02, 1020.0),
    (7, "LAN201605020", "2016-05-02", "h2h", "A", 50.0, None, None, None, 950.0),
]
# Paper bets (the betting gate was closed): settled in the ledger, absent from every money
# view. A big win on a day with money bets, so a view that counted it would show it.
_PAPER_BETS = [
    (20, "NYN201604030", "2016-04-03", "h2h", "A", 10.0, "win", 500.0, 0.05, None),
]


def _ledger(bets: list[tuple], paper: list[tuple] | None = None) -> pd.DataFrame:
    paper = paper or []
    columns = ["bet_id", "game_id", "game_date", "market", "tier", "stake", "result"]
    columns += ["profit", "clv_prob", "bankroll_before"]
    frame = pd.DataFrame([*bets, *paper], columns=columns)
    frame["paper"] = frame["bet_id"].isin([bet[0] for bet in paper])
    frame["bankroll_before"] = frame["bankroll_before"].astype(float)
    frame["game_date"] = frame["game_date"].map(date.fromisoformat)
    frame["month"] = frame["game_date"].map(lambda d: d.strftime("%Y-%m"))
    frame["season"] = frame["game_date"].map(lambda d: d.year)
    frame["side"] = frame["market"].map({"h2h": "home", "totals": "over"})
    frame["book"] = "pinnacle"
    frame["price_american"] = 110
    frame["model_prob"] = 0.6
    frame["market_prob"] = 0.5
    frame["edge"] = 0.1
    frame["stake_fraction"] = (frame["stake"] / frame["bankroll_before"]).fillna(0.01)
    frame["stake_units"] = frame["stake"] / 10
    frame["model_version"] = "1"
    frame["odds_snapshot_id"] = frame["bet_id"] + 100
    frame["placed_at"] = [_ts(f"{d.isoformat()} 22:05") for d in frame["game_date"]]
    frame["settled_at"] = [
        None if result is None else _ts(f"{d.isoformat()} 23:59")
        for d, result in zip(frame["game_date"], frame["result"], strict=True)
    ]
    return frame


def _roi_summary() -> pd.DataFrame:
    rows = [
        ("all", "all", 5, 340.0, -50.0, -50 / 340, -0.5, 0.3),
        ("tier", "A", 3, 250.0, 40.0, 0.16, -0.2, 0.5),
        ("tier", "B", 1, 50.0, -50.0, -1.0, -1.0, -0.3),
        ("market", "h2h", 2, 180.0, 110.0, 110 / 180, -0.1, 0.9),
        ("month", "2016-04", 4, 270.0, 20.0, 20 / 270, -0.4, 0.6),
    ]
    # The paper ledger's rows have the same keys: the views must not pick them up.
    paper = [("tier", "A", 1, 10.0, 500.0, 50.0, 49.0, 51.0)]
    columns = ["scope", "key", "bets", "staked", "profit", "roi", "roi_ci_low", "roi_ci_high"]
    frame = pd.concat(
        [
            pd.DataFrame(rows, columns=columns).assign(ledger="money"),
            pd.DataFrame(paper, columns=columns).assign(ledger="paper"),
        ],
        ignore_index=True,
    )
    frame["computed_at"] = _ts("2016-05-03 06:00")
    return frame


def _evidence() -> pd.DataFrame:
    """Two evidence rows of version 3 of model m: the gate used the older one."""
    numbers = {
        "n_games": [400, 500],
        "model_log_loss": [0.68, 0.67],
        "market_log_loss": [0.69, 0.69],
        "diff_mean": [-0.01, -0.02],
        "diff_ci_low": [-0.02, -0.03],
        "diff_ci_high": [-0.001, -0.01],
        "edge_probability": [0.99, 1.0],
        "calibration_slope": [0.9, 0.95],
        "calibration_intercept": [0.01, 0.0],
        "mean_gap": [0.0, 0.001],
    }
    frame = pd.DataFrame({"evaluation_id": ["e1", "e2"], **numbers})
    return frame.assign(
        model_name="m",
        model_version="3",
        target="home_win",
        season=2016,
        created_at=[_ts("2016-05-01 06:00"), _ts("2016-05-02 06:00")],
    )


def _gates() -> pd.DataFrame:
    """Model m's gate open on evidence e1; model n closed without evidence."""
    return pd.DataFrame(
        {
            "model_name": ["m", "n"],
            "model_version": ["3", "1"],
            "gate_open": [True, False],
            "max_log_loss_diff": [0.0, 0.0],
            "evaluation_id": ["e1", None],
            "evidence_weight": [0.7, None],
            "reason": ["proven edge", "no evidence recorded for n v1"],
            "checked_at": [_ts("2016-05-01 20:00")] * 2,
            "changed_at": [_ts("2016-05-01 20:00"), _ts("2016-04-01 20:00")],
        }
    )


def _snapshots() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "snapshot_id": [1, 2],
            "game_id": "NYN201604030",
            "game_date": date(2016, 4, 3),
            "book": "pinnacle",
            "market": "h2h",
            "side": "home",
            "price_american": [-120, -125],
            "captured_at": [_ts("2016-04-03 20:00"), _ts("2016-04-03 21:30")],
            "source": "test",
        }
    )


# pick, game, date, market, side, edge, is_bet. Picks 1-7 became bets 1-7 of the ledger
# (bet_id = pick_id); the rest are the other sides, not bet. Edge -0.07 scales to
# -7.000000000000001: it must still land in bin -0.07.
_PICKS = [
    (1, "NYN201604030", "2016-04-03", "h2h", "home", 0.034, True),
    (2, "NYN201604030", "2016-04-03", "totals", "over", 0.021, True),
    (3, "BOS201604040", "2016-04-04", "h2h", "home", 0.038, True),
    (4, "BOS201604040", "2016-04-04", "totals", "over", 0.052, True),
    (5, "CHN201605010", "2016-05-01", "h2h", "home", 0.025, True),
    (6, "CHN201605010", "2016-05-01", "totals", "over", 0.029, True),
    (7, "LAN201605020", "2016-05-02", "h2h", "home", 0.031, True),
    (11, "NYN201604030", "2016-04-03", "h2h", "away", -0.034, False),
    (12, "NYN201604030", "2016-04-03", "totals", "under", -0.004, False),
    (13, "BOS201604040", "2016-04-04", "h2h", "away", 0.005, False),
    (14, "LAN201605020", "2016-05-02", "h2h", "away", -0.031, False),
    (16, "CHN201605010", "2016-05-01", "totals", "under", -0.07, False),
    # The paper bet 20 (a win of 500 on paper): a bet in its bin, no money settled there.
    (20, "NYN201604030", "2016-04-03", "h2h", "home", 0.035, True),
]


def _picks() -> pd.DataFrame:
    columns = ["pick_id", "game_id", "game_date", "market", "side", "edge", "is_bet"]
    frame = pd.DataFrame(_PICKS, columns=columns)
    frame["game_date"] = frame["game_date"].map(date.fromisoformat)
    frame["point"] = None
    frame["market_prob"] = 0.5
    frame["model_prob"] = frame["market_prob"] + frame["edge"]
    frame["expected_value"] = frame["edge"] * 2
    frame["kelly_full"] = frame["edge"].clip(lower=0) * 2
    frame["stake_fraction"] = frame["kelly_full"] / 4
    frame["tier"] = None
    frame["price_american"] = 100
    frame["book"] = "pinnacle"
    frame["odds_snapshot_id"] = frame["pick_id"] + 100
    frame["quoted_at"] = [_ts(f"{d.isoformat()} 21:30") for d in frame["game_date"]]
    frame["decision_at"] = [_ts(f"{d.isoformat()} 22:05") for d in frame["game_date"]]
    frame["model_name"] = "m"
    frame["model_version"] = "1"
    frame["paper"] = frame["pick_id"].isin([bet[0] for bet in _PAPER_BETS])
    return frame


# id, asset, game date (None: unreadable), reason
_QUARANTINE = [
    (1, "odds_snapshots", "2016-04-03", "price is not an American price"),
    (2, "odds_snapshots", "2016-04-05", "price is not an American price"),
    (3, "odds_snapshots", None, "unknown team"),
    (4, "games", "2016-05-01", "unknown team"),
]


def _quarantine() -> pd.DataFrame:
    frame = pd.DataFrame(_QUARANTINE, columns=["quarantine_id", "asset", "game_date", "reason"])
    frame["game_date"] = [None if d is None else date.fromisoformat(d) for d in frame["game_date"]]
    frame["source"] = "test"
    frame["source_ref"] = "fixture"
    frame["record"] = [{"row": int(i)} for i in frame["quarantine_id"]]
    return frame


def loaded_warehouse(url: str) -> sa.Engine:
    """A migrated warehouse holding the hand-built rows, views refreshed.

    The Grafana dashboard tests run their SQL panels against it too.
    """
    engine = create_warehouse_engine(url)
    migrate.upgrade(engine)
    with engine.begin() as connection:
        bulk_insert(connection, games, _games())
    # Through the project's write path: the rows and their per-day counts together.
    day = date(2016, 4, 3)
    write_odds_snapshots(engine, _snapshots(), pd.DataFrame(), day, day)
    with engine.begin() as connection:
        bulk_insert(connection, predictions, _predictions())
        bulk_insert(connection, picks, _picks())
        bulk_insert(connection, bet_ledger, _ledger(_BETS, _PAPER_BETS))
        bulk_insert(connection, model_evidence, _evidence())
        bulk_insert(connection, betting_gate, _gates())
        bulk_insert(connection, quarantine, _quarantine())
        bulk_insert(connection, roi_summary, _roi_summary())
        refresh_reporting_views(connection)
    return engine


def _read(engine: sa.Engine, name: str) -> pd.DataFrame:
    with engine.connect() as connection:
        return read_view(connection, name)


def _by(frame: pd.DataFrame, key: str) -> dict[object, dict[str, object]]:
    return {row[key]: row for row in frame.to_dict("records")}


def _none(value: object) -> bool:
    return value is None or (isinstance(value, float) and pd.isna(value))


@pytest.fixture
def loaded(warehouse_url: str) -> sa.Engine:
    return loaded_warehouse(warehouse_url)


# --- the same rows on both databases ----------------------------------------------------


@pytest.mark.postgres
def test_every_view_reads_the_same_on_sqlite_and_postgres(
    sqlite_url: str, postgres_url: str
) -> None:
    lite, pg = loaded_warehouse(sqlite_url), loaded_warehouse(postgres_url)
    for name, view in REPORTING_VIEWS.items():
        key = list(view.unique_key)
        left = _read(lite, name).sort_values(key).reset_index(drop=True)
        right = _read(pg, name).sort_values(key).reset_index(drop=True)
        assert len(left) > 0, name
        pd.testing.assert_frame_equal(
            left, right, check_dtype=False, check_exact=False, rtol=1e-9, obj=name
        )


def test_views_expose_exactly_their_contract(loaded: sa.Engine) -> None:
    with loaded.connect() as connection:
        for name, view in REPORTING_VIEWS.items():
            relation = reporting_relation(connection.dialect.name, name)
            result = connection.exec_driver_sql(f"SELECT * FROM {relation}")
            assert tuple(result.keys()) == view.columns, name


def test_sql_headers_document_every_column() -> None:
    for name, view in REPORTING_VIEWS.items():
        header = "\n".join(
            line for line in view.sql().splitlines() if line.lstrip().startswith("--")
        )
        documented = set(re.findall(r"^--\s+(\w+)\s", header, flags=re.MULTILINE))
        assert set(view.columns) <= documented, name


def test_relation_names_per_dialect() -> None:
    assert reporting_relation("postgresql", "roi_daily") == "reporting.roi_daily"
    assert reporting_relation("sqlite", "roi_daily") == "reporting_roi_daily"
    with pytest.raises(KeyError):
        reporting_relation("sqlite", "bet_ledger; DROP TABLE games")


# --- hand-computed expectations, on each database --------------------------------------


def test_season_summary(loaded: sa.Engine) -> None:
    rows = _by(_read(loaded, "season_summary"), "season")
    assert rows[2016]["games"] == 4
    assert rows[2016]["final_games"] == 3
    assert rows[2016]["first_game_date"] == date(2016, 4, 3)
    assert rows[2016]["last_game_date"] == date(2016, 5, 2)
    assert rows[2016]["home_win_rate"] == pytest.approx(2 / 3)
    assert rows[2017]["final_games"] == 0
    assert _none(rows[2017]["home_win_rate"])


def test_data_freshness(loaded: sa.Engine) -> None:
    rows = _by(_read(loaded, "data_freshness"), "table_name")
    assert set(rows) == {"odds_snapshots", "games", "predictions", "picks", "bet_ledger"}
    assert rows["odds_snapshots"]["row_count"] == 2
    assert rows["odds_snapshots"]["newest_row_at"] == pd.Timestamp("2016-04-03 21:30", tz="UTC")
    assert rows["games"]["newest_row_at"] == pd.Timestamp("2017-04-02 23:05", tz="UTC")
    assert rows["predictions"]["newest_row_at"] == pd.Timestamp("2016-05-07 12:00", tz="UTC")
    assert rows["bet_ledger"]["row_count"] == len(_BETS) + len(_PAPER_BETS)
    assert rows["bet_ledger"]["newest_row_at"] == pd.Timestamp("2016-05-01 23:59", tz="UTC")
    assert rows["picks"]["row_count"] == len(_PICKS)
    assert rows["picks"]["newest_row_at"] == pd.Timestamp("2016-05-02 22:05", tz="UTC")
    # A plain view: an emptied table shows at once, with no newest row.
    with loaded.begin() as connection:
        connection.execute(sa.delete(picks))
    rows = _by(_read(loaded, "data_freshness"), "table_name")
    assert rows["picks"]["row_count"] == 0
    assert pd.isna(rows["picks"]["newest_row_at"])


def test_roi_daily(loaded: sa.Engine) -> None:
    frame = _read(loaded, "roi_daily")
    totals = frame[["bets", "settled", "wins", "losses", "pushes", "voids", "pending"]].sum()
    assert totals.to_dict() == {
        "bets": 7,
        "settled": 5,
        "wins": 1,
        "losses": 3,
        "pushes": 1,
        "voids": 1,
        "pending": 1,
    }
    assert frame["staked"].sum() == pytest.approx(340.0)
    assert frame["profit"].sum() == pytest.approx(-50.0)
    rows = _by(frame, "game_date")
    assert rows[date(2016, 4, 3)]["roi"] == pytest.approx(60 / 150)
    assert rows[date(2016, 4, 4)]["roi"] == pytest.approx(-40 / 120)
    # The void bet's stake stays out: only the 70 lost counts.
    assert rows[date(2016, 5, 1)]["staked"] == pytest.approx(70.0)
    assert rows[date(2016, 5, 1)]["roi"] == pytest.approx(-1.0)
    only_pending = rows[date(2016, 5, 2)]
    assert (only_pending["pending"], only_pending["staked"]) == (1, 0.0)
    assert _none(only_pending["roi"])


def test_roi_by_tier(loaded: sa.Engine) -> None:
    rows = _by(_read(loaded, "roi_by_tier"), "tier")
    assert set(rows) == {"A", "B", "untiered"}
    a = rows["A"]
    assert (a["bets"], a["settled"], a["wins"], a["losses"], a["pushes"]) == (4, 3, 1, 1, 1)
    assert a["staked"] == pytest.approx(250.0)
    assert a["profit"] == pytest.approx(40.0)
    assert a["roi"] == pytest.approx(0.16)
    assert a["win_rate"] == pytest.approx(0.5)
    assert a["clv_mean"] == pytest.approx(0.0, abs=1e-12)
    assert (a["roi_ci_low"], a["roi_ci_high"]) == pytest.approx((-0.2, 0.5))
    b = rows["B"]
    assert (b["bets"], b["settled"], b["staked"], b["roi"], b["win_rate"]) == (
        2,
        1,
        pytest.approx(50.0),
        pytest.approx(-1.0),
        pytest.approx(0.0),
    )
    assert b["clv_mean"] == pytest.approx(-0.01)
    untiered = rows["untiered"]
    assert (untiered["bets"], untiered["profit"]) == (1, pytest.approx(-40.0))
    assert _none(untiered["roi_ci_low"]) and _none(untiered["roi_ci_high"])


def test_roi_by_market_and_month(loaded: sa.Engine) -> None:
    markets = _by(_read(loaded, "roi_by_market"), "market")
    assert markets["h2h"]["roi"] == pytest.approx(110 / 180)
    assert markets["h2h"]["win_rate"] == pytest.approx(1.0)
    assert markets["h2h"]["roi_ci_high"] == pytest.approx(0.9)
    assert markets["totals"]["roi"] == pytest.approx(-1.0)
    assert _none(markets["totals"]["roi_ci_low"])
    months = _by(_read(loaded, "roi_by_month"), "month")
    assert months["2016-04"]["staked"] == pytest.approx(270.0)
    assert months["2016-04"]["roi_ci_low"] == pytest.approx(-0.4)
    assert months["2016-05"]["profit"] == pytest.approx(-70.0)


def test_clv_summary(loaded: sa.Engine) -> None:
    rows = _by(_read(loaded, "clv_summary"), "market")
    assert set(rows) == {"h2h", "totals", "all"}
    everything = rows["all"]
    assert (everything["bets"], everything["clv_bets"]) == (7, 5)
    assert everything["clv_mean"] == pytest.approx(0.004)
    assert everything["clv_positive_share"] == pytest.approx(2 / 5)
    assert (everything["clv_min"], everything["clv_max"]) == pytest.approx((-0.02, 0.03))
    assert rows["h2h"]["clv_positive_share"] == pytest.approx(0.5)


def test_calibration(loaded: sa.Engine) -> None:
    frame = _read(loaded, "calibration")
    rows = {(r["market"], r["prob_bin"]): r for r in frame.to_dict("records")}
    assert set(rows) == {("h2h", 6), ("h2h", 7), ("totals", 5)}
    assert rows[("h2h", 6)]["n"] == 2, "the open game's prediction must not count"
    assert rows[("h2h", 6)]["p_mean"] == pytest.approx(0.65)
    assert rows[("h2h", 6)]["outcome_rate"] == pytest.approx(0.5)
    assert rows[("totals", 5)]["p_mean"] == pytest.approx(0.55)
    assert rows[("totals", 5)]["outcome_rate"] == pytest.approx(2 / 3)


def test_bankroll_curve(loaded: sa.Engine) -> None:
    # A later day that sets a new peak: earlier rows must keep the peak known at their date.
    recovery = (9, "NYA201704020", "2017-04-02", "h2h", "A", 200.0, "win", 180.0, None, 950.0)
    with loaded.begin() as connection:
        bulk_insert(connection, bet_ledger, _ledger([recovery]))
        refresh_reporting_views(connection)
    frame = _read(loaded, "bankroll_curve")
    assert frame["game_date"].tolist() == [
        date(2016, 4, 3),
        date(2016, 4, 4),
        date(2016, 5, 1),
        date(2016, 5, 2),
        date(2017, 4, 2),
    ]
    assert frame["bankroll_start"].tolist() == pytest.approx([1000.0, 1060.0, 1020.0, 950.0, 950.0])
    assert frame["profit"].tolist() == pytest.approx([60.0, -40.0, -70.0, 0.0, 180.0])
    assert frame["bankroll_end"].tolist() == pytest.approx([1060.0, 1020.0, 950.0, 950.0, 1130.0])
    assert frame["peak"].tolist() == pytest.approx([1060.0] * 4 + [1130.0])
    assert frame["drawdown"].tolist() == pytest.approx(
        [0.0, 1020 / 1060 - 1, 950 / 1060 - 1, 950 / 1060 - 1, 0.0]
    )


def test_edge_distribution(loaded: sa.Engine) -> None:
    frame = _read(loaded, "edge_distribution")
    rows = {(r["market"], round(r["edge_bin"], 6)): r for r in frame.to_dict("records")}
    assert set(rows) == {
        ("h2h", -0.04),
        ("h2h", 0.0),
        ("h2h", 0.02),
        ("h2h", 0.03),
        ("totals", -0.07),
        ("totals", -0.01),
        ("totals", 0.02),
        ("totals", 0.05),
    }
    assert frame["picks"].sum() == len(_PICKS)
    assert frame["bets"].sum() == 8
    # Bets 1 (win 110 on 100), 3 (push on 80), 7 (pending) and the paper bet 20, whose
    # paper win is not money: it counts as a bet, not as settled, staked or profit.
    h2h = rows[("h2h", 0.03)]
    assert (h2h["picks"], h2h["bets"], h2h["settled"]) == (4, 4, 2)
    assert h2h["edge_mean"] == pytest.approx((0.034 + 0.038 + 0.031 + 0.035) / 4)
    assert (h2h["staked"], h2h["profit"]) == (pytest.approx(180.0), pytest.approx(110.0))
    assert h2h["roi"] == pytest.approx(110 / 180)
    # Bet 5 was voided: a bet, but nothing settled or staked.
    void = rows[("h2h", 0.02)]
    assert (void["picks"], void["bets"], void["settled"], void["staked"]) == (1, 1, 0, 0.0)
    assert _none(void["roi"])
    # -0.034 and -0.031 both floor to -0.04; neither was bet.
    away = rows[("h2h", -0.04)]
    assert (away["picks"], away["bets"], away["settled"], away["profit"]) == (2, 0, 0, 0.0)
    assert away["edge_mean"] == pytest.approx(-0.0325)
    # Bets 2 (0.021, lost 50) and 6 (0.029, lost 70).
    totals = rows[("totals", 0.02)]
    assert (totals["picks"], totals["bets"], totals["settled"]) == (2, 2, 2)
    assert (totals["staked"], totals["profit"]) == (pytest.approx(120.0), pytest.approx(-120.0))
    assert totals["roi"] == pytest.approx(-1.0)
    assert rows[("totals", 0.05)]["roi"] == pytest.approx(-1.0)
    assert rows[("totals", -0.07)]["edge_mean"] == pytest.approx(-0.07)
    assert rows[("totals", -0.01)]["edge_mean"] == pytest.approx(-0.004)


def test_betting_gate(loaded: sa.Engine) -> None:
    rows = _by(_read(loaded, "betting_gate"), "model_name")
    assert set(rows) == {"m", "n"}
    # The evidence the decision used, not the newer row recorded since.
    assert rows["m"]["evaluation_id"] == "e1"
    assert rows["m"]["diff_ci_high"] == pytest.approx(-0.001)
    assert rows["m"]["evidence_at"] == pd.Timestamp("2016-05-01 06:00", tz="UTC")
    assert bool(rows["m"]["gate_open"]) and not bool(rows["n"]["gate_open"])
    assert _none(rows["n"]["n_games"]) and _none(rows["n"]["evidence_weight"])


def test_quarantine_summary(loaded: sa.Engine) -> None:
    frame = _read(loaded, "quarantine_summary")
    rows = {(r["asset"], r["reason"]): r for r in frame.to_dict("records")}
    assert set(rows) == {
        ("games", "unknown team"),
        ("odds_snapshots", "price is not an American price"),
        ("odds_snapshots", "unknown team"),
    }
    price = rows[("odds_snapshots", "price is not an American price")]
    assert price["row_count"] == 2
    assert (price["first_game_date"], price["last_game_date"]) == (
        date(2016, 4, 3),
        date(2016, 4, 5),
    )
    games_row = rows[("games", "unknown team")]
    assert games_row["row_count"] == 1
    assert games_row["first_game_date"] == games_row["last_game_date"] == date(2016, 5, 1)
    undated = rows[("odds_snapshots", "unknown team")]
    assert undated["row_count"] == 1
    assert pd.isna(undated["first_game_date"]) and pd.isna(undated["last_game_date"])
    # A plain view on both databases: a new quarantined row shows at once, no refresh.
    extra = _quarantine().iloc[[3]].assign(quarantine_id=5, game_date=date(2016, 5, 9))
    with loaded.begin() as connection:
        bulk_insert(connection, quarantine, extra)
    rows = _by(_read(loaded, "quarantine_summary").query("asset == 'games'"), "reason")
    assert rows["unknown team"]["row_count"] == 2
    assert rows["unknown team"]["last_game_date"] == date(2016, 5, 9)


# --- refreshing ---------------------------------------------------------------------------


def _more_bets() -> pd.DataFrame:
    return _ledger([(8, "NYA201704020", "2017-04-02", "h2h", "A", 30.0, "win", 27.0, 0.01, 950.0)])


@pytest.mark.postgres
def test_postgres_views_change_only_on_refresh(postgres_url: str) -> None:
    engine = loaded_warehouse(postgres_url)
    with engine.begin() as connection:
        bulk_insert(connection, bet_ledger, _more_bets())
    assert date(2017, 4, 2) not in set(_read(engine, "roi_daily")["game_date"])
    assert (
        _read(engine, "data_freshness").set_index("table_name").at["bet_ledger", "row_count"]
        == len(_BETS) + len(_PAPER_BETS) + 1
    )
    with engine.begin() as connection:
        timings = refresh_reporting_views(connection)
    assert sorted(timings) == MATERIALIZED
    assert all(seconds >= 0 for seconds in timings.values())
    rows = _by(_read(engine, "roi_daily"), "game_date")
    assert rows[date(2017, 4, 2)]["profit"] == pytest.approx(27.0)
    assert _read(engine, "bankroll_curve")["game_date"].max() == date(2017, 4, 2)


@pytest.mark.postgres
def test_concurrent_refresh_twice_in_a_row(postgres_url: str) -> None:
    engine = loaded_warehouse(postgres_url)
    before = _read(engine, "roi_by_tier")
    for _ in range(2):
        with engine.begin() as connection:
            assert sorted(refresh_reporting_views(connection)) == MATERIALIZED
    pd.testing.assert_frame_equal(_read(engine, "roi_by_tier"), before)


def test_sqlite_views_are_live_and_refresh_is_a_no_op(sqlite_url: str) -> None:
    engine = loaded_warehouse(sqlite_url)
    with engine.begin() as connection:
        bulk_insert(connection, bet_ledger, _more_bets())
        assert refresh_reporting_views(connection) == {}
    assert date(2017, 4, 2) in set(_read(engine, "roi_daily")["game_date"])


# --- migration -------------------------------------------------------------------------


def _postgres_reporting_relations(engine: sa.Engine) -> dict[str, str]:
    statement = sa.text(
        "SELECT c.relname, c.relkind FROM pg_class AS c "
        "JOIN pg_namespace AS n ON n.oid = c.relnamespace "
        "WHERE n.nspname = 'reporting' AND c.relkind IN ('v', 'm')"
    )
    with engine.connect() as connection:
        return dict(connection.execute(statement).tuples().all())


def _expected_kinds() -> dict[str, str]:
    return {name: "m" if v.materialized else "v" for name, v in REPORTING_VIEWS.items()}


@pytest.mark.postgres
def test_postgres_migration_round_trip(postgres_url: str) -> None:
    engine = create_warehouse_engine(postgres_url)
    migrate.upgrade(engine)
    assert _postgres_reporting_relations(engine) == _expected_kinds()
    migrate.downgrade(engine, "0004")
    assert _postgres_reporting_relations(engine) == {
        "season_summary": "v",
        "data_freshness": "v",
    }, "the downgrade brings back 0001's two views"
    migrate.upgrade(engine)
    assert _postgres_reporting_relations(engine) == _expected_kinds()


def test_sqlite_migration_round_trip(sqlite_url: str) -> None:
    engine = create_warehouse_engine(sqlite_url)
    migrate.upgrade(engine)
    expected = {reporting_relation("sqlite", name) for name in REPORTING_VIEWS}
    assert set(sa.inspect(engine).get_view_names()) == expected
    migrate.downgrade(engine, "0004")
    assert sa.inspect(sa.create_engine(sqlite_url)).get_view_names() == []


_ADDED_IN_0006 = {"edge_distribution", "quarantine_summary"}
_ADDED_IN_0008 = {"betting_gate"}  # reads tables that revision creates


def _view_names(engine: sa.Engine) -> set[str]:
    if engine.dialect.name == "postgresql":
        return set(_postgres_reporting_relations(engine))
    prefix = reporting_relation("sqlite", "roi_daily").removesuffix("roi_daily")
    return {name.removeprefix(prefix) for name in sa.inspect(engine).get_view_names()}


def test_downgrade_to_0005_drops_only_the_views_0006_added(warehouse_url: str) -> None:
    engine = create_warehouse_engine(warehouse_url)
    migrate.upgrade(engine)
    assert _view_names(engine) == set(REPORTING_VIEWS)
    migrate.downgrade(engine, "0005")
    assert _view_names(engine) == set(REPORTING_VIEWS) - _ADDED_IN_0006 - _ADDED_IN_0008
    migrate.upgrade(engine)
    assert _view_names(engine) == set(REPORTING_VIEWS)
    if engine.dialect.name == "postgresql":
        assert _postgres_reporting_relations(engine) == _expected_kinds()


@pytest.mark.postgres
def test_bi_login_reads_the_views_0006_adds(postgres_url: str) -> None:
    from sqlalchemy.engine import make_url

    from mlb_assets.lib.warehouse.bi import ensure_bi_login
    from mlb_assets.lib.warehouse.reporting import create_reporting_views

    engine = loaded_warehouse(postgres_url)
    migrate.downgrade(engine, "0005")  # a warehouse migrated before the two views existed
    login = f"mlb_bi_test_{uuid.uuid4().hex[:10]}"
    with engine.begin() as connection:
        ensure_bi_login(connection, login)
    bi = sa.create_engine(make_url(postgres_url).set(username=login, password=None))
    try:

        def read_as_bi() -> dict[str, int]:
            with bi.connect() as connection:
                return {
                    name: len(connection.exec_driver_sql(f"SELECT * FROM reporting.{name}").all())
                    for name in sorted(_ADDED_IN_0006)
                }

        migrate.upgrade(engine)
        assert read_as_bi() == {"edge_distribution": 8, "quarantine_summary": 3}
        # Recreated without any GRANT: the schema's default privileges cover them.
        with engine.begin() as connection:
            create_reporting_views(connection)
        assert read_as_bi() == {"edge_distribution": 8, "quarantine_summary": 3}
    finally:
        bi.dispose()
        with engine.begin() as connection:
            connection.exec_driver_sql(f'DROP ROLE IF EXISTS "{login}"')


def test_registry_is_consistent() -> None:
    for name, view in REPORTING_VIEWS.items():
        assert isinstance(view, ReportingView) and view.name == name
        assert set(view.unique_key) <= set(view.columns), name
        assert view.sql().lstrip().startswith("--"), f"{name}: header comment missing"
    assert all(REPORTING_VIEWS[name].unique_key for name in MATERIALIZED)
    assert not REPORTING_VIEWS["season_summary"].materialized
    assert not REPORTING_VIEWS["data_freshness"].materialized
    assert not REPORTING_VIEWS["quarantine_summary"].materialized
    assert REPORTING_VIEWS["edge_distribution"].materialized
