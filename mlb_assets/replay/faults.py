"""Faults the replay server serves on purpose: error statuses, slow, truncated and HTML
answers, the way the real service and its proxies fail."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

FaultKind = Literal["status", "slow", "truncated", "html"]
FAULT_KINDS: tuple[str, ...] = ("status", "slow", "truncated", "html")


# --- faults --------------------------------------------------------------------------


@dataclass(frozen=True)
class Fault:
    """A failure the next ``count`` API requests get instead of (or on top of) an answer.

    * ``status``: that HTTP status (e.g. 429, 500, 503) with a JSON message and, when
      ``retry_after`` is set, a ``Retry-After`` header (seconds).
    * ``slow``: the normal answer after ``seconds`` (makes a client time out).
    * ``truncated``: the normal status and headers, the JSON body cut in half.
    * ``html``: 200 with an HTML error page, as a misbehaving proxy sends.
    """

    kind: FaultKind
    count: int = 1
    status: int = 500
    retry_after: float | None = None
    seconds: float = 0.0

    def __post_init__(self) -> None:
        if self.kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {self.kind!r}; expected one of {FAULT_KINDS}")
        if self.count < 1:
            raise ValueError("a fault's count must be >= 1")
        if self.kind == "status" and not 400 <= self.status <= 599:
            raise ValueError("a status fault needs an HTTP error status (400-599)")
        if self.seconds < 0 or (self.retry_after is not None and self.retry_after < 0):
            raise ValueError("seconds and retry_after must be >= 0")

    @classmethod
    def from_json(cls, spec: dict[str, Any]) -> Fault:
        """A fault from the control endpoint's JSON (unknown fields are an error)."""
        if not isinstance(spec, dict):
            raise ValueError("a fault is a JSON object")
        unknown = set(spec) - {"kind", "count", "status", "retry_after", "seconds"}
        if unknown:
            raise ValueError(f"unknown fault fields {sorted(unknown)}")
        return cls(**spec)


class _ApiProblem(Exception):
    """An API-level error answered with the API's JSON error body."""

    def __init__(self, status: int, message: str, error_code: str) -> None:
        super().__init__(message)
        self.status, self.message, self.error_code = status, message, error_code
