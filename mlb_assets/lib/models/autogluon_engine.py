"""AutoGluon tabular for a binary target, and scoring of the saved predictor.

AutoGluon fits in ``work_dir/autogluon-fit`` (never the working directory); the best
model and what it depends on are then cloned for deployment into
``work_dir/model/predictor`` and the fit folder is removed, so the registry stores only
what scoring needs. The validation frame is held out: AutoGluon tunes on its own split
of ``train``, which keeps the validation log loss comparable with H2O's.

Models that need PyTorch are excluded unless torch is importable, so a CPU image without
torch never spends its time budget on models that can only fail. ``num_gpus`` is 1 for
``gpu`` and 0 for ``cpu``; ``auto`` resolves as in
:func:`mlb_assets.lib.models.pyfunc.resolve_device`.
"""

from __future__ import annotations

import contextlib
import importlib.util
import logging
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from mlb_assets.lib.models import metrics
from mlb_assets.lib.models.pyfunc import (
    ModelSpec,
    Scorer,
    TrainedModel,
    example_rows,
    prepare_frames,
    resolve_device,
)

MODEL_SUBDIR = "model"
PREDICTOR_SUBDIR = "predictor"
FIT_SUBDIR = "autogluon-fit"

# Model types in AutoGluon 1.6 that import torch (neural nets, foundation models).
TORCH_MODEL_TYPES = (
    "NN_TORCH",
    "FASTAI",
    "REALMLP",
    "TABM",
    "TABICL",
    "TABDPT",
    "TABDPT-TURBO",
    "TABPFNMIX",
    "TABPFN-2.6",
    "TABPFN-3",
    "REALTABPFN-V2",
    "REALTABPFN-V2.5",
    "MITRA",
    "NORI",
    "FT_TRANSFORMER",
    "AG_AUTOMM",
    "AG_TEXT_NN",
    "AG_IMAGE_NN",
)


def torch_available() -> bool:
    return importlib.util.find_spec("torch") is not None


def excluded_types(requested: list[str] | None) -> list[str]:
    """The caller's exclusions plus, without torch, every torch-based model type."""
    excluded = list(requested or [])
    if not torch_available():
        excluded += [name for name in TORCH_MODEL_TYPES if name not in excluded]
    return excluded


@contextlib.contextmanager
def _quiet_resource_probe() -> Iterator[None]:
    """Silence AutoGluon's 'failed to import torch' GPU probe when torch is absent on purpose."""
    probe = logging.getLogger("autogluon.common.utils.resource_utils")
    previous = probe.level
    if not torch_available():
        probe.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        probe.setLevel(previous)


def _fit(
    train_df: pd.DataFrame,
    target: str,
    fit_dir: Path,
    *,
    time_limit: int,
    presets: str,
    seed: int,
    num_gpus: int,
    excluded: list[str],
    hyperparameters: dict[str, Any] | str | None,
    verbosity: int,
) -> Any:
    from autogluon.tabular import TabularPredictor

    if fit_dir.exists():
        shutil.rmtree(fit_dir)
    predictor = TabularPredictor(
        label=target,
        problem_type="binary",
        eval_metric="log_loss",
        path=str(fit_dir),
        verbosity=verbosity,
        positive_class=1,
    )
    options: dict[str, Any] = {
        "time_limit": time_limit,
        "presets": presets,
        "excluded_model_types": excluded,
        "num_gpus": num_gpus,
        "ag_args_ensemble": {"model_random_seed": seed},
    }
    if hyperparameters is not None:
        options["hyperparameters"] = hyperparameters
    with _quiet_resource_probe():
        predictor.fit(train_df, **options)
    return predictor


def _deploy(predictor: Any, model_dir: Path, features: list[str], target: str) -> None:
    """Clone the best model into ``model_dir/predictor`` and write ``engine.json``."""
    from autogluon.tabular import __version__ as autogluon_version

    if model_dir.exists():
        shutil.rmtree(model_dir)
    model_dir.mkdir(parents=True)
    predictor.clone_for_deployment(str(model_dir / PREDICTOR_SUBDIR))
    ModelSpec(
        engine="autogluon",
        features=list(features),
        target=target,
        engine_version=autogluon_version,
        details={
            "predictor_dir": PREDICTOR_SUBDIR,
            "best_model": predictor.model_best,
            "positive_class": 1,
        },
    ).write(model_dir)


def train_autogluon(
    train: pd.DataFrame,
    valid: pd.DataFrame,
    features: list[str],
    target: str,
    *,
    time_limit: int,
    presets: str = "medium_quality",
    seed: int,
    device: Literal["auto", "cpu", "gpu"] = "auto",
    work_dir: Path,
    excluded_model_types: list[str] | None = None,
    hyperparameters: dict[str, Any] | str | None = None,
    verbosity: int = 0,
) -> TrainedModel:
    """AutoGluon on ``train`` (log loss), the best model deployed to ``work_dir/model``.

    ``seed`` seeds bagged models' folds; unbagged models use AutoGluon's fixed default
    seed, so a fit is repeatable either way. ``hyperparameters`` narrows the model zoo
    (for example ``{"GBM": {}, "LR": {}}``).
    """
    from autogluon.tabular import __version__ as autogluon_version

    resolved = resolve_device(device)
    train_df, valid_df = prepare_frames(train, valid, features, target)
    excluded = excluded_types(excluded_model_types)
    fit_dir = Path(work_dir) / FIT_SUBDIR
    started = time.perf_counter()
    predictor = _fit(
        train_df,
        target,
        fit_dir,
        time_limit=time_limit,
        presets=presets,
        seed=seed,
        num_gpus=1 if resolved == "gpu" else 0,
        excluded=excluded,
        hyperparameters=hyperparameters,
        verbosity=verbosity,
    )
    train_seconds = time.perf_counter() - started
    leaderboard = predictor.leaderboard(silent=True)
    model_dir = Path(work_dir) / MODEL_SUBDIR
    _deploy(predictor, model_dir, features, target)
    params = {
        "engine": "autogluon",
        "time_limit": time_limit,
        "presets": presets,
        "seed": seed,
        "excluded_model_types": excluded,
        "hyperparameters": hyperparameters,
        "best_model": predictor.model_best,
        "models_trained": len(leaderboard),
        "autogluon_version": autogluon_version,
    }
    shutil.rmtree(fit_dir, ignore_errors=True)
    probs = load_scorer(model_dir, ModelSpec.read(model_dir))(valid_df[features])
    return TrainedModel(
        engine="autogluon",
        model_dir=model_dir,
        features=list(features),
        target=target,
        val_metrics=metrics.evaluate(valid_df[target], probs),
        params=params,
        device=resolved,
        train_seconds=train_seconds,
        leaderboard=leaderboard,
        input_example=example_rows(valid_df, features),
    )


def load_scorer(model_dir: Path, spec: ModelSpec) -> Scorer:
    """Load the deployed predictor once; the scorer returns P(target = 1) per row."""
    from autogluon.tabular import TabularPredictor

    with _quiet_resource_probe():
        predictor = TabularPredictor.load(
            str(Path(model_dir) / spec.details["predictor_dir"]), verbosity=0
        )
    positive = spec.details.get("positive_class", 1)

    def score(frame: pd.DataFrame) -> np.ndarray:
        if frame.empty:
            return np.empty(0)
        with _quiet_resource_probe():
            probs = predictor.predict_proba(frame[spec.features], as_multiclass=True)
        return probs[positive].to_numpy(dtype="float64")

    return score
