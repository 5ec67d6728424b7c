"""Bond orders of a bonded structure, step by step as OpenBabel's
``PerceiveBondOrders`` assigns them (``voxelize_cy.chemistry.perception`` runs them): the
functional groups of its bond typer, Kekulé structures of the rings it marks
aromatic (its greedy matching, then augmenting paths), and the remaining double
and triple bonds atom by atom."""

from __future__ import annotations

import math
from typing import Dict, List, Tuple

import numpy as np

from voxelize_cy.chemistry._elements import (
    COVALENT_RADIUS_A,
    ELECTRONEGATIVITY,
    MAX_BONDS,
)

_COVALENT = np.array(COVALENT_RADIUS_A)
_H, _C, _N, _O, _P, _S = 1, 6, 7, 8, 15, 16
#: The amidine/guanidine patterns that OpenBabel 3.1 applies: (hydrogens,
#: degree) of the nitrogen that takes the double bond (its [#7D1H0] pattern
#: never takes effect on the structures we checked, so it is left out).
_GUANIDINE_H = ((1, 2), (2, 3))


def torsion_deg(p0, p1, p2, p3):
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


class Molecule:
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


def _degree(mol, a):
    return len(mol.neighbors[a])


def _terminal(mol, a, element):
    """Atom ``a`` is an ``element`` with one neighbour."""
    return mol.z[a] == element and len(mol.neighbors[a]) == 1


def _terminal_neighbors(mol, a, element):
    """``a``'s terminal ``element`` neighbours, in neighbour order."""
    return [b for b in mol.neighbors[a] if _terminal(mol, b, element)]


def _nitro(mol, hyb, in_ring, atoms):
    """Nitro: one N=O."""
    for a in atoms:
        if mol.z[a] == _N and _degree(mol, a) == 3 and hyb[a] == 2:
            oxygens = _terminal_neighbors(mol, a, _O)
            if len(oxygens) >= 2:
                mol.set_order(a, oxygens[0], 2)


def _sulfur_oxides(mol, hyb, in_ring, atoms):
    """Sulfones, sulfates, sulfoxides."""
    for a in atoms:
        if mol.z[a] != _S:
            continue
        oxygens = _terminal_neighbors(mol, a, _O)
        degree = _degree(mol, a)
        if degree == 4 and len(oxygens) >= 2:
            for b in oxygens[:2]:
                mol.set_order(a, b, 2)
        elif degree == 3 and len(oxygens) == 3:
            for b in oxygens[:3]:
                mol.set_order(a, b, 2)
        elif degree in (2, 3) and oxygens:
            mol.set_order(a, oxygens[0], 2)


def _phosphates(mol, hyb, in_ring, atoms):
    """Phosphates and phosphonates: one P=O."""
    for a in atoms:
        if mol.z[a] == _P and _degree(mol, a) == 4:
            oxygens = _terminal_neighbors(mol, a, _O)
            if oxygens:
                mol.set_order(a, oxygens[0], 2)


def _carbonyls(mol, hyb, in_ring, atoms):
    """Carboxylates, esters, amides, thio-acids: C=O (or C=S)."""
    z, nbrs = mol.z, mol.neighbors
    for a in atoms:
        if z[a] != _C or _degree(mol, a) != 3 or hyb[a] != 2:
            continue
        for b in nbrs[a]:
            if _terminal(mol, b, _O):
                partner = [c for c in nbrs[a] if c != b and z[c] in (_O, _N, _S)]
                if partner:
                    mol.set_order(a, b, 2)
                    for c in partner:
                        if z[c] == _O:
                            mol.set_order(a, c, 1)
                            break
                break
        else:
            sulfurs = _terminal_neighbors(mol, a, _S)
            if sulfurs and any(z[c] in (_S, _N) for c in nbrs[a] if c != sulfurs[0]):
                mol.set_order(a, sulfurs[0], 2)


def _ring_amidines(mol, hyb, in_ring, atoms):
    """Ring amidines and imidates, N(ring)=C(-N or -O): matched first, then set."""
    z, nbrs = mol.z, mol.neighbors
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


def _azides(mol, hyb, in_ring, atoms):
    """Azides: N=N=N."""
    z, nbrs = mol.z, mol.neighbors
    for a in atoms:
        if z[a] == _N and _degree(mol, a) == 2:
            for c in nbrs[a]:
                if z[c] == _N and _degree(mol, c) == 2 and hyb[c] == 1:
                    ends = [d for d in nbrs[c] if d != a and _terminal(mol, d, _N)]
                    if ends:
                        mol.set_order(a, c, 2)
                        mol.set_order(c, ends[0], 2)


def _amidines(mol, hyb, in_ring, atoms):
    """Amidines and guanidines outside rings."""
    z, nbrs = mol.z, mol.neighbors
    for a in atoms:
        if z[a] != _C or _degree(mol, a) != 3 or hyb[a] != 2 or in_ring[a]:
            continue
        nitrogens = [b for b in nbrs[a] if z[b] == _N and not in_ring[b]]
        if len(nitrogens) == 3:
            middle = [b for b in nitrogens if _degree(mol, b) == 2]
            ends = [b for b in nitrogens if _degree(mol, b) == 1]
            if len(middle) == 1 and len(ends) == 2:
                mol.set_order(a, middle[0], 2)
                for b in ends:
                    mol.set_order(a, b, 1)
        # C(=N)(N)*: the first nitrogen with no, one or two hydrogens as listed
        for hydrogens, heavy_degree in _GUANIDINE_H:
            for b in nitrogens:
                if _degree(mol, b) == heavy_degree and mol.h_count(b) == hydrogens:
                    others = [c for c in nbrs[a] if c != b and z[c] == _N and not in_ring[c]]
                    if others:
                        mol.set_order(a, b, 2)
                        mol.set_order(a, others[0], 1)
                    break


#: The groups ``functional_groups`` sets, in the order OpenBabel's typer tries them.
_GROUPS = (_nitro, _sulfur_oxides, _phosphates, _carbonyls, _ring_amidines, _azides,
           _amidines)


def functional_groups(mol, hyb, in_ring, atoms):
    """Bond orders of groups with a fixed pattern (OpenBabel's bond typer):
    the first matching terminal oxygen, nitrogen or sulfur, in neighbour order,
    takes the double bond.  Each group is set over all ``atoms`` before the next."""
    for group in _GROUPS:
        group(mol, hyb, in_ring, atoms)


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


def kekulize(mol, aromatic_atoms):
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
            torsion = abs(torsion_deg(xyz[p], xyz[a], xyz[b], xyz[q]))
            if 15.0 < torsion < 160.0:
                return False
    return True


def _corrected_radius(z, hyb):
    radius = _COVALENT[z]
    return radius * 0.95 if hyb == 2 else radius * 0.90 if hyb == 1 else radius


def _can_take(mol, atom, extra):
    """Whether ``atom`` may take ``extra`` more bond orders in the last pass: no
    multiple bond yet, under its maximum valence, and a nitrogen at most 3."""
    valence = mol.valence(atom)
    return (valence + extra <= MAX_BONDS[mol.z[atom]] and not mol.has_non_single(atom)
            and not (mol.z[atom] == _N and valence + extra > 3))


def remaining_bonds(mol, hyb, in_ring, atoms):
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
        triple = (hyb[a] == 1 or degree == 1) and mol.valence(a) + 2 <= MAX_BONDS[za]
        if triple:
            order, wanted, slack = 3, 1, 0.9
        elif (hyb[a] == 2 or degree == 1) and mol.valence(a) + 1 <= MAX_BONDS[za]:
            order, wanted, slack = 2, 2, 0.93
        else:
            continue
        # (an atom that could take a triple bond never tries a double one)
        if not _can_take(mol, a, order - 1) or (order == 2 and in_ring[a] and za == _S):
            continue
        best, best_en, shortest = None, 0.0, 5000.0
        for b in nbrs[a]:
            en = ELECTRONEGATIVITY[z[b]]
            if not (hyb[b] == wanted or len(nbrs[b]) == 1) or not _can_take(mol, b, order - 1):
                continue
            length = mol.length(a, b)
            if order == 3:
                if not (en > best_en or (abs(en - best_en) < 1e-6 and length < shortest)):
                    continue
            elif (not (en > best_en or abs(en - best_en) < 1e-6)
                  or not _double_bond_geometry(mol, hyb, a, b)
                  or (in_ring[b] and z[b] == _S)):
                continue
            if degree == 1 or len(nbrs[b]) == 1:  # terminal: not longer than such a bond
                if length > slack * (_corrected_radius(za, hyb[a])
                                     + _corrected_radius(z[b], hyb[b])):
                    continue
            if order == 3:
                best, best_en, shortest = b, en, length
                continue
            # much shorter wins; about as short wins if the bond is in the ring
            difference = shortest - length
            if difference > 0.1 or (difference > -0.01 and (
                    not in_ring[a] or best is None or not in_ring[best] or in_ring[b])):
                best, best_en, shortest = b, en, length
        if best is not None:
            mol.set_order(a, best, order)
