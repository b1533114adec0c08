"""Python environments for tests that must run code where ``mlb_assets`` is not installed."""

from __future__ import annotations

import os
import sys
import venv
from pathlib import Path


def environment_without_the_project(where: Path) -> Path:
    """A fresh virtual environment with this one's third-party packages but no ``mlb_assets``.

    This environment's site-packages is put on the new one's path as a plain directory
    (a .pth line), so the .pth files inside it, the editable install of ``mlb_assets``
    among them, never run. Returns the new interpreter; run it outside the checkout, whose
    directory would make the package importable again.
    """
    venv.create(where, with_pip=False)
    site = next(where.glob("lib/python*/site-packages"))
    ours = [p for p in sys.path if p.endswith("site-packages") and Path(p).is_dir()]
    (site / "third_party.pth").write_text("\n".join(ours) + "\n")
    return where / "bin" / "python"


def clean_environment(**extra: str) -> dict[str, str]:
    """This process's variables without PYTHON* ones (PYTHONPATH would leak the checkout)."""
    kept = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    return {**kept, **extra}
