"""line_profiler session over voxelize_cy's Cython kernels and its Python API layer.

Times every line of the ``voxelize_cy/core/_kernels.pyx`` entry points
``draw_image`` and ``draw_batch`` (including the lines inside their ``with
nogil:`` blocks) and of the Python layer (``voxelize_cy/images/``: ``draw.py``,
``_resolved.py``, ``_checks.py``, ``_tables.py``) on the seed workload, with the table as the seed's loader
passes it: a fresh copy on every call.

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
    from voxelize_cy.core import _kernels
    from voxelize_cy.images import _call, _checks, _resolved, _tables
    from voxelize_cy.images import draw as voxelize

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
    # Cython entry points (binding=True cyfunctions, traced line by line,
    # including their `with nogil:` blocks).  cdef helpers (the row scan, the
    # element readers, draw_atoms, the C overlap routines) have no Python
    # function object; their time shows on the line of the entry point that
    # calls them.
    for fn in (_kernels.draw_image, _kernels.draw_batch):
        for specialised in getattr(fn, "__signatures__", {None: fn}).values():
            profiler.add_function(specialised)
    # The Python API layer: entry points, parameter checks, reading the table.
    for fn in (voxelize.image_from_atoms, voxelize.images_from_atoms, _call.run_kernel,
               _resolved.ResolvedParams.__init__, _checks.element_resolver,
               _tables.table_source):
        profiler.add_function(fn)

    copies = [atoms.copy() for _ in params]

    def workload():
        for table, p in zip(copies, params):
            vc.image_from_atoms(table, p)
        vc.images_from_atoms(atoms, params[:64])

    workload()  # import-time and first-call work outside the profile
    profiler.runcall(workload)
    profiler.print_stats(output_unit=1e-6, stripzeros=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
