"""The service detail pane: escaped text, and never a confidential address."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from referral_desk.ui.service_detail import service_detail_html

TODAY = date(2026, 3, 2)


def result(name: str, **fields: Any) -> Any:
    from referral_desk.usecases.dto import SearchResult

    defaults: dict[str, Any] = dict(
        id=f"id-{name}",
        name=name,
        organisation_id="org",
        organisation_name=f"{name} Trust",
        status="active",
        categories=("accommodation",),
        description=f"{name} helps.",
    )
    defaults.update(fields)
    return SearchResult(**defaults)


@pytest.mark.gui
def test_detail_html_escapes_text_and_never_shows_a_confidential_address() -> None:
    from referral_desk.usecases.dto import LocationView

    location = LocationView(id="l", address_1="1 Secret Road", postcode="LS1 1AA")
    refuge = result(
        "<b>Refuge</b>",
        confidential_address=True,
        location=location,
        phone="0800 000 111",
        assured_date=date(2024, 1, 5),
        assurer="Kim",
    )
    html = service_detail_html(refuge, today=TODAY, category_labels={}, method_labels={})
    assert "<b>Refuge</b>" not in html and "&lt;b&gt;Refuge&lt;/b&gt;" in html
    assert "Secret Road" not in html
    assert "Confidential address" in html
    assert "0800 000 111" in html
    assert "may be out of date" in html and "by Kim" in html
