"""Both engines on synthetic data: device resolution, artifacts, honest validation metrics."""

from __future__ import annotations

import json
import math
import shutil

import numpy as np
import pandas as pd
import pytest

from mlb_assets.lib.models import metrics
from mlb_assets.lib.models.autogluon_engine import excluded_types, torch_available
from mlb_assets.lib.models.pyfunc import (
    ENGINE_FILE,
    DeviceUnavailableError,
    ModelSpec,
    gpu_visible,
    load_scorer,
    prepare_frames,
    resolve_device,
)
from mlb_assets_tests.lib.models.conftest import FEATURES, TARGET

# AutoGluon's logistic regression passes n_jobs, which this scikit-learn deprecates.
pytestmark = pytest.mark.filterwarnings("ignore:'n_jobs' has no effect:FutureWarning")

# --- device resolution ---------------------------------------------------------------


@pytest.fixture
def hide_gpus():  # type: ignore[no-untyped-def]
    """CUDA_VISIBLE_DEVICES=-1 as the configuration hands it to the process."""
    from mlb_assets.lib.models import pyfunc

    pyfunc.set_cuda_visible_devices("-1")
    yield
    pyfunc.set_cuda_visible_devices(None)


def test_auto_resolves_to_cpu_without_a_gpu(hide_gpus: None) -> None:
    assert gpu_visible() is False
    assert resolve_device("auto") == "cpu"
    assert resolve_device("cpu") == "cpu"


def test_auto_follows_detection_on_this_machine() -> None:
    assert resolve_device("auto") == ("gpu" if gpu_visible() else "cpu")


def test_auto_picks_a_visible_gpu() -> None:
    assert resolve_device("auto", gpu_available=True) == "gpu"
    assert resolve_device("gpu", gpu_available=True) == "gpu"
    assert resolve_device("cpu", gpu_available=True) == "cpu"


def test_gpu_without_a_gpu_is_an_error(hide_gpus: None) -> None:
    with pytest.raises(DeviceUnavailableError, match="no GPU is visible"):
        resolve_device("gpu")
    with pytest.raises(ValueError, match="device must be"):
        resolve_device("tpu")


def test_engines_refuse_gpu_before_training(hide_gpus: None, synthetic, tmp_path):
    """The check comes first: no cluster is started and nothing is fitted."""
    from mlb_assets.lib.models.autogluon_engine import train_autogluon
    from mlb_assets.lib.models.h2o_engine import train_h2o

    train, valid = synthetic
    with pytest.raises(DeviceUnavailableError):
        train_h2o(
            train,
            valid,
            FEATURES,
            TARGET,
            max_runtime_secs=5,
            seed=1,
            device="gpu",
            work_dir=tmp_path,
        )
    with pytest.raises(DeviceUnavailableError):
        train_autogluon(
            train, valid, FEATURES, TARGET, time_limit=5, seed=1, device="gpu", work_dir=tmp_path
        )
    assert list(tmp_path.iterdir()) == []


# --- input checks ----------------------------------------------------------------------


def test_prepare_frames_checks_inputs(synthetic) -> None:
    train, valid = synthetic
    with pytest.raises(ValueError, match="also listed as a feature"):
        prepare_frames(train, valid, [*FEATURES, TARGET], TARGET)
    with pytest.raises(KeyError, match="nope"):
        prepare_frames(train, valid, ["nope"], TARGET)
    bad = train.assign(**{TARGET: 2})
    with pytest.raises(ValueError, match="only 0 and 1"):
        prepare_frames(bad, valid, FEATURES, TARGET)


def test_prepare_frames_drops_rows_without_a_target(synthetic) -> None:
    train, valid = synthetic
    holed = train.astype({TARGET: "float64"})
    holed.loc[:9, TARGET] = np.nan
    prepared, _ = prepare_frames(holed, valid, FEATURES, TARGET)
    assert len(prepared) == len(train) - 10
    assert prepared[TARGET].dtype == np.int64


def test_torch_models_are_excluded_without_torch() -> None:
    excluded = excluded_types(["KNN"])
    assert "KNN" in excluded
    if torch_available():
        assert excluded == ["KNN"]
    else:
        assert {"NN_TORCH", "FASTAI", "TABM", "REALMLP"} <= set(excluded)


# --- trained models ------------------------------------------------------------------


def _check_trained(trained, engine: str, valid: pd.DataFrame) -> None:
    assert trained.engine == engine
    assert trained.device == "cpu"
    assert trained.features == FEATURES
    assert trained.target == TARGET
    assert trained.train_seconds > 0
    assert not trained.leaderboard.empty
    assert set(trained.val_metrics) == {"log_loss", "brier", "auc", "n"}
    assert trained.val_metrics["n"] == len(valid)
    # the synthetic signal is strong: far better than the coin-flip log loss of ln 2
    assert trained.val_metrics["log_loss"] < 0.6 < math.log(2)
    assert trained.val_metrics["auc"] > 0.8
    spec = ModelSpec.read(trained.model_dir)
    assert (spec.engine, spec.features, spec.target) == (engine, FEATURES, TARGET)
    example = trained.input_example
    assert list(example.columns) == FEATURES
    assert all(dtype == np.float64 for dtype in example.dtypes)


def _check_metrics_reproduce(trained, valid: pd.DataFrame) -> None:
    """Scoring the saved directory again gives exactly the logged validation metrics."""
    probs = load_scorer(trained.model_dir)(valid[FEATURES])
    assert probs.shape == (len(valid),)
    assert ((probs > 0) & (probs < 1)).all()
    assert metrics.evaluate(valid[TARGET], probs) == trained.val_metrics


@pytest.mark.slow
def test_h2o_trains_and_saves_a_self_contained_model(h2o_trained, synthetic) -> None:
    _, valid = synthetic
    _check_trained(h2o_trained, "h2o", valid)
    spec = json.loads((h2o_trained.model_dir / ENGINE_FILE).read_text())
    details = spec["details"]
    assert details["artifact"] == "mojo"
    assert details["model_file"].endswith(".zip")
    assert (h2o_trained.model_dir / details["model_file"]).is_file()
    assert (h2o_trained.model_dir / details["genmodel_jar"]).is_file()
    assert details["classes"] == ["0", "1"]
    assert details["column_types"]["f_missing"] == "real"
    assert h2o_trained.params["leader_algo"] in {"glm", "gbm"}
    assert set(h2o_trained.leaderboard["model_id"].str.split("_").str[0]) <= {"GLM", "GBM"}
    _check_metrics_reproduce(h2o_trained, valid)


@pytest.mark.slow
def test_h2o_scorer_keeps_row_order_and_handles_empty(h2o_trained, synthetic) -> None:
    _, valid = synthetic
    score = load_scorer(h2o_trained.model_dir)
    forward = score(valid[FEATURES].head(20))
    backward = score(valid[FEATURES].head(20).iloc[::-1])
    np.testing.assert_allclose(backward[::-1], forward, rtol=0, atol=1e-12)
    assert score(valid[FEATURES].head(0)).shape == (0,)


@pytest.mark.slow
def test_h2o_scorer_needs_no_cluster(
    h2o_trained, synthetic, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every way to reach or start a cluster fails, and the MOJO scores all the same."""
    import h2o
    from h2o.backend import H2OLocalServer

    def refuse(*args, **kwargs):
        raise AssertionError("the scorer reached for an H2O cluster")

    monkeypatch.setattr(h2o, "api", refuse)
    monkeypatch.setattr(h2o, "connect", refuse)
    monkeypatch.setattr(H2OLocalServer, "start", refuse)
    _, valid = synthetic
    _check_metrics_reproduce(h2o_trained, valid)


@pytest.mark.slow
def test_h2o_scorer_input_types(h2o_trained, synthetic) -> None:
    """Column order, extra columns, the index, integers, None and infinities are all fine."""
    _, valid = synthetic
    score = load_scorer(h2o_trained.model_dir)
    rows = valid[FEATURES].head(30)
    expected = score(rows)
    shuffled = rows[FEATURES[::-1]].assign(extra="ignored").set_index(rows.index + 1000)
    np.testing.assert_array_equal(score(shuffled), expected)
    rounded = rows.assign(f4=rows["f4"].round().astype(int))
    as_objects = rounded.astype(object).where(rounded.notna(), None)
    np.testing.assert_array_equal(score(as_objects), score(rounded))
    extreme = rows.head(3).assign(f1=[np.inf, -np.inf, np.nan])
    probs = score(extreme)
    assert probs.shape == (3,)
    assert np.isfinite(probs).all()
    with pytest.raises(ValueError):
        score(rows.head(2).assign(f2=["x", "y"]))


@pytest.mark.slow
def test_h2o_scorer_refuses_a_directory_without_a_mojo(h2o_trained, tmp_path) -> None:
    copy = tmp_path / "model"
    shutil.copytree(h2o_trained.model_dir, copy)
    spec = json.loads((copy / ENGINE_FILE).read_text())
    (copy / spec["details"]["genmodel_jar"]).unlink()
    with pytest.raises(FileNotFoundError, match=r"h2o-genmodel\.jar"):
        load_scorer(copy)
    spec["details"]["artifact"] = "binary"
    (copy / ENGINE_FILE).write_text(json.dumps(spec))
    with pytest.raises(RuntimeError, match="not a MOJO"):
        load_scorer(copy)


@pytest.mark.slow
def test_ensure_h2o_reuses_the_session_cluster(h2o_cluster: str) -> None:
    from mlb_assets.lib.models.h2o_engine import ensure_h2o

    assert ensure_h2o() == h2o_cluster
    assert ensure_h2o(h2o_cluster) == h2o_cluster


@pytest.mark.slow
def test_autogluon_trains_outside_the_working_directory(autogluon_run, synthetic) -> None:
    trained, cwd = autogluon_run
    _, valid = synthetic
    _check_trained(trained, "autogluon", valid)
    assert list(cwd.iterdir()) == [], "AutoGluon wrote into the working directory"
    assert (trained.model_dir / "predictor").is_dir()
    assert not (trained.model_dir.parent / "autogluon-fit").exists()
    if not torch_available():
        assert "NN_TORCH" in trained.params["excluded_model_types"]
    _check_metrics_reproduce(trained, valid)
