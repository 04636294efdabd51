"""Issue 11 at the command line: list-only places, cleaned input, inert output, reference lists.

NUL and ANSI escapes used to be accepted in names and echoed raw; a free-typed prison became a
report row. Now input is cleaned and checked in the services, and everything the command line
prints passes through domain.text (text: `printable`; JSON: `\\uNNNN` escapes).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from referral_desk.app import run
from referral_desk.domain.text import has_controls
from referral_desk.store.models import Person

ESC = "\x1b"


class Cli:
    def __init__(self, data: Path, capsys: pytest.CaptureFixture[str]) -> None:
        self.data = data
        self.capsys = capsys

    def __call__(self, *args: str) -> tuple[int, str, str]:
        code = run(["--data-dir", str(self.data), *args])
        out, err = self.capsys.readouterr()
        return code, out, err


@pytest.fixture
def cli(app, capsys) -> Cli:
    return Cli(app.data_path.parent, capsys)


def person_args(*extra: str) -> list[str]:
    return ["person", "add", "--given", "Ann", "--family", "Ash", "--dob", "1990-01-01", *extra]


def test_an_unknown_prison_is_refused_on_one_line_with_near_names(cli) -> None:
    code, out, err = cli(
        *person_args("--setting", "custody", "--prison", "HMP Xylo cell of Yolanda")
    )
    assert code == 1 and out == ""
    assert err.startswith("referral-desk: Unknown prison. Did you mean: HMP ")
    assert err.count("\n") == 1 and "Yolanda" not in err and "Xylo" not in err
    code, out, _ = cli(*person_args("--setting", "custody", "--prison", "hmp styal", "--json"))
    assert code == 0 and json.loads(out)["prison"] == "HMP Styal"


def test_ansi_escapes_in_input_are_cleaned_and_never_echoed(cli) -> None:
    code, out, err = cli(*person_args("--given", f"Ann{ESC}[31m{ESC}]0;owned\x07"))
    assert code == 0 and ESC not in out + err
    code, out, _ = cli("list", "people")
    assert code == 0 and ESC not in out and "Ann [31m ]0;owned" in out


def test_old_values_are_printed_escaped_in_text_and_json(cli, app) -> None:
    pid = app.people.add(given_name="Ann", family_name="Ash", date_of_birth="1990-01-01").id
    with app.db.write() as session:  # as an older version could have stored it
        session.get(Person, pid).family_name = f"Ash{ESC}[2J\x9b1m\u202eevil"
    code, out, _ = cli("show", "person", pid)
    assert code == 0 and not has_controls(out.replace("\n", ""))
    assert "Ash\\x1b[2J\\x9b1m\\u202eevil" in out
    code, out, _ = cli("show", "person", pid, "--json")
    assert code == 0 and not has_controls(out.replace("\n", ""))
    assert json.loads(out)["family_name"] == f"Ash{ESC}[2J\x9b1m\u202eevil"  # same JSON value


def test_reference_lists_from_the_command_line(cli) -> None:
    code, out, _ = cli("reference", "add", "prison", "HMP Xylo")
    assert code == 0 and out == "Added HMP Xylo (hmp_xylo) to prison\n"
    assert cli(*person_args("--setting", "custody", "--prison", "hmp_xylo"))[0] == 0
    code, out, err = cli("reference", "add", "prison", "hmp xylo")
    assert code == 1 and err == "referral-desk: That entry is already in the list.\n"
    assert cli("reference", "retire", "prison", "HMP Xylo")[0] == 0
    code, out, _ = cli("reference", "list", "prison")
    assert "hmp_xylo" not in out and "HMP Leeds" in out
    code, out, _ = cli("reference", "list", "prison", "--all", "--json")
    assert [i["code"] for i in json.loads(out)][-1] == "hmp_xylo"
    retired = person_args("--given", "Bo", "--setting", "custody", "--prison", "HMP Xylo")
    code, _, err = cli(*retired)
    assert code == 1 and "Unknown prison" in err
    code, _, err = cli("reference", "add", "referral_method", "Pigeon")
    assert code == 1 and err.startswith("referral-desk: Unknown reference list")


def test_a_too_long_name_is_refused_naming_the_field(cli) -> None:
    code, out, err = cli(*person_args("--family", "x" * 101))
    assert (code, out) == (1, "")
    assert err == "referral-desk: Family name is too long (at most 100 characters)\n"


# --- fuzz: never a traceback ------------------------------------------------------------------

TEXT = st.text(
    st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=60
)
"""Any text an argv can hold (no NUL, no lone surrogates)."""


def outcome(code: int, err: str) -> None:
    """Exit 0, 1 or 2; on refusal exactly one line on stderr, never a traceback."""
    assert code in (0, 1, 2), err
    assert "Traceback" not in err
    if code:
        assert err.count("\n") == 1 and err.startswith("referral-desk"), err


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    given_name=TEXT,
    family=TEXT,
    dob=st.one_of(st.just("1990-01-01"), TEXT),
    prison=st.one_of(st.sampled_from(["", "HMP Leeds", "hmp_styal", "Leeds"]), TEXT),
    area=st.one_of(st.sampled_from(["", "wales", "West Yorkshire"]), TEXT),
    office=TEXT,
    description=TEXT,
    category=st.sampled_from(["accommodation", "other", "nonsense", ""]),
    note=TEXT,
)
def test_fuzz_person_need_referral_input(
    cli, service_id, given_name, family, dob, prison, area, office, description, category, note
) -> None:
    code, out, err = cli(
        "person",
        "add",
        "--given",
        given_name,
        "--family",
        family,
        "--dob",
        dob,
        "--prison",
        prison,
        "--area",
        area,
        "--office",
        office,
        "--consent-date",
        "2025-01-01",
        "--json",
    )
    outcome(code, err)
    if code:
        return
    person = json.loads(out)
    assert not has_controls(person["given_name"] + person["family_name"] + person["office"])
    code, out, err = cli(
        "need",
        "add",
        "--person",
        person["id"],
        "--category",
        category,
        "--description",
        description,
        "--json",
    )
    outcome(code, err)
    if code:
        return
    need = json.loads(out)
    code, out, err = cli(
        "refer",
        "--need",
        need["id"],
        "--service",
        service_id,
        "--consent",
        "--share-risk",
        "--risk-note",
        note,
        "--availability",
        description,
    )
    outcome(code, err)
    assert ESC not in out


@pytest.fixture
def service_id(app) -> str:
    from referral_desk.store.models import Organisation, Service

    with app.db.write() as s:
        org = Organisation(name="Lighthouse Trust")
        svc = Service(name="Lighthouse Housing Advice", organisation_id=org.id, response_days=5)
        s.add_all([org, svc])
    return svc.id
