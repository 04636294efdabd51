"""The plain data each printed document takes, and nothing more.

A document can only print what its data class carries, so these classes are where the data
minimisation of DESIGN.md §7 is enforced: the slip handed to the person has no field for an
offence, a risk level or a service description, and the provider form holds only what the officer
chose to share when recording the referral (risk only as an explicit `risk_note`).

The services layer builds these from its DTOs; the documents layer never sees the database.
`repr` is switched off for personal fields so that a stray log line or traceback holding one of
these objects does not print a name or date of birth.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

__all__ = ["NeedLine", "ProviderFormData", "SlipData"]


@dataclass(frozen=True)
class SlipData:
    """What the referral slip for the person shows.

    `address_lines` is None when the service keeps its address confidential (refuges publish a
    contact, never an address); the slip then tells the person to phone or email instead.
    `how_to_go` is the service's referral route in plain words ("Phone to book a first visit",
    "Drop in, no appointment needed"). Empty strings mean "not known" and are left off the slip.
    """

    reference: str
    person_name: str = field(repr=False)
    service_name: str
    organisation_name: str
    address_lines: tuple[str, ...] | None = field(default=(), repr=False)
    phone: str = ""
    email: str = ""
    how_to_go: str = ""
    opening_times: str = ""
    what_to_bring: str = ""
    appointment_at: datetime | None = field(default=None, repr=False)
    appointment_place: str = field(default="", repr=False)
    officer_name: str = field(default="", repr=False)
    officer_phone: str = ""
    office_name: str = ""
    made_on: date | None = None
    printed_on: date | None = None
    """The day the slip is printed (its "printed on" line and PDF date); None means today."""


@dataclass(frozen=True)
class NeedLine:
    """One shared need: the category label officers and providers both recognise, and detail."""

    category_label: str
    description: str = field(default="", repr=False)


@dataclass(frozen=True)
class ProviderFormData:
    """What the referral form for the provider shows: the consented minimum.

    Optional personal fields are None when the officer did not share them, and the form leaves
    them out entirely (it does not print "not shared" next to a blank, so nothing can be filled in
    later by hand and look official). `needs` is empty when needs were not shared. `risk_note` is
    None unless the officer explicitly chose to share risk information for this referral.
    """

    reference: str
    made_on: date
    service_name: str
    organisation_name: str
    person_name: str = field(repr=False)
    consent_on: date | None = None
    date_of_birth: date | None = field(default=None, repr=False)
    contact_details: str | None = field(default=None, repr=False)
    release_date: date | None = field(default=None, repr=False)
    needs: tuple[NeedLine, ...] = ()
    accessibility_needs: str = field(default="", repr=False)
    interpreter_language: str = field(default="", repr=False)
    availability: str = field(default="", repr=False)
    provider_contact: str = ""
    """Where the referral was sent: the provider's own referral address, never the person's."""
    officer_name: str = field(default="", repr=False)
    officer_email: str = ""
    officer_phone: str = ""
    officer_team: str = ""
    risk_note: str | None = field(default=None, repr=False)
    printed_on: date | None = None
