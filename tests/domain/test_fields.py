"""One table of typed text fields: line or free text, and a limit that fits the column."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import String

from referral_desk.domain.errors import ValidationError
from referral_desk.domain.fields import FIELDS, TextField, field, max_length
from referral_desk.domain.text import clean_line, clean_text


def test_clean_names_the_field_never_the_value() -> None:
    rule = TextField("Given name", 5)
    assert TextField("Name", 9).clean(" Ann\x00\x1b[1m ") == "Ann [1m"
    with pytest.raises(ValidationError, match=r"^Given name is too long \(at most 5 characters\)$"):
        rule.clean("Yolanda")
    with pytest.raises(ValidationError, match=r"^Given name is required$"):
        rule.clean("\x00 \t", required=True)
    assert TextField("Note", 50, multiline=True).clean("a\r\nb\x07") == "a\nb"
    assert rule.clean(None) == ""


@given(st.sampled_from([(t, n) for t, cols in FIELDS.items() for n in cols]), st.text())
def test_every_rule_cleans_like_domain_text(key: tuple[str, str], value: str) -> None:
    rule = field(*key)
    expected = clean_text(value) if rule.multiline else clean_line(value)
    if len(expected) <= rule.limit:
        assert rule.clean(value) == expected
    else:
        with pytest.raises(ValidationError, match=f"^{rule.label} is too long"):
            rule.clean(value)


def test_limits_fit_the_database_columns() -> None:
    from referral_desk.store.directory_models import DirectoryCorrection
    from referral_desk.store.models import SYNCED_MODELS

    models = {**SYNCED_MODELS, "directory_correction": DirectoryCorrection}
    for table, columns in FIELDS.items():
        for name, rule in columns.items():
            column = models[table].__table__.columns[name]
            if isinstance(column.type, String) and column.type.length:
                assert rule.limit <= column.type.length, (table, name)
    assert max_length("person", "given_name") == 100
    assert max_length("need", "description") == 4000
    assert max_length("officer", "office_phone") == 40
