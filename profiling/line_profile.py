"""line_profiler session over voxelize_cy's Cython kernels and its Python API layer.

Times every line of ``voxelize_cy/_kernels.pyx`` entry points (including the
lines inside their ``with nogil:`` blocks) and of the Python layer
(``voxelize_cy/voxelize.py``) on the seed workload.

This needs a build with Cython line tracing, which is off in normal builds (it
costs speed).  Rebuild with::

    VOXELIZE_CY_LINETRACE=1 pip install --no-build-isolation -e .

and afterwards go back to a normal build with::

    pip install --no-build-isolation -e .

Without a tracing build the script says so and exits (status 0): line_profiler
would otherwise print empty tables for the compiled functions.

Usage::

    python profiling/line_profile.py [--images 200]
"""

from __future__ import annotations

import argparse
import sys

from _workloads import WORKLOADS, centres, image_params, load_1qjg

REBUILD = (
    "This voxelize_cy build has no line tracing, so line_profiler cannot see inside "
    "the .pyx code.\nRebuild with tracing (from the repository root):\n\n"
    "    VOXELIZE_CY_LINETRACE=1 pip install --no-build-isolation -e .\n\n"
    "then run this script again; rebuild without the variable afterwards "
    "(tracing slows the kernels down).")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--images", type=int, default=200)
    args = parser.parse_args(argv)

    import voxelize_cy as vc
    from voxelize_cy import _kernels, voxelize

    if not _kernels.LINETRACE:
        print(REBUILD)
        return 0
    try:
        from line_profiler import LineProfiler
    except ImportError:
        sys.exit("line_profiler is not installed: pip install 'voxelize_cy[profile]'")

    atoms = load_1qjg()
    w = WORKLOADS["seed"]
    params = image_params(w, centres(atoms, args.images))

    profiler = LineProfiler()
    # Cython kernels (binding=True cyfunctions, traced line by line).  A fused
    # function (float32/float64 images) runs one specialisation per dtype: add
    # each.  cdef helpers (add_atom, ...) have no Python function object; their
    # time shows on the line of the entry point that calls them.
    for fn in (_kernels.voxelize_image, _kernels.fill_images, _kernels.find_atoms_in_box):
        for specialised in getattr(fn, "__signatures__", {None: fn}).values():
            profiler.add_function(specialised)
    # The Python API layer.
    for fn in (voxelize.image_from_atoms, voxelize.images_from_atoms,
               voxelize._AtomColumns._from_plain_pandas, voxelize._ResolvedParams.__init__,
               voxelize._cached_kind_tables, voxelize._ElementCodeCache.lookup):
        profiler.add_function(fn)

    def workload():
        cache = {}
        for p in params:
            vc.image_from_atoms(atoms, p, cache)
        vc.images_from_atoms(atoms, params[:64], channel_cache=cache)

    workload()  # warm the per-table caches outside the profile
    profiler.runcall(workload)
    profiler.print_stats(output_unit=1e-6, stripzeros=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
