"""Issue 11, point 5: a report PDF for any accepted period and any data, every font embedded.

`report unmet-needs --from 2021-01-01 --to 2026-12-31 --format pdf` used to end in reportlab's
LayoutError on demo data (the monthly chart outgrew the page), and report PDFs listed a
Helvetica that was not embedded. Now tall charts continue on further drawings, long monthly
series are added up by quarter or year (and say so), wide tables continue in parts with the row
labels repeated, and every drawing starts in the embedded DejaVu face.
"""

from __future__ import annotations

import io
import shutil
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pypdf
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from report_charts_data import chart, months

from referral_desk.documents.report_pdf import column_groups, render_report_pdf
from referral_desk.store.database import DB_FILENAME
from referral_desk.usecases.base import Clock
from referral_desk.usecases.reports import REPORTS, ReportService

TODAY = date(2026, 3, 2)
PERIODS = {
    "one day": ("2026-03-02", "2026-03-02"),
    "one month": ("2026-02-01", "2026-02-28"),
    "37 months": ("2023-02-01", "2026-02-28"),
    "six years": ("2021-01-01", "2026-12-31"),  # the issue's example
    "ten years": ("2016-03-03", "2026-03-02"),
    "twenty years": ("2006-03-08", "2026-03-02"),  # the longest period a report accepts
}


def fonts_of(pdf: bytes) -> list[dict[str, Any]]:
    """Every font object used on any page (page resources and form XObjects)."""
    found = []
    for page in pypdf.PdfReader(io.BytesIO(pdf)).pages:
        resources = [page["/Resources"]]
        while resources:
            res = resources.pop()
            for ref in (res.get("/Font") or {}).values():
                found.append(ref.get_object())
            for ref in (res.get("/XObject") or {}).values():
                xobject = ref.get_object()
                if "/Resources" in xobject:
                    resources.append(xobject["/Resources"])
    return found


def assert_valid(pdf: bytes) -> int:
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) > 0
    fonts = fonts_of(pdf)
    assert fonts
    for font in fonts:
        # Every font is an embedded TrueType subset: no base-14 Helvetica a PC substitutes.
        assert "/FontDescriptor" in font, font.get("/BaseFont")
        assert "/FontFile2" in font["/FontDescriptor"], font.get("/BaseFont")
    return len(reader.pages)


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory, template_db: Path) -> Path:
    """The demo generator's data, once for the module (copied per use)."""
    from unlocking import open_test_services as open_services

    from referral_desk.demo import generate_demo

    folder = tmp_path_factory.mktemp("report-demo")
    shutil.copy2(template_db, folder / DB_FILENAME)
    app = open_services(folder, Clock(fixed_today=TODAY))
    generate_demo(app, people=120, services=150)
    app.close()
    return folder / DB_FILENAME


@pytest.fixture
def demo(tmp_path: Path, demo_db: Path) -> Iterator[Any]:
    from unlocking import open_test_services as open_services

    data = tmp_path / "demo"
    data.mkdir(mode=0o700)
    shutil.copy2(demo_db, data / DB_FILENAME)
    app = open_services(data, Clock(fixed_today=TODAY))
    yield app
    app.close()


@pytest.mark.parametrize("period", list(PERIODS))
@pytest.mark.parametrize("name", list(REPORTS))
def test_every_report_and_period_makes_a_pdf_on_demo_and_empty_data(app, demo, name, period):
    for services in (app, demo):
        pdf = ReportService(services.db, services.clock).render(name, *PERIODS[period], "pdf")
        assert_valid(pdf)


def test_the_issue_example_prints_the_trend_by_quarter_and_says_so(demo) -> None:
    pdf = ReportService(demo.db, demo.clock).render("unmet-needs", *PERIODS["six years"], "pdf")
    text = " ".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(pdf)).pages)
    text = " ".join(text.split())
    assert "Unmet needs by month, added up by quarter" in text
    assert "the period has 72 months, so the chart adds them up by quarter" in text
    assert "2021-01" in text and "2026-12" in text  # the table still has every month


# --- the parts, on made-up data -------------------------------------------------------------


def wide_table(figures: int, rows: int = 3) -> dict[str, Any]:
    columns = [
        {"key": "label", "title": "Provider", "kind": "label"},
        {"key": "service", "title": "Service", "kind": "label"},
    ]
    columns += [
        {"key": f"r{i}", "title": f"Reason number {i}", "kind": "count"} for i in range(figures)
    ]
    return {
        "key": "wide",
        "title": "Declines by reason",
        "columns": columns,
        "rows": [[f"Org {r}", f"Svc {r}", *range(figures)] for r in range(rows)],
        "totals": ["Total", "", *range(figures)],
        "notes": [],
    }


def report(tables: list[dict[str, Any]], charts: list[dict[str, Any]] = ()) -> dict[str, Any]:
    return {
        "title": "Made-up report",
        "period": {"from": "2026-01-01", "to": "2026-01-31"},
        "generated_on": "2026-02-01",
        "suppression": {},
        "notes": ["A note."],
        "tables": tables,
        "charts": list(charts),
    }


def test_a_wide_table_continues_with_its_row_labels_repeated() -> None:
    table = wide_table(40)
    groups = column_groups(table, 270 * 2.83)
    assert len(groups) > 1
    assert all(group[:2] == [0, 1] for group in groups)  # both label columns in every part
    assert sorted({i for g in groups for i in g}) == list(range(42))
    pdf = render_report_pdf(report([table]))
    assert_valid(pdf)
    text = " ".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(pdf)).pages)
    assert "Figure columns 1–" in text and "(row labels repeated)" in text
    assert column_groups(wide_table(5), 770) == [list(range(7))]


def test_huge_labels_and_many_rows_still_lay_out() -> None:
    table = wide_table(3, rows=400)
    table["rows"][0][0] = "A" * 50_000  # a name from an old database, any length
    table["rows"][1][0] = "word " * 5_000
    assert_valid(render_report_pdf(report([table], [chart(["x" * 5000] * 3, [1, 2, 3])])))


# --- hypothesis: random periods and random small data -----------------------------------------

CELLS = st.one_of(
    st.integers(0, 10**9),
    st.floats(0, 1e9, allow_nan=False),
    st.sampled_from(["<5", "[c]", "", None]),
    st.text(max_size=30),
)


@st.composite
def made_up_reports(draw: st.DrawFn) -> dict[str, Any]:
    tables = []
    for t in range(draw(st.integers(0, 3))):
        labels = draw(st.integers(1, 3))
        figures = draw(st.integers(0, 30))
        columns = [
            {"key": f"l{i}", "title": draw(st.text(max_size=40)), "kind": "label"}
            for i in range(labels)
        ]
        columns += [
            {
                "key": f"f{i}",
                "title": draw(st.text(max_size=40)),
                "kind": draw(st.sampled_from(["count", "value"])),
            }
            for i in range(figures)
        ]
        rows = draw(
            st.lists(st.lists(CELLS, min_size=len(columns), max_size=len(columns)), max_size=40)
        )
        totals = draw(
            st.one_of(st.none(), st.lists(CELLS, min_size=len(columns), max_size=len(columns)))
        )
        tables.append(
            {
                "key": f"t{t}",
                "title": draw(st.text(max_size=60)),
                "columns": columns,
                "rows": rows,
                "totals": totals,
                "notes": draw(st.lists(st.text(max_size=80), max_size=2)),
            }
        )
    charts = []
    for _ in range(draw(st.integers(0, 4))):
        n = draw(st.integers(0, 260))
        labels = (
            months(n)
            if draw(st.booleans())
            else [draw(st.text(max_size=50)) for _ in range(min(n, 120))]
        )
        series = draw(st.integers(1, 5))
        values = st.one_of(st.none(), st.floats(0, 1e7, allow_nan=False))
        charts.append(chart(labels, *[[draw(values) for _ in labels] for _ in range(series)]))
    return report(tables, charts)


@settings(max_examples=25, deadline=None)
@given(made_up_reports())
def test_any_made_up_report_makes_a_pdf(data: dict[str, Any]) -> None:
    assert_valid(render_report_pdf(data))


@settings(
    max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    start=st.dates(date(2000, 1, 1), date(2030, 12, 31)),
    days=st.integers(0, 366 * 20),
    name=st.sampled_from(list(REPORTS)),
    needs=st.lists(
        st.tuples(
            st.integers(-4000, 400),
            st.sampled_from(["no-service", "full", "not-eligible", "out-of-area", None]),
        ),
        max_size=4,
    ),
)
def test_random_periods_and_small_data_make_a_pdf(app, start, days, name, needs) -> None:
    person = app.people.add(
        given_name="Pat", family_name="Random", setting="custody", prison="HMP Leeds"
    )
    for offset, unmet in needs:  # small data, anywhere in time, accumulating across examples
        app.needs.log(
            person.id,
            "accommodation",
            "x",
            unmet=unmet,
            identified_on=(TODAY + timedelta(days=offset)).isoformat(),
        )
    end = min(start + timedelta(days=days), date(9999, 1, 1))
    pdf = ReportService(app.db, app.clock).render(name, start.isoformat(), end.isoformat(), "pdf")
    assert_valid(pdf)
