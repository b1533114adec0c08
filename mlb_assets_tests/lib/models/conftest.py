"""Fixtures for the model tests: one H2O JVM per session, synthetic data, trained models.

The data are synthetic: a known logistic relationship between made-up features and a
made-up binary outcome, so the tests can tell a good model from a useless one without
any real games. Models train once per session on tiny budgets and are shared.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

TARGET = "synthetic_win"
SIGNAL = {"f1": 1.6, "f2": -1.2, "f3": 0.9, "f_missing": 0.7}
NOISE = ["f4", "f5", "f6"]
FEATURES = ["f1", "f2", "f3", "f4", "f5", "f6", "f_missing"]
TRAIN_ROWS = 600
VALID_ROWS = 300
H2O_HEAP = "2G"


def make_synthetic(rows: int, seed: int) -> pd.DataFrame:
    """Seven numeric features (one 25% missing) and an outcome drawn from a logistic model."""
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({name: rng.normal(size=rows) for name in [*SIGNAL, *NOISE]})
    logit = sum(weight * frame[name] for name, weight in SIGNAL.items())
    frame.loc[rng.random(rows) < 0.25, "f_missing"] = np.nan
    frame[TARGET] = (rng.random(rows) < 1.0 / (1.0 + np.exp(-logit))).astype(int)
    return frame[[*FEATURES, TARGET]]


@pytest.fixture(scope="session")
def synthetic() -> tuple[pd.DataFrame, pd.DataFrame]:
    """(train, valid) drawn independently from the same synthetic process."""
    return make_synthetic(TRAIN_ROWS, seed=11), make_synthetic(VALID_ROWS, seed=12)


@pytest.fixture(scope="session")
def h2o_cluster():
    """One local H2O JVM for the whole session: bounded heap, free port, shut down at the end."""
    from mlb_assets.lib.models.h2o_engine import ensure_h2o, shutdown_h2o

    url = ensure_h2o(max_mem=H2O_HEAP)
    yield url
    shutdown_h2o()


@pytest.fixture(scope="session")
def h2o_trained(h2o_cluster: str, synthetic, tmp_path_factory: pytest.TempPathFactory):
    """H2O AutoML on all features, GLM and GBM only, two models at most, on the CPU."""
    from mlb_assets.lib.models.h2o_engine import train_h2o

    train, valid = synthetic
    return train_h2o(
        train,
        valid,
        FEATURES,
        TARGET,
        max_runtime_secs=20,
        max_models=2,
        include_algos=["GLM", "GBM"],
        nfolds=3,
        seed=7,
        device="cpu",
        work_dir=tmp_path_factory.mktemp("h2o-work"),
    )


def train_small_autogluon(
    train: pd.DataFrame,
    valid: pd.DataFrame,
    features: list[str],
    work_dir: Path,
):
    """AutoGluon with LightGBM and logistic regression only: seconds, not minutes."""
    from mlb_assets.lib.models.autogluon_engine import train_autogluon

    return train_autogluon(
        train,
        valid,
        features,
        TARGET,
        time_limit=30,
        seed=7,
        device="cpu",
        work_dir=work_dir,
        hyperparameters={"GBM": {"num_boost_round": 60}, "LR": {}},
    )


@pytest.fixture(scope="session")
def autogluon_run(synthetic, tmp_path_factory: pytest.TempPathFactory):
    """AutoGluon on all features, fitted from inside an empty working directory.

    Returns the trained model and that directory, which must still be empty afterwards.
    """
    train, valid = synthetic
    cwd = tmp_path_factory.mktemp("autogluon-cwd")
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(cwd)
        trained = train_small_autogluon(
            train, valid, FEATURES, tmp_path_factory.mktemp("autogluon-work")
        )
    return trained, cwd


@pytest.fixture(scope="session")
def mlflow_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("mlflow-home")
