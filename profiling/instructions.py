"""Instructions per seed image, counted by valgrind (callgrind): a measure of
speed that this VM's drifting clock cannot disturb.

For each table form, the seed workload (1qjg, L15, 1 Å, radius 0.5, C N O .*)
runs under ``valgrind --tool=callgrind`` twice, with 10 and with 60 images
after one warm-up call; the difference divided by 50 is the cost of one image
(start-up, imports and the table's construction cancel out).  ``--code DIR``
counts another checkout of voxelize_cy (built in place) instead of the
imported one, e.g. an older commit in a ``git worktree``, for an A/B
comparison.

Usage::

    python profiling/instructions.py [--forms object arrow dict] [--code DIR]

Needs valgrind (``apt install valgrind``).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
FORMS = ("object", "arrow", "dict")
SMALL, LARGE = 10, 60

WORKER = r"""
import sys
code, form, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
if code:
    sys.path.insert(0, code)
sys.path.insert(0, {here!r})
import numpy as np
import pandas as pd
from _workloads import WORKLOADS, centres, image_params, load_1qjg
import voxelize_cy as vc
if code:
    assert vc.__file__.startswith(code), vc.__file__
atoms = load_1qjg()
elements = atoms["element"].to_numpy(dtype=object)
columns = {{c: atoms[c].to_numpy(dtype=np.float64) for c in ("x", "y", "z", "occupancy")}}
if form == "object":
    table = pd.DataFrame({{"element": pd.Series(elements, dtype=object), **columns}})
elif form == "arrow":   # pandas' default strings (Arrow-backed with pyarrow)
    table = pd.DataFrame({{"element": list(elements), **columns}})
else:
    table = {{"element": np.asarray(elements.astype(str)), **columns}}
params = image_params(WORKLOADS["seed"], centres(atoms, 100))
vc.image_from_atoms(table, params[0])
for p in params[:n]:
    vc.image_from_atoms(table, p)
"""


def instructions(worker: Path, code: str, form: str, n: int) -> int:
    """Instructions callgrind counts for one run of the worker."""
    with tempfile.TemporaryDirectory() as tmp:
        env = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1")
        result = subprocess.run(
            ["valgrind", "--tool=callgrind", f"--callgrind-out-file={tmp}/out",
             sys.executable, str(worker), code, form, str(n)],
            capture_output=True, text=True, env=env, cwd=tmp)
    if result.returncode != 0:
        raise SystemExit(f"valgrind failed ({form}, {n} images):\n{result.stderr[-2000:]}")
    match = re.search(r"Collected : (\d+)", result.stderr)
    if match is None:
        raise SystemExit(f"no instruction count in valgrind's output:\n{result.stderr[-2000:]}")
    return int(match.group(1))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--forms", nargs="+", choices=FORMS, default=list(FORMS))
    parser.add_argument("--code", default="", help="a voxelize_cy checkout built in place")
    args = parser.parse_args(argv)
    if shutil.which("valgrind") is None:
        raise SystemExit("needs valgrind: apt install valgrind")
    code = str(Path(args.code).resolve()) if args.code else ""
    with tempfile.TemporaryDirectory() as tmp:
        worker = Path(tmp) / "worker.py"
        worker.write_text(WORKER.format(here=str(HERE)))
        print(f"seed workload on 1qjg, instructions per image (callgrind, {LARGE} minus "
              f"{SMALL} images); voxelize_cy from {code or 'the installed package'}\n")
        print("| element column | instructions per image |")
        print("|---|---|")
        for form in args.forms:
            per_image = (instructions(worker, code, form, LARGE)
                         - instructions(worker, code, form, SMALL)) / (LARGE - SMALL)
            print(f"| {form} | {per_image:,.0f} |")


if __name__ == "__main__":
    main()
