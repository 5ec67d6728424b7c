"""Converting structure files into the binary cache, on all cores.

``convert_structures`` parses each structure file once (``atoms_from_file``)
and writes its table next to the others (``voxelize_cy.io.cache``); the
sharded cache (``voxelize_cy.io.shards``) sends its files through the same
per-file step.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Dict, Iterable, List, Optional, Union

from voxelize_cy.io.cache import COMPRESSIONS, _pyarrow, cache_name, write_cache
from voxelize_cy.io.files import atoms_from_file

__all__ = ["convert_structures", "ConvertResult", "check_options", "ATOMS_OPTIONS"]

#: The ``atoms_from_file`` options a conversion passes on.
ATOMS_OPTIONS = ("model", "chain", "hydrogens", "waters")


def check_options(options: dict, function: str) -> None:
    """TypeError naming the ``options`` that are not ``atoms_from_file``'s
    (``executor`` given to ``convert_structures``: pointing to
    ``convert_to_shards``)."""
    unknown = sorted(set(options) - set(ATOMS_OPTIONS))
    if not unknown:
        return
    hint = ""
    if function == "convert_structures" and {"executor", "shard_size"} & set(unknown):
        hint = ("; clusters (executor=) and shards (shard_size=) are convert_to_shards's: "
                "voxelize_cy.io.convert_to_shards(files, out, executor=...)")
    raise TypeError(f"{function}() got unknown keyword argument(s) {unknown}; its "
                    f"options for atoms_from_file are {list(ATOMS_OPTIONS)}{hint}")


@dataclass(frozen=True)
class ConvertResult:
    """What became of one structure file: ``status`` is 'written', 'skipped'
    (the cache is newer than the structure) or 'failed' (``message`` says why)."""

    source: str
    output: str
    status: str
    message: str = ""
    n_atoms: int = 0


def _convert_one(source: str, output: str, force: bool, compression: str,
                 options: dict) -> ConvertResult:
    try:
        if (not force and os.path.exists(output)
                and os.path.getmtime(output) >= os.path.getmtime(source)):
            return ConvertResult(source, output, "skipped")
        atoms = atoms_from_file(source, **options)
        write_cache(atoms, output, compression=compression,
                    metadata={"voxelize_cy.source": os.path.basename(source),
                              **{f"voxelize_cy.{k}": v for k, v in options.items()}})
        return ConvertResult(source, output, "written", n_atoms=len(atoms))
    except Exception as err:  # reported per file; the other files go on
        reason = " ".join(str(err).split()) or type(err).__name__
        return ConvertResult(source, output, "failed", reason)


def _worker_context():
    """Worker processes that do not inherit this process's threads.

    ``fork`` copies a process whose OpenMP, Arrow or polars thread pools may
    hold locks, and the child can deadlock on them; ``forkserver`` (POSIX) or
    ``spawn`` start workers from a clean process.  As with any such pool, a
    script that calls ``convert_structures`` at import time needs an
    ``if __name__ == "__main__":`` guard.
    """
    import multiprocessing

    methods = multiprocessing.get_all_start_methods()
    return multiprocessing.get_context("forkserver" if "forkserver" in methods else "spawn")


def convert_structures(
    sources: Iterable[Union[str, os.PathLike]],
    out_dir: Union[str, os.PathLike],
    *,
    jobs: Optional[int] = None,
    force: bool = False,
    compression: str = "uncompressed",
    on_result: Optional[Callable[[ConvertResult], None]] = None,
    **options,
) -> List[ConvertResult]:
    """Convert structure files into cache files ``out_dir/<name>.feather``.

    Parameters
    ----------
    sources : paths of mmCIF/PDB files (gzipped or not)
    out_dir : folder for the cache files (made if missing)
    jobs : int, optional
        Worker processes (default: every core), started with ``forkserver``
        (``spawn`` where that is missing), never ``fork``; 1 converts in this
        process.  Call it under ``if __name__ == "__main__":`` in a script.
    force : bool
        Rewrite caches that are newer than their structure file.
    compression : {'uncompressed', 'lz4', 'zstd'}
    on_result : callable, optional
        Called with each ``ConvertResult`` as it arrives (progress bars).
    **options
        ``model``, ``chain``, ``hydrogens``, ``waters`` for ``atoms_from_file``.

    Returns
    -------
    list of ConvertResult, in the order of ``sources``.  A file that cannot be
    read is a 'failed' result (with the reason), never an exception: the
    other files are still converted.
    """
    _pyarrow()
    check_options(options, "convert_structures")
    if compression not in COMPRESSIONS:
        raise ValueError(f"compression must be one of {COMPRESSIONS}, got {compression!r}")
    out_dir = Path(out_dir)
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        probe = tempfile.NamedTemporaryFile(dir=out_dir, prefix=".voxelize-cy-probe-")
        probe.close()
    except OSError as err:
        raise OSError(f"cannot write to output folder {out_dir}: "
                      f"{err.strerror or err}") from None

    if jobs is None:
        jobs = os.cpu_count() or 1
    if jobs < 1:
        raise ValueError(f"jobs must be >= 1, got {jobs}")
    tasks: List[tuple] = []
    results: Dict[int, ConvertResult] = {}
    seen: Dict[str, str] = {}
    for i, source in enumerate(map(str, sources)):
        output = str(out_dir / cache_name(source))
        if output in seen:
            results[i] = ConvertResult(source, output, "failed",
                                       f"same cache name as {seen[output]}")
        else:
            seen[output] = source
            tasks.append((i, source, output))

    def report(i, result):
        results[i] = result
        if on_result is not None:
            on_result(result)

    for i in sorted(results):
        if on_result is not None:
            on_result(results[i])
    if jobs == 1 or len(tasks) <= 1:
        for i, source, output in tasks:
            report(i, _convert_one(source, output, force, compression, options))
    else:
        from concurrent.futures import ProcessPoolExecutor, as_completed

        with ProcessPoolExecutor(max_workers=min(jobs, len(tasks)),
                                 mp_context=_worker_context()) as pool:
            futures = {pool.submit(_convert_one, source, output, force, compression,
                                   options): i for i, source, output in tasks}
            for future in as_completed(futures):
                report(futures[future], future.result())
    return [results[i] for i in sorted(results)]
