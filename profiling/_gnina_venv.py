"""Run a profiling script where libmolgrid and voxelize_cy share one process.

libmolgrid's wheel (molgrid 0.5.5) needs numpy < 2, so the scripts that
compare or time the gnina pipeline against it re-run themselves in
``profiling/.venv-gnina`` (made on first use: molgrid, numpy < 2,
openbabel-wheel, torch 2.13.0 for the training loop, pandas, pyarrow, gemmi).
voxelize_cy comes from the repository: its in-place build when there is one
(``pip install -e .``; extensions built against numpy 2 load under numpy 1),
else it is installed into the venv.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO_ROOT = HERE.parent
VENV = HERE / ".venv-gnina"
PACKAGES = ["numpy<2", "molgrid==0.5.5", "openbabel-wheel", "pandas", "pyarrow", "gemmi",
            "torch==2.13.0"]


def _built_in_place() -> bool:
    core = REPO_ROOT / "voxelize_cy" / "core"
    return any(core.glob("_kernels*.so")) or any(core.glob("_kernels*.pyd"))


def same_process_with_molgrid() -> None:
    """Return when ``import molgrid`` works here; otherwise re-run the calling
    script in the gnina venv (making it first) and exit with its status."""
    if importlib.util.find_spec("molgrid") is not None:
        return
    python = VENV / "bin" / "python"
    if not python.exists():
        print(f"making {VENV} ({' '.join(PACKAGES)}) ...", file=sys.stderr)
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "-q", *PACKAGES], check=True)
    env = dict(os.environ)
    if _built_in_place():
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO_ROOT),
                                                          env.get("PYTHONPATH")]))
    else:
        subprocess.run([str(python), "-m", "pip", "install", "-q", str(REPO_ROOT)],
                       check=True)
    result = subprocess.run([str(python), *sys.argv], env=env)
    sys.exit(result.returncode)
