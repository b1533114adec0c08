"""Probability metrics against values worked out by hand."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from mlb_assets.lib.models import metrics

Y = [1, 0, 1, 0]
P = [0.8, 0.3, 0.6, 0.1]


def test_log_loss_by_hand() -> None:
    # -(ln 0.8 + ln 0.7 + ln 0.6 + ln 0.9) / 4
    assert metrics.log_loss(Y, P) == pytest.approx(0.2990011586691898, abs=1e-12)


def test_brier_by_hand() -> None:
    # (0.2² + 0.3² + 0.4² + 0.1²) / 4 = (0.04 + 0.09 + 0.16 + 0.01) / 4
    assert metrics.brier(Y, P) == pytest.approx(0.075, abs=1e-12)


def test_auc_perfect_ranking() -> None:
    assert metrics.auc(Y, P) == 1.0


def test_auc_counts_ties_as_half() -> None:
    # positives 0.9, 0.4, 0.2 against negatives 0.9, 0.5:
    # 0.9 ties 0.9 (1/2) and beats 0.5 (1); 0.4 and 0.2 beat neither -> 1.5 / 6 pairs
    assert metrics.auc([1, 0, 1, 0, 1], [0.9, 0.9, 0.4, 0.5, 0.2]) == pytest.approx(0.25)


def test_auc_single_class_is_nan() -> None:
    assert math.isnan(metrics.auc([1, 1, 1], [0.2, 0.5, 0.9]))


def test_missing_rows_are_ignored_and_counted() -> None:
    y = pd.Series([1, None, 0, 1, 0, 1], dtype="Float64")
    p = [0.8, 0.5, 0.3, np.nan, 0.1, 0.6]
    result = metrics.evaluate(y, p)
    assert result["n"] == 4
    assert result["log_loss"] == pytest.approx(0.2990011586691898, abs=1e-12)
    assert result["brier"] == pytest.approx(0.075, abs=1e-12)
    assert result["auc"] == 1.0


def test_probabilities_are_clipped() -> None:
    # a certain miss costs -ln(1e-15), not infinity
    assert metrics.log_loss([1], [0.0]) == pytest.approx(34.538776394910684, rel=1e-12)
    assert metrics.log_loss([0], [0.0]) == pytest.approx(-math.log1p(-1e-15), abs=1e-20)


def test_no_usable_rows() -> None:
    result = metrics.evaluate([None, 1], [0.5, None])
    assert result["n"] == 0
    assert all(math.isnan(result[name]) for name in ("log_loss", "brier", "auc"))


def test_bad_inputs_raise() -> None:
    with pytest.raises(ValueError, match="0 and 1"):
        metrics.log_loss([2, 0], [0.5, 0.5])
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        metrics.brier([1, 0], [1.5, 0.5])
    with pytest.raises(ValueError, match="length"):
        metrics.auc([1, 0, 1], [0.5, 0.5])


def test_calibration_table_by_hand() -> None:
    table = metrics.calibration_table([0, 1, 1, 1, 0], [0.1, 0.2, 0.7, 0.9, 1.0], bins=2)
    assert list(table.columns) == ["bin", "p_mean", "y_rate", "n"]
    assert table["bin"].tolist() == [0, 1]
    assert table["n"].tolist() == [2, 3]
    assert table["p_mean"].tolist() == pytest.approx([0.15, 0.8666666666666664])
    assert table["y_rate"].tolist() == pytest.approx([0.5, 2 / 3])


def test_calibration_table_keeps_empty_bins() -> None:
    table = metrics.calibration_table([1, 0], [0.05, 0.95], bins=4)
    assert table["n"].tolist() == [1, 0, 0, 1]
    assert table.loc[1:2, ["p_mean", "y_rate"]].isna().all().all()
    assert table["n"].sum() == 2
