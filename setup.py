"""Build script for voxelize_cy's compiled core.

Metadata lives in ``pyproject.toml``; this file only describes the Cython
extension and its build switches.

Build switches (environment variables read at build time)
---------------------------------------------------------
``VOXELIZE_CY_LINETRACE=1``
    Compile the ``.pyx`` modules with Cython line tracing (``linetrace``,
    ``binding``, ``CYTHON_TRACE_NOGIL``) so that ``line_profiler`` can time
    individual ``.pyx`` lines, including lines inside ``nogil`` blocks.  Slower;
    for profiling only.
``VOXELIZE_CY_DEBUG=1``
    Turn Cython's bounds/wraparound/None checks back on and compile and link
    with AddressSanitizer and UndefinedBehaviorSanitizer (``-O1 -g``).  Run the
    result with ``LD_PRELOAD=$(gcc -print-file-name=libasan.so)``; see
    ``tests/run_sanitized.sh``.
``VOXELIZE_CY_NO_OPENMP=1``
    Build without OpenMP even where the compiler supports it (batches then run
    on one core).

Without OpenMP support in the compiler (e.g. Apple clang without libomp) the
extension is built serially and a warning says so; the package still works.
"""

import os
import sys
import tempfile
import textwrap
import warnings
from pathlib import Path

import numpy
from Cython.Build import cythonize
from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext


def _flag(name):
    return os.environ.get(name, "").strip().lower() in {"1", "true", "yes", "on"}


LINETRACE = _flag("VOXELIZE_CY_LINETRACE")
DEBUG = _flag("VOXELIZE_CY_DEBUG")
NO_OPENMP = _flag("VOXELIZE_CY_NO_OPENMP")

OPENMP_TEST_PROGRAM = textwrap.dedent(
    """
    #include <omp.h>
    int main(void) {
        int n = 0;
        #pragma omp parallel reduction(+:n)
        n += 1;
        return (n > 0 && omp_get_max_threads() > 0) ? 0 : 1;
    }
    """
)


def _compiler_supports_openmp(compiler):
    """Try to compile and link a tiny OpenMP program with ``compiler``."""
    with tempfile.TemporaryDirectory() as tmp:
        src = os.path.join(tmp, "omp_check.c")
        with open(src, "w") as f:
            f.write(OPENMP_TEST_PROGRAM)
        try:
            objs = compiler.compile([src], output_dir=tmp, extra_postargs=["-fopenmp"])
            compiler.link_executable(
                objs, os.path.join(tmp, "omp_check"), extra_postargs=["-fopenmp"]
            )
        except Exception:  # any compile or link error means "no OpenMP"
            return False
    return True


class BuildExtWithOptionalOpenMP(build_ext):
    """``build_ext`` that adds OpenMP flags only where the compiler has them,
    and compiles the extensions in parallel (one job per core)."""

    def finalize_options(self):
        super().finalize_options()
        if not self.parallel:
            self.parallel = os.cpu_count() or 1

    def run(self):
        # The extensions link the C library: build it first, also where only
        # build_ext runs (editable installs, ``build_ext --inplace``), and
        # relink each extension whenever the library is newer than it.
        self.run_command("build_clib")
        build_clib = self.get_finalized_command("build_clib")
        for name, _ in build_clib.libraries or []:
            library = build_clib.compiler.library_filename(name, output_dir=build_clib.build_clib)
            for ext in self.extensions:
                if library not in ext.depends:
                    ext.depends.append(library)
        super().run()

    def build_extensions(self):
        use_openmp = False
        if NO_OPENMP:
            warnings.warn("VOXELIZE_CY_NO_OPENMP is set: building without OpenMP.")
        elif self.compiler.compiler_type == "msvc":
            use_openmp = True
        elif _compiler_supports_openmp(self.compiler):
            use_openmp = True
        else:
            warnings.warn(
                "The C compiler does not support OpenMP (-fopenmp): voxelize_cy is "
                "built serially; images_from_atoms will use one core. Install an "
                "OpenMP runtime (e.g. libomp) and rebuild for parallel batches."
            )
            print("voxelize_cy: building WITHOUT OpenMP", file=sys.stderr)
        for ext in self.extensions:
            if use_openmp:
                flag = "/openmp" if self.compiler.compiler_type == "msvc" else "-fopenmp"
                ext.extra_compile_args.append(flag)
                if self.compiler.compiler_type != "msvc":
                    ext.extra_link_args.append(flag)
            # Tells the Cython code (through a C macro) whether OpenMP is in.
            ext.define_macros.append(("VOXELIZE_CY_OPENMP", "1" if use_openmp else "0"))
        super().build_extensions()


def _extensions():
    compile_args = [
        "-O3",
        "-std=c99",
        "-fno-math-errno",
        "-fno-trapping-math",
        # No fused multiply-adds: every SIMD path of _overlap_block.c (and any
        # -march a packager adds) gives bitwise the same images.
        "-ffp-contract=off",
        # Let gcc inline the C routines into each other inside the shared object.
        "-fno-semantic-interposition",
        # No debug information: it would make the build ~40% slower and the
        # shared objects 5x larger (Python's own CFLAGS carry -g).
        "-g0",
    ]
    link_args = []
    macros = [("NPY_NO_DEPRECATED_API", "NPY_1_7_API_VERSION")]
    directives = {
        "language_level": 3,
        "boundscheck": False,
        "wraparound": False,
        "initializedcheck": False,
        "nonecheck": False,
        "cdivision": True,
        "embedsignature": True,
    }
    if LINETRACE:
        directives.update(linetrace=True, binding=True, profile=False)
        macros += [
            ("CYTHON_TRACE", "1"),
            ("CYTHON_TRACE_NOGIL", "1"),
            ("VOXELIZE_CY_LINETRACE", "1"),
        ]
    if DEBUG:
        directives.update(
            boundscheck=True, wraparound=True, initializedcheck=True, nonecheck=True
        )
        compile_args = [
            "-O1",
            "-g",
            "-std=c99",
            "-fno-omit-frame-pointer",
            "-fsanitize=address,undefined",
        ]
        link_args = ["-fsanitize=address,undefined"]
        macros += [("VOXELIZE_CY_DEBUG", "1")]

    # The handwritten C (core/src) is compiled once into a static library that
    # the linker pulls into each extension that calls it, as numpy builds
    # npyrandom.  One extension per .pyx; cross-module calls go through the
    # .pxd files.
    core = "voxelize_cy/core"
    src = f"{core}/src"
    headers = sorted(str(p) for p in Path(src).glob("*.h"))
    c_library = (
        "voxelize_cy_core",
        {
            "sources": sorted(str(p) for p in Path(src).glob("*.c")),
            "include_dirs": [src],
            "macros": list(macros),
            "cflags": list(compile_args),
            "obj_deps": {"": headers},
        },
    )
    modules = [
        "voxelize_cy.core._codes",
        "voxelize_cy.core._strings",
        "voxelize_cy.core._numbers",
        "voxelize_cy.core._arrow_tables",
        "voxelize_cy.core._kinds",
        "voxelize_cy.core._select",
        "voxelize_cy.core._sources",
        "voxelize_cy.core._prepared",
        "voxelize_cy.core._draw",
        "voxelize_cy.core._gradients",
        "voxelize_cy.core._frames",
        "voxelize_cy.core._kernels",
        "voxelize_cy.chemistry._bonds",
    ]
    extensions = [
        Extension(
            name,
            sources=[name.replace(".", "/") + ".pyx"],
            depends=headers,
            include_dirs=[src, numpy.get_include()],
            define_macros=list(macros),
            extra_compile_args=list(compile_args),
            extra_link_args=list(link_args),
            libraries=[] if sys.platform == "win32" else ["m"],
        )
        for name in modules
    ]
    # The generated C depends on the build switches: each combination has its
    # own folder, so that Cython translates only the .pyx (or the .pxd they
    # cimport) that changed since that combination was last built.
    switches = "-".join(n for n, on in (("linetrace", LINETRACE), ("debug", DEBUG)) if on)
    return c_library, cythonize(
        extensions,
        compiler_directives=directives,
        build_dir=f"build/cython/{switches or 'release'}",
        # One .pyx per process: translating them takes as long as compiling.
        nthreads=os.cpu_count() or 1,
    )


c_library, ext_modules = _extensions()
setup(
    libraries=[c_library],
    ext_modules=ext_modules,
    cmdclass={"build_ext": BuildExtWithOptionalOpenMP},
)
