"""The detail pane of a service (find a service, the directory): what it offers, for whom, how
to refer, where it is and how fresh the information is, as escaped HTML."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from html import escape

from referral_desk.ui.freshness import freshness
from referral_desk.ui.service_models import (
    STALE_COLOUR,
    capacity_tooltip,
    cost_text,
    eligibility_text,
    precheck_spoken,
)
from referral_desk.ui.widgets import fmt_date
from referral_desk.usecases.dto import ServiceView

# --- the detail pane -------------------------------------------------------------------------


def _row(label: str, value: str) -> str:
    if not value:
        return ""
    return (
        f"<tr><td style='padding:2px 12px 2px 0; color:#444; white-space:nowrap'>"
        f"{escape(label)}</td><td style='padding:2px 0'>{value}</td></tr>"
    )


def _table(rows: Sequence[str]) -> str:
    body = "".join(r for r in rows if r)
    return f"<table cellspacing='0'>{body}</table>" if body else ""


def how_to_refer_rows(service: ServiceView, method_labels: Mapping[str, str]) -> list[str]:
    """Rows for 'how to refer': method, contact, phone, email, response time."""
    method = method_labels.get(service.referral_method, service.referral_method.replace("_", " "))
    response = ""
    if service.response_days is not None:
        days = service.response_days
        response = f"usually within {days} working day{'s' if days != 1 else ''}"
    waiting = ""
    if service.waiting_weeks:
        waiting = f"about {service.waiting_weeks} week{'s' if service.waiting_weeks != 1 else ''}"
    return [
        _row("Refer by", escape(method.capitalize())),
        _row("Referral contact", escape(service.referral_contact)),
        _row("Contact name", escape(service.contact_name)),
        _row("Phone", escape(service.phone)),
        _row("Email", escape(service.email)),
        _row("Responds", escape(response)),
        _row("Waiting time", escape(waiting)),
    ]


def address_text(service: ServiceView) -> str:
    """The address, or why there is none (a refuge publishes a contact, never an address)."""
    if service.confidential_address:
        return "Confidential address: contact the service by phone or email"
    loc = service.location
    if loc is None:
        return ""
    parts = [loc.address_1, loc.address_2, loc.city, loc.region, loc.postcode]
    return ", ".join(p for p in parts if p)


def service_detail_html(
    service: ServiceView,
    *,
    today: date,
    category_labels: Mapping[str, str],
    method_labels: Mapping[str, str],
) -> str:
    """Everything an officer needs before phoning: how to refer first, then who it is for."""
    fresh = freshness(service.assured_date, today)
    parts = [
        f"<h2 style='margin-bottom:2px'>{escape(service.name)}</h2>",
        f"<p style='margin-top:0; color:#444'>{escape(service.organisation_name)}</p>",
    ]
    if (service.status or "active") != "active":
        parts.append(
            f"<p style='color:{STALE_COLOUR.name()}'><b>Status: {escape(service.status)}</b>"
            " – check before referring.</p>"
        )
    if service.description:
        parts.append(f"<p>{escape(service.description)}</p>")
    parts.append("<h3>How to refer</h3>")
    parts.append(_table(how_to_refer_rows(service, method_labels)) or "<p>Not recorded.</p>")

    settings = []
    if service.prisons:
        settings.append("in " + ", ".join(service.prisons))
    if service.community:
        settings.append("in the community")
    if service.through_the_gate:
        settings.append("through the gate")
    categories = ", ".join(category_labels.get(c, c) for c in service.categories)
    parts.append("<h3>Who it is for</h3>")
    parts.append(
        _table(
            [
                _row("Needs", escape(categories)),
                _row("Eligibility", escape(eligibility_text(service))),
                _row("Where", escape("; ".join(settings))),
                _row("Areas", escape(", ".join(service.areas))),
                _row("Cohorts", escape(", ".join(service.cohorts))),
                _row("Risk levels", escape(", ".join(service.risk_levels))),
                _row("Excludes", escape(", ".join(service.offence_exclusions))),
                _row("Cost", escape(cost_text(service))),
                _row("Capacity", escape(capacity_tooltip(service))),
            ]
        )
    )
    parts.append("<h3>Practical</h3>")
    practical = _table(
        [
            _row("Address", escape(address_text(service))),
            _row("Opening times", escape(service.opening_times)),
            _row("What to bring", escape(service.what_to_bring)),
            _row("Languages", escape(", ".join(service.languages))),
            _row("Accessibility", escape(service.accessibility)),
        ]
    )
    parts.append(practical or "<p>Not recorded.</p>")

    parts.append("<h3>Pre-check and freshness</h3>")
    checked = ""
    if service.precheck_date:
        checked = fmt_date(service.precheck_date)
        checked += f" by {service.precheck_by}" if service.precheck_by else ""
    verified = escape(fresh.text.capitalize())
    if service.assured_date:
        by = f" by {service.assurer}" if service.assurer else ""
        verified += escape(f" ({fmt_date(service.assured_date)}{by})")
    if fresh.stale:
        verified = (
            f"<span style='color:{STALE_COLOUR.name()}'><b>{verified}</b> – "
            "may be out of date: confirm the details with the provider.</span>"
        )
    parts.append(
        _table(
            [
                _row("Pre-check", escape(precheck_spoken(service))),
                _row("Pre-checked", escape(checked)),
                _row("Record", verified),
            ]
        )
    )
    return "".join(parts)
