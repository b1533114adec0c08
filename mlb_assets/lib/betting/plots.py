"""Small PNG charts embedded in markdown, for asset metadata shown in the Dagster UI.

The image travels inside the markdown as a base64 data URI, so the run's metadata is
self-contained and no file server is needed. Figures are kept small (a few tens of KB)
because every materialization stores its metadata in the event log.
"""

from __future__ import annotations

import base64
import io
from types import ModuleType
from typing import TYPE_CHECKING

import pandas as pd

if TYPE_CHECKING:
    from matplotlib.figure import Figure

_SIZE_INCHES = (6.0, 3.0)
_DPI = 80


def bankroll_plot_markdown(curve: pd.DataFrame) -> str:
    """The bankroll at the end of each game date and its running peak."""
    if curve.empty:
        return "No bets settled yet, so there is no bankroll curve to plot."
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=_SIZE_INCHES)
    dates = pd.to_datetime(curve["game_date"])
    ax.plot(dates, curve["bankroll_end"], label="bankroll", color="tab:blue")
    ax.plot(dates, curve["peak"], label="peak", color="tab:gray", linestyle="--", linewidth=1)
    ax.set_ylabel("bankroll")
    ax.legend(loc="best")
    fig.autofmt_xdate()
    return f"![bankroll]({_png_data_uri(fig)})"


def calibration_plot_markdown(calibration: pd.DataFrame) -> str:
    """Observed win rate against mean predicted probability per bin, with the diagonal."""
    if calibration.empty:
        return "No predictions with outcomes yet, so there is no calibration to plot."
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=_SIZE_INCHES)
    ax.plot([0, 1], [0, 1], color="tab:gray", linestyle="--", linewidth=1)
    sizes = 20 + 180 * calibration["n"] / max(float(calibration["n"].max()), 1.0)
    ax.scatter(calibration["p_mean"], calibration["y_rate"], s=sizes, color="tab:blue")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.set_xlabel("mean predicted probability")
    ax.set_ylabel("observed rate")
    return f"![calibration]({_png_data_uri(fig)})"


def _pyplot() -> ModuleType:
    """pyplot on the Agg backend: assets run in worker processes without a display."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _png_data_uri(fig: Figure) -> str:
    """The figure as a base64 PNG data URI; the figure is closed to free its memory."""
    buffer = io.BytesIO()
    try:
        fig.tight_layout()
        fig.savefig(buffer, format="png", dpi=_DPI)
    finally:
        _pyplot().close(fig)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")
