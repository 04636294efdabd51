"""Issue 11: a fuzz of `referral-desk report` — whatever the arguments, never a traceback.

Random report names, dates (well-formed or not, any period), formats and --out paths inside a
temporary folder: the command exits 0, 1 or 2, and a refusal is one line on stderr.
"""

from __future__ import annotations

import io
from datetime import date, timedelta
from pathlib import Path

import pypdf
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from referral_desk.app import run
from referral_desk.usecases.reports import FORMATS, REPORTS

ARG = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=30)
DATES = st.one_of(st.none(), st.dates(date(1900, 1, 1), date(2100, 12, 31)).map(str), ARG)
PERIODS = st.one_of(
    st.tuples(DATES, DATES),
    st.builds(
        lambda start, days: (str(start), str(start + timedelta(days=days))),
        st.dates(date(1990, 1, 1), date(2030, 12, 31)),
        st.integers(0, 366 * 20),
    ),
)
"""Random pairs (mostly refused), and accepted periods of up to twenty years."""
FILE_NAME = st.text(
    st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00/"),
    min_size=1,
    max_size=40,
)


@pytest.fixture
def data_dir(app) -> Path:
    app.people.add(given_name="Pat", family_name="Fuzz", setting="custody", prison="HMP Leeds")
    return app.data_path.parent


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    name=st.one_of(st.sampled_from(list(REPORTS)), st.sampled_from(list(REPORTS)), ARG),
    period=PERIODS,
    fmt=st.one_of(st.none(), st.sampled_from(FORMATS), st.just("pdf"), ARG),
    out=st.one_of(
        st.none(),
        st.tuples(
            st.sampled_from(["", "missing/", "sub/"]),
            FILE_NAME,
            st.sampled_from(["", ".pdf", ".csv", ".xlsx", ".json", ".PDF"]),
        ),
    ),
    as_json=st.booleans(),
)
@example(
    name="unmet-needs",
    period=("2021-01-01", "2026-12-31"),
    fmt="pdf",
    out=("", "issue", ".pdf"),
    as_json=False,
)  # the LayoutError
def test_report_command_never_shows_a_traceback(
    data_dir, tmp_path, capsys, name, period, fmt, out, as_json
) -> None:
    (tmp_path / "sub").mkdir(exist_ok=True)
    date_from, date_to = period
    args = ["--data-dir", str(data_dir), "report", name]
    for flag, value in (("--from", date_from), ("--to", date_to), ("--format", fmt)):
        if value is not None:
            args += [flag, value]
    path = None
    if out is not None:
        folder, stem, suffix = out
        path = tmp_path / folder / (stem + suffix)
        args += ["--out", str(path)]
    if as_json:
        args.append("--json")
    code = run(args)
    stdout, stderr = capsys.readouterr()
    assert code in (0, 1, 2), stderr
    assert "Traceback" not in stderr  # an escaped exception fails the test on its own
    if code:
        assert stderr.count("\n") == 1 and stderr.startswith("referral-desk"), stderr
        return
    assert stdout
    if path is not None and path.is_file() and path.read_bytes()[:4] == b"%PDF":
        assert len(pypdf.PdfReader(io.BytesIO(path.read_bytes())).pages) > 0
