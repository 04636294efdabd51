"""What a directory file is (`hsds.detect`): the publisher a file's name stands for."""

from __future__ import annotations

from pathlib import Path

from referral_desk.hsds.detect import publisher_of


def test_publisher_is_the_name_without_a_trailing_date() -> None:
    assert publisher_of(Path("/x/acme-2026-12.zip"), {}) == "acme"
    assert publisher_of(Path("/x/acme_20270101"), {}) == "acme"
    assert publisher_of(Path("/x/2027.zip"), {}) == "2027"
    assert publisher_of(Path("/x/pkg/datapackage.json"), {"name": "Leeds"}) == "leeds"
