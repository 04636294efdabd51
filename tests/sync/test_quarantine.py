"""Quarantine: a bad entry is reported and skipped, the rest applies; it is kept verbatim,
relayed onward, and applies once an upgrade understands it."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import pytest

from referral_desk.sync import bundle as b
from referral_desk.sync import quarantine as q


def _rewrite(h: Any, src: Path, dst: Path, change: Any) -> None:
    """Decrypt a bundle, let `change` edit its entries, seal it again (as a buggy or newer
    version of the app would have written it)."""
    bundle = b.unlock(src.read_bytes(), h.PASSPHRASE, h.KEYS).parse()
    entries = [list(e) for e in bundle.entries]
    change(entries)
    data, _ = b.seal(
        entries,
        bundle.knowledge,
        site_id=bundle.header.site_id,
        vector=bundle.manifest.vector,
        passphrase=h.PASSPHRASE,
        keys=h.KEYS,
        salt=bundle.header.salt,
        kdf=bundle.header.kdf,
    )
    dst.write_bytes(data)


def _entries_of(h: Any, path: Path) -> list[list[Any]]:
    return b.unlock(path.read_bytes(), h.PASSPHRASE, h.KEYS).parse().entries


def test_bad_entries_are_kept_aside_and_relayed(make_site, tmp_path, h):
    a, site_b, c = make_site("a"), make_site("b"), make_site("c")
    pid = a.people.add(given_name="Zed", family_name="Q", date_of_birth="1970-01-01").id
    a.needs.log(pid, "accommodation", "flat")
    good, bad = tmp_path / "good.rdsync", tmp_path / "bad.rdsync"
    a.sync.export_file(good, h.PASSPHRASE)
    alien = [str(uuid.uuid4()), 1, "space_station", str(uuid.uuid4()), "orbit", "1", 5, 0]

    def spoil(entries: list[list[Any]]) -> None:
        for e in entries:
            if e[2] == "person" and e[3] == pid and e[4] == "gender":
                e[5] = "42"  # a number where text belongs
        entries.append(alien)

    _rewrite(h, good, bad, spoil)
    summary = site_b.sync.import_file(bad, h.PASSPHRASE)
    assert summary.quarantined == 2 and summary.people == 1 and summary.needs == 1
    assert site_b.people.get(pid).gender == ""  # the default until a good value arrives
    reasons = sorted(x.reason for x in site_b.sync.list_quarantine())
    assert reasons == ["bad value for person.gender", "unknown table"]
    relay = tmp_path / "relay.rdsync"
    site_b.sync.export_file(relay, h.PASSPHRASE)
    assert alien in _entries_of(h, relay), "quarantined entries travel on verbatim"
    onward = c.sync.import_file(relay, h.PASSPHRASE)
    assert onward.quarantined == 2 and onward.people == 1


def test_quarantined_entries_apply_after_an_upgrade(make_site, tmp_path, h, monkeypatch):
    a, site_b = make_site("a"), make_site("b")
    pid = a.people.add(given_name="Zed", family_name="Q", date_of_birth="1970-01-01").id
    need = a.needs.log(pid, "accommodation", "flat")
    a.needs.set_status(need.id, "met")
    good, newer = tmp_path / "good.rdsync", tmp_path / "newer.rdsync"
    a.sync.export_file(good, h.PASSPHRASE)

    def future_status(entries: list[list[Any]]) -> None:
        for e in entries:
            if e[2] == "need_status_change" and e[4] == "to_status" and e[5] == '"met"':
                e[5] = json.dumps("paused")  # a state a later version has

    _rewrite(h, good, newer, future_status)
    first = site_b.sync.import_file(newer, h.PASSPHRASE)
    assert first.quarantined == 1 and first.pending == 1  # that history row waits
    assert site_b.needs.get(need.id).status == "open"

    upgraded = dict(q.CHOICES)
    upgraded[("need_status_change", "to_status")] = q.CHOICES[
        ("need_status_change", "to_status")
    ] | {"paused"}
    monkeypatch.setattr(q, "CHOICES", upgraded)
    q.forget_specs()
    try:
        a.people.update(pid, office="north")  # any later file triggers the retry
        later = tmp_path / "later.rdsync"
        a.sync.export_file(later, h.PASSPHRASE)
        second = site_b.sync.import_file(later, h.PASSPHRASE)
        assert second.released == 1 and second.pending == 0 and second.still_quarantined == 0
        assert site_b.needs.get(need.id).status == "paused"
        assert site_b.sync.list_quarantine() == []
    finally:
        monkeypatch.undo()
        q.forget_specs()


def _e(table: str, field: str, value: str, hlc: int = 1, tomb: int = 0) -> list[Any]:
    return [str(uuid.uuid4()), 1, table, str(uuid.uuid4()), field, value, hlc, tomb]


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (["x"], "malformed entry"),
        (["not-a-uuid", 1, "person", "r", "f", "1", 1, 0], "bad site id"),
        ([str(uuid.uuid4()), 1, "person", "nope", "given_name", '"a"', 1, 0], "bad record id"),
        (_e("person", "status", '"a"'), "unknown field"),
        (_e("space", "x", "1"), "unknown table"),
        (_e("need", "person_id", '"x"'), "bad value"),
        (_e("need", "identified_on", '"2024-13-01"'), "bad value"),
        (_e("person", "given_name", "null"), "bad value"),
        (_e("person", "given_name", "{"), "bad value"),
        (_e("person", "cohort_iom", "1"), "bad value"),
        (_e("person", "given_name", '"a"', hlc=-5), "bad timestamp"),
        (_e("person", "given_name", '"a"', tomb=1), "bad tombstone"),
        (_e("need_status_change", "to_status", '"paused"'), "bad value"),
    ],
)
def test_validation_reasons_name_no_values(raw: list[Any], reason: str) -> None:
    result = q.validate(raw)
    assert isinstance(result, str) and result.startswith(reason)
    assert '"a"' not in result and "2024" not in result
