"""Loading structures: voxelize_cy.atoms_from_file (gemmi) vs pdbecif (the original's reader).

Both produce the same DataFrame (monomer, element, x, y, z, occupancy; first
model, every atom site, file order) from the same gzipped mmCIF files; the
script checks that they are equal, then times each (median of ``--repeats``
after a warm-up).  pdbecif comes with the ``bench`` extra.

Usage::

    python profiling/bench_loading.py [--structures 1qjg 3v4i] [--repeats 5]
"""

from __future__ import annotations

import argparse
import gzip
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

from _workloads import STRUCTURES, median_seconds

import voxelize_cy as vc


def atoms_with_pdbecif(path: Path) -> pd.DataFrame:
    """The original's way: pdbecif parses the whole mmCIF into dicts of strings."""
    from pdbecif.mmcif_io import CifFileReader

    with tempfile.NamedTemporaryFile("wb", suffix=".cif") as plain:
        with gzip.open(path, "rb") as f:
            plain.write(f.read())
        plain.flush()
        data = CifFileReader().read(plain.name, output="cif_dictionary")
    block = next(iter(data.values()))
    site = block["_atom_site"]
    model = np.asarray(site["pdbx_PDB_model_num"])
    keep = model == model[0]
    frame = pd.DataFrame({
        "monomer": np.asarray(site["label_comp_id"], dtype=object)[keep],
        "element": np.asarray(site["type_symbol"], dtype=object)[keep],
        "x": np.asarray(site["Cartn_x"], dtype=float)[keep],
        "y": np.asarray(site["Cartn_y"], dtype=float)[keep],
        "z": np.asarray(site["Cartn_z"], dtype=float)[keep],
        "occupancy": np.asarray(site["occupancy"], dtype=float)[keep],
    })
    return frame


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--structures", nargs="+", default=["1qjg", "3v4i"])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args(argv)
    try:
        import pdbecif  # noqa: F401
    except ImportError:
        raise SystemExit("pdbecif is not installed: pip install 'voxelize_cy[bench]'")

    print("| structure | atoms | pdbecif (ms) | atoms_from_file (ms) | speed-up |")
    print("|---|---|---|---|---|")
    for name in args.structures:
        path = STRUCTURES / f"{name}.cif.gz"
        ours = vc.atoms_from_file(path)
        theirs = atoms_with_pdbecif(path)
        for column in ours.columns:
            assert (ours[column].to_numpy() == theirs[column].to_numpy()).all(), column
        t_theirs = median_seconds(lambda: atoms_with_pdbecif(path), args.repeats)
        t_ours = median_seconds(lambda: vc.atoms_from_file(path), args.repeats)
        print(f"| {name} | {len(ours)} | {t_theirs * 1e3:.1f} | {t_ours * 1e3:.1f} | "
              f"{t_theirs / t_ours:.1f}x |")
    print("\nBoth readers give identical tables (checked column by column above).")


if __name__ == "__main__":
    main()
