"""Progress lines: a bar redrawn in place on a terminal, one plain line per step elsewhere."""

from __future__ import annotations

import io

from mlb_assets.lib.progress import StepProgress, bar, elapsed_label, phase_done


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_bar_fills_in_proportion() -> None:
    assert bar(0, 4, width=8) == "[--------]"
    assert bar(2, 4, width=8) == "[####----]"
    assert bar(4, 4, width=8) == "[########]"
    assert bar(9, 4, width=8) == "[########]"
    assert bar(3, 0, width=8) == "[--------]"  # the total is not known yet


def test_elapsed_reads_in_seconds_then_minutes() -> None:
    assert elapsed_label(42.9) == "42s"
    assert elapsed_label(185) == "3m05s"


def test_plain_lines_when_not_on_a_terminal() -> None:
    stream, clock = io.StringIO(), Clock()
    progress = StepProgress("season", total=4, stream=stream, clock=clock)
    assert progress.interactive is False  # a StringIO is not a terminal
    clock.now += 12
    progress.advance(1, "games done")
    progress.advance(1, "games done")  # no new step: no new line
    clock.now += 65
    progress.advance(2, "odds_snapshots done")
    progress.close()
    lines = stream.getvalue().splitlines()
    assert lines == [
        "  season [######------------------] 1/4 steps, games done (12s)",
        "  season [############------------] 2/4 steps, odds_snapshots done (1m17s)",
    ]
    assert "\r" not in stream.getvalue()


def test_one_line_redrawn_on_a_terminal() -> None:
    stream, clock = io.StringIO(), Clock()
    progress = StepProgress("models", total=2, stream=stream, interactive=True, clock=clock)
    progress.advance(1, "h2o_model done")
    progress.advance(2, "champion done")
    progress.close()
    text = stream.getvalue()
    assert text.count("\r") == 2 and text.endswith("\n") and text.count("\n") == 1
    assert text.rstrip().endswith("2/2 steps, champion done (0s)")


def test_phase_done_names_what_it_produced() -> None:
    assert phase_done("history", 190.4, {"games": 14_789, "odds_snapshots": 0}) == (
        "history done in 3m10s: 14,789 games, 0 odds_snapshots"
    )
    assert phase_done("models", 5) == "models done in 5s"
