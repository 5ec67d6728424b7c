"""Bonds, bond orders, hydrogens and aromaticity perceived from 3-D coordinates.

gnina types a structure after OpenBabel has read it as a PDB file and added
hydrogens: bonds come from distances, bond orders from bond angles, ring
planarity, a few functional groups and a greedy pass over the atoms, and the
hydrogens from the valences left open.  The outcome depends on the details of
those steps (the order in which atoms are visited follows their z coordinate,
an odd ring system keeps one atom without a double bond ...), so a typer that
wants gnina's channels has to take the same steps.  This module takes them, on
numpy arrays, without a chemistry toolkit:

1. bonds: atoms closer than the sum of their covalent radii + 0.45 Å (and
   farther than 0.4 Å); an atom over its maximum bond count, or with two
   bonds closer than 45°, loses its longest bonds;
2. hybridisation from the mean bond angle (> 155° sp, > 115° sp2), planar
   5- and 6-rings (mean |torsion| ≤ 7.5° / 12°) made sp2;
3. functional groups with a fixed bond pattern (carboxylates, amides,
   phosphates, sulfates, nitro groups, amidines and guanidines);
4. rings of sp2 atoms marked aromatic and given alternating double bonds
   (a greedy matching, then augmenting paths; an odd system keeps what it has);
5. the remaining double and triple bonds, atom by atom in order of
   electronegativity and shortest bond;
6. hydrogens for the open valences; aromaticity from the final bonds
   (4n + 2 pi electrons in a ring or a pair of fused rings).

``perceive`` returns a ``Chemistry``: per atom its bonded neighbours,
hydrogen count, aromaticity and hybridisation.  ``voxelize_cy.chemistry.channel_sets``
turns that into gnina's atom types.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from itertools import combinations
from typing import Dict, List, Tuple

import numpy as np

from voxelize_cy.chemistry._bond_orders import (
    Molecule,
    functional_groups,
    kekulize,
    remaining_bonds,
)
from voxelize_cy.chemistry._bond_orders import torsion_deg as _torsion_deg
from voxelize_cy.chemistry._bonds import bonded_pairs
from voxelize_cy.chemistry._elements import COVALENT_RADIUS_A, MAX_BONDS
from voxelize_cy.chemistry._rings import ring_bonds, smallest_rings

__all__ = ["Chemistry", "perceive", "find_bonds"]

_COVALENT = np.array(COVALENT_RADIUS_A)
_MAX_BONDS = np.array(MAX_BONDS)
_H, _C, _N, _O, _P, _S = 1, 6, 7, 8, 15, 16


@dataclass
class Chemistry:
    """What ``perceive`` found, one entry per atom.

    Attributes
    ----------
    neighbors : list of lists of int
        Bonded atoms (explicit atoms only), in the order the bonds were found.
    order : dict
        ``(i, j)`` with ``i < j`` → bond order (1, 2 or 3).
    hydrogens : numpy.ndarray of int
        Hydrogens added for open valences (not counting hydrogen atoms present).
    aromatic : numpy.ndarray of bool
    hybridization : numpy.ndarray of int
        1 (sp), 2 (sp2), 3 (sp3) as OpenBabel's atom typer assigns it, for
        nitrogens (0 for other atoms).
    """

    atomic_number: np.ndarray
    neighbors: List[List[int]]
    order: Dict[Tuple[int, int], int]
    hydrogens: np.ndarray
    aromatic: np.ndarray
    hybridization: np.ndarray

    def bonds(self):
        """(atom, neighbour) index arrays, each bond listed both ways."""
        degree = np.fromiter((len(nb) for nb in self.neighbors), np.int64, len(self.neighbors))
        first = np.repeat(np.arange(len(self.neighbors)), degree)
        second = np.fromiter((b for nb in self.neighbors for b in nb), np.int64, int(degree.sum()))
        return first, second


# --------------------------------------------------------------------------
# 1. bonds from distances
# --------------------------------------------------------------------------

def _angle_stats(xyz, neighbors):
    """(mean, smallest) bond angle of every atom in degrees (0 and 360 for
    atoms with fewer than two bonds), computed per degree class in numpy."""
    n = len(neighbors)
    mean = np.zeros(n)
    smallest = np.full(n, 360.0)
    by_degree: Dict[int, List[int]] = {}
    for a, nbrs in enumerate(neighbors):
        if len(nbrs) >= 2:
            by_degree.setdefault(len(nbrs), []).append(a)
    for degree, atoms in by_degree.items():
        idx = np.array(atoms)
        nbr = np.array([neighbors[a] for a in atoms])
        pairs = np.array(list(combinations(range(degree), 2)))
        u = xyz[nbr[:, pairs[:, 0]]] - xyz[idx][:, None, :]
        v = xyz[nbr[:, pairs[:, 1]]] - xyz[idx][:, None, :]
        cos = (u * v).sum(-1) / np.sqrt((u * u).sum(-1) * (v * v).sum(-1))
        angles = np.degrees(np.arccos(np.clip(cos, -1.0, 1.0)))
        mean[idx] = angles.mean(axis=1)
        smallest[idx] = angles.min(axis=1)
    return mean, smallest


def _angle_deg(points, center, a, b):
    """Angle a-center-b in degrees (points: a list of coordinate triples)."""
    c = points[center]
    u = (points[a][0] - c[0], points[a][1] - c[1], points[a][2] - c[2])
    v = (points[b][0] - c[0], points[b][1] - c[1], points[b][2] - c[2])
    cos = (u[0] * v[0] + u[1] * v[1] + u[2] * v[2]) / math.sqrt(
        (u[0] * u[0] + u[1] * u[1] + u[2] * u[2]) * (v[0] * v[0] + v[1] * v[1] + v[2] * v[2]))
    return math.degrees(math.acos(min(1.0, max(-1.0, cos))))


def find_bonds(atomic_number, xyz, from_file=False):
    """Bonds from distances, as OpenBabel's ``ConnectTheDots``.

    Returns each atom's neighbours, ordered as OpenBabel orders them: by the
    neighbours' z coordinate; or, with ``from_file``, as OpenBabel reads bonds
    that a PDB file lists in CONECT records (by atom index, none removed by the
    valence clean-up), as moleculekit's files give them.
    """
    z_numbers = np.asarray(atomic_number)
    n = len(z_numbers)
    radius = _COVALENT[np.clip(z_numbers, 0, len(_COVALENT) - 1)]
    can_bond = _MAX_BONDS[np.clip(z_numbers, 0, len(_MAX_BONDS) - 1)] > 0
    neighbors: List[List[int]] = [[] for _ in range(n)]
    if n < 2 or not can_bond.any():
        return neighbors
    i, j = bonded_pairs(xyz, np.where(can_bond, radius, -1.0))
    # OpenBabel visits atoms by increasing z: an atom's bonds are listed in
    # the z order of its neighbours.
    rank = np.empty(n, np.int64)
    rank[np.argsort(xyz[:, 2], kind="stable")] = np.arange(n)
    if from_file:
        rank = np.arange(n)
    a = np.concatenate([i, j])
    b = np.concatenate([j, i])
    by_atom = np.lexsort((rank[b], a))
    for atom, nbr in zip(a[by_atom].tolist(), b[by_atom].tolist()):
        neighbors[atom].append(nbr)
    # Atoms over their valence, or with two bonds closer than 45 degrees, lose
    # their longest bond (a hydrogen first loses a bond to another hydrogen).
    max_bonds = _MAX_BONDS[np.clip(z_numbers, 0, len(_MAX_BONDS) - 1)]
    _, smallest = _angle_stats(xyz, neighbors)
    degree = np.array([len(nb) for nb in neighbors])
    flagged = np.flatnonzero((degree > max_bonds) | (smallest < 45.0)).tolist()
    if from_file:
        flagged = []
    points = xyz.tolist() if flagged else None
    for atom in flagged:
        nbrs = neighbors[atom]
        while nbrs and (len(nbrs) > max_bonds[atom]
                        or _smallest_angle(points, atom, nbrs) < 45.0):
            drop = None
            if z_numbers[atom] == _H:
                drop = next((m for m in nbrs if z_numbers[m] == _H), None)
            if drop is None:
                lengths = [math.dist(points[m], points[atom]) for m in nbrs]
                drop = nbrs[lengths.index(max(lengths))]
            nbrs.remove(drop)
            neighbors[drop].remove(atom)
    return neighbors


def _smallest_angle(points, atom, nbrs):
    if len(nbrs) < 2:
        return 360.0
    return min(_angle_deg(points, atom, nbrs[p], nbrs[q])
               for p in range(len(nbrs)) for q in range(p + 1, len(nbrs)))



# --------------------------------------------------------------------------
# hydrogens, aromaticity, nitrogen hybridisation
# --------------------------------------------------------------------------

def _implicit_hydrogens(z, valence):
    """Hydrogens that fill each uncharged atom's typical valence (OpenBabel's
    typical implicit hydrogens): C, Si 4; N, P, As 3 (P also 5); O 2;
    S, Se, Te 2, 4 or 6; B 3; H and halogens 1; none for other elements."""
    h = np.zeros(len(z), np.int64)
    carbon = np.isin(z, (6, 14))
    h[carbon] = 4 - valence[carbon]
    pnictogen = np.isin(z, (7, 15, 33))
    h[pnictogen] = 3 - valence[pnictogen]
    h[(z == 15) & (valence == 4)] = 1
    oxygen = z == 8
    h[oxygen] = 2 - valence[oxygen]
    chalcogen = np.isin(z, (16, 34, 52))
    typical = np.where(valence <= 2, 2, np.where(valence <= 4, 4, 6))
    h[chalcogen] = (typical - valence)[chalcogen]
    boron = z == 5
    h[boron] = 3 - valence[boron]
    single = np.isin(z, (1, 9, 17, 35, 53))
    h[single] = 1 - valence[single]
    return np.maximum(h, 0)


def _pi_electrons(mol, a, ring_atoms, hydrogens):
    """Pi electrons atom ``a`` gives a ring (None: it cannot be aromatic)."""
    z = mol.z[a]
    connections = len(mol.neighbors[a]) + hydrogens[a]
    for b in mol.neighbors[a]:
        order = mol.bond_order(a, b)
        if order == 2:
            if b in ring_atoms:
                return 1
            if z == _C and mol.z[b] in (_O, _N, _S):
                return 0
            return None
        if order == 3:
            return None
    if z == _N or z == _P:
        return 2 if connections == 3 else None
    if z in (_O, _S, 34):
        return 2 if connections == 2 else None
    return None


def _aromatic_atoms(mol, rings, hydrogens):
    """Atoms of rings (or pairs of fused rings) with 4n + 2 pi electrons."""
    aromatic = set()
    ring_atoms = set(a for ring in rings for a in ring)
    cycles = [set(r) for r in rings]
    for p in range(len(rings)):
        for q in range(p + 1, len(rings)):
            if len(cycles[p] & cycles[q]) == 2:
                cycles.append(cycles[p] | cycles[q])
    for cycle in cycles:
        total = 0
        for a in cycle:
            electrons = _pi_electrons(mol, a, ring_atoms, hydrogens)
            if electrons is None:
                break
            total += electrons
        else:
            if total % 4 == 2:
                aromatic |= cycle
    return aromatic


def _nitrogen_hybridization(mol, a, aromatic, hydrogens):
    """OpenBabel's atom-typer hybridisation of nitrogen ``a`` (hydrogens explicit)."""
    nbrs = mol.neighbors[a]
    degree = len(nbrs) + hydrogens[a]
    orders = [mol.bond_order(a, b) for b in nbrs]
    if 3 in orders or orders.count(2) >= 2:
        return 1
    if a in aromatic or 2 in orders:
        return 2
    for b in nbrs:
        if mol.z[b] in (_C, _N, _O) and (
                b in aromatic or any(mol.bond_order(b, c) > 1 for c in mol.neighbors[b])):
            return 2
        if b in aromatic and degree <= 3:
            return 2
    return 3


def perceive(atomic_number, xyz, bonds_from_file=False) -> Chemistry:
    """Bonds, bond orders, hydrogens and aromaticity of a structure, as
    OpenBabel perceives them reading a PDB file and adding hydrogens.

    Parameters
    ----------
    atomic_number : (N,) int array
    xyz : (N, 3) float array, Å
    bonds_from_file : bool
        The bonds as OpenBabel reads them from CONECT records (see
        ``find_bonds``) instead of finding them itself.

    Returns
    -------
    Chemistry
    """
    z = np.asarray(atomic_number, dtype=np.int64)
    xyz = np.ascontiguousarray(xyz, dtype=np.float64)
    n = len(z)
    neighbors = find_bonds(z, xyz, from_file=bonds_from_file)
    mol = Molecule(z, xyz, neighbors)
    atoms = list(range(n))
    bonded = [a for a in atoms if neighbors[a]]

    mean_angle, _ = _angle_stats(xyz, neighbors)
    hyb = np.where(mean_angle > 155.0, 1, np.where(mean_angle > 115.0, 2, 0))
    for a in np.flatnonzero((z == _N) & (mean_angle > 109.5) & (hyb != 2)).tolist():
        if mol.h_count(a) == 1 and len(neighbors[a]) == 2:  # imines
            hyb[a] = 2
    hyb = hyb.tolist()

    ring_bonds_ = ring_bonds(neighbors, n)
    in_ring = np.zeros(n, bool)
    for a, b in ring_bonds_:
        in_ring[a] = in_ring[b] = True
    rings = smallest_rings(neighbors, ring_bonds_)
    for ring in rings:
        if len(ring) in (5, 6):
            size = len(ring)
            points = [mol.points[a] for a in ring]
            torsion = sum(abs(_torsion_deg(*(points[(k + m) % size] for m in range(4))))
                          for k in range(size)) / size
            if torsion <= (7.5 if size == 5 else 12.0):
                for a in ring:
                    if len(neighbors[a]) == 2 or (size == 6 and len(neighbors[a]) == 3):
                        hyb[a] = 2

    functional_groups(mol, hyb, in_ring, bonded)

    aromatic_atoms = set()
    for ring in rings:
        if len(ring) in (5, 6, 7) and all(
                hyb[a] == 2 and not mol.has_non_single(a) for a in ring):
            for k in range(len(ring)):
                a, b = ring[k], ring[(k + 1) % len(ring)]
                mol.aromatic_bonds.add((a, b) if a < b else (b, a))
            aromatic_atoms.update(ring)
    if aromatic_atoms:
        kekulize(mol, aromatic_atoms)
    mol.aromatic_bonds.clear()

    remaining_bonds(mol, hyb, in_ring, bonded)

    hydrogens = _implicit_hydrogens(z, np.array(mol._valence))
    aromatic = _aromatic_atoms(mol, rings, hydrogens)
    aromatic_mask = np.zeros(n, bool)
    aromatic_mask[list(aromatic)] = True
    n_hyb = np.zeros(n, np.int64)
    for a in np.flatnonzero(z == _N).tolist():
        n_hyb[a] = _nitrogen_hybridization(mol, a, aromatic, hydrogens)
    return Chemistry(z, neighbors, dict(mol.order), hydrogens, aromatic_mask, n_hyb)
