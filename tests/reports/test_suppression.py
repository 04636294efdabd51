"""Small-count suppression: primary "<5", secondary so no hidden cell can be worked out."""

from __future__ import annotations

from fractions import Fraction

from hypothesis import given, settings
from hypothesis import strategies as st

from referral_desk.reports.model import Column, ReportTable
from referral_desk.reports.suppression import (
    is_small,
    line_leaks,
    marker,
    protect,
    suppress_table,
    with_totals,
)

Pos = tuple[int, int]


# --- an independent check: linear algebra over the table's equations -------------------------


def determined(
    grid: list[list[int]], hidden: frozenset[Pos], *, row_sums: bool, col_sums: bool
) -> set[Pos]:
    """Hidden cells whose value follows from the shown cells and the table's sums.

    Exact Gaussian elimination (fractions) on one equation per summed row and column, unknowns
    the hidden cells. A cell is determined exactly when its unit vector lies in the row space,
    i.e. the reduced matrix has a row that is zero everywhere except at that cell.
    """
    m, n = len(grid), len(grid[0])
    unknowns = sorted(hidden)
    index = {p: i for i, p in enumerate(unknowns)}
    equations: list[list[Fraction]] = []

    def line(cells: list[Pos], total: Pos) -> None:
        row = [Fraction(0)] * len(unknowns)
        for p in cells:
            if p in index:
                row[index[p]] += 1
        if total in index:
            row[index[total]] -= 1
        equations.append(row)

    if row_sums:
        for r in range(m):
            line([(r, c) for c in range(n - 1)], (r, n - 1))
    if col_sums:
        for c in range(n):
            line([(r, c) for r in range(m - 1)], (m - 1, c))
    rows = [e for e in equations if any(e)]
    pivot_row = 0
    width = len(unknowns)
    for col in range(width):
        pivot = next((i for i in range(pivot_row, len(rows)) if rows[i][col] != 0), None)
        if pivot is None:
            continue
        rows[pivot_row], rows[pivot] = rows[pivot], rows[pivot_row]
        lead = rows[pivot_row][col]
        rows[pivot_row] = [v / lead for v in rows[pivot_row]]
        for i in range(len(rows)):
            if i != pivot_row and rows[i][col] != 0:
                factor = rows[i][col]
                rows[i] = [a - factor * b for a, b in zip(rows[i], rows[pivot_row], strict=True)]
        pivot_row += 1
    out = set()
    for row in rows:
        nonzero = [i for i, v in enumerate(row) if v != 0]
        if len(nonzero) == 1:
            out.add(unknowns[nonzero[0]])
    return out


# --- primary suppression --------------------------------------------------------------------


def test_small_means_one_to_threshold_minus_one() -> None:
    assert [is_small(v, 5) for v in (0, 1, 4, 5, 6)] == [False, True, True, False, False]
    assert not is_small(True, 5) and not is_small("3", 5) and not is_small(None, 5)
    assert is_small(9, 10) and not is_small(4, 2)
    assert marker(5) == "<5" and marker(10) == "<10"


def test_with_totals_adds_a_total_column_and_row() -> None:
    assert with_totals([[1, 2], [3, 4]]) == [[1, 2, 3], [3, 4, 7], [4, 6, 10]]
    assert with_totals([[1, 2]], col_totals=False) == [[1, 2, 3]]
    assert with_totals([[1, 2], [3, 4]], row_totals=False) == [[1, 2], [3, 4], [4, 6]]


def test_nothing_small_nothing_hidden() -> None:
    grid = with_totals([[5, 10], [0, 7]])
    assert protect(grid, threshold=5, row_sums=True, col_sums=True) == frozenset()


def test_without_totals_only_primary() -> None:
    grid = [[3, 10], [8, 0]]
    assert protect(grid, threshold=5, row_sums=False, col_sums=False) == {(0, 0)}


# --- secondary suppression ------------------------------------------------------------------


def test_one_small_cell_hides_a_rectangle_of_inner_cells() -> None:
    grid = with_totals([[3, 10], [8, 9]])  # [[3, 10, 13], [8, 9, 17], [11, 19, 30]]
    hidden = protect(grid, threshold=5, row_sums=True, col_sums=True)
    assert hidden == {(0, 0), (0, 1), (1, 0), (1, 1)}  # totals all stay visible
    assert determined(grid, hidden, row_sums=True, col_sums=True) == set()


def test_row_sums_only_hides_the_smallest_other_cell_of_the_row() -> None:
    grid = with_totals([[3, 20, 10], [6, 7, 8]], col_totals=False)
    hidden = protect(grid, threshold=5, row_sums=True, col_sums=False)
    assert hidden == {(0, 0), (0, 2)}


def test_single_column_with_total_hides_the_next_smallest() -> None:
    grid = [[3], [12], [7], [22]]  # three rows and their total
    assert protect(grid, threshold=5, row_sums=False, col_sums=True) == {(0, 0), (2, 0)}


def test_a_small_total_is_hidden_with_its_cells() -> None:
    grid = with_totals([[1, 2], [10, 20]])  # row 0 total is 3
    hidden = protect(grid, threshold=5, row_sums=True, col_sums=True)
    assert {(0, 0), (0, 1), (0, 2)} <= hidden
    assert not line_leaks(grid, hidden, row_sums=True, col_sums=True)
    assert determined(grid, hidden, row_sums=True, col_sums=True) == set()


def test_bridge_between_two_safe_blocks_is_closed() -> None:
    # Two 2x2 blocks of small cells, each safe on its own, joined by one small cell (0, 2):
    # every row and column has two or more hidden cells, yet adding up rows 0-1 and
    # subtracting columns 0-1 gives cell (0, 2) away. Secondary suppression must see it.
    cells = [
        [1, 1, 1, 9, 9],
        [1, 1, 9, 9, 9],
        [9, 9, 1, 1, 9],
        [9, 9, 1, 1, 9],
    ]
    grid = with_totals(cells)
    primary = {(r, c) for r, row in enumerate(grid) for c, v in enumerate(row) if 0 < v < 5}
    assert not line_leaks(grid, primary, row_sums=True, col_sums=True)
    assert determined(grid, frozenset(primary), row_sums=True, col_sums=True) == {(0, 2)}
    hidden = protect(grid, threshold=5, row_sums=True, col_sums=True)
    assert primary < hidden
    assert determined(grid, hidden, row_sums=True, col_sums=True) == set()
    assert all(r < 4 and c < 5 for r, c in hidden - primary)  # inner cells, not totals


grids = st.integers(1, 5).flatmap(
    lambda rows: st.integers(1, 5).flatmap(
        lambda cols: st.lists(
            st.lists(
                st.sampled_from([0, 0, 1, 2, 3, 4, 5, 6, 9, 15, 40]), min_size=cols, max_size=cols
            ),
            min_size=rows,
            max_size=rows,
        )
    )
)


@settings(max_examples=300, deadline=None)
@given(
    cells=grids,
    row_totals=st.booleans(),
    col_totals=st.booleans(),
    threshold=st.sampled_from([3, 5, 10]),
)
def test_no_hidden_cell_can_be_worked_out(
    cells: list[list[int]], row_totals: bool, col_totals: bool, threshold: int
) -> None:
    grid = with_totals(cells, row_totals=row_totals, col_totals=col_totals)
    hidden = protect(grid, threshold=threshold, row_sums=row_totals, col_sums=col_totals)
    small = {
        (r, c) for r, row in enumerate(grid) for c, v in enumerate(row) if is_small(v, threshold)
    }
    assert small <= hidden
    # Not by subtraction within its row or column…
    assert not line_leaks(grid, hidden, row_sums=row_totals, col_sums=col_totals)
    # …nor by combining several rows and columns.
    assert determined(grid, hidden, row_sums=row_totals, col_sums=col_totals) == set()


@settings(max_examples=200, deadline=None)
@given(cells=grids)
def test_subtraction_within_a_line_never_recovers_a_hidden_cell(cells: list[list[int]]) -> None:
    """The brief's property, checked literally: total minus the shown cells of a row or column."""
    grid = with_totals(cells)
    hidden = protect(grid, threshold=5, row_sums=True, col_sums=True)
    m, n = len(grid), len(grid[0])
    lines = [[(r, c) for c in range(n)] for r in range(m)]
    lines += [[(r, c) for r in range(m)] for c in range(n)]
    for line in lines:
        unknown = [p for p in line if p in hidden]
        assert len(unknown) != 1, f"cell {unknown} recoverable from its line"


# --- tables ---------------------------------------------------------------------------------


def _table(rows: tuple, totals: tuple | None) -> ReportTable:
    return ReportTable(
        key="t",
        title="T",
        columns=(
            Column("label", "Label", "label"),
            Column("a", "A"),
            Column("b", "B"),
            Column("total", "Total"),
            Column("other", "Other count"),
            Column("share", "Share", "value", depends_on="a"),
        ),
        rows=rows,
        totals=totals,
        row_total="total",
        parts=("a", "b"),
    )


def test_suppress_table_hides_cells_complements_and_dependent_values() -> None:
    table = _table(
        rows=(("x", 3, 10, 13, 20, 0.23), ("y", 8, 9, 17, 2, 0.47), ("z", 20, 30, 50, 30, 0.4)),
        totals=("Total", 31, 49, 80, 52, 0.39),
    )
    out = suppress_table(table, 5)
    # a/b/total: 3 is hidden, then 10 (its row), 8 (its column) and 9 (closing the rectangle).
    # "Other count" is a column on its own: 2 is hidden, and so is the next smallest, 20.
    # "Share" depends on a, so it is hidden wherever a is. Only small counts say "<5".
    assert out.rows == (
        ("x", "<5", "[c]", 13, "[c]", "[c]"),
        ("y", "[c]", "[c]", 17, "<5", "[c]"),
        ("z", 20, 30, 50, 30, 0.4),
    )
    assert out.totals == ("Total", 31, 49, 80, 52, 0.39)


def test_suppress_table_other_count_column_gets_a_complement() -> None:
    table = _table(
        rows=(("x", 10, 10, 20, 20, 0.5), ("y", 10, 10, 20, 2, 0.5), ("z", 10, 10, 20, 30, 0.5)),
        totals=("Total", 30, 30, 60, 52, 0.5),
    )
    out = suppress_table(table, 5)
    assert out.column("other") == ("[c]", "<5", 30)
    assert out.totals_dict()["other"] == 52


def test_overlapping_rows_have_no_totals_and_only_row_lines() -> None:
    table = _table(rows=(("x", 3, 10, 13, 9, None), ("y", 3, 10, 13, 9, None)), totals=None)
    out = suppress_table(table, 5)
    assert out.totals is None
    assert out.rows == (("x", "<5", "[c]", 13, 9, "[c]"), ("y", "<5", "[c]", 13, 9, "[c]"))


def test_threshold_one_or_less_turns_suppression_off() -> None:
    table = _table(rows=(("x", 3, 10, 13, 2, 0.2),), totals=("Total", 3, 10, 13, 2, 0.2))
    assert suppress_table(table, 1) == table


def test_a_custom_threshold_uses_its_own_marker() -> None:
    table = _table(
        rows=(("x", 7, 10, 17, 12, 0.4), ("y", 12, 12, 24, 12, 0.5)),
        totals=("Total", 19, 22, 41, 24, 0.46),
    )
    out = suppress_table(table, 10)
    assert out.row("x")["a"] == "<10" and out.row("x")["share"] == "[c]"
    assert out.row("x")["total"] == 17


@settings(max_examples=300, deadline=None)
@given(cells=grids)
def test_a_shared_totals_row_keeps_its_pattern_and_still_protects(cells: list[list[int]]) -> None:
    """Tables sharing a totals row get its pattern decided once; inner cells adapt around it."""
    grid = with_totals(cells)
    last = len(grid) - 1
    totals_line = protect([grid[last]], threshold=5, row_sums=True, col_sums=False)
    fixed = {(last, c): (0, c) in totals_line for c in range(len(grid[0]))}
    hidden = protect(grid, threshold=5, row_sums=True, col_sums=True, fixed=fixed)
    assert {p for p, hide in fixed.items() if hide} <= hidden
    assert not {p for p, hide in fixed.items() if not hide} & hidden
    assert not line_leaks(grid, hidden, row_sums=True, col_sums=True)
    assert determined(grid, hidden, row_sums=True, col_sums=True) == set()
