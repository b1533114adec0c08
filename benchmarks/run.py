"""Run the benchmarks: ``python benchmarks/run.py [--only NAME]``.

Each figure is printed on its own line as ``name: value unit``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import betting
import bi
import load
import scale
import season
import training

BENCHMARKS = {
    "betting": betting.main,
    "bi": bi.main,
    "load": load.main,
    "scale": scale.main,
    "season": season.main,
    "training": training.main,
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--only", choices=sorted(BENCHMARKS), help="run one benchmark")
    args = parser.parse_args()
    for name in [args.only] if args.only else sorted(BENCHMARKS):
        print(f"# {name}", flush=True)
        BENCHMARKS[name]()
    return 0


if __name__ == "__main__":
    sys.exit(main())
