"""Loading atoms from mmCIF and PDB files (gzipped too) with gemmi.

The result is the atom table the original module consumed: a pandas DataFrame
with columns ``monomer, element, x, y, z, occupancy``, one row per atom site of
the chosen model, in file order, with the element as written in the file
(``type_symbol``, e.g. ``CL``, ``FE``) and alternate conformations kept with
their occupancies.

mmCIF is read as a CIF table (gemmi's C++ parser), and the ``_atom_site``
columns go straight into numpy arrays: no Python loop over atoms.  PDB files
are read with gemmi as a structure and turned into the same table.  Gzipped
files are inflated by Python's zlib and handed to gemmi from memory.
"""

from __future__ import annotations

import gzip
import os
import zlib
from pathlib import Path
from typing import Dict, Optional, Union

import numpy as np
import pandas as pd

from voxelize_cy.core import parse_floats
from voxelize_cy.io.cache import CACHE_SUFFIXES, read_cache

__all__ = ["atoms_from_file", "write_b_factors"]

_ATOM_SITE_COLUMNS = [
    "type_symbol",
    "label_comp_id",
    "Cartn_x",
    "Cartn_y",
    "Cartn_z",
    "occupancy",
    "pdbx_PDB_model_num",
    "auth_asym_id",
]
_WATERS = ("HOH", "WAT", "DOD", "H2O")
_HYDROGENS = ("H", "D")
_CIF_SUFFIXES = (".cif", ".mmcif")
_PDB_SUFFIXES = (".pdb", ".ent", ".pdb1")


def atoms_from_file(
    path: Union[str, os.PathLike],
    *,
    model: int = 1,
    chain: Optional[str] = None,
    hydrogens: bool = True,
    waters: bool = True,
    names: bool = False,
) -> pd.DataFrame:
    """Read the atoms of a structure file into the original's atom table.

    Parameters
    ----------
    path : str or path-like
        An mmCIF (``.cif``, ``.mmcif``) or PDB (``.pdb``, ``.ent``) file,
        optionally gzipped (``.gz``), or a structure cache written by
        ``voxelize-cy convert`` (``.feather``, ``.arrow``; needs the ``cache``
        extra).  Other names are sniffed from content.
    model : int, default 1
        Model number as written in the file (``pdbx_PDB_model_num`` / ``MODEL``).
    chain : str, optional
        Keep only this chain (author chain name, as PDB files have it).
    hydrogens : bool, default True
        Keep hydrogen and deuterium atoms.
    waters : bool, default True
        Keep water molecules (HOH, WAT, DOD).
    names : bool, default False
        Also return the columns that name each atom: ``atom_name``
        (``label_atom_id``, e.g. ``CA``), ``alt`` (alternate location, ``''``
        for none), ``chain`` (author chain) and ``residue`` (author residue
        number with its insertion code, e.g. ``'52A'``).  Channel sets that
        type atoms from their residue (``voxelize_cy.chemistry.channel_sets``) use them.

    Returns
    -------
    pandas.DataFrame
        Columns ``monomer`` (str), ``element`` (str), ``x``, ``y``, ``z`` (Å,
        float64) and ``occupancy`` (float64), one row per atom site, in file
        order; with ``names=True`` also ``atom_name``, ``alt``, ``chain`` and
        ``residue`` (str).

    Raises
    ------
    FileNotFoundError
        ``path`` does not exist.
    ValueError
        The file cannot be read as mmCIF/PDB or has no atoms; the model or
        chain does not exist (the message lists those that do); a ``.gz``
        file that is not gzip-compressed.
    ImportError
        A structure cache without pyarrow installed (the message names the
        extra to install).
    """
    import gemmi

    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"no such structure file: {path}")
    if path.is_dir():
        raise ValueError(f"{path} is a directory, not a structure file")
    if isinstance(model, bool) or not isinstance(model, (int, np.integer)):
        raise TypeError(f"model must be an int, got {model!r}")

    if path.name.lower().endswith(CACHE_SUFFIXES):
        if names:
            raise ValueError(f"{path} is a structure cache, which holds no atom names; "
                             f"read the structure file itself for names=True")
        return _from_cache(path, model, chain, hydrogens, waters)
    if path.name.lower().endswith(".gz") and not _is_gzipped(path):
        raise ValueError(f"{path} is named .gz but is not gzip-compressed")
    kind = _file_kind(path)
    try:
        # Gzipped files are inflated with Python's zlib and parsed from memory:
        # about twice as fast as letting gemmi read the .gz itself.
        data = gzip.decompress(path.read_bytes()) if _is_gzipped(path) else None
        if kind == "cif":
            document = gemmi.cif.read_string(data) if data is not None else gemmi.cif.read(str(path))
            block = document.sole_block()
        else:
            if data is not None:
                structure = gemmi.read_pdb_string(data)
            else:
                structure = gemmi.read_structure(str(path), merge_chain_parts=False)
            if len(structure) == 0:
                raise ValueError("no models")
            block = structure.make_mmcif_block()
    except (RuntimeError, ValueError, OSError, EOFError, zlib.error) as err:
        raise ValueError(f"cannot read {path} as {kind.upper()}: {err}") from None

    table = block.find("_atom_site.", _ATOM_SITE_COLUMNS)
    if len(table) == 0:
        raise ValueError(f"{path} has no _atom_site records (no atoms)")
    columns = {name: table.column(i) for i, name in enumerate(_ATOM_SITE_COLUMNS)}

    model_list = list(columns["pdbx_PDB_model_num"])
    models = set(model_list)
    if models == {str(model)}:
        keep = np.ones(len(model_list), dtype=bool)  # the usual single-model file
    else:
        keep = np.array(model_list) == str(model)
    if not keep.any():
        available = sorted(models, key=_natural)
        raise ValueError(f"{path} has no model {model}; models: {', '.join(available)}")

    elements = _string_array(columns["type_symbol"])
    monomers = _string_array(columns["label_comp_id"])
    if chain is not None:
        chains = np.array(list(columns["auth_asym_id"]))
        in_chain = chains == str(chain)
        if not (keep & in_chain).any():
            available = sorted(set(chains[keep].tolist()), key=_natural)
            raise ValueError(
                f"{path} model {model} has no chain {chain!r}; chains: {', '.join(available)}"
            )
        keep &= in_chain
    if not hydrogens:
        keep &= ~np.isin(np.char.upper(elements.astype(str)), _HYDROGENS)
    if not waters:
        keep &= ~np.isin(monomers.astype(str), _WATERS)

    every_row = bool(keep.all())
    try:
        coords = {name: _float_array(columns[col])
                  for name, col in (("x", "Cartn_x"), ("y", "Cartn_y"), ("z", "Cartn_z"),
                                    ("occupancy", "occupancy"))}
    except ValueError as err:
        raise ValueError(f"{path}: bad number in _atom_site: {err}") from None
    frame: Dict[str, np.ndarray] = {"monomer": monomers, "element": elements, **coords}
    if names:
        frame.update(_name_columns(block, path))
    if not every_row:
        frame = {name: values[keep] for name, values in frame.items()}
    return pd.DataFrame(frame)


_NAME_COLUMNS = ["label_atom_id", "label_alt_id", "auth_asym_id", "auth_seq_id",
                 "?pdbx_PDB_ins_code"]


def _name_columns(block, path):
    """The ``names=True`` columns of an ``_atom_site`` table (every row)."""
    table = block.find("_atom_site.", _NAME_COLUMNS)
    if len(table) == 0:
        raise ValueError(f"{path}: _atom_site lacks atom names (label_atom_id, "
                         f"label_alt_id, auth_asym_id, auth_seq_id)")
    unset = {"?", "."}
    atom_name = _string_array(table.column(0))
    alt = np.array(["" if v in unset else v for v in table.column(1)], dtype=object)
    chain = _string_array(table.column(2))
    number = list(table.column(3))
    if table.has_column(4):
        residue = [n if c in unset else n + c for n, c in zip(number, table.column(4))]
    else:
        residue = number
    return {"atom_name": atom_name, "alt": alt, "chain": chain,
            "residue": np.array(residue, dtype=object)}


def _from_cache(path, model, chain, hydrogens, waters):
    """A structure cache file, with the hydrogen and water filters applied."""
    if model != 1 or chain is not None:
        raise ValueError(
            f"{path} is a structure cache: it holds the model and chain chosen when it "
            f"was written (voxelize-cy convert --model/--chain), so model= and chain= "
            f"cannot apply here"
        )
    atoms = read_cache(path)
    keep = None
    if not hydrogens:
        keep = ~atoms["element"].str.upper().isin(_HYDROGENS).to_numpy(dtype=bool)
    if not waters:
        dry = ~atoms["monomer"].isin(_WATERS).to_numpy(dtype=bool)
        keep = dry if keep is None else keep & dry
    if keep is not None:
        atoms = atoms[keep].reset_index(drop=True)
    return atoms


def _string_array(column):
    """A CIF column of words as an object array, unquoting only quoted values.

    Works on the distinct values (a handful of elements or monomers), so there
    is no per-atom Python work beyond building the list.
    """
    import gemmi

    raw = list(column)
    quoted = {v for v in set(raw) if v[:1] in ("'", '"')}
    if quoted:
        unquote = {v: gemmi.cif.as_string(v) for v in quoted}
        raw = [unquote.get(v, v) for v in raw]
    return np.array(raw, dtype=object)


def _float_array(column):
    """A CIF column of numbers as float64 ('?' and '.' are not numbers),
    parsed in C (``voxelize_cy.core.parse_floats``)."""
    return parse_floats(list(column))


def _natural(text):
    return (0, int(text)) if text.isdigit() else (1, text)


def _is_gzipped(path: Path) -> bool:
    """True when the file starts with the gzip magic bytes."""
    with open(path, "rb") as f:
        return f.read(2) == b"\x1f\x8b"


def _file_kind(path: Path) -> str:
    """``'cif'`` or ``'pdb'``, from the suffix or, failing that, the content."""
    name = path.name.lower()
    if name.endswith(".gz"):
        name = name[:-3]
    if name.endswith(_CIF_SUFFIXES):
        return "cif"
    if name.endswith(_PDB_SUFFIXES):
        return "pdb"
    opener = gzip.open if path.name.lower().endswith(".gz") else open
    try:
        with opener(path, "rt", errors="replace") as f:
            head = f.read(4096)
    except (OSError, EOFError) as err:
        raise ValueError(f"cannot read {path}: {err}") from None
    stripped = head.lstrip()
    if stripped.startswith("data_") or "\n_atom_site." in head or "\nloop_" in head:
        return "cif"
    return "pdb"


def write_b_factors(path: Union[str, os.PathLike], values, out: Union[str, os.PathLike], *,
                    model: int = 1) -> Path:
    """Write a copy of an mmCIF/PDB structure with ``values`` as its B-factors.

    ``values`` holds one number per atom of ``atoms_from_file(path, model=model)``
    (every atom, in file order), e.g. per-atom saliency scores; viewers colour
    by them (PyMOL: ``spectrum b``).  Atoms of other models keep theirs.

    Parameters
    ----------
    path : the structure file (mmCIF or PDB, gzipped or not)
    values : sequence of floats, one per atom of the model
    out : the mmCIF file to write (``.cif``)
    model : the model the values belong to

    Returns
    -------
    pathlib.Path
    """
    import gemmi

    path, out = Path(path), Path(out)
    values = np.asarray(values, dtype=np.float64)
    if values.ndim != 1 or not np.isfinite(values).all():
        raise ValueError("values must be one finite number per atom")
    data = gzip.decompress(path.read_bytes()) if _is_gzipped(path) else path.read_bytes()
    if _file_kind(path) == "cif":
        document = gemmi.cif.read_string(data)
    else:
        structure = gemmi.read_pdb_string(data)
        document = structure.make_mmcif_document()
    block = document.sole_block()
    table = block.find("_atom_site.", ["B_iso_or_equiv", "pdbx_PDB_model_num"])
    if len(table) == 0:
        raise ValueError(f"{path} has no _atom_site records (no atoms)")
    rows = [i for i, number in enumerate(table.column(1)) if number == str(model)]
    if len(rows) != len(values):
        raise ValueError(f"{path} model {model} has {len(rows)} atoms, but {len(values)} "
                         f"values were given")
    column = table.column(0)
    for i, value in zip(rows, values):
        column[i] = f"{value:.4g}"
    document.write_file(str(out))
    return out
