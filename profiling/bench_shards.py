"""The sharded structure cache at 2,000 structures: conversion throughput on a
process pool and on a Dask LocalCluster, opening time, lookup time next to
reading the same structure from a single-file cache (read_cache).

The six test structures are linked under 2,000 names (``s0000_1qjg.cif.gz``
...), converted with ``shard_size=500`` by a process pool of 2 workers and by a
``distributed.LocalCluster`` of 2 worker processes (when installed); then the
cache is opened 20 times, and 2,000 lookups of random ids are timed one by one
(median), with and without ``verify=True`` (every lookup's checksum
recomputed), next to ``read_cache`` of the six structures' .feather files (the
same tables) over as many reads, with and without ``verify=True``.

Usage::

    python profiling/bench_shards.py          # writes results/bench_shards.txt
"""

from __future__ import annotations

import os
import platform
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
from _workloads import STRUCTURES, cpu_model, linked_structures, write_results

import voxelize_cy as vc
from voxelize_cy.io.cache import read_cache
from voxelize_cy.io.convert import convert_structures

N_STRUCTURES = 2000
SHARD_SIZE = 500


def timed(function):
    start = time.perf_counter()
    function()
    return time.perf_counter() - start


def main():
    sources6 = sorted(STRUCTURES.glob("*.cif.gz"))
    lines = ["$ python profiling/bench_shards.py",
             f"CPU: {cpu_model()}; Python {platform.python_version()}; voxelize_cy "
             f"{vc.__version__}; {N_STRUCTURES} structures (the six test structures "
             f"linked under as many names), shards of {SHARD_SIZE}", ""]
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        names = linked_structures(tmp / "in", N_STRUCTURES)
        seconds = timed(lambda: vc.convert_to_shards(names, tmp / "pool", jobs=2,
                                                     shard_size=SHARD_SIZE))
        results["process_pool_structures_per_s"] = N_STRUCTURES / seconds
        lines.append(f"convert, process pool of 2 workers: {seconds:.1f} s, "
                     f"{N_STRUCTURES / seconds:.0f} structures/s")
        try:
            import distributed
        except ImportError:
            distributed = None
            lines.append("convert, Dask LocalCluster: distributed not installed")
        if distributed is not None:
            with distributed.LocalCluster(n_workers=2, threads_per_worker=1,
                                          processes=True, dashboard_address=None) as cluster, \
                    distributed.Client(cluster) as client:
                executor = client.get_executor()
                seconds = timed(lambda: vc.convert_to_shards(
                    names, tmp / "dask", executor=executor, shard_size=SHARD_SIZE))
            same = all((tmp / "pool" / f).read_bytes() == (tmp / "dask" / f).read_bytes()
                       for f in os.listdir(tmp / "pool"))
            results["dask_structures_per_s"] = N_STRUCTURES / seconds
            lines.append(f"convert, Dask LocalCluster of 2 worker processes: {seconds:.1f} s, "
                         f"{N_STRUCTURES / seconds:.0f} structures/s (same bytes as the "
                         f"process pool's: {same})")
        opens = [timed(lambda: vc.StructureCache(tmp / "pool")) for _ in range(20)]
        cache = vc.StructureCache(tmp / "pool")
        ids = cache.ids
        rng = np.random.default_rng(0)
        lookups = []
        for k in rng.integers(len(ids), size=N_STRUCTURES):
            lookups.append(timed(lambda: cache[ids[k]]))
        verified = vc.StructureCache(tmp / "pool", verify=True)
        verified_lookups = []
        for k in rng.integers(len(ids), size=N_STRUCTURES):
            verified_lookups.append(timed(lambda: verified[ids[k]]))
        convert_structures(sources6, tmp / "files", jobs=1)
        files = sorted((tmp / "files").glob("*.feather"))
        reads, verified_reads = [], []
        for k in rng.integers(len(files), size=N_STRUCTURES):
            reads.append(timed(lambda: read_cache(files[k])))
            verified_reads.append(timed(lambda: read_cache(files[k], verify=True)))
        results.update(open_ms=statistics.median(opens) * 1e3,
                       lookup_median_ms=statistics.median(lookups) * 1e3,
                       verified_lookup_median_ms=statistics.median(verified_lookups) * 1e3,
                       single_file_read_median_ms=statistics.median(reads) * 1e3,
                       verified_single_file_read_median_ms=statistics.median(
                           verified_reads) * 1e3)
        lines += [f"open StructureCache ({len(ids)} structures, {len(os.listdir(tmp / 'pool')) - 1}"
                  f" shards): median {results['open_ms']:.2f} ms over 20",
                  f"lookup cache[id]: median {results['lookup_median_ms']:.3f} ms over "
                  f"{N_STRUCTURES} random ids",
                  f"lookup with StructureCache(verify=True) (each checksum recomputed): "
                  f"median {results['verified_lookup_median_ms']:.3f} ms "
                  f"({results['verified_lookup_median_ms'] / results['lookup_median_ms']:.2f}x)",
                  f"read_cache of a single-file cache (.feather), same structures: median "
                  f"{results['single_file_read_median_ms']:.3f} ms",
                  f"read_cache(verify=True): median "
                  f"{results['verified_single_file_read_median_ms']:.3f} ms"]
    write_results("bench_shards", lines, results)


if __name__ == "__main__":
    main()
