"""Small-count suppression, primary and secondary, for tables that leave the officer's machine.

Why: a commissioner's table that says "1 foreign national woman aged 50-64 had an unmet
accommodation need in HMP Styal" identifies her. Counts from 1 to threshold-1 are therefore shown
as "<5" (primary suppression). Zero is shown: it describes nobody. Cells hidden only to protect
another (secondary suppression, below) and measures built on hidden counts show "[c]".

Hiding one cell is not enough when the row or column total is printed: total minus the other
cells gives it back. Secondary suppression hides further cells until no hidden cell can be
worked out, not by subtraction within its row or column (the "line rule": every summed line has
none or at least two hidden cells), and not by combining several rows and columns either.

How the second guarantee is checked: put the table, with its totals row and column, on a graph
whose vertices are its summed lines (each row, each column; lines that are not summed collapse
into one "ground" vertex) and whose edges are the hidden cells, one edge between the cell's row
and its column. Each line's equation is a vertex's "sum of incident edges = known"; a hidden
cell can be derived from any combination of those equations exactly when its edge is a bridge
(the cut space of a graph contains a single edge only if that edge is a bridge). So: while some
hidden cell is a bridge, hide one more cell that closes a cycle through it.

Complementary cells are chosen among the table's inner cells before totals, non-zero before
zero (zeros are often known from elsewhere, so they are weak cover), then by least information
lost (smallest value), then by position, so results are deterministic.

Across tables: several tables of one report print the same totals row (unmet needs by
category, by place, by gender…). `shared_rows` decides that row's pattern once and every table
keeps it (cells with a fixed state are never picked as complements), so one table cannot print
what another hides. Tables must not be nested (see `model.ReportTable`). Non-negativity
(interval) attacks are out of scope, as is usual for "<5" rules.

Pure functions of plain values: no database, no I/O.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

from referral_desk.reports.model import Cell, ReportTable

__all__ = [
    "COMPLEMENT",
    "DEFAULT_THRESHOLD",
    "Grid",
    "SharedRow",
    "is_small",
    "line_leaks",
    "marker",
    "protect",
    "shared_rows",
    "suppress_table",
    "with_totals",
]

DEFAULT_THRESHOLD = 5
COMPLEMENT = "[c]"
"""What a cell hidden by secondary suppression shows (the ONS convention for "confidential"):
printing "<5" there would be false, since the hidden figure may be large."""

Grid = Sequence[Sequence[int]]
Pos = tuple[int, int]


def marker(threshold: int) -> str:
    """What a hidden cell shows: "<5" for the default threshold."""
    return f"<{threshold}"


def is_small(value: object, threshold: int) -> bool:
    """A count that primary suppression hides: 1 up to threshold - 1 (zero is shown)."""
    return isinstance(value, int) and not isinstance(value, bool) and 0 < value < threshold


def with_totals(
    cells: Grid, *, row_totals: bool = True, col_totals: bool = True
) -> list[list[int]]:
    """`cells` with a row-total column appended and/or a column-total row below."""
    grid = [list(row) + ([sum(row)] if row_totals else []) for row in cells]
    if col_totals:
        width = len(grid[0]) if grid else 0
        grid.append([sum(row[c] for row in grid) for c in range(width)])
    return grid


def line_leaks(
    grid: Grid, hidden: set[Pos] | frozenset[Pos], *, row_sums: bool, col_sums: bool
) -> set[Pos]:
    """Hidden cells that are the only hidden cell of a summed row or column (recoverable)."""
    leaks: set[Pos] = set()
    if row_sums:
        for r in range(len(grid)):
            in_row = [p for p in hidden if p[0] == r]
            if len(in_row) == 1:
                leaks.update(in_row)
    if col_sums:
        width = len(grid[0]) if grid else 0
        for c in range(width):
            in_col = [p for p in hidden if p[1] == c]
            if len(in_col) == 1:
                leaks.update(in_col)
    return leaks


def protect(
    grid: Grid,
    *,
    threshold: int,
    row_sums: bool,
    col_sums: bool,
    fixed: Mapping[Pos, bool] | None = None,
) -> frozenset[Pos]:
    """Positions to hide in `grid` (inner cells plus any totals it carries).

    `row_sums`: the last cell of every row is the sum of the others in that row.
    `col_sums`: the last row is the sum of the rows above it.
    `fixed`: cells whose state is decided elsewhere (True hidden, False shown), because the same
    figure appears in another table of the report; they are never picked as complements.
    """
    m = len(grid)
    n = len(grid[0]) if m else 0
    fixed = dict(fixed or {})
    hidden = {(r, c) for r in range(m) for c in range(n) if is_small(grid[r][c], threshold)}
    hidden |= {p for p, hide in fixed.items() if hide}
    if not hidden or not (row_sums or col_sums):
        return frozenset(hidden)
    table = _Table(grid, m, n, row_sums, col_sums, frozenset(fixed))
    while True:
        table.close_lines(hidden)
        if not (row_sums and col_sums):
            # Sums in one direction only: every cell is in one equation, so the line rule is
            # the whole story (a bridge here is exactly a line with one hidden cell).
            break
        extra = None
        for bridge in table.bridges(hidden):
            extra = table.complement(bridge, hidden)
            if extra is not None:
                break
        if extra is None:  # no bridge left, or none can be closed: nothing more to do
            break
        hidden.add(extra)
    return frozenset(hidden)


class _Table:
    """The grid seen as equations; helper state for `protect` only."""

    def __init__(
        self, grid: Grid, m: int, n: int, row_sums: bool, col_sums: bool, locked: frozenset[Pos]
    ) -> None:
        self.grid, self.m, self.n = grid, m, n
        self.row_sums, self.col_sums = row_sums, col_sums
        self.locked = locked
        self.ground = m + n

    # -- costs and vertices -------------------------------------------------------------------

    def is_total(self, pos: Pos) -> bool:
        r, c = pos
        return (self.row_sums and c == self.n - 1) or (self.col_sums and r == self.m - 1)

    def value(self, pos: Pos) -> int:
        v = self.grid[pos[0]][pos[1]]
        return v if isinstance(v, int) else 0

    def row_vertex(self, r: int) -> int:
        return r if self.row_sums else self.ground

    def col_vertex(self, c: int) -> int:
        return self.m + c if self.col_sums else self.ground

    def cost(self, pos: Pos) -> tuple[bool, bool, int, int, int]:
        # Zeros last among equals: a hidden zero is weak cover, because zeros are often known
        # from elsewhere (a service that never answers has no acceptances).
        value = self.value(pos)
        return (self.is_total(pos), value == 0, value, pos[0], pos[1])

    # -- the line rule ------------------------------------------------------------------------

    def close_lines(self, hidden: set[Pos]) -> None:
        """Give every summed line with exactly one hidden cell a second one (cheap, most cases)."""
        rows = [0] * self.m
        cols = [0] * self.n
        for r, c in hidden:
            rows[r] += 1
            cols[c] += 1
        queue: deque[tuple[str, int]] = deque()
        if self.row_sums:
            queue.extend(("r", r) for r in range(self.m) if rows[r] == 1)
        if self.col_sums:
            queue.extend(("c", c) for c in range(self.n) if cols[c] == 1)

        def crossing_rank(pos: Pos, along: str) -> int:
            # Prefer a cell whose other line also needs a second hidden cell (fixes two lines),
            # then one whose other line is already safe, last one that would open a new leak.
            if along == "r":
                count, summed = cols[pos[1]], self.col_sums
            else:
                count, summed = rows[pos[0]], self.row_sums
            if not summed:
                return 1
            return 0 if count == 1 else (1 if count >= 2 else 2)

        while queue:
            kind, i = queue.popleft()
            count = rows[i] if kind == "r" else cols[i]
            if count != 1:
                continue
            line = (
                [(i, c) for c in range(self.n)] if kind == "r" else [(r, i) for r in range(self.m)]
            )
            candidates = [p for p in line if p not in hidden and p not in self.locked]
            if not candidates:
                continue
            pick = min(
                candidates,
                key=lambda p: (self.is_total(p), crossing_rank(p, kind), *self.cost(p)[1:]),
            )
            hidden.add(pick)
            r, c = pick
            rows[r] += 1
            cols[c] += 1
            if self.row_sums and rows[r] == 1:
                queue.append(("r", r))
            if self.col_sums and cols[c] == 1:
                queue.append(("c", c))

    # -- bridges ------------------------------------------------------------------------------

    def edges(self, hidden: set[Pos]) -> list[tuple[int, int, Pos]]:
        return [(self.row_vertex(r), self.col_vertex(c), (r, c)) for r, c in sorted(hidden)]

    def bridges(self, hidden: set[Pos]) -> list[Pos]:
        """Hidden cells (in row-major order) whose edges are bridges: derivable cells."""
        edges = self.edges(hidden)
        found = _bridges(self.m + self.n + 1, [(u, v) for u, v, _ in edges])
        return sorted(edges[i][2] for i in found)

    def complement(self, bridge: Pos, hidden: set[Pos]) -> Pos | None:
        """A cell to hide that puts `bridge` on a cycle (or at least grows its neighbourhood)."""
        comp = self.components(hidden - {bridge})
        x = comp[self.row_vertex(bridge[0])]
        y = comp[self.col_vertex(bridge[1])]
        rk, ck = bridge

        def joins(pos: Pos) -> bool:
            a = comp[self.row_vertex(pos[0])]
            b = comp[self.col_vertex(pos[1])]
            return {a, b} == {x, y}

        near = [(rk, c) for c in range(self.n)] + [(r, ck) for r in range(self.m)]
        near = [p for p in near if p not in hidden and p not in self.locked]
        for pool in (
            [p for p in near if joins(p)],
            [
                (r, c)
                for r in range(self.m)
                for c in range(self.n)
                if (r, c) not in hidden and (r, c) not in self.locked and joins((r, c))
            ],
            near,
            [
                (r, c)
                for r in range(self.m)
                for c in range(self.n)
                if (r, c) not in hidden and (r, c) not in self.locked
            ],
        ):
            if pool:
                return min(pool, key=self.cost)
        return None

    def components(self, hidden: set[Pos]) -> list[int]:
        parent = list(range(self.m + self.n + 1))

        def find(a: int) -> int:
            while parent[a] != a:
                parent[a] = parent[parent[a]]
                a = parent[a]
            return a

        for u, v, _ in self.edges(hidden):
            ru, rv = find(u), find(v)
            if ru != rv:
                parent[ru] = rv
        return [find(a) for a in range(len(parent))]


def _bridges(vertex_count: int, edges: list[tuple[int, int]]) -> set[int]:
    """Indices of bridge edges in an undirected multigraph (iterative Tarjan; loops never)."""
    adjacency: list[list[tuple[int, int]]] = [[] for _ in range(vertex_count)]
    for i, (u, v) in enumerate(edges):
        if u != v:
            adjacency[u].append((v, i))
            adjacency[v].append((u, i))
    disc = [-1] * vertex_count
    low = [0] * vertex_count
    bridges: set[int] = set()
    timer = 0
    for start in range(vertex_count):
        if disc[start] != -1 or not adjacency[start]:
            continue
        disc[start] = low[start] = timer
        timer += 1
        stack: list[tuple[int, int, int]] = [(start, -1, 0)]  # vertex, edge in, next neighbour
        while stack:
            v, via, k = stack[-1]
            if k < len(adjacency[v]):
                stack[-1] = (v, via, k + 1)
                w, edge = adjacency[v][k]
                if edge == via:
                    continue
                if disc[w] == -1:
                    disc[w] = low[w] = timer
                    timer += 1
                    stack.append((w, edge, 0))
                else:
                    low[v] = min(low[v], disc[w])
            else:
                stack.pop()
                if stack:
                    parent = stack[-1][0]
                    low[parent] = min(low[parent], low[v])
                    if low[v] > disc[parent]:
                        bridges.add(via)
    return bridges


# --- tables -----------------------------------------------------------------------------------


def _count(value: Cell) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


@dataclass(frozen=True)
class SharedRow:
    """A row of figures that several tables of one report print (the same totals row).

    Each table must hide the same cells of it, or one table would print what another hides.
    """

    values: tuple[tuple[str, int], ...]
    hidden: frozenset[str]

    def positions(self, table: ReportTable) -> list[tuple[int, int, bool]] | None:
        """(column index, value, hidden) per shared cell, or None if `table` lacks a column."""
        keys = {c.key: i for i, c in enumerate(table.columns) if c.kind == "count"}
        if any(key not in keys for key, _ in self.values):
            return None
        return [(keys[key], value, key in self.hidden) for key, value in self.values]


def shared_rows(tables: Sequence[ReportTable], threshold: int) -> tuple[SharedRow, ...]:
    """One pattern per distinct totals row in a report, decided once for every table.

    The pattern protects the totals row as a line of its own (primary suppression, plus a
    complement when the row's total would give a single hidden cell away); tables then protect
    their inner cells around it, never hiding or showing a shared cell differently.
    """
    out: dict[tuple[tuple[str, int], ...], SharedRow] = {}
    for table in tables:
        if table.totals is None:
            continue
        counts = [c for c in table.columns if c.kind == "count"]
        values = tuple((c.key, _count(table.totals[table.index(c.key)])) for c in counts)
        if values in out:
            continue
        lookup = dict(values)
        hidden = {key for key, value in values if is_small(value, threshold)}
        if table.parts and table.row_total is not None:
            line = [*table.parts, table.row_total]
            found = protect(
                [[lookup[k] for k in line]], threshold=threshold, row_sums=True, col_sums=False
            )
            hidden |= {line[c] for _, c in found}
        out[values] = SharedRow(values, frozenset(hidden))
    return tuple(out.values())


def suppress_table(
    table: ReportTable, threshold: int, shared: Sequence[SharedRow] = ()
) -> ReportTable:
    """`table` with small counts as "<N", and their complements and dependent measures "[c]".

    `shared`: rows that other tables of the report print too (see `shared_rows`); any row of
    this table equal to one of them gets exactly its pattern.
    """
    if threshold <= 1:
        return table
    body = [list(row) for row in table.rows]
    if table.totals is not None:
        body.append(list(table.totals))
    has_totals = table.totals is not None
    fixed: dict[Pos, bool] = {}  # (row index in body, column index in table)
    patterns = [p for p in (pattern.positions(table) for pattern in shared) if p is not None]
    for r, row in enumerate(body):
        for cells in patterns:
            if all(type(row[c]) is int and row[c] == value for c, value, _ in cells):
                for c, _, hide in cells:
                    fixed[(r, c)] = hide
                break
    for r, key in table.public:
        fixed.setdefault((r, table.index(key)), False)
    hidden: set[Pos] = set()

    grouped = [table.index(k) for k in table.parts]
    if grouped and table.row_total is not None:
        grouped.append(table.index(table.row_total))
        grid = [[_count(row[c]) for c in grouped] for row in body]
        local = {(r, grouped.index(c)): v for (r, c), v in fixed.items() if c in grouped}
        found = protect(grid, threshold=threshold, row_sums=True, col_sums=has_totals, fixed=local)
        hidden.update((r, grouped[c]) for r, c in found)
    else:
        grouped = []
    for c, column in enumerate(table.columns):
        if column.kind != "count" or c in grouped:
            continue
        grid = [[_count(row[c])] for row in body]
        local = {(r, 0): v for (r, cc), v in fixed.items() if cc == c}
        found = protect(grid, threshold=threshold, row_sums=False, col_sums=has_totals, fixed=local)
        hidden.update((r, c) for r, _ in found)
    for c, column in enumerate(table.columns):
        if column.depends_on is None:
            continue
        base = table.index(column.depends_on)
        hidden.update((r, c) for r in range(len(body)) if (r, base) in hidden)

    small = marker(threshold)
    for r, c in hidden:
        body[r][c] = small if is_small(body[r][c], threshold) else COMPLEMENT
    rows = tuple(tuple(row) for row in body[: len(table.rows)])
    totals = tuple(body[-1]) if has_totals else None
    return replace(table, rows=rows, totals=totals)
