"""One workload of bench_molgrid.py in a loop, for ``perf record``: the exact
fill (``fill='fraction_voxel'``, float32, one thread) on 1qjg.

Usage::

    perf record -o perf.data python profiling/perf_workload.py gym --rounds 150
    perf report -i perf.data --stdio
    python profiling/perf_workload.py gym --code /tmp/old   # another checkout

``--code DIR`` imports voxelize_cy from DIR (a checkout built in place), to
profile an older version the same way.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
HERE = Path(__file__).resolve().parent


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("workload", choices=["seed", "gym", "gnina"])
    parser.add_argument("--rounds", type=int, default=50, help="passes over 20 centres")
    parser.add_argument("--code", help="import voxelize_cy from this checkout")
    args = parser.parse_args(argv)
    if args.code:
        sys.path.insert(0, str(Path(args.code).resolve()))
    sys.path.insert(0, str(HERE))
    import numpy as np
    from _workloads import centres, load_1qjg
    from bench_molgrid import WORKLOADS, voxelize_cy_params

    import voxelize_cy as vc

    atoms = load_1qjg()
    length = WORKLOADS[args.workload][0]
    out = np.zeros((4, length, length, length), np.float32)
    params = [voxelize_cy_params(args.workload, c) for c in centres(atoms, 20)]
    start = time.perf_counter()
    for _ in range(args.rounds):
        for p in params:
            vc.image_from_atoms(atoms, p, dtype=np.float32, fill="fraction_voxel", out=out)
    seconds = time.perf_counter() - start
    print(f"{vc.__file__}: {seconds / args.rounds / len(params) * 1e3:.4f} ms per image")


if __name__ == "__main__":
    main()
