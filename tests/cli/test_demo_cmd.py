"""`referral-desk demo`: adds a fictional directory and caseload; counts in words or JSON, and
bad sizes get one line, never a traceback."""

from __future__ import annotations

import json

from referral_desk.app import run


def test_demo_adds_what_it_says_in_json(app, capsys) -> None:
    folder = str(app.data_path.parent)
    args = ["--data-dir", folder, "demo", "--people", "4", "--services", "6", "--seed", "2"]
    assert run([*args, "--json"]) == 0
    counts = json.loads(capsys.readouterr().out)
    assert counts["people"] == 4 and counts["services"] == 6 and counts["referrals"] == 8
    assert run(["--data-dir", folder, "demo", "--people", "1", "--services", "2"]) == 0
    assert capsys.readouterr().out.startswith("Demo data added: ")


def test_a_negative_size_is_one_line(app, capsys) -> None:
    code = run(["--data-dir", str(app.data_path.parent), "demo", "--people", "-1"])
    out, err = capsys.readouterr()
    assert code == 1 and out == ""
    assert err.strip().count("\n") == 0 and "cannot be negative" in err
