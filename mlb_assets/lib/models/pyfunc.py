"""The engine-neutral model contract and the one MLflow pyfunc that scores both engines.

A trained model is a directory (``model_dir``) holding the engine's own artifact and a
small ``engine.json`` naming the engine, the features and the target. Validation metrics
are computed by :func:`load_scorer` on that directory, the same code the pyfunc runs after
a reload from the registry, so the logged metrics describe the model that is served.

The device resolver lives here too because both engines share it: ``auto`` means the GPU
when ``nvidia-smi`` lists one (and ``CUDA_VISIBLE_DEVICES`` does not hide it), otherwise
the CPU; asking for ``gpu`` where none is visible raises :class:`DeviceUnavailableError`
rather than quietly training on the CPU under a GPU label.
"""

from __future__ import annotations

import importlib
import json
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import mlflow
import numpy as np
import pandas as pd
from mlflow.entities.model_registry import ModelVersion
from mlflow.models import ModelSignature
from mlflow.types import ColSpec, Schema

from mlb_assets.lib.models.blend import Blend

ENGINE_FILE = "engine.json"
BLEND_KEY = "blend"
MODEL_DIR_ARTIFACT = "model_dir"
PROB_COLUMN = "prob"
ENGINES = ("h2o", "autogluon")
_ENGINE_MODULES = {
    "h2o": "mlb_assets.lib.models.h2o_engine",
    "autogluon": "mlb_assets.lib.models.autogluon_engine",
}

Device = Literal["cpu", "gpu"]
DeviceRequest = Literal["auto", "cpu", "gpu"]
Scorer = Callable[[pd.DataFrame], np.ndarray]


class DeviceUnavailableError(RuntimeError):
    """A GPU was asked for explicitly and none is visible to this process."""


# CUDA_VISIBLE_DEVICES as the configuration read it (``config.prepare_process``): nvidia-smi
# lists every GPU whatever it says, so a value that hides them all is checked here.
_cuda_visible_devices: str | None = None


def set_cuda_visible_devices(value: str | None) -> None:
    global _cuda_visible_devices
    _cuda_visible_devices = value


def gpu_visible() -> bool:
    """Whether this process can see an NVIDIA GPU (``nvidia-smi -L`` lists one)."""
    hidden = _cuda_visible_devices
    if hidden is not None and hidden.strip() in {"", "-1", "none", "NoDevFiles"}:
        return False
    executable = shutil.which("nvidia-smi")
    if executable is None:
        return False
    try:
        result = subprocess.run(
            [executable, "-L"], capture_output=True, text=True, timeout=15, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return False
    return result.returncode == 0 and any(
        line.startswith("GPU ") for line in result.stdout.splitlines()
    )


def resolve_device(requested: str, *, gpu_available: bool | None = None) -> Device:
    """``cpu`` or ``gpu`` for a request of ``auto``, ``cpu`` or ``gpu``.

    ``gpu_available`` overrides detection (tests, or a remote cluster known to have GPUs).
    """
    if requested not in ("auto", "cpu", "gpu"):
        raise ValueError(f"device must be 'auto', 'cpu' or 'gpu', not {requested!r}")
    if requested == "cpu":
        return "cpu"
    available = gpu_visible() if gpu_available is None else gpu_available
    if requested == "gpu" and not available:
        raise DeviceUnavailableError(
            "device='gpu' was requested but no GPU is visible (nvidia-smi lists none or "
            "CUDA_VISIBLE_DEVICES hides them); use device='auto' to fall back to the CPU"
        )
    return "gpu" if available else "cpu"


@dataclass(frozen=True)
class ModelSpec:
    """What ``engine.json`` records: enough to score ``model_dir`` in a fresh process."""

    engine: str
    features: list[str]
    target: str
    engine_version: str
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def blend(self) -> dict[str, Any] | None:
        """The market-anchored second stage, when the model has one (see ``anchored``)."""
        return self.details.get(BLEND_KEY)

    @property
    def inputs(self) -> list[str]:
        """The columns a caller passes: the engine's features, then the anchor if any."""
        blend = self.blend
        return [*self.features, blend["anchor"]] if blend else list(self.features)

    def write(self, model_dir: Path) -> Path:
        path = Path(model_dir) / ENGINE_FILE
        path.write_text(json.dumps(self.__dict__, indent=2, sort_keys=True))
        return path

    @classmethod
    def read(cls, model_dir: Path) -> ModelSpec:
        data = json.loads((Path(model_dir) / ENGINE_FILE).read_text())
        if data.get("engine") not in ENGINES:
            raise ValueError(f"unknown engine in {ENGINE_FILE}: {data.get('engine')!r}")
        return cls(**data)


@dataclass
class TrainedModel:
    """One engine's best model, self-contained in ``model_dir`` and scored on validation."""

    engine: str
    model_dir: Path
    features: list[str]
    target: str
    val_metrics: dict[str, float | int]
    params: dict[str, Any]
    device: str
    train_seconds: float
    leaderboard: pd.DataFrame
    input_example: pd.DataFrame | None = None


def load_engine_scorer(model_dir: Path) -> Scorer:
    """The engine's own probability (no market anchor), from its features."""
    spec = ModelSpec.read(model_dir)
    module = importlib.import_module(_ENGINE_MODULES[spec.engine])
    return module.load_scorer(Path(model_dir), spec)


def load_scorer(model_dir: Path) -> Scorer:
    """A function from a frame of the model's inputs to P(target = 1), for either engine.

    A market-anchored model (``engine.json`` holds a blend) reads its anchor column too
    and returns NaN where the anchor is unknown.
    """
    spec = ModelSpec.read(model_dir)
    engine = load_engine_scorer(model_dir)
    if spec.blend is None:
        return engine
    blend = Blend.from_dict(spec.blend)

    def score(frame: pd.DataFrame) -> np.ndarray:
        if frame.empty:
            return np.empty(0)
        engine_prob = engine(frame[spec.features])
        return blend.apply(engine_prob, frame[blend.anchor].to_numpy(dtype=float))

    return score


def prepare_frames(
    train: pd.DataFrame, valid: pd.DataFrame, features: list[str], target: str
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Both frames cut to features + target, rows without a target dropped, target as 0/1.

    Shared by the engines so both see identical rows and fail identically on bad input.
    """
    if not features:
        raise ValueError("features must not be empty")
    if target in features:
        raise ValueError(f"the target {target!r} is also listed as a feature")
    if len(set(features)) != len(features):
        raise ValueError("features contain duplicates")
    return _binary_frame(train, features, target, "train"), _binary_frame(
        valid, features, target, "valid"
    )


def _binary_frame(frame: pd.DataFrame, features: list[str], target: str, name: str) -> pd.DataFrame:
    missing = [column for column in [*features, target] if column not in frame.columns]
    if missing:
        raise KeyError(f"{name} lacks columns {missing}")
    out = frame.loc[frame[target].notna(), [*features, target]].reset_index(drop=True)
    values = pd.to_numeric(out[target], errors="coerce")
    if not values.isin([0, 1]).all():
        raise ValueError(f"{name}[{target!r}] must hold only 0 and 1")
    if values.nunique() < 2:
        raise ValueError(f"{name}[{target!r}] holds a single class")
    out[target] = values.astype(int)
    return out


def example_rows(frame: pd.DataFrame, features: list[str], rows: int = 5) -> pd.DataFrame:
    """A few feature rows for the MLflow input example, integer columns widened to float.

    The signature is inferred from this example; a float schema accepts later batches in
    which an integer feature has a missing value, an integer schema would reject them.
    """
    example = frame[features].head(rows).copy()
    for column in example.columns:
        if pd.api.types.is_bool_dtype(example[column]) or pd.api.types.is_integer_dtype(
            example[column]
        ):
            example[column] = example[column].astype("float64")
    return example.reset_index(drop=True)


class MatchupProbabilityModel(mlflow.pyfunc.PythonModel):
    """P(target = 1) for each input row, from an H2O or an AutoGluon model directory.

    H2O models are MOJOs scored by a short-lived Java process, without an H2O cluster (see
    :mod:`mlb_assets.lib.models.h2o_engine`); AutoGluon models load their predictor folder.
    The output is a frame with one column, ``prob``, in input order.

    MLflow pickles this class by reference; the model logs the ``mlb_assets`` package as
    its code (``code_paths``), and MLflow puts that copy on the path when it loads the
    model, so a model scores where only its pip requirements are installed
    (``mlflow models serve``, another project's environment).
    """

    def load_context(self, context: mlflow.pyfunc.PythonModelContext) -> None:
        self._model_dir = Path(context.artifacts[MODEL_DIR_ARTIFACT])
        self._spec = ModelSpec.read(self._model_dir)
        self._scorer: Scorer | None = None

    @property
    def engine(self) -> str:
        return self._spec.engine

    def predict(
        self,
        context: mlflow.pyfunc.PythonModelContext,
        model_input: pd.DataFrame,
        params: dict[str, Any] | None = None,
    ) -> pd.DataFrame:
        frame = pd.DataFrame(model_input)
        missing = [column for column in self._spec.inputs if column not in frame.columns]
        if missing:
            raise KeyError(f"model input lacks feature columns {missing}")
        if self._scorer is None:
            self._scorer = load_scorer(self._model_dir)
        probs = self._scorer(frame[self._spec.inputs]) if len(frame) else np.empty(0)
        return pd.DataFrame({PROB_COLUMN: np.asarray(probs, dtype="float64")}, index=frame.index)


def _pip_requirements(engine: str) -> list[str]:
    """Pinned requirements, given explicitly so MLflow does not load the model to infer them.

    What the model's code needs to score: the logged ``mlb_assets`` code imports only
    these (the scoring modules import no Dagster, no warehouse driver).
    """
    from importlib.metadata import version

    engine_package = {"h2o": "h2o", "autogluon": "autogluon.tabular"}[engine]
    packages = ["mlflow", "cloudpickle", "pandas", "numpy", engine_package]
    return [f"{name}=={version(name)}" for name in packages]


def package_code_path() -> str:
    """The ``mlb_assets`` package directory, logged with every model as its code."""
    return str(Path(__file__).resolve().parents[2])


def signature_for(example: pd.DataFrame) -> ModelSignature:
    """Input schema from the example, output schema: one double column ``prob``."""
    inputs = mlflow.models.infer_signature(example).inputs
    return ModelSignature(inputs=inputs, outputs=Schema([ColSpec("double", PROB_COLUMN)]))


def log_model(
    trained: TrainedModel, *, registered_model_name: str, run: mlflow.ActiveRun
) -> ModelVersion:
    """Log ``trained`` as a pyfunc inside ``run`` (which must be active) and register it."""
    active = mlflow.active_run()
    if active is None or active.info.run_id != run.info.run_id:
        raise RuntimeError("log_model must be called while `run` is the active MLflow run")
    if trained.input_example is None:
        raise ValueError("trained.input_example is required for the signature")
    info = mlflow.pyfunc.log_model(
        name="model",
        python_model=MatchupProbabilityModel(),
        artifacts={MODEL_DIR_ARTIFACT: str(trained.model_dir)},
        signature=signature_for(trained.input_example),
        input_example=trained.input_example,
        pip_requirements=_pip_requirements(trained.engine),
        code_paths=[package_code_path()],
        registered_model_name=registered_model_name,
        metadata={"engine": trained.engine, "python": sys.version.split()[0]},
    )
    client = mlflow.MlflowClient()
    return client.get_model_version(registered_model_name, str(info.registered_model_version))
