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
hydrogen count, aromaticity and hybridisation.  ``voxelize_cy.channel_sets``
turns that into gnina's atom types.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from itertools import combinations
from typing import Dict, List, Tuple

import numpy as np

from voxelize_cy._bonds import bonded_pairs
from voxelize_cy._elements import COVALENT_RADIUS_A, ELECTRONEGATIVITY, MAX_BONDS

__all__ = ["Chemistry", "perceive", "find_bonds"]

_COVALENT = np.array(COVALENT_RADIUS_A)
_MAX_BONDS = np.array(MAX_BONDS)
_H, _C, _N, _O, _P, _S = 1, 6, 7, 8, 15, 16
_GUANIDINE_H = ((1, 2), (2, 3))


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


def _torsion_deg(p0, p1, p2, p3):
    """Signed torsion angle p0-p1-p2-p3 in degrees (points as 3-sequences)."""
    b0 = (p0[0] - p1[0], p0[1] - p1[1], p0[2] - p1[2])
    b1 = (p2[0] - p1[0], p2[1] - p1[1], p2[2] - p1[2])
    b2 = (p3[0] - p2[0], p3[1] - p2[1], p3[2] - p2[2])
    norm = math.sqrt(b1[0] * b1[0] + b1[1] * b1[1] + b1[2] * b1[2])
    b1 = (b1[0] / norm, b1[1] / norm, b1[2] / norm)
    d0 = b0[0] * b1[0] + b0[1] * b1[1] + b0[2] * b1[2]
    d2 = b2[0] * b1[0] + b2[1] * b1[1] + b2[2] * b1[2]
    v = (b0[0] - d0 * b1[0], b0[1] - d0 * b1[1], b0[2] - d0 * b1[2])
    w = (b2[0] - d2 * b1[0], b2[1] - d2 * b1[1], b2[2] - d2 * b1[2])
    cross = (b1[1] * v[2] - b1[2] * v[1], b1[2] * v[0] - b1[0] * v[2],
             b1[0] * v[1] - b1[1] * v[0])
    y = cross[0] * w[0] + cross[1] * w[1] + cross[2] * w[2]
    x = v[0] * w[0] + v[1] * w[1] + v[2] * w[2]
    return math.degrees(math.atan2(y, x))


# --------------------------------------------------------------------------
# rings
# --------------------------------------------------------------------------

_MAX_RING = 7  # larger rings matter only for ring membership (bridges)


def _ring_bonds(neighbors, n):
    """Bonds that lie on a cycle (every bond that is not a bridge), as a set of
    (i, j) with i < j: leaves are peeled off, then Tarjan's bridge search runs
    (iteratively) on what is left."""
    degree = [len(nb) for nb in neighbors]
    alive = [d > 0 for d in degree]
    stack = [a for a in range(n) if degree[a] == 1]
    while stack:
        a = stack.pop()
        if not alive[a]:
            continue
        alive[a] = False
        for b in neighbors[a]:
            if alive[b]:
                degree[b] -= 1
                if degree[b] == 1:
                    stack.append(b)
    core = [a for a in range(n) if alive[a]]
    order = [-1] * n
    low = [0] * n
    ring = set()
    counter = 0
    for root in core:
        if order[root] >= 0:
            continue
        order[root] = low[root] = counter
        counter += 1
        work = [(root, -1, iter(neighbors[root]))]
        while work:
            a, parent, it = work[-1]
            advanced = False
            for b in it:
                if not alive[b] or b == parent:
                    continue
                if order[b] < 0:
                    order[b] = low[b] = counter
                    counter += 1
                    work.append((b, a, iter(neighbors[b])))
                    advanced = True
                    break
                low[a] = min(low[a], order[b])
                if order[b] < order[a]:
                    ring.add((min(a, b), max(a, b)))
            if advanced:
                continue
            work.pop()
            if parent >= 0:
                low[parent] = min(low[parent], low[a])
                if low[a] <= order[parent]:
                    ring.add((min(a, parent), max(a, parent)))
    return ring


def _smallest_rings(neighbors, ring_bonds):
    """Rings of up to ``_MAX_RING`` atoms of the smallest set of smallest rings
    (each a list of atoms in ring order): for every ring bond the shortest
    cycle through it, kept when independent of the smaller ones kept."""
    if not ring_bonds:
        return []
    in_ring_bond = {}
    for a, b in ring_bonds:
        in_ring_bond.setdefault(a, []).append(b)
        in_ring_bond.setdefault(b, []).append(a)
    candidates = {}
    for a, b in sorted(ring_bonds):
        path = _shortest_path(in_ring_bond, a, b, _MAX_RING)
        if path is not None:
            candidates.setdefault(frozenset(path), path)
    edge_index = {}
    basis: List[int] = []
    rings = []
    for path in sorted(candidates.values(), key=len):
        vector = 0
        for k in range(len(path)):
            e = path[k], path[(k + 1) % len(path)]
            key = (min(e), max(e))
            vector |= 1 << edge_index.setdefault(key, len(edge_index))
        reduced = vector
        for row in basis:
            reduced = min(reduced, reduced ^ row)
        if reduced:
            basis.append(reduced)
            basis.sort(reverse=True)
            rings.append(path)
    return rings


def _shortest_path(graph, start, goal, max_atoms):
    """Atoms of the shortest path start → goal (at most ``max_atoms``) that
    does not use the bond start-goal itself."""
    previous = {start: None}
    frontier = [start]
    for _ in range(max_atoms - 1):
        nxt = []
        for a in frontier:
            for b in graph[a]:
                if b in previous or (a == start and b == goal):
                    continue
                previous[b] = a
                if b == goal:
                    path = [b]
                    while previous[path[-1]] is not None:
                        path.append(previous[path[-1]])
                    return path[::-1]
                nxt.append(b)
        frontier = nxt
        if not frontier:
            break
    return None


# --------------------------------------------------------------------------
# bond orders
# --------------------------------------------------------------------------

class _Molecule:
    """Mutable bond orders over the neighbour lists, with each atom's valence
    (sum of bond orders) and count of multiple bonds kept up to date."""

    def __init__(self, z, xyz, neighbors):
        self.z, self.xyz, self.neighbors = z.tolist(), xyz, neighbors
        self.points = xyz.tolist()
        self.order: Dict[Tuple[int, int], int] = {}
        self.aromatic_bonds = set()
        self._valence = [len(nb) for nb in neighbors]
        self._multiple = [0] * len(neighbors)

    def bond_order(self, a, b):
        return self.order.get((a, b) if a < b else (b, a), 1)

    def set_order(self, a, b, order):
        key = (a, b) if a < b else (b, a)
        old = self.order.get(key, 1)
        if old == order:
            return
        if order == 1:
            del self.order[key]
        else:
            self.order[key] = order
        change = order - old
        multiple = (order > 1) - (old > 1)
        for atom in (a, b):
            self._valence[atom] += change
            self._multiple[atom] += multiple

    def valence(self, a):
        return self._valence[a]

    def has_non_single(self, a):
        return self._multiple[a] > 0

    def length(self, a, b):
        return math.dist(self.points[a], self.points[b])

    def h_count(self, a):
        return sum(1 for b in self.neighbors[a] if self.z[b] == _H)


def _functional_groups(mol, hyb, in_ring, atoms):
    """Bond orders of groups with a fixed pattern (OpenBabel's bond typer):
    the first matching terminal oxygen, nitrogen or sulfur, in neighbour order,
    takes the double bond."""
    z, nbrs = mol.z, mol.neighbors

    def degree(a):
        return len(nbrs[a])

    def terminal(a, element):
        return z[a] == element and degree(a) == 1

    for a in atoms:  # nitro: one N=O
        if z[a] == _N and degree(a) == 3 and hyb[a] == 2:
            oxygens = [b for b in nbrs[a] if terminal(b, _O)]
            if len(oxygens) >= 2:
                mol.set_order(a, oxygens[0], 2)
    for a in atoms:  # sulfones, sulfates, sulfoxides
        if z[a] != _S:
            continue
        oxygens = [b for b in nbrs[a] if terminal(b, _O)]
        if degree(a) == 4 and len(oxygens) >= 2:
            for b in oxygens[:2]:
                mol.set_order(a, b, 2)
        elif degree(a) == 3 and len(oxygens) == 3:
            for b in oxygens[:3]:
                mol.set_order(a, b, 2)
        elif degree(a) in (2, 3) and oxygens:
            mol.set_order(a, oxygens[0], 2)
    for a in atoms:  # phosphates and phosphonates: one P=O
        if z[a] == _P and degree(a) == 4:
            oxygens = [b for b in nbrs[a] if terminal(b, _O)]
            if oxygens:
                mol.set_order(a, oxygens[0], 2)
    for a in atoms:  # carboxylates, esters, amides, thio-acids: C=O (or C=S)
        if z[a] != _C or degree(a) != 3 or hyb[a] != 2:
            continue
        for b in nbrs[a]:
            if terminal(b, _O):
                partner = [c for c in nbrs[a] if c != b and z[c] in (_O, _N, _S)]
                if partner:
                    mol.set_order(a, b, 2)
                    for c in partner:
                        if z[c] == _O:
                            mol.set_order(a, c, 1)
                            break
                break
        else:
            sulfurs = [b for b in nbrs[a] if terminal(b, _S)]
            if sulfurs and any(z[c] in (_S, _N) for c in nbrs[a] if c != sulfurs[0]):
                mol.set_order(a, sulfurs[0], 2)
    # ring amidines and imidates, N(ring)=C(-N or -O): matched first, then set
    for other in (_O, _N):
        matches, seen = [], set()
        for a in atoms:
            if z[a] != _N or not in_ring[a] or mol.valence(a) != 2:
                continue
            for c in nbrs[a]:
                if z[c] != _C or hyb[c] != 2 or mol.valence(c) != 3:
                    continue
                for d in nbrs[c]:
                    if d != a and z[d] == other and mol.valence(d) == 2:
                        key = frozenset((a, c, d))
                        if key not in seen:
                            seen.add(key)
                            matches.append((a, c, d))
        for a, c, d in matches:
            mol.set_order(a, c, 2)
            mol.set_order(c, d, 1)
    for a in atoms:  # azides: N=N=N
        if z[a] == _N and degree(a) == 2:
            for c in nbrs[a]:
                if z[c] == _N and degree(c) == 2 and hyb[c] == 1:
                    ends = [d for d in nbrs[c] if d != a and terminal(d, _N)]
                    if ends:
                        mol.set_order(a, c, 2)
                        mol.set_order(c, ends[0], 2)
    for a in atoms:  # amidines and guanidines outside rings
        if z[a] != _C or degree(a) != 3 or hyb[a] != 2 or in_ring[a]:
            continue
        nitrogens = [b for b in nbrs[a] if z[b] == _N and not in_ring[b]]
        if len(nitrogens) == 3:
            middle = [b for b in nitrogens if degree(b) == 2]
            ends = [b for b in nitrogens if degree(b) == 1]
            if len(middle) == 1 and len(ends) == 2:
                mol.set_order(a, middle[0], 2)
                for b in ends:
                    mol.set_order(a, b, 1)
        # C(=N)(N)*: the first nitrogen with no, one or two hydrogens as listed
        for hydrogens, heavy_degree in _GUANIDINE_H:
            for b in nitrogens:
                if degree(b) == heavy_degree and mol.h_count(b) == hydrogens:
                    others = [c for c in nbrs[a] if c != b and z[c] == _N and not in_ring[c]]
                    if others:
                        mol.set_order(a, b, 2)
                        mol.set_order(a, others[0], 1)
                    break


def _needs_double_bond(mol, a, aromatic_atoms):
    if a not in aromatic_atoms:
        return False
    z = mol.z[a]
    degree = len(mol.neighbors[a])
    for b in mol.neighbors[a]:
        key = (a, b) if a < b else (b, a)
        if key in mol.aromatic_bonds:
            continue
        order = mol.bond_order(a, b)
        if order == 2:
            return (z == _N and degree == 3) or (z == _S and degree == 4)
        if order > 2:
            return False
    if z in (5, 7, 15, 33, 51, 83) and (degree == 3 or degree > 4):
        return False
    if z in (8, 16, 34, 52) and (degree == 2 or degree == 4 or degree > 5):
        return False
    return True


def _kekulize(mol, aromatic_atoms):
    """Alternating double bonds over the aromatic bonds: OpenBabel's greedy
    matching, then augmenting paths; a system that cannot be completed keeps
    the double bonds found."""
    nbrs = mol.neighbors

    def aromatic(a, b):
        return ((a, b) if a < b else (b, a)) in mol.aromatic_bonds

    needs = {a for a in sorted(aromatic_atoms) if _needs_double_bond(mol, a, aromatic_atoms)}
    system = set(needs)
    degree = {a: sum(1 for b in nbrs[a] if aromatic(a, b) and b in needs) for a in needs}
    doubles = set()
    ones = [a for a in sorted(needs) if degree[a] == 1]

    def pair(a, b):
        doubles.add((a, b) if a < b else (b, a))
        needs.discard(a)
        needs.discard(b)

    while True:
        while ones:
            a = ones.pop()
            if a not in needs:
                continue
            for b in nbrs[a]:
                if not aromatic(a, b) or b not in needs:
                    continue
                pair(a, b)
                for c in nbrs[b]:
                    if c != a and aromatic(b, c) and c in needs:
                        degree[c] -= 1
                        if degree[c] == 1:
                            ones.append(c)
                break
        if not needs:
            break
        change = False
        for wanted in (2, 3):
            for a in sorted(degree):
                if change:
                    break
                if a not in needs or (degree[a] != 2 if wanted == 2 else degree[a] <= 2):
                    continue
                for b in nbrs[a]:
                    if not aromatic(a, b) or b not in needs:
                        continue
                    pair(a, b)
                    for ref, other in ((a, b), (b, a)):
                        for c in nbrs[ref]:
                            if c != other and aromatic(ref, c) and c in needs:
                                degree[c] -= 1
                                if degree[c] == 1:
                                    ones.append(c)
                                    change = True
                    break
            if change:
                break
        if not change:
            break
    if needs:
        _augment(mol, needs, system, doubles, aromatic)
    for a, b in doubles:
        mol.set_order(a, b, 2)


def _augment(mol, needs, system, doubles, aromatic):
    """Pair the atoms still needing a double bond along alternating paths."""
    nbrs = mol.neighbors

    def find_path(a, want_double, visited, path):
        if a in needs:
            return True
        visited.add(a)
        for b in nbrs[a]:
            if not aromatic(a, b) or b not in system:
                continue
            key = (a, b) if a < b else (b, a)
            if (key in doubles) == want_double and b not in visited:
                if find_path(b, not want_double, visited, path):
                    path.append(b)
                    return True
        visited.discard(a)
        return False

    count = len(needs)
    handled = 0
    for a in sorted(needs):
        if a not in needs:
            continue
        handled += 1
        if handled == count:
            return
        needs.discard(a)
        path: List[int] = []
        if not find_path(a, False, set(), path):
            needs.add(a)
            continue
        handled += 1
        path.append(a)
        needs.discard(path[0])
        for k in range(len(path) - 1):
            key = (min(path[k], path[k + 1]), max(path[k], path[k + 1]))
            if k % 2 == 0:
                doubles.add(key)
            else:
                doubles.discard(key)


def _double_bond_geometry(mol, hyb, a, b):
    """False when the substituents of a-b are twisted (15° < torsion < 160°)."""
    nbrs = mol.neighbors
    if hyb[a] == 1 or len(nbrs[a]) > 3 or hyb[b] == 1 or len(nbrs[b]) > 3:
        return True
    xyz = mol.points
    for p in nbrs[a]:
        if p == b:
            continue
        for q in nbrs[b]:
            if q == a:
                continue
            torsion = abs(_torsion_deg(xyz[p], xyz[a], xyz[b], xyz[q]))
            if 15.0 < torsion < 160.0:
                return False
    return True


def _corrected_radius(z, hyb):
    radius = _COVALENT[z]
    return radius * 0.95 if hyb == 2 else radius * 0.90 if hyb == 1 else radius


def _remaining_bonds(mol, hyb, in_ring, atoms):
    """OpenBabel's last pass: atoms in order of electronegativity (then of their
    shortest bond) take a triple or double bond to a suitable neighbour."""
    z, nbrs = mol.z, mol.neighbors
    # Only sp, sp2 and terminal atoms can take a multiple bond here.
    atoms = [a for a in atoms if hyb[a] in (1, 2) or len(nbrs[a]) == 1]
    keys = []
    for a in atoms:
        heavy = [mol.length(a, b) for b in nbrs[a] if z[b] != _H]
        keys.append(ELECTRONEGATIVITY[z[a]] * 1e6 + (min(heavy) if heavy else 1e5))
    for a in [atoms[k] for k in np.argsort(keys, kind="stable")]:
        za, degree = z[a], len(nbrs[a])
        max_a = MAX_BONDS[za]
        if (hyb[a] == 1 or degree == 1) and mol.valence(a) + 2 <= max_a:
            if mol.has_non_single(a) or (za == _N and mol.valence(a) + 2 > 3):
                continue
            best, best_en, shortest = None, 0.0, 5000.0
            for b in nbrs[a]:
                en = ELECTRONEGATIVITY[z[b]]
                if not ((hyb[b] == 1 or len(nbrs[b]) == 1)
                        and mol.valence(b) + 2 <= MAX_BONDS[z[b]]
                        and (en > best_en or (abs(en - best_en) < 1e-6
                                              and mol.length(a, b) < shortest))):
                    continue
                if mol.has_non_single(b) or (z[b] == _N and mol.valence(b) + 2 > 3):
                    continue
                length = mol.length(a, b)
                if degree == 1 or len(nbrs[b]) == 1:
                    if length > 0.9 * (_corrected_radius(za, hyb[a])
                                       + _corrected_radius(z[b], hyb[b])):
                        continue
                best, best_en, shortest = b, en, length
            if best is not None:
                mol.set_order(a, best, 3)
        elif (hyb[a] == 2 or degree == 1) and mol.valence(a) + 1 <= max_a:
            if mol.has_non_single(a) or (za == _N and mol.valence(a) + 1 > 3):
                continue
            if in_ring[a] and za == _S:
                continue
            best, best_en, shortest = None, 0.0, 5000.0
            for b in nbrs[a]:
                en = ELECTRONEGATIVITY[z[b]]
                if not ((hyb[b] == 2 or len(nbrs[b]) == 1)
                        and mol.valence(b) + 1 <= MAX_BONDS[z[b]]
                        and (en > best_en or abs(en - best_en) < 1e-6)
                        and _double_bond_geometry(mol, hyb, a, b)):
                    continue
                if mol.has_non_single(b) or (z[b] == _N and mol.valence(b) + 1 > 3):
                    continue
                if in_ring[b] and z[b] == _S:
                    continue
                length = mol.length(a, b)
                if degree == 1 or len(nbrs[b]) == 1:
                    if length > 0.93 * (_corrected_radius(za, hyb[a])
                                        + _corrected_radius(z[b], hyb[b])):
                        continue
                difference = shortest - length
                if difference > 0.1 or (difference > -0.01 and (
                        not in_ring[a] or best is None or not in_ring[best] or in_ring[b])):
                    best, best_en, shortest = b, en, length
            if best is not None:
                mol.set_order(a, best, 2)


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
    mol = _Molecule(z, xyz, neighbors)
    atoms = list(range(n))
    bonded = [a for a in atoms if neighbors[a]]

    mean_angle, _ = _angle_stats(xyz, neighbors)
    hyb = np.where(mean_angle > 155.0, 1, np.where(mean_angle > 115.0, 2, 0))
    for a in np.flatnonzero((z == _N) & (mean_angle > 109.5) & (hyb != 2)).tolist():
        if mol.h_count(a) == 1 and len(neighbors[a]) == 2:  # imines
            hyb[a] = 2
    hyb = hyb.tolist()

    ring_bonds = _ring_bonds(neighbors, n)
    in_ring = np.zeros(n, bool)
    for a, b in ring_bonds:
        in_ring[a] = in_ring[b] = True
    rings = _smallest_rings(neighbors, ring_bonds)
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

    _functional_groups(mol, hyb, in_ring, bonded)

    aromatic_atoms = set()
    for ring in rings:
        if len(ring) in (5, 6, 7) and all(
                hyb[a] == 2 and not mol.has_non_single(a) for a in ring):
            for k in range(len(ring)):
                a, b = ring[k], ring[(k + 1) % len(ring)]
                mol.aromatic_bonds.add((a, b) if a < b else (b, a))
            aromatic_atoms.update(ring)
    if aromatic_atoms:
        _kekulize(mol, aromatic_atoms)
    mol.aromatic_bonds.clear()

    _remaining_bonds(mol, hyb, in_ring, bonded)

    hydrogens = _implicit_hydrogens(z, np.array(mol._valence))
    aromatic = _aromatic_atoms(mol, rings, hydrogens)
    aromatic_mask = np.zeros(n, bool)
    aromatic_mask[list(aromatic)] = True
    n_hyb = np.zeros(n, np.int64)
    for a in np.flatnonzero(z == _N).tolist():
        n_hyb[a] = _nitrogen_hybridization(mol, a, aromatic, hydrogens)
    return Chemistry(z, neighbors, dict(mol.order), hydrogens, aromatic_mask, n_hyb)
