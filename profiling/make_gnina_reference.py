"""Write tests/data/gnina_reference/: what libmolgrid 0.5.5 gives on gnina's data.

For each scenario of ``_gnina_scenarios.py`` (``.types`` files of libmolgrid's
test data with settings and typers, no shuffling): the examples libmolgrid's
``ExampleProvider`` draws, in order (labels, group, the coordinate sets'
sources, coordinates, types and radii); for the gridded scenarios, its
``GridMaker.forward`` of the first batch (the peak, per-channel sums, 4,000
sampled voxels, the whole grid for the coarse 13³ one) and ``backward`` of
the first example; and the epoch sizes and batches of the iteration schemes.
``tests/test_gnina_reference.py`` checks voxelize_cy.molgrid against it
without libmolgrid.

The molcache scenario reads tests/data/libmolgrid/lig.molcache2 (libmolgrid's)
and a rec.molcache2 that voxelize_cy writes from small.types (libmolgrid's
test data leaves theirs out): libmolgrid reads our file.

Usage::

    python profiling/make_gnina_reference.py   # runs in profiling/.venv-gnina
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

import numpy as np
from _gnina_venv import REPO_ROOT, same_process_with_molgrid

same_process_with_molgrid()

import _gnina_scenarios as S  # noqa: E402
import molgrid  # noqa: E402

from voxelize_cy import gnina  # noqa: E402

OUT = REPO_ROOT / "tests" / "data" / "gnina_reference"
SAMPLES = 4000


def record_examples(examples, arrays, prefix):
    """The examples' arrays (into ``arrays``) and their manifest entries."""
    meta = []
    for i, ex in enumerate(examples):
        sets = []
        for k, c in enumerate(ex.coord_sets):
            key = f"{prefix}/{i}/{k}"
            arrays[key + "/coords"] = c.coords.tonumpy()
            arrays[key + "/radii"] = c.radii.tonumpy()
            if c.has_vector_types():
                arrays[key + "/vectors"] = c.type_vector.tonumpy()
            if c.has_indexed_types():
                arrays[key + "/types"] = c.type_index.tonumpy()
            sets.append({"src": c.src, "size": c.size(), "max_type": c.max_type})
        meta.append({"labels": [float(v) for v in ex.labels], "group": ex.group,
                     "seqcont": bool(ex.seqcont), "sets": sets})
    return meta


def record_grids(examples, batch_size, arrays, prefix, rng):
    """Each gridded configuration of the first batch."""
    batch = molgrid.ExampleVec(examples[:batch_size])
    out = {}
    for name in S.GRIDDED.get(prefix, []):
        maker = S.grid_maker(molgrid, name)
        grid = np.zeros((len(batch),) + maker.grid_dimensions(batch[0].num_types()),
                        np.float32)
        maker.forward(batch, grid)
        key = f"{prefix}/grid/{name}"
        flat = grid.reshape(-1)
        nonzero = np.flatnonzero(flat)
        picks = np.concatenate([rng.choice(nonzero, min(SAMPLES // 2, nonzero.size), False),
                                rng.integers(0, flat.size, SAMPLES // 2)])
        arrays[key + "/index"] = picks
        arrays[key + "/values"] = flat[picks]
        arrays[key + "/sums"] = grid.reshape(grid.shape[0], grid.shape[1], -1).sum(-1)
        if grid.shape[-1] <= 13 and prefix == "small":
            arrays[key + "/whole"] = grid
        out[name] = {"peak": float(grid.max()), "shape": list(grid.shape)}
        if not S.GRIDS[name][2]:  # gradients of the Gaussian grids
            ex = batch[0]
            merged = ex.merge_coordinates()
            diff = S.upstream_gradient(grid.shape[1:])
            atom_grad = np.zeros((merged.size(), 3), np.float32)
            if merged.has_vector_types():
                type_grad = np.zeros((merged.size(), merged.num_types()), np.float32)
                maker.backward(ex.coord_sets[-1].center(), merged, diff, atom_grad, type_grad)
                arrays[key + "/type_gradients"] = type_grad
            else:
                maker.backward(ex.coord_sets[-1].center(), merged, diff, atom_grad)
            arrays[key + "/atom_gradients"] = atom_grad
    return out


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    arrays, manifest = {}, {"molgrid": molgrid.__version__, "numpy": np.__version__,
                            "scenarios": {}, "epochs": []}
    rng = np.random.default_rng(27)
    with tempfile.TemporaryDirectory() as tmp:
        caches = Path(tmp)
        gnina.molcache_from_types(caches / "rec.molcache2", S.DATA / "small.types",
                                  data_root=str(S.STRUCTS), position="receptor")
        (caches / "lig.molcache2").write_bytes((S.DATA / "lig.molcache2").read_bytes())
        for name, (_, _, _, _, batch_size) in S.SCENARIOS.items():
            e, examples = S.draw(molgrid, name, caches)
            meta = record_examples(examples, arrays, name)
            grids = record_grids(examples, batch_size, arrays, name, rng)
            manifest["scenarios"][name] = {"examples": meta, "grids": grids,
                                           "num_types": e.num_types(),
                                           "type_names": list(e.get_type_names())}
            print(f"{name}: {len(meta)} examples, grids {list(grids)}", file=sys.stderr)
    for settings, scheme, batch_size in S.EPOCHS:
        counted = S.count_epochs(molgrid, settings, scheme, batch_size)
        manifest["epochs"].append({"settings": settings, "scheme": scheme,
                                   "batch_size": batch_size, **counted})
    np.savez_compressed(OUT / "reference.npz", **arrays)
    (OUT / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n")
    print(f"wrote {OUT}", file=sys.stderr)


if __name__ == "__main__":
    main()
