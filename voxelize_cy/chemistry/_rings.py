"""Rings of a bond graph, as OpenBabel's bond perception needs them: which
bonds lie on a cycle (Tarjan's bridges), and the smallest set of smallest rings
up to seven atoms (``voxelize_cy.chemistry.perception``)."""

from __future__ import annotations

from typing import List

_MAX_RING = 7  # larger rings matter only for ring membership (bridges)


def ring_bonds(neighbors, n):
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


def smallest_rings(neighbors, ring_bonds):
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
