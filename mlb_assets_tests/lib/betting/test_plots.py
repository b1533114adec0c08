"""Charts come back as markdown with a small, decodable PNG data URI."""

from __future__ import annotations

import base64
import re

import pandas as pd

from mlb_assets.lib.betting.plots import bankroll_plot_markdown, calibration_plot_markdown

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
IMAGE = re.compile(r"^!\[(?P<alt>\w+)\]\(data:image/png;base64,(?P<data>[A-Za-z0-9+/=]+)\)$")


def _png(markdown: str, alt: str) -> bytes:
    match = IMAGE.match(markdown)
    assert match is not None, markdown[:80]
    assert match["alt"] == alt
    return base64.b64decode(match["data"], validate=True)


def test_bankroll_plot_is_a_small_png() -> None:
    curve = pd.DataFrame(
        {
            "game_date": pd.date_range("2024-04-01", periods=30).date,
            "bankroll_start": 1_000.0,
            "profit": 0.0,
            "bankroll_end": [1_000.0 + 5 * (i % 7) - i for i in range(30)],
            "peak": 1_030.0,
            "drawdown": 0.0,
        }
    )
    png = _png(bankroll_plot_markdown(curve), "bankroll")
    assert png.startswith(PNG_SIGNATURE)
    assert len(png) < 60_000


def test_calibration_plot_is_a_small_png() -> None:
    calibration = pd.DataFrame(
        {
            "prob_bin": range(10),
            "p_mean": [0.05 + 0.1 * i for i in range(10)],
            "y_rate": [0.07 + 0.09 * i for i in range(10)],
            "n": [5, 20, 40, 80, 120, 120, 80, 40, 20, 5],
        }
    )
    png = _png(calibration_plot_markdown(calibration), "calibration")
    assert png.startswith(PNG_SIGNATURE)
    assert len(png) < 60_000


def test_empty_inputs_give_a_sentence_not_an_image() -> None:
    for markdown in (
        bankroll_plot_markdown(pd.DataFrame(columns=["game_date", "bankroll_end", "peak"])),
        calibration_plot_markdown(pd.DataFrame(columns=["prob_bin", "p_mean", "y_rate", "n"])),
    ):
        assert "data:" not in markdown and markdown.endswith(".")
