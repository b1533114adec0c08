"""H2O AutoML for a binary target, and scoring of the saved leader.

The cluster: :func:`ensure_h2o` starts one local JVM per process (bounded heap, a free
port, scratch space in a temporary folder removed at shutdown) or connects to a given
URL, for instance a multi-node cluster. It never attaches to whatever happens to listen on
H2O's default port, so two concurrent runs on one machine do not share a cluster by
accident.

The artifact: the leader is exported as a MOJO (a zip of the model) next to the
``h2o-genmodel.jar`` of the cluster that trained it. Scoring runs that jar in a short-lived
Java process (``h2o.mojo_predict_pandas``): no H2O cluster, no matching cluster version,
only a Java runtime. Validation metrics come from the same scorer, so they describe the
model exactly as the MLflow pyfunc serves it. MOJO export needs an H2O client without the
"H2O-3 Secure" gate (3.46.0.12 has it, 3.46.0.9 does not); ``engine.json`` records the
artifact kind and the H2O version that wrote it.

The device: ``gpu`` runs H2O's XGBoost with ``backend="gpu"``, ``cpu`` with
``backend="cpu"``, the other algorithms are CPU-only. On a cluster this module started,
the backend is pinned through AutoML's algorithm parameters (the JVM is launched with
the property that allows it); on an external cluster XGBoost keeps its ``auto`` backend,
which picks a GPU when the cluster's nodes have one. ``auto`` and ``gpu`` resolve by what
this machine can see (see :func:`mlb_assets.lib.models.pyfunc.resolve_device`), which is
the cluster's hardware only for a local cluster.
"""

from __future__ import annotations

import atexit
import inspect
import logging
import os
import shutil
import socket
import subprocess
import tempfile
import threading
import time
import uuid
import warnings
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

LOGGER = logging.getLogger(__name__)
# Heap of the Java process that scores a MOJO (``MLB_ASSETS_H2O_MAX_MEM``, applied once per
# process by ``config.prepare_process``; a model served outside the project keeps 2G).
_scoring_heap = "2G"
MODEL_SUBDIR = "model"
MOJO_ARTIFACT = "mojo"
GENMODEL_JAR = "h2o-genmodel.jar"
_NUMERIC_TYPES = frozenset({"real", "int"})
# Lets AutoML accept per-algorithm parameters beyond monotone constraints (XGBoost backend).
_ALGO_PARAMS_PROPERTY = "-Dsys.ai.h2o.automl.algo_parameters.all.enabled=true"


class _LocalCluster:
    """The JVM this process started, if any."""

    server: Any = None
    url: str | None = None
    ice_root: str | None = None
    lock = threading.Lock()


def _parse_memory(value: str | int) -> int:
    """Bytes for ``"2G"``, ``"512M"``, ``"1048576"`` or an int."""
    if isinstance(value, int):
        return value
    text = value.strip().upper().removesuffix("B")
    units = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40}
    if text and text[-1] in units:
        return int(float(text[:-1]) * units[text[-1]])
    return int(text)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _connection_alive() -> bool:
    import h2o

    connection = h2o.connection()
    if connection is None or not getattr(connection, "connected", False):
        return False
    try:
        return bool(h2o.cluster().is_running())
    except Exception:  # a dead server answers with assorted connection errors
        return False


def _current_url() -> str | None:
    import h2o

    connection = h2o.connection()
    return None if connection is None else str(connection.base_url).rstrip("/")


def _connect(**target: Any) -> None:
    """Connect quietly, opting out of usage telemetry on clients that have it.

    Only some 3.46 clients know the ``telemetry`` argument; passing it to the others fails.
    """
    import h2o

    options: dict[str, Any] = {"verbose": False}
    if "telemetry" in inspect.signature(h2o.connect).parameters:
        options["telemetry"] = False
    h2o.connect(**target, **options)
    h2o.no_progress()


def _start_local(max_mem: str | int, nthreads: int, port: int | None) -> str:
    from h2o.backend import H2OLocalServer

    ice_root = tempfile.mkdtemp(prefix="mlb-assets-h2o-")
    server = H2OLocalServer.start(
        max_mem_size=_parse_memory(max_mem),
        nthreads=nthreads,
        port=port if port is not None else f"{_free_port()}+",
        ice_root=ice_root,
        log_dir=os.path.join(ice_root, "logs"),
        log_level="WARN",
        name=f"mlb-assets-{os.getpid()}-{uuid.uuid4().hex[:8]}",
        verbose=False,
        jvm_custom_args=[_ALGO_PARAMS_PROPERTY],
    )
    _connect(server=server)
    _LocalCluster.server, _LocalCluster.ice_root = server, ice_root
    _LocalCluster.url = _current_url()
    return str(_LocalCluster.url)


def ensure_h2o(
    url: str | None = None,
    *,
    max_mem: str | int = "2G",
    nthreads: int = -1,
    port: int | None = None,
) -> str:
    """The base URL of a live H2O cluster this process is connected to.

    ``url`` given: connect to it (once). Otherwise reuse the cluster this process already
    talks to, or start a local one with a heap of ``max_mem`` on ``port`` (a free port when
    None). Idempotent, so callers need not track who started what.
    """
    with _LocalCluster.lock:  # threads of one process must not start two JVMs
        if url is not None:
            wanted = url.rstrip("/")
            if _current_url() != wanted or not _connection_alive():
                _connect(url=wanted)
            return wanted
        if _connection_alive():
            return str(_current_url())
        return _start_local(max_mem, nthreads, port)


def shutdown_h2o() -> None:
    """Stop the JVM this process started (if any) and remove its scratch folder."""
    import h2o

    server, ice_root = _LocalCluster.server, _LocalCluster.ice_root
    if server is None:
        return
    if _current_url() == _LocalCluster.url and _connection_alive():
        h2o.cluster().shutdown()
    server.shutdown()
    connection = h2o.connection()
    if connection is not None and _current_url() == _LocalCluster.url:
        connection.close()
    _LocalCluster.server = _LocalCluster.url = _LocalCluster.ice_root = None
    # The client keeps the JVM's stdout/stderr in a temporary folder of its own.
    for folder in (ice_root, getattr(server, "_tempdir", None)):
        if folder:
            shutil.rmtree(folder, ignore_errors=True)


atexit.register(shutdown_h2o)


def _started_here() -> bool:
    return _LocalCluster.url is not None and _current_url() == _LocalCluster.url


def _quietly(function: Any, *args: Any, **kwargs: Any) -> Any:
    """Call an H2O client function without its single-thread conversion warnings."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return function(*args, **kwargs)


def _to_h2o(frame: pd.DataFrame, column_types: dict[str, str] | None = None) -> Any:
    import h2o

    return _quietly(h2o.H2OFrame, frame, column_types=column_types)


def _algo_parameters(device: str) -> dict[str, Any] | None:
    if not _started_here():
        return None
    return {"XGBoost__backend": "gpu" if device == "gpu" else "cpu"}


def _check_gpu_support(device: str) -> None:
    from h2o.estimators import H2OXGBoostEstimator

    if device == "gpu" and not H2OXGBoostEstimator.available():
        raise RuntimeError("device='gpu' needs H2O's XGBoost, which this H2O cluster lacks")


def _automl(
    *,
    max_runtime_secs: int,
    seed: int,
    max_models: int | None,
    exclude_algos: list[str] | None,
    include_algos: list[str] | None,
    nfolds: int,
    device: str,
) -> Any:
    from h2o.automl import H2OAutoML

    options: dict[str, Any] = {
        "max_runtime_secs": max_runtime_secs,
        "max_models": max_models,
        "seed": seed,
        "nfolds": nfolds,
        "sort_metric": "logloss",
        "stopping_metric": "logloss",
        "project_name": f"mlb_assets_{uuid.uuid4().hex[:12]}",
        "verbosity": None,
    }
    if include_algos is not None:
        options["include_algos"] = include_algos
    else:
        options["exclude_algos"] = exclude_algos
    algo_parameters = _algo_parameters(device)
    if algo_parameters is not None:
        options["algo_parameters"] = algo_parameters
    return H2OAutoML(**options)


def _leaderboard(aml: Any) -> pd.DataFrame:
    from h2o.automl import get_leaderboard

    board = _quietly(get_leaderboard, aml, extra_columns="training_time_ms")
    return _quietly(board.as_data_frame, use_multi_thread=False)


def _export_mojo(leader: Any, model_dir: Path) -> Path:
    """Write the leader's MOJO and the matching ``h2o-genmodel.jar`` into ``model_dir``.

    The jar comes from the cluster that trained the model, so the directory scores with
    exactly the runtime that wrote the MOJO, whatever H2O version is installed later.
    """
    if not leader.have_mojo:
        raise RuntimeError(
            f"the AutoML leader {leader.model_id} ({leader.algo}) has no MOJO export; "
            f"leave {leader.algo} out with exclude_algos"
        )
    try:
        saved = Path(leader.download_mojo(path=str(model_dir), get_genmodel_jar=True))
    except Exception as error:
        raise RuntimeError(
            f"MOJO export of {leader.model_id} ({leader.algo}) failed: {error}"
        ) from error
    if not (model_dir / GENMODEL_JAR).is_file():
        raise RuntimeError(f"MOJO export of {leader.model_id} wrote no {GENMODEL_JAR}")
    return saved


def _save_leader(
    leader: Any,
    model_dir: Path,
    features: list[str],
    target: str,
    frame: Any,
) -> None:
    import h2o

    if model_dir.exists():
        shutil.rmtree(model_dir)
    model_dir.mkdir(parents=True)
    saved = _export_mojo(leader, model_dir)
    types = frame.types
    ModelSpec(
        engine="h2o",
        features=list(features),
        target=target,
        engine_version=h2o.__version__,
        details={
            "artifact": MOJO_ARTIFACT,
            "model_file": saved.name,
            "genmodel_jar": GENMODEL_JAR,
            "model_id": leader.model_id,
            "algo": leader.algo,
            "classes": [str(level) for level in frame[target].levels()[0]],
            "column_types": {name: types[name] for name in features},
        },
    ).write(model_dir)


def _release(aml: Any, frame: Any) -> None:
    """Drop the AutoML project (models, leaderboard) and the training frame from the cluster.

    A long-lived cluster otherwise accumulates every retrain's models in its heap. The
    exported MOJO is what gets scored from here on.
    """
    import h2o

    try:
        h2o.remove([aml, frame], cascade=True)
    except Exception as error:  # cleanup must not fail a finished training
        LOGGER.warning("could not free H2O objects after training: %s", error)


def train_h2o(
    train: pd.DataFrame,
    valid: pd.DataFrame,
    features: list[str],
    target: str,
    *,
    max_runtime_secs: int,
    seed: int,
    device: Literal["auto", "cpu", "gpu"] = "auto",
    work_dir: Path,
    h2o_url: str | None = None,
    max_models: int | None = None,
    exclude_algos: list[str] | None = None,
    include_algos: list[str] | None = None,
    nfolds: int = -1,
) -> TrainedModel:
    """H2O AutoML on ``train``; the leader (by cross-validated log loss) saved to
    ``work_dir/model`` and scored on ``valid``, which AutoML never sees.

    ``max_runtime_secs`` alone is not reproducible (how many models fit depends on the
    machine); add ``max_models`` for a repeatable leaderboard. ``include_algos`` and
    ``exclude_algos`` are exclusive, as in H2O.
    """
    import h2o

    if include_algos is not None and exclude_algos is not None:
        raise ValueError("give include_algos or exclude_algos, not both")
    resolved = resolve_device(device)
    train_df, valid_df = prepare_frames(train, valid, features, target)
    ensure_h2o(h2o_url)
    _check_gpu_support(resolved)
    started = time.perf_counter()
    frame = _to_h2o(train_df)
    frame[target] = frame[target].asfactor()
    aml = _automl(
        max_runtime_secs=max_runtime_secs,
        seed=seed,
        max_models=max_models,
        exclude_algos=exclude_algos,
        include_algos=include_algos,
        nfolds=nfolds,
        device=resolved,
    )
    aml.train(x=list(features), y=target, training_frame=frame)
    if aml.leader is None:
        raise RuntimeError(
            f"H2O AutoML built no model within {max_runtime_secs}s; raise max_runtime_secs"
        )
    train_seconds = time.perf_counter() - started
    model_dir = Path(work_dir) / MODEL_SUBDIR
    _save_leader(aml.leader, model_dir, features, target, frame)
    leaderboard = _leaderboard(aml)
    params = {
        "engine": "h2o",
        "max_runtime_secs": max_runtime_secs,
        "max_models": max_models,
        "seed": seed,
        "nfolds": nfolds,
        "include_algos": include_algos,
        "exclude_algos": exclude_algos,
        "leader": aml.leader.model_id,
        "leader_algo": aml.leader.algo,
        "models_trained": len(leaderboard),
        "h2o_version": h2o.__version__,
    }
    _release(aml, frame)
    probs = load_scorer(model_dir, ModelSpec.read(model_dir))(valid_df[features])
    return TrainedModel(
        engine="h2o",
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


def set_scoring_heap(max_mem: str) -> None:
    """The heap of the Java processes that score MOJOs in this process, e.g. ``"2G"``."""
    global _scoring_heap
    _parse_memory(max_mem)  # refuse a bad size now, not at the first prediction
    _scoring_heap = max_mem


def _java_options() -> str:
    """Options for the Java process that scores: H2O's defaults with a bounded heap."""
    heap_mb = max(_parse_memory(_scoring_heap) >> 20, 64)
    return f"-Xmx{heap_mb}m -XX:ReservedCodeCacheSize=256m"


def _java_number(value: float) -> float | str:
    """Java's spelling of an infinity, which its number parser rejects as ``inf``."""
    if np.isposinf(value):
        return "Infinity"
    return "-Infinity" if np.isneginf(value) else value


def _mojo_input(frame: pd.DataFrame, spec: ModelSpec) -> pd.DataFrame:
    """The features in training order with the types the model was trained on.

    Numeric features become float64 (missing values stay NaN and reach the MOJO as empty
    fields, i.e. NA); a value that is not a number raises here rather than inside Java.
    Categorical features are passed as text, as H2O matches them by level name.
    """
    out = frame[spec.features].reset_index(drop=True)
    for name, kind in spec.details["column_types"].items():
        if kind in _NUMERIC_TYPES:
            values = pd.to_numeric(out[name], errors="raise").astype("float64")
            infinite = np.isinf(values.to_numpy())
            out[name] = values.astype(object).map(_java_number) if infinite.any() else values
        elif kind == "enum":
            out[name] = out[name].astype("string")
    return out


def _positive_column(predicted: pd.DataFrame, classes: list[str]) -> str:
    """The output column holding P(class "1"): ``predict`` first, then one per class."""
    if len(predicted.columns) != 1 + len(classes) or predicted.columns[0] != "predict":
        raise RuntimeError(
            f"unexpected MOJO output columns {list(predicted.columns)} for classes {classes}"
        )
    return str(predicted.columns[1 + classes.index("1")])


def _check_artifact(model_dir: Path, spec: ModelSpec) -> tuple[Path, Path]:
    """Paths of the MOJO and its jar, or an error naming what the directory lacks."""
    artifact = spec.details.get("artifact")
    if artifact != MOJO_ARTIFACT:
        raise RuntimeError(
            f"{model_dir} holds an H2O {artifact or 'binary'} model, not a MOJO; "
            "retrain it to score without an H2O cluster"
        )
    mojo, jar = model_dir / spec.details["model_file"], model_dir / spec.details["genmodel_jar"]
    for path in (mojo, jar):
        if not path.is_file():
            raise FileNotFoundError(f"the H2O model directory lacks {path.name}: {path}")
    return mojo, jar


def load_scorer(model_dir: Path, spec: ModelSpec) -> Scorer:
    """A scorer that runs the saved MOJO in a short-lived Java process; no cluster involved."""
    import h2o

    mojo, jar = _check_artifact(Path(model_dir), spec)
    classes = list(spec.details["classes"])

    def score(frame: pd.DataFrame) -> np.ndarray:
        if frame.empty:
            return np.empty(0)
        data = _mojo_input(frame, spec)
        try:
            predicted = h2o.mojo_predict_pandas(
                data,
                mojo_zip_path=str(mojo),
                genmodel_jar_path=str(jar),
                java_options=_java_options(),
            )
        except subprocess.CalledProcessError as error:
            raise RuntimeError(
                f"scoring the H2O MOJO {mojo.name} failed (Java's message is on stderr)"
            ) from error
        if len(predicted) != len(data):
            raise RuntimeError(f"the MOJO scored {len(predicted)} rows of {len(data)}")
        return predicted[_positive_column(predicted, classes)].to_numpy(dtype="float64")

    return score
