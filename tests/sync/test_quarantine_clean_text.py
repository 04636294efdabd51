"""Issue 11, point 10: incoming text is cleaned on decode, the same way at every site.

A site on an older version (or a buggy one) may send a name with a NUL or an ANSI escape. Every
receiving site cleans it with domain.text's rule for that field, deterministically, so they all
store the same text and sync converges; the entry is applied, never quarantined for it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from referral_desk.domain.text import clean_line, clean_text, has_controls
from referral_desk.sync import bundle as b
from referral_desk.sync import quarantine as q
from referral_desk.sync.quarantine import table_specs


def _rewrite(h: Any, src: Path, dst: Path, change: Any) -> None:
    """Decrypt a bundle, let `change` edit its entries, seal it again (as another version)."""
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


DIRTY_NAME = "Zed\x00\x1b[31m  Q\u202e"
DIRTY_NOTE = "Line one\r\nLine\x00 two\x07\t!"


def test_dirty_text_from_an_old_site_is_cleaned_alike_everywhere(make_site, tmp_path, h):
    a, site_b, c = make_site("a"), make_site("b"), make_site("c")
    pid = a.people.add(given_name="Zed", family_name="Q", date_of_birth="1970-01-01").id
    nid = a.needs.log(pid, "accommodation", "flat").id
    good, dirty = tmp_path / "good.rdsync", tmp_path / "dirty.rdsync"
    a.sync.export_file(good, h.PASSPHRASE)

    def soil(entries: list[list[Any]]) -> None:  # what an older version would have sent
        for e in entries:
            if (e[2], e[4]) == ("person", "given_name"):
                e[5] = json.dumps(DIRTY_NAME)
            if (e[2], e[4]) == ("need", "description"):
                e[5] = json.dumps(DIRTY_NOTE)

    _rewrite(h, good, dirty, soil)
    summary = site_b.sync.import_file(dirty, h.PASSPHRASE)
    assert summary.quarantined == 0 and summary.people == 1
    person = site_b.people.get(pid)
    assert person.given_name == "Zed [31m Q"  # one line: controls become single spaces
    assert site_b.needs.get(nid).description == "Line one\nLine two !"  # free text keeps LF
    relay = tmp_path / "relay.rdsync"
    site_b.sync.export_file(relay, h.PASSPHRASE)
    c.sync.import_file(relay, h.PASSPHRASE)
    assert c.people.get(pid).given_name == person.given_name
    assert h.digest(site_b.db)["person"] == h.digest(c.db)["person"]


def _specs_by_kind() -> list[q.FieldSpec]:
    return [
        s
        for t in table_specs().values()
        for s in t.values()
        if s.kind == "str" and s.fk_table is None and s.choices is None
    ]


@given(st.sampled_from(_specs_by_kind()), st.text())
def test_decoding_cleans_with_the_field_rule(spec: q.FieldSpec, value: str) -> None:
    decoded = q.decode(spec, value)
    assert decoded == (clean_text(value) if spec.multiline else clean_line(value))
    assert not has_controls(decoded.replace("\n", ""))
    assert q.decode(spec, decoded) == decoded  # idempotent: relaying changes nothing


def test_the_field_rules_choose_line_or_text() -> None:
    specs = table_specs()
    assert not specs["person"]["given_name"].multiline
    assert not specs["person"]["consent_scope"].multiline  # a Text column, but one line
    assert specs["need"]["description"].multiline
    assert specs["referral"]["risk_note"].multiline
    assert specs["reference_item"]["synonyms"].multiline
