"""How far along a long command is: a bar redrawn in place on a terminal, plain lines elsewhere.

A phase of ``mlb-assets demo`` (history, season, models, betting) is one Dagster run of a few
steps, each of which can take minutes. :class:`StepProgress` shows the steps done out of the
run's steps, the step that just finished and the time since the phase began. On a terminal it
redraws one line; in a log file or a pipe (CI, ``nohup``) each finished step is its own line,
so the output stays readable there. :func:`phase_done` is the line that closes a phase.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TextIO

BAR_WIDTH = 24


def bar(done: int, total: int, width: int = BAR_WIDTH) -> str:
    """``[#########---------------]`` for ``done`` of ``total`` (an empty bar when unknown)."""
    filled = 0 if total <= 0 else min(width, round(width * done / total))
    return "[" + "#" * filled + "-" * (width - filled) + "]"


def elapsed_label(seconds: float) -> str:
    """``42s`` under a minute, ``3m05s`` after."""
    whole = int(seconds)
    return f"{whole}s" if whole < 60 else f"{whole // 60}m{whole % 60:02d}s"


@dataclass
class StepProgress:
    """The steps of one run, reported as they finish (``advance``), then closed (``close``)."""

    label: str
    total: int
    stream: TextIO = field(default_factory=lambda: sys.stdout)
    interactive: bool | None = None
    clock: Callable[[], float] = time.monotonic
    done: int = 0

    def __post_init__(self) -> None:
        if self.interactive is None:
            self.interactive = bool(getattr(self.stream, "isatty", lambda: False)())
        self.started = self.clock()

    def line(self, detail: str) -> str:
        seconds = elapsed_label(self.clock() - self.started)
        shown = f"{self.done}/{self.total} steps" if self.total else f"{self.done} steps"
        return f"  {self.label} {bar(self.done, self.total)} {shown}, {detail} ({seconds})"

    def advance(self, done: int, detail: str) -> None:
        """``done`` steps have finished, the last being ``detail``."""
        if done == self.done and self.interactive is False:
            return
        self.done = done
        if self.interactive:
            # Pad so that a shorter line overwrites the whole of the previous one.
            self.stream.write("\r" + self.line(detail).ljust(100))
        else:
            self.stream.write(self.line(detail) + "\n")
        self.stream.flush()

    def close(self) -> None:
        if self.interactive and self.done:
            self.stream.write("\n")
            self.stream.flush()


def phase_done(name: str, seconds: float, counts: Mapping[str, int] | None = None) -> str:
    """The line that closes a phase: its name, wall time and what it produced."""
    parts = ", ".join(f"{value:,} {key}" for key, value in (counts or {}).items())
    return f"{name} done in {elapsed_label(seconds)}" + (f": {parts}" if parts else "")
