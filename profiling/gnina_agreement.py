"""voxelize_cy.molgrid against libmolgrid 0.5.5, both in this process, whole outputs.

For every scenario of ``_gnina_scenarios.py`` (small.types plain, balanced and
stratified; multilig with and without ``duplicate_first``; ligonly;
``num_copies``; grouped; molcache2 caches, libmolgrid's ligand cache and a
receptor cache voxelize_cy wrote; other typers; vector types; molecule files):

- the examples both draw, without shuffling, compared in order: labels,
  groups, sources, coordinates, types and radii;
- ``GridMaker.forward`` of the first batch for each grid configuration
  (default, binary, 1 Å / 11.5 Å, radius_scale with
  gaussian_radius_multiple, truncated, type-indexed radii), whole grids: the
  largest difference as a fraction of the peak;
- epoch sizes, batches per epoch and the epoch counters in both iteration
  schemes for plain, balanced and stratified providers, and the actives of
  every balanced batch;
- the PyTorch tutorial's training loop (libmolgrid's ``test_torch_cnn.py``:
  balanced small.types, batches of 50, a 3-layer CNN, SGD) on the CPU
  without shuffling, run once with each ``import``: the losses; and, as a
  control of how far SGD carries a float32 rounding, libmolgrid's loop once
  more with its grids scaled by 1 + 1e-6.

Usage::

    python profiling/gnina_agreement.py [--iterations 20]   # in profiling/.venv-gnina

Writes profiling/results/gnina_agreement.txt and .json.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
from pathlib import Path

from _gnina_venv import REPO_ROOT, same_process_with_molgrid

same_process_with_molgrid()

import _gnina_scenarios as S  # noqa: E402
import numpy as np  # noqa: E402
from _workloads import cpu_model  # noqa: E402

import voxelize_cy  # noqa: E402
import voxelize_cy.molgrid as ours  # noqa: E402
from voxelize_cy import gnina  # noqa: E402

RESULTS = REPO_ROOT / "profiling" / "results"
#: The control run's grids are libmolgrid's times (1 + this): a change of the
#: size of the two gridders' float32 rounding (about 1e-6 of the peak).
CONTROL_SCALE = 1e-6


def example_differences(theirs_examples, our_examples):
    """Per field, how many examples differ (atoms whose types differ, for types)."""
    counts = {"labels": 0, "sets": 0, "coords": 0, "radii": 0, "types": 0, "atoms": 0}
    for a, b in zip(theirs_examples, our_examples):
        counts["labels"] += not np.array_equal(np.array(a.labels, np.float64),
                                               np.array(b.labels, np.float64), equal_nan=True)
        counts["sets"] += [(c.src, c.size()) for c in a.coord_sets] != \
            [(c.src, c.size()) for c in b.coord_sets]
        for c, d in zip(a.coord_sets, b.coord_sets):
            counts["atoms"] += c.size()
            if c.size() != d.size():
                continue
            counts["coords"] += not np.array_equal(c.coords.tonumpy(), d.coords.tonumpy())
            counts["radii"] += not np.allclose(c.radii.tonumpy(), d.radii.tonumpy(),
                                               rtol=1e-6)
            if c.has_indexed_types():
                counts["types"] += int(np.sum(c.type_index.tonumpy()
                                              != d.type_index.tonumpy()))
            elif c.has_vector_types():
                counts["types"] += int(np.sum(np.any(c.type_vector.tonumpy()
                                                     != d.type_vector.tonumpy(), axis=1)))
    counts["examples"] = len(our_examples)
    counts["same_count"] = len(theirs_examples) == len(our_examples)
    return counts


def grid_differences(molgrid_pair, batches, scenario):
    """Whole-grid differences of each configuration of a scenario's first batch."""
    out = {}
    for config in S.GRIDDED.get(scenario, []):
        grids = []
        for molgrid, batch in zip(molgrid_pair, batches):
            maker = S.grid_maker(molgrid, config)
            grid = np.zeros((len(batch),) + maker.grid_dimensions(batch[0].num_types()),
                            np.float32)
            maker.forward(batch, grid)
            grids.append(grid)
        peak = float(grids[0].max())
        out[config] = {"peak": peak, "max_abs_diff": float(np.abs(grids[0] - grids[1]).max()),
                       "fraction_of_peak": float(np.abs(grids[0] - grids[1]).max() / peak),
                       "voxels": int(grids[0].size)}
    return out


def epoch_agreement(theirs, mine):
    """Each counted epoch configuration: equal, and the balanced batches' actives."""
    rows = []
    for settings, scheme, batch_size in S.EPOCHS:
        a = S.count_epochs(theirs, settings, scheme, batch_size)
        b = S.count_epochs(mine, settings, scheme, batch_size)
        halves = None
        if settings.get("balanced") and batch_size % 2 == 0:
            halves = all(x == batch_size // 2 for x in b["actives"])
        rows.append({"settings": settings, "scheme": scheme, "batch_size": batch_size,
                     "equal": a == b, "small": b["small"], "large": b["large"],
                     "batches": b["batches"], "exactly_half_actives": halves})
    return rows


def tutorial_losses(molgrid, iterations: int, scale: float = 1.0):
    """libmolgrid's CNN tutorial loop on the CPU, no shuffling: the losses
    (with every grid multiplied by ``scale``: the control)."""
    import torch
    import torch.nn as nn
    import torch.nn.functional as F
    from torch.nn import init

    class Net(nn.Module):
        def __init__(self, dims):
            super().__init__()
            self.pool0 = nn.MaxPool3d(2)
            self.conv1 = nn.Conv3d(dims[0], 32, kernel_size=3, padding=1)
            self.pool1 = nn.MaxPool3d(2)
            self.conv2 = nn.Conv3d(32, 64, kernel_size=3, padding=1)
            self.pool2 = nn.MaxPool3d(2)
            self.conv3 = nn.Conv3d(64, 128, kernel_size=3, padding=1)
            self.last_layer_size = dims[1] // 8 * dims[2] // 8 * dims[3] // 8 * 128
            self.fc1 = nn.Linear(self.last_layer_size, 2)

        def forward(self, x):
            x = self.pool0(x)
            x = F.relu(self.conv1(x))
            x = self.pool1(x)
            x = F.relu(self.conv2(x))
            x = self.pool2(x)
            x = F.relu(self.conv3(x))
            return self.fc1(x.view(-1, self.last_layer_size))

    def weights_init(m):
        if isinstance(m, (nn.Conv3d, nn.Linear)):
            init.xavier_uniform_(m.weight.data)

    batch_size = 50
    molgrid.set_random_seed(0)
    torch.manual_seed(0)
    e = molgrid.ExampleProvider(data_root=str(S.STRUCTS), balanced=True, shuffle=False)
    e.populate(str(S.DATA / "small.types"))
    gmaker = molgrid.GridMaker()
    dims = gmaker.grid_dimensions(e.num_types())
    model = Net(dims)
    model.apply(weights_init)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    input_tensor = torch.zeros((batch_size,) + dims, dtype=torch.float32)
    float_labels = torch.zeros(batch_size, dtype=torch.float32)
    losses = []
    for _ in range(iterations):
        batch = e.next_batch(batch_size)
        gmaker.forward(batch, input_tensor, 0, random_rotation=False)
        if scale != 1.0:
            input_tensor *= scale
        batch.extract_label(0, float_labels)
        labels = float_labels.long()
        optimizer.zero_grad()
        loss = F.cross_entropy(model(input_tensor), labels)
        loss.backward()
        optimizer.step()
        losses.append(float(loss.detach()))
    return losses


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--iterations", type=int, default=20,
                        help="training iterations of the tutorial loop (each import)")
    args = parser.parse_args()
    import molgrid as theirs

    result = {"cpu": cpu_model(), "molgrid": theirs.__version__, "numpy": np.__version__,
              "voxelize_cy": voxelize_cy.__version__, "scenarios": {}}
    with tempfile.TemporaryDirectory() as tmp:
        caches = Path(tmp)
        gnina.molcache_from_types(caches / "rec.molcache2", S.DATA / "small.types",
                                  data_root=str(S.STRUCTS), position="receptor")
        shutil.copy(S.DATA / "lig.molcache2", caches / "lig.molcache2")
        for name in S.SCENARIOS:
            if name == "molecules" and not gnina.have_openbabel():
                continue
            (_, a), (_, b) = S.draw(theirs, name, caches), S.draw(ours, name, caches)
            batch_size = S.SCENARIOS[name][4]
            result["scenarios"][name] = {
                "examples": example_differences(a, b),
                "grids": grid_differences((theirs, ours), (theirs.ExampleVec(a[:batch_size]),
                                                            ours.ExampleVec(b[:batch_size])),
                                          name)}
            print(f"{name}: done", file=sys.stderr)
    result["epochs"] = epoch_agreement(theirs, ours)
    ours.set_num_threads(2)
    result["tutorial"] = {"iterations": args.iterations,
                          "libmolgrid": tutorial_losses(theirs, args.iterations),
                          "voxelize_cy.molgrid": tutorial_losses(ours, args.iterations),
                          "libmolgrid_scaled": tutorial_losses(theirs, args.iterations,
                                                               1 + CONTROL_SCALE),
                          "control_scale": CONTROL_SCALE}
    report(result)


def report(result):
    lines = [f"# python profiling/gnina_agreement.py --iterations "
             f"{result['tutorial']['iterations']}",
             f"# {result['cpu']}; molgrid {result['molgrid']}, numpy {result['numpy']}, "
             f"voxelize_cy {result['voxelize_cy']}, one process", "",
             "examples without shuffling, in order (examples or atoms that differ):",
             f"  {'scenario':26s} {'examples':>8s} {'labels':>6s} {'sets':>5s} "
             f"{'coords':>6s} {'radii':>5s} {'types':>5s} of atoms"]
    for name, row in result["scenarios"].items():
        x = row["examples"]
        lines.append(f"  {name:26s} {x['examples']:8d} {x['labels']:6d} {x['sets']:5d} "
                     f"{x['coords']:6d} {x['radii']:5d} {x['types']:5d} {x['atoms']:8d}")
    lines += ["", "GridMaker.forward of the first batch, whole grids:",
              f"  {'scenario':26s} {'grid':20s} {'voxels':>10s} {'max |diff| / peak':>18s}"]
    for name, row in result["scenarios"].items():
        for config, g in row["grids"].items():
            lines.append(f"  {name:26s} {config:20s} {g['voxels']:10d} "
                         f"{g['fraction_of_peak']:18.2e}")
    lines += ["", "epochs (sizes, batches per epoch, epoch counters):"]
    for row in result["epochs"]:
        settings = ",".join(sorted(row["settings"])) or "plain"
        half = "" if row["exactly_half_actives"] is None else \
            f"  half actives: {row['exactly_half_actives']}"
        lines.append(f"  {row['scheme']:10s} batch {row['batch_size']:2d} {settings:34s} "
                     f"equal: {row['equal']}{half}")
    t = result["tutorial"]
    theirs, mine = np.array(t["libmolgrid"]), np.array(t["voxelize_cy.molgrid"])
    lines += ["", f"tutorial training loop, {t['iterations']} iterations on the CPU, "
              f"no shuffling:",
              f"  first loss {theirs[0]:.6f} (libmolgrid) {mine[0]:.6f} (voxelize_cy)",
              f"  last loss  {theirs[-1]:.6f} (libmolgrid) {mine[-1]:.6f} (voxelize_cy)",
              f"  largest |loss difference| {np.abs(theirs - mine).max():.2e}",
              f"  control, libmolgrid against its own grids times (1 + "
              f"{t['control_scale']:g}): largest |loss difference| "
              f"{np.abs(theirs - np.array(t['libmolgrid_scaled'])).max():.2e}"]
    text = "\n".join(lines) + "\n"
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "gnina_agreement.txt").write_text(text)
    (RESULTS / "gnina_agreement.json").write_text(json.dumps(result, indent=1) + "\n")
    sys.stdout.write(text)


if __name__ == "__main__":
    main()
