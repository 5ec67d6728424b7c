"""The gnina-pipeline scenarios that voxelize_cy.molgrid is compared on.

Shared by ``make_gnina_reference.py`` (libmolgrid writes what it gives for
each into tests/data/gnina_reference/), ``gnina_agreement.py`` (both in one
process, the whole outputs compared) and ``tests/test_gnina_reference.py``
(voxelize_cy against the stored reference).  A scenario is a ``.types`` file
of tests/data/libmolgrid, the provider's settings and typers, and how many
examples to draw (no shuffling: the order is libmolgrid's).
"""

from __future__ import annotations

from pathlib import Path

#: tests/data/libmolgrid (libmolgrid's own test data).
DATA = Path(__file__).resolve().parents[1] / "tests" / "data" / "libmolgrid"
STRUCTS = DATA / "structs"

#: name -> (types file, settings, typers (names of the module's typer
#: factories below), examples to draw, batch size)
SCENARIOS = {
    "small": ("small.types", {}, None, 24, 8),
    "small-balanced": ("small.types", {"balanced": True}, None, 24, 8),
    "small-receptors": ("small.types", {"stratify_receptor": True}, None, 24, 8),
    "small-balanced-receptors": ("small.types", {"balanced": True, "stratify_receptor": True},
                                 None, 24, 8),
    "small-value": ("small.types", {"stratify_min": 0.0, "stratify_max": 12.0,
                                    "stratify_step": 2.0, "stratify_pos": 1}, None, 24, 8),
    "multilig": ("multilig.types", {}, None, 10, 5),
    "multilig-duplicate-first": ("multilig.types", {"duplicate_first": True}, None, 10, 5),
    "ligonly": ("ligonly.types", {}, None, 10, 5),
    "num-copies": ("ligonly.types", {"num_copies": 3}, None, 10, 5),
    "grouped": ("grouped.types", {"max_group_size": 5, "group_batch_size": 3}, None, 15, 3),
    "molcache": ("small.types", {"recmolcache": "rec.molcache2",
                                 "ligmolcache": "lig.molcache2"}, None, 10, 5),
    "typer-element": ("small.types", {}, ["element80"], 10, 5),
    "typer-gnina35": ("small.types", {}, ["gnina35rec", "gnina35lig"], 10, 5),
    "typer-subset": ("small.types", {}, ["subset"], 10, 5),
    "vector-types": ("small.types", {"make_vector_types": True}, None, 4, 4),
    "molecules": ("smallmol.types", {}, None, 3, 3),
}

#: name -> (resolution, dimension, binary, radius_scale, gaussian_radius_multiple,
#: radius_type_indexed)
GRIDS = {
    "default": (0.5, 23.5, False, 1.0, 1.0, False),
    "binary": (0.5, 23.5, True, 1.0, 1.0, False),
    "coarse": (1.0, 11.5, False, 1.0, 1.0, False),
    "scaled": (0.5, 23.5, False, 0.8, 1.5, False),
    "truncated": (0.5, 23.5, False, 1.0, -1.5, False),
}
#: scenario -> grids drawn of its first batch
GRIDDED = {
    "small": ["default", "binary", "coarse", "scaled", "truncated"],
    "ligonly": ["default"],
    "multilig-duplicate-first": ["coarse"],
    "molcache": ["default"],
    "vector-types": ["default-typed-radii"],
}
GRIDS["default-typed-radii"] = (0.5, 23.5, False, 1.0, 1.0, True)

#: (settings, iteration scheme, batch size) whose epochs are counted
EPOCHS = [
    ({}, "LargeEpoch", 10), ({}, "SmallEpoch", 8),
    ({"balanced": True}, "LargeEpoch", 10), ({"balanced": True}, "SmallEpoch", 7),
    ({"stratify_receptor": True}, "SmallEpoch", 10),
    ({"stratify_receptor": True}, "LargeEpoch", 9),
    ({"balanced": True, "stratify_receptor": True}, "SmallEpoch", 8),
    ({"balanced": True, "stratify_receptor": True}, "LargeEpoch", 10),
    ({"stratify_min": 0.0, "stratify_max": 12.0, "stratify_step": 2.0}, "SmallEpoch", 10),
    ({"stratify_min": 0.0, "stratify_max": 12.0, "stratify_step": 2.0, "balanced": True},
     "LargeEpoch", 10),
]


def upstream_gradient(shape):
    """A fixed dL/d(grid) for the backward passes: a smooth pattern of both
    signs (the same numbers on every machine, no random stream)."""
    import numpy as np

    c, i, j, k = np.meshgrid(*(np.arange(n) for n in shape), indexing="ij")
    return np.sin(0.37 * i + 0.11 * (c + 1) * j + 0.23 * k + 0.5 * c).astype(np.float32)


def typers(molgrid, names):
    """The typers a scenario names, made with a molgrid module (libmolgrid's
    or voxelize_cy.molgrid)."""
    if not names:
        return []
    made = {
        "element80": lambda: molgrid.ElementIndexTyper(80),
        "gnina35rec": lambda: molgrid.FileMappedGninaTyper(str(DATA / "gnina35.recmap")),
        "gnina35lig": lambda: molgrid.FileMappedGninaTyper(str(DATA / "gnina35.ligmap")),
        "subset": lambda: molgrid.SubsettedGninaTyper([[2, 3], [4, 5], [6, 7, 8, 9],
                                                       [10, 11, 12, 13]]),
    }
    return [made[n]() for n in names]


def provider(molgrid, scenario: str, molcache_dir: Path = DATA):
    """A populated ``ExampleProvider`` of a scenario."""
    types, settings, typer_names, _, _ = SCENARIOS[scenario]
    settings = dict(settings)
    for key in ("recmolcache", "ligmolcache"):
        if key in settings:
            settings[key] = str(molcache_dir / settings[key])
    e = molgrid.ExampleProvider(*typers(molgrid, typer_names), data_root=str(STRUCTS),
                                **settings)
    e.populate(str(DATA / types))
    return e


def draw(molgrid, scenario: str, molcache_dir: Path = DATA):
    """``(provider, examples)``: a scenario's first examples, drawn in batches
    of its batch size, in libmolgrid's order."""
    _, _, _, count, batch_size = SCENARIOS[scenario]
    e = provider(molgrid, scenario, molcache_dir)
    examples = []
    while len(examples) < count:
        examples.extend(e.next_batch(batch_size))
    return e, examples[:count]


def grid_maker(molgrid, name: str):
    """A ``GridMaker`` of a grid configuration."""
    resolution, dimension, binary, scale, multiple, typed = GRIDS[name]
    return molgrid.GridMaker(resolution=resolution, dimension=dimension, binary=binary,
                             radius_type_indexed=typed, radius_scale=scale,
                             gaussian_radius_multiple=multiple)


def count_epochs(molgrid, settings, scheme, batch_size, passes=2):
    """Epoch sizes and, for two passes of iteration, the batches of each pass
    and the epoch numbers after each batch."""
    e = molgrid.ExampleProvider(data_root=str(STRUCTS), default_batch_size=batch_size,
                                iteration_scheme=getattr(molgrid.IterationScheme, scheme),
                                **settings)
    e.populate(str(DATA / "small.types"))
    out = {"small": e.small_epoch_size(), "large": e.large_epoch_size(), "size": e.size(),
           "batches": [], "small_nums": [], "large_nums": [], "actives": []}
    for _ in range(passes):
        count = 0
        for batch in e:
            count += 1
            out["small_nums"].append(e.get_small_epoch_num())
            out["large_nums"].append(e.get_large_epoch_num())
            out["actives"].append(int(sum(ex.labels[0] != 0 for ex in batch)))
        out["batches"].append(count)
    return out
