"""Both AutoML engines on the real 2016 season: training wall time and held-out log-loss.

The features are built the way the project builds them: the 2016 season (2016-04-03 to
2016-11-02) is backfilled through ingestion, markets and features (the ``season_backfill``
job, no training) into an embedded SQLite warehouse in a temporary folder, then the
``training_set`` asset is materialized from it and read back with ``load_training_set``.

Each engine is then trained as the ``h2o_model`` and ``autogluon_model`` assets train it:
the default ``TrainingConfig`` on the target ``home_win`` (seed 42, AutoGluon
``medium_quality``), the project's ``time_split`` (the latest 15% of dates held out), and
``fit_anchored`` with the time budget (the engine, then its blend with the market, fit on the
held-out games).
The held-out figures are computed with the project's ``metrics.evaluate`` on the saved
model's own scorer, i.e. the asset's ``val_log_loss`` (in sample for the blend's two
coefficients); ``engine_log_loss`` is the engine's alone.
Registration in MLflow is not training and is left out.

Figures, per engine and device (``training_<engine>_<device>_...``):

- ``seconds``: wall time of ``fit_anchored``: the AutoML fit, the export of the best model
  and the scoring of the held-out rows (the H2O JVM is started beforehand, timed apart);
- ``fit_seconds``: the AutoML fit alone, as the engine reports it (the asset's
  ``train_seconds``);
- ``models``: models trained within the budget, and the best one;
- ``log_loss``, ``brier``, ``auc`` on the held-out games. ``training_market_log_loss`` is
  the market's no-vig probability at decision time on the same games: the baseline a
  model has to beat.

AutoML fills its time budget (H2O always; AutoGluon until its model list is done), so wall
time stays near the budget on any device: a faster device shows as more models within the
budget as much as fewer seconds, hence both ratios are printed.

Runs on the CPU first; when a GPU is visible the way the engines detect one (``nvidia-smi``
lists it), both engines run again with ``device="gpu"`` (H2O's XGBoost GPU backend,
AutoGluon's ``num_gpus=1``) and the GPU/CPU ratios are printed. Without one, a line says so
and no GPU figures are printed.

Environment: ``MLB_ASSETS_ARCHIVE_DIR`` (required), ``MLB_ASSETS_BENCH_TRAIN_SECONDS``
(time budget per engine and device, default 60), ``MLB_ASSETS_H2O_MAX_MEM`` (heap of the
local H2O JVM and of the MOJO scorer, default 2G). Everything is written under a temporary
folder, removed at the end, and the H2O JVM is shut down.
"""

from __future__ import annotations

import contextlib
import io
import os
import platform
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import common
import pandas as pd

from mlb_assets.config import current, process_environment

if TYPE_CHECKING:  # the engines load lazily, so run.py starts fast for other benchmarks
    from mlb_assets.defs.models.assets import Engine
    from mlb_assets.resources.models import H2OResource

START, END = date(2016, 4, 3), date(2016, 11, 2)
ENGINES: tuple[Engine, ...] = ("h2o", "autogluon")
TARGET = "home_win"  # the moneyline model (lib/names.MODEL_NAMES)


@dataclass(frozen=True)
class Outcome:
    """One engine trained on one device."""

    seconds: float
    fit_seconds: float
    models: int
    best: str
    metrics: Mapping[str, float | int]


def budget_seconds() -> int:
    return current().bench_train_seconds


def cpu_model() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


def gpu_name() -> str | None:
    """The first NVIDIA GPU's name (nvidia-smi, else torch), or None without one."""
    executable = shutil.which("nvidia-smi")
    if executable:
        try:
            done = subprocess.run(
                [executable, "--query-gpu=name", "--format=csv,noheader"],
                capture_output=True,
                text=True,
                timeout=15,
                check=False,
            )
            if done.returncode == 0 and done.stdout.strip():
                return done.stdout.strip().splitlines()[0]
        except (OSError, subprocess.TimeoutExpired):
            pass
    try:
        import torch
    except ImportError:
        return None
    return torch.cuda.get_device_name(0) if torch.cuda.is_available() else None


@contextlib.contextmanager
def scratch_home() -> Iterator[Path]:
    """A temporary MLB_ASSETS_HOME that also receives every temporary file (H2O's scratch
    space and logs, AutoGluon's folders), restored and removed afterwards: run.py runs the
    benchmarks in one process, so nothing may leak into the next one."""
    saved_tempdir = tempfile.tempdir
    with tempfile.TemporaryDirectory(prefix="mlb_assets_bench_training_") as folder:
        home = Path(folder)
        (home / "tmp").mkdir()
        tempfile.tempdir = str(home / "tmp")
        try:
            with process_environment(MLB_ASSETS_HOME=str(home), TMPDIR=str(home / "tmp")):
                yield home
        finally:
            tempfile.tempdir = saved_tempdir


def season_training_set(resources: Mapping[str, object]) -> tuple[pd.DataFrame, dict]:
    """Backfill 2016 up to the features, materialize ``training_set`` and read it back."""
    import dagster as dg

    from mlb_assets.defs.models.assets import load_training_set, training_set
    from mlb_assets.runner import run_season_backfill

    started = time.perf_counter()
    if not run_season_backfill(START, END, resources=resources, quiet=True).success:
        raise SystemExit("training benchmark: the 2016 backfill failed")
    print(f"training_backfill_seconds: {time.perf_counter() - started:.1f} s", flush=True)
    started = time.perf_counter()
    quiet = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}
    if not dg.materialize([training_set], resources=dict(resources), run_config=quiet).success:
        raise SystemExit("training benchmark: materializing training_set failed")
    print(f"training_set_seconds: {time.perf_counter() - started:.1f} s", flush=True)
    return load_training_set(resources["warehouse"])  # type: ignore[arg-type]


def train_once(
    engine: Engine,
    device: Literal["cpu", "gpu"],
    split: tuple[pd.DataFrame, pd.DataFrame],
    features: list[str],
    home: Path,
    h2o: H2OResource,
) -> Outcome:
    """One training exactly as the model assets run it, timed from the outside."""
    from mlb_assets.defs.models.assets import TrainingConfig, fit_anchored

    config = TrainingConfig(time_budget_seconds=budget_seconds(), device=device)
    work_dir = Path(tempfile.mkdtemp(prefix=f"{engine}-{device}-", dir=home))
    started = time.perf_counter()
    trained = fit_anchored(engine, TARGET, *split, features, config, work_dir, h2o)
    seconds = time.perf_counter() - started
    if trained.device != device:  # a GPU figure must come from the GPU
        raise RuntimeError(f"{engine} trained on {trained.device}, not {device}")
    best = trained.params.get("leader") or trained.params.get("best_model") or "?"
    shutil.rmtree(work_dir, ignore_errors=True)
    models = int(trained.params["models_trained"])
    scores = {**trained.val_metrics, "engine_log_loss": trained.params["engine_val_log_loss"]}
    return Outcome(seconds, trained.train_seconds, models, best, scores)


def print_outcome(engine: str, device: str, outcome: Outcome) -> None:
    prefix = f"training_{engine}_{device}"
    print(f"{prefix}_seconds: {outcome.seconds:.1f} s")
    print(f"{prefix}_fit_seconds: {outcome.fit_seconds:.1f} s")
    print(f"{prefix}_models: {outcome.models} models")
    print(f"{prefix}_best: {outcome.best}")
    print(f"{prefix}_log_loss: {outcome.metrics['log_loss']:.4f} nats (market-anchored)")
    print(f"{prefix}_engine_log_loss: {outcome.metrics['engine_log_loss']:.4f} nats (engine alone)")
    print(f"{prefix}_brier: {outcome.metrics['brier']:.4f} score")
    print(f"{prefix}_auc: {outcome.metrics['auc']:.4f} score", flush=True)


def print_ratios(engine: str, cpu: Outcome, gpu: Outcome) -> None:
    print(f"training_{engine}_gpu_vs_cpu_seconds: {gpu.seconds / cpu.seconds:.2f} ratio")
    print(f"training_{engine}_gpu_vs_cpu_models: {gpu.models / max(cpu.models, 1):.2f} ratio")


def print_split(train: pd.DataFrame, valid: pd.DataFrame, features: list[str]) -> None:
    from mlb_assets.lib.models import metrics

    dates = pd.to_datetime(valid["game_date"])
    market = valid["market_home_prob_anchor"]
    print(f"training_features: {len(features)} columns")
    print(f"training_rows_train: {len(train)} games")
    print(f"training_rows_valid: {len(valid)} games")
    print(f"training_valid_dates: {dates.min():%Y-%m-%d}..{dates.max():%Y-%m-%d} dates")
    print(f"training_market_log_loss: {metrics.log_loss(valid['home_win'], market):.4f} nats")
    print(f"training_market_rows: {metrics.count(valid['home_win'], market)} games", flush=True)


def start_h2o(h2o: H2OResource) -> None:
    """Start the local JVM before the clock runs, as a long-lived run process has one."""
    from mlb_assets.lib.models.h2o_engine import ensure_h2o

    started = time.perf_counter()
    # The client prints a release-age notice on connect; keep the figure lines parseable.
    with contextlib.redirect_stdout(io.StringIO()):
        ensure_h2o(h2o.url, max_mem=h2o.max_mem, nthreads=h2o.nthreads)
    print(f"training_h2o_start_seconds: {time.perf_counter() - started:.1f} s", flush=True)


def run_engine(
    engine: Engine,
    devices: list[Literal["cpu", "gpu"]],
    split: tuple[pd.DataFrame, pd.DataFrame],
    features: list[str],
    home: Path,
    h2o: H2OResource,
) -> None:
    """The engine on each device; a GPU run that fails is reported, not fatal."""
    from mlb_assets.lib.models.h2o_engine import shutdown_h2o

    outcomes: dict[str, Outcome] = {}
    try:
        if engine == "h2o":
            start_h2o(h2o)
        for device in devices:
            try:
                outcomes[device] = train_once(engine, device, split, features, home, h2o)
            except RuntimeError as error:
                if device == "cpu":
                    raise
                print(f"training_{engine}_{device}: failed ({error})", flush=True)
                continue
            print_outcome(engine, device, outcomes[device])
    finally:
        if engine == "h2o":
            shutdown_h2o()  # frees its heap and cores before the next engine runs
    if "gpu" in outcomes:
        print_ratios(engine, outcomes["cpu"], outcomes["gpu"])


def print_device() -> list[Literal["cpu", "gpu"]]:
    """Print the machine; the devices to train on (the GPU only where the engines see it)."""
    from mlb_assets.lib.models.pyfunc import gpu_visible

    cores = len(os.sched_getaffinity(0))
    print(f"training_cpu: {cpu_model()}, {cores} cores")
    name = gpu_name()
    if name is None:
        print("training_gpu: unavailable (no NVIDIA device on this machine)", flush=True)
        return ["cpu"]
    if not gpu_visible():
        print(
            f"training_gpu: unavailable ({name} present, but hidden from the engines: "
            "nvidia-smi -L lists none or CUDA_VISIBLE_DEVICES hides it)",
            flush=True,
        )
        return ["cpu"]
    print(f"training_gpu: {name}", flush=True)
    return ["cpu", "gpu"]


def main() -> None:
    archive_dir = common.archive_dir()
    from mlb_assets.defs.models.assets import TrainingConfig
    from mlb_assets.lib.evaluation import time_split
    from mlb_assets.resources import resources_for
    from mlb_assets.resources.models import H2OResource

    devices = print_device()
    print(f"training_budget: {budget_seconds()} s per engine and device", flush=True)
    with scratch_home() as home:
        # The run's own JVM gets the heap the project's setting names (default 2G).
        h2o = H2OResource(max_mem=current().h2o_max_mem)
        url = f"sqlite:///{home / 'warehouse.sqlite'}"
        resources = resources_for(url, archive_dir, str(home), h2o=h2o)
        frame, meta = season_training_set(resources)
        config = TrainingConfig()
        split = time_split(frame, TARGET, config.validation_fraction)
        print_split(*split, meta["features"])
        for engine in ENGINES:
            run_engine(engine, devices, split, meta["features"], home, h2o)


if __name__ == "__main__":
    main()
