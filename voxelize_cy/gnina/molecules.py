"""Molecule files listed in a ``.types`` file (PDB, SDF, mol2, ...), typed.

libmolgrid reads them with OpenBabel, adds hydrogens (``add_hydrogens``) and
types each atom with the typer; so does :func:`read_molecule` when OpenBabel
is installed (the ``openbabel`` extra: ``pip install
'voxelize_cy[openbabel]'``).  Without OpenBabel, a PDB or mmCIF file typed
by a typer that drops hydrogens (gnina's default receptor and ligand typers
and other maps of smina types) is read with gemmi and typed by voxelize_cy's
own perception of OpenBabel's chemistry (:mod:`voxelize_cy.chemistry`);
anything else asks for the extra.
"""

from __future__ import annotations

import os
from typing import Optional, cast

import numpy as np

from voxelize_cy.chemistry.gnina_types import smina_types
from voxelize_cy.gnina.atom_typers import AtomTyper, IndexTyper, VectorTyper, openbabel_module
from voxelize_cy.gnina.coordinates import TypedAtoms
from voxelize_cy.gnina.errors import GninaDataError

__all__ = ["read_molecule", "atoms_of_obmol", "have_openbabel"]

_OWN_PERCEPTION_SUFFIXES = (".pdb", ".ent", ".cif", ".mmcif", ".pdb.gz", ".cif.gz",
                            ".ent.gz", ".mmcif.gz")


def have_openbabel() -> bool:
    """True when ``from openbabel import openbabel`` works."""
    try:
        openbabel_module()
    except ImportError:
        return False
    return True


def atoms_of_obmol(mol, typer: AtomTyper, src: Optional[str] = None) -> TypedAtoms:
    """The typed atoms of an OpenBabel molecule (an ``OBMol`` or a pybel
    molecule): atoms an index typer types -1, or a vector typer gives radius
    0, are left out, as libmolgrid leaves them out."""
    ob = openbabel_module()
    mol = getattr(mol, "OBMol", mol)
    coords, types, vectors, radii = [], [], [], []
    ntypes = typer.num_types()
    for atom in ob.OBMolAtomIter(mol):
        if isinstance(typer, VectorTyper):
            weights, radius = typer.type_atom_vector(atom)
            if radius > 0:
                coords.append((atom.GetX(), atom.GetY(), atom.GetZ()))
                vectors.append(weights)
                radii.append(radius)
            continue
        t, radius = cast(IndexTyper, typer).type_atom(atom)
        if t >= ntypes:
            raise ValueError(f"the typer gave type {t}; it has {ntypes} types")
        if t >= 0:
            coords.append((atom.GetX(), atom.GetY(), atom.GetZ()))
            types.append(t)
            radii.append(radius)
    n = len(coords)
    xyz = np.asarray(coords, np.float32).reshape(n, 3)
    if typer.is_vector:
        return TypedAtoms(xyz, None, np.asarray(radii, np.float32), ntypes, src,
                          np.asarray(vectors, np.float32).reshape(n, ntypes))
    return TypedAtoms(xyz, np.asarray(types, np.float32), np.asarray(radii, np.float32),
                      ntypes, src)


def _drops_hydrogens(typer: AtomTyper) -> bool:
    if not isinstance(typer, IndexTyper):
        return False
    try:
        kept, _ = typer.from_stored(np.array([0, 1]))
    except Exception:
        return False
    return bool((kept < 0).all())


def read_molecule(path: str, typer: AtomTyper, *, add_hydrogens: bool = True,
                  src: Optional[str] = None, listed_by: Optional[str] = None) -> TypedAtoms:
    """Read and type a molecule file as libmolgrid does.

    Parameters
    ----------
    path : str
        The file (any format OpenBabel reads, by its extension).
    typer : AtomTyper
    add_hydrogens : bool
        Add hydrogens (OpenBabel's ``AddHydrogens``) before typing.
    src : str, optional
        The name to record as the atoms' source (the ``.types`` line's).
    listed_by : str, optional
        Where the file was named, for messages.

    Raises
    ------
    GninaDataError
        A missing or unreadable file.
    ImportError
        The file needs OpenBabel, which is not installed.
    """
    if not os.path.exists(path):
        raise GninaDataError(path, "no such file", listed_by=listed_by)
    if have_openbabel():
        return _read_with_openbabel(path, typer, add_hydrogens, src, listed_by)
    if path.lower().endswith(_OWN_PERCEPTION_SUFFIXES) and _drops_hydrogens(typer):
        return _read_with_own_perception(path, typer, src, listed_by)
    raise ImportError(f"reading {path} (listed in {listed_by or 'the .types file'}) with "
                      f"this typer needs OpenBabel: pip install 'voxelize_cy[openbabel]'; "
                      f"or convert the molecules to .gninatypes or a molcache2 first")


def _read_with_openbabel(path, typer, add_hydrogens, src, listed_by) -> TypedAtoms:
    ob = openbabel_module()
    conversion = ob.OBConversion()
    mol = ob.OBMol()
    fmt = conversion.FormatFromExt(path)
    if fmt is None or not conversion.SetInFormat(fmt):
        raise GninaDataError(path, "is not a molecule format OpenBabel knows (by its "
                             "extension)", listed_by=listed_by)
    if not conversion.ReadFile(mol, path) or mol.NumAtoms() == 0:
        raise GninaDataError(path, "OpenBabel read no molecule from it", listed_by=listed_by)
    if add_hydrogens:
        mol.AddHydrogens()
    return atoms_of_obmol(mol, typer, src)


def _read_with_own_perception(path, typer, src, listed_by) -> TypedAtoms:
    from voxelize_cy.io import atoms_from_file

    try:
        atoms = atoms_from_file(path)
    except (OSError, ValueError) as err:
        raise GninaDataError(path, f"cannot be read: {err}", listed_by=listed_by) from None
    xyz = np.column_stack([atoms[c].to_numpy(np.float64) for c in "xyz"])
    stored = smina_types(atoms["element"].to_list(), xyz)
    t, radius = typer.from_stored(stored.astype(np.int64))
    keep = t >= 0
    return TypedAtoms(xyz[keep].astype(np.float32), t[keep].astype(np.float32),
                      radius[keep].astype(np.float32), typer.num_types(), src)
