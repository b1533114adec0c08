"""The quarantined share of a date's quotes and the level it reaches."""

from __future__ import annotations

import pytest

from mlb_assets.lib.quality.quarantine import QuarantineShare


def share(quarantined: int, stored: int) -> QuarantineShare:
    return QuarantineShare(quarantined, stored, warn_share=0.02, error_share=0.20)


@pytest.mark.parametrize(
    ("quarantined", "stored", "level"),
    [
        (0, 0, "ok"),  # a day without quotes
        (0, 1000, "ok"),
        (20, 980, "ok"),  # exactly the warn share
        (21, 979, "warn"),
        (200, 800, "warn"),  # exactly the error share
        (201, 799, "error"),
        (5, 0, "error"),  # everything quarantined
    ],
)
def test_levels(quarantined: int, stored: int, level: str) -> None:
    assert share(quarantined, stored).level == level


def test_summary_and_metadata() -> None:
    warned = share(5, 35)
    assert warned.share == pytest.approx(0.125)
    assert warned.summary() == "quarantined 5 of 40 quotes (12.5%; above the warn share 2.0%)"
    assert warned.metadata() == {
        "quarantined": 5,
        "quarantine_share": 0.125,
        "quarantine_warn_share": 0.02,
        "quarantine_error_share": 0.2,
        "quarantine_severity": "WARN",
    }
    assert share(300, 700).summary().endswith("(30.0%; above the error share 20.0%)")
    assert share(0, 10).metadata()["quarantine_severity"] == "OK"


def test_thresholds_are_validated() -> None:
    with pytest.raises(ValueError, match="warn_share <= error_share"):
        QuarantineShare(0, 1, warn_share=0.5, error_share=0.1)
    with pytest.raises(ValueError, match="negative"):
        QuarantineShare(-1, 1, warn_share=0.0, error_share=0.1)
