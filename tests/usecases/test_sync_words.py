"""Sync in an officer's words: what is waiting and why; a passphrase refused before anything."""

from __future__ import annotations

import pytest

from referral_desk.sync.keys import PassphraseError
from referral_desk.usecases.sync import pending_text


def test_waiting_records_are_explained() -> None:
    assert pending_text({"person": 3}) == [
        "3 records arrived before the person they belong to; they will be added when that "
        "person's record arrives."
    ]
    lines = pending_text((("need", 1), ("incomplete", 2), ("duplicate key", 1), ("odd", 1)))
    assert lines[0].startswith("1 record arrived before the need they belong to")
    assert "arrived in part" in lines[1] and "code or reference" in lines[2]
    assert "a record they depend on" in lines[3]
    assert pending_text({}) == [] and pending_text({"person": 0}) == []
    assert not any("related records" in line for line in lines)


@pytest.mark.parametrize("call", ["sync_now", "preview_file", "export_file"])
def test_a_too_short_passphrase_is_refused_before_the_preview(app, tmp_path, call) -> None:
    """A new store checks nothing until it is written: the preview used to pass, Apply failed."""
    store = tmp_path / "store"
    store.mkdir()
    app.sync.set_store(store)
    with pytest.raises(PassphraseError, match="at least 8 characters"):
        if call == "sync_now":
            app.sync.sync_now(None, "short", dry_run=True)
        else:
            getattr(app.sync, call)(tmp_path / "team.rdsync", "short")
    assert not list(store.iterdir())
    assert not app.sync.store_has_passphrase()
    app.sync.sync_now(None, "correct horse battery staple")
    assert app.sync.store_has_passphrase()
