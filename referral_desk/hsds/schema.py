"""The HSDS 3.0 tabular data package schema: tables, columns, constraints and foreign keys.

Generated once from the official HSDS 3.0 `datapackage.json` (Open Referral, CC-BY-SA-4.0) and
kept as Python so that it ships inside the package without data-file configuration. The
reader checks required columns against it, the importer checks required values, UUIDs, enums
and links, and the exporter writes it back out as the `datapackage.json` of every export.
Long field descriptions are left out; names, titles, types, formats and constraints are exact.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

HSDS_VERSION = "3.0.0"


@dataclass(frozen=True)
class Field:
    name: str
    type: str = "string"
    format: str = ""
    required: bool = False
    unique: bool = False
    enum: tuple[str, ...] = ()
    title: str = ""


@dataclass(frozen=True)
class Table:
    """One HSDS resource. `links` are its foreign keys: (column, resource it points to)."""

    name: str
    path: str
    description: str
    fields: tuple[Field, ...]
    links: tuple[tuple[str, str], ...] = ()

    # Cached: the importer asks for these once per row of a 20 000-service package.
    @cached_property
    def columns(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields)

    @cached_property
    def required_columns(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields if f.required)

    @cached_property
    def _by_name(self) -> dict[str, Field]:
        return {f.name: f for f in self.fields}

    def field(self, name: str) -> Field | None:
        return self._by_name.get(name)


def _f(
    name: str,
    type_: str = "string",
    fmt: str = "",
    *,
    req: bool = False,
    uniq: bool = False,
    enum: tuple[str, ...] = (),
    title: str = "",
) -> Field:
    return Field(name, type_, fmt, req, uniq, enum, title)


TABLES: dict[str, Table] = {
    "organization": Table(
        "organization",
        "organizations.csv",
        (
            "The details about each organization delivering services. Each service should be "
            "linked to the organization responsible for its delivery. One organization may "
            "deliver many services."
        ),
        (
            _f("id", "string", "uuid", req=True, uniq=True, title="Identifier"),
            _f("name", req=True, title="Name"),
            _f("alternate_name", title="Alternate Name"),
            _f("description", req=True, title="Description"),
            _f("email", "string", "email", title="Email"),
            _f("website", "string", "uri", title="Website"),
            _f("tax_status", title="Tax Status"),
            _f("tax_id", title="Tax Identifier"),
            _f("year_incorporated", "number", title="Year Incorporated"),
            _f("legal_status", title="Legal Status"),
            _f("logo", title="Logo"),
            _f("uri", "string", "uri", title="URI"),
            _f("parent_organization_id", "string", "uuid", title="Parent Organization Identifier"),
        ),
    ),
    "program": Table(
        "program",
        "programs.csv",
        "The details of collections of related services.",
        (
            _f("id", "string", "uuid", req=True, uniq=True, title="Identifier"),
            _f(
                "organization_id",
                "string",
                "uuid",
                req=True,
                uniq=True,
                title="Organization Identifier",
            ),
            _f("name", req=True, title="Name"),
            _f("alternate_name", title="Alternate Name"),
            _f("description", req=True, title="Description"),
        ),
        (("organization_id", "organization"),),
    ),
    "service": Table(
        "service",
        "services.csv",
        ("The details of the services provided by organizations to a range of different groups."),
        (
            _f("id", "string", "uuid", req=True, uniq=True, title="Identifier"),
            _f("organization_id", "string", "uuid", req=True, title="Organization Identifier"),
            _f("program_id", "string", "uuid", title="Program Identifier"),
            _f("name", req=True, title="Name"),
            _f("alternate_name", title="Alternate Name"),
            _f("description", title="Description"),
            _f("url", "string", "uri", title="URL"),
            _f("email", "string", "email", title="Email"),
            _f(
                "status",
                req=True,
                enum=("active", "inactive", "defunct", "temporarily closed"),
                title="Status",
            ),
            _f("interpretation_services", title="Interpretation Services"),
            _f("application_process", title="Application Process"),
            _f("fees_description", title="Fees Description"),
            _f("wait_time", title="Wait Time"),
            _f("fees", title="Fees"),
            _f("accreditations", title="Accreditations"),
            _f("eligibility_description", title="Eligibility Description"),
            _f("minimum_age", "number", title="Minimum Age"),
            _f("maximum_age", "number", title="Maximum Age"),
            _f("assured_date", "date", title="Assured Date"),
            _f("assurer_email", "string", "email", title="Assurer Email"),
            _f("licenses", title="Licenses"),
            _f("alert", title="Alert"),
            _f("last_modified", "datetime", title="Last Modified"),
        ),
        (
            ("organization_id", "organization"),
            ("program_id", "program"),
        ),
    ),
    "attribute": Table(
        "attribute",
        "attributes.csv",
        (
            "A link between a service and one or more classifications that describe the "
            "nature of the service provided."
        ),
        (
            _f("id", "string", "uuid", req=True, uniq=True, title="Identifier"),
            _f("link_id", "string", "uuid", req=True, title="Link Identifier"),
            _f("taxonomy_term_id", "string", "uuid", req=True, title="Taxonomy Term Identifier"),
            _f("link_type", title="Link Type"),
            _f("link_entity", req=True, title="Link Entity"),
            _f("value", title="Value"),
        ),
        (("taxonomy_term_id", "taxonomy_term"),),
    ),
    "service_at_location": Table(
        "service_at_location",
        "service_at_location.csv",
        "A link between a service and a specific location.",
        (
            _f("id", "string", "uuid", req=True, uniq=True, title="Identifier"),
            _f("service_id", "string", "uuid", req=True, title="Service Identifier"),
            _f("location_id", "string", "uuid", req=True, title="Location Identifier"),
            _f("description", title="Description"),
        ),
        (
            ("service_id", "service"),
            ("location_id", "location"),
        ),
    ),
    "location": Table(
        "location",
        "locations.csv",
        (
            "The locations where organizations operate. Locations may be virtual, and one "
            "organization may have many locations."
        ),
        (
            _f("id", "string", "uuid", req=True, uniq=True, title="Identifier"),
            _f(
                "location_type",
                req=True,
                enum=("physical", "postal", "virtual"),
                title="Location Type",
            ),
            _f("url", "string", "uri", title="URL"),
            _f("organization_id", "string", "uuid", title="Organization Identifier"),
            _f("name", title="Name"),
            _f("alternate_name", title="Alternate Name"),
            _f("description", title="Description"),
            _f("transportation", title="Transportation"),
            _f("latitude", "number", title="Latitude"),
            _f("longitude", "number", title="Longitude"),
            _f("external_identifier", title="External Identifier"),
            _f("external_identifier_type", title="External Identifier Type"),
        ),
        (("organization_id", "organization"),),
    ),
    "phone": Table(
        "phone",
        "phones.csv",
        (
            "The details of the telephone numbers used to contact organizations, services, "
            "and locations."
        ),
        (
            _f("id", "string", "uuid", req=True, uniq=True, title="Identifier"),
            _f("location_id", "string", "uuid", title="Location Identifier"),
            _f("service_id", "string", "uuid", title="Service Identifier"),
            _f("organization_id", "string", "uuid", title="Organization Identifier"),
            _f("contact_id", "string", "uuid", title="Contact Identifier"),
            _f("service_at_location_id", "string", "uuid", title="Service At Location Identifier"),
            _f("number", req=True, title="Number"),
            _f("extension", "number", title="Extension"),
            _f("type", title="Type"),
            _f("description", title="Description"),
        ),
        (
            ("contact_id", "contact"),
            ("location_id", "location"),
            ("organization_id", "organization"),
            ("service_id", "service"),
            ("service_at_location_id", "service_at_location"),
        ),
    ),
    "contact": Table(
        "contact",
        "contacts.csv",
        "The details of the named contacts for services and organizations.",
        (
            _f("id", "string", "uuid", req=True, uniq=True, title="Identifier"),
            _f("organization_id", "string", "uuid", title="Organization Identifier"),
            _f("service_id", "string", "uuid", title="Service Identifier"),
            _f("service_at_location_id", "string", "uuid", title="Service At Location Identifier"),
            _f("location_id", "string", "uuid", title="Location Identifier"),
            _f("name", title="Name"),
            _f("title", title="Title"),
            _f("department", title="Department"),
            _f("email", "string", "email", title="Email"),
        ),
        (
            ("location_id", "location"),
            ("organization_id", "organization"),
            ("service_id", "service"),
            ("service_at_location_id", "service_at_location"),
        ),
    ),
    "address": Table(
        "address",
        "addresses.csv",
        "The addresses of locations where organizations operate.",
        (
            _f("id", "string", "uuid", req=True, uniq=True, title="Identifier"),
            _f("location_id", "string", "uuid", title="Location Identifier"),
            _f("attention", title="Attention"),
            _f("address_1", req=True, title="Address line 1"),
            _f("address_2", title="Address line 2"),
            _f("city", req=True, title="City"),
            _f("region", title="Region"),
            _f("state_province", req=True, title="State Or Province"),
            _f("postal_code", req=True, title="Postal Code"),
            _f("country", req=True, title="Country"),
            _f(
                "address_type",
                req=True,
                enum=("physical", "postal", "virtual"),
                title="Address Type",
            ),
        ),
        (("location_id", "location"),),
    ),
    "schedule": Table(
        "schedule",
        "schedules.csv",
        "The details of when a service or location is open. Entries are RFC 5545 RRULES.",
        (
            _f("id", "string", "uuid", req=True, uniq=True, title="Identifier"),
            _f("service_id", "string", "uuid", title="Service Identifier"),
            _f("location_id", "string", "uuid", title="Location Identifier"),
            _f("service_at_location_id", "string", "uuid", title="Service At Location Identifier"),
            _f("valid_from", "date", title="Valid From"),
            _f("valid_to", "date", title="Valid To"),
            _f("dtstart", "date", title="Date Start"),
            _f("timezone", "number", title="Timezone"),
            _f("until", "date", title="Until"),
            _f("count", "number", title="Count"),
            _f("wkst", enum=("MO", "TU", "WE", "TH", "FR", "SA", "SU"), title="Week Start"),
            _f("freq", enum=("WEEKLY", "MONTHLY"), title="Frequency"),
            _f("interval", "number", title="Interval"),
            _f("byday", title="By Day"),
            _f("byweekno", title="By Week Number"),
            _f("bymonthday", title="By Month Day"),
            _f("byyearday", title="By Year Day"),
            _f("description", title="Description"),
            _f("opens_at", "time", title="Opens At"),
            _f("closes_at", "time", title="Closes At"),
            _f("schedule_link", "string", "uri", title="Schedule Link"),
            _f("attending_type", title="Attending Type"),
            _f("notes", title="Notes"),
        ),
        (
            ("location_id", "location"),
            ("service_id", "service"),
            ("service_at_location_id", "service_at_location"),
        ),
    ),
    "funding": Table(
        "funding",
        "funding.csv",
        "The sources of funding for a service or organization.",
        (
            _f("id", "string", "uuid", req=True, uniq=True, title="Identifier"),
            _f("organization_id", "string", "uuid", title="Organization Identifier"),
            _f("service_id", "string", "uuid", title="Service Identifier"),
            _f("source", title="Source"),
        ),
        (
            ("organization_id", "organization"),
            ("service_id", "service"),
        ),
    ),
    "service_area": Table(
        "service_area",
        "service_areas.csv",
        "The details of the geographic area for which a service is available.",
        (
            _f("id", "string", "uuid", req=True, uniq=True, title="Identifier"),
            _f("service_id", "string", "uuid", title="Service Identifier"),
            _f("name", title="Name"),
            _f("description", title="Description"),
            _f("extent", title="Extent"),
            _f("extent_type", title="Extent Type"),
            _f("uri", title="URI"),
        ),
        (("service_id", "service"),),
    ),
    "required_document": Table(
        "required_document",
        "required_documents.csv",
        ("The details of any documents that are required in order to access or use services."),
        (
            _f("id", "string", "uuid", req=True, uniq=True, title="Identifier"),
            _f("service_id", "string", "uuid", title="Service Identifier"),
            _f("document", title="Document"),
            _f("uri", "string", "uri", title="URI"),
        ),
        (("service_id", "service"),),
    ),
    "language": Table(
        "language",
        "languages.csv",
        (
            "The languages that are spoken at locations or services. This does not include "
            "languages which can only be used with interpretation."
        ),
        (
            _f("id", "string", "uuid", req=True, uniq=True, title="Identifier"),
            _f("service_id", "string", "uuid", title="Service Identifier"),
            _f("location_id", "string", "uuid", title="Location Identifier"),
            _f("phone_id", "string", "uuid", title="Phone Identifier"),
            _f("name", title="Name"),
            _f("code", title="Code"),
            _f("note", title="Note"),
        ),
        (
            ("location_id", "location"),
            ("phone_id", "phone"),
            ("service_id", "service"),
        ),
    ),
    "accessibility": Table(
        "accessibility",
        "accessibility.csv",
        (
            "The details of the arrangements for access to locations for people who have "
            "disabilities."
        ),
        (
            _f("id", "string", "uuid", req=True, uniq=True, title="Identifier"),
            _f("location_id", "string", "uuid", title="Location Identifier"),
            _f("description", title="Description"),
            _f("details", title="Details"),
            _f("url", "string", "uri", title="URL"),
        ),
        (("location_id", "location"),),
    ),
    "taxonomy_term": Table(
        "taxonomy_term",
        "taxonomy_terms.csv",
        (
            "Each service can be categorized according to one or more taxonomy terms. The "
            "taxonomy_term object contains a list of taxonomy terms, their names, and, for "
            "hierarchical taxonomies, their structure."
        ),
        (
            _f("id", "string", "uuid", req=True, uniq=True, title="Identifier"),
            _f("code", uniq=True, title="Code"),
            _f("name", req=True, title="Name"),
            _f("description", req=True, title="Description"),
            _f("parent_id", "string", "uuid", title="Parent Identifier"),
            _f("taxonomy", title="Taxonomy"),
            _f("language", title="Language"),
            _f("taxonomy_id", "string", "uuid", title="Taxonomy Identifier"),
            _f("term_uri", "string", "uri", title="Term URI"),
        ),
        (("taxonomy_id", "taxonomy"),),
    ),
    "metadata": Table(
        "metadata",
        "metadata.csv",
        (
            "A record of the changes that have been made to the data in order to maintain "
            "provenance information."
        ),
        (
            _f("id", "string", "uuid", req=True, uniq=True, title="Identifier"),
            _f("resource_id", "string", "uuid", req=True, title="Resource Identifier"),
            _f("resource_type", req=True, title="Resource Type"),
            _f("last_action_date", "date", req=True, title="Last Action Date"),
            _f("last_action_type", req=True, title="Last Action Type"),
            _f("field_name", req=True, title="Field Name"),
            _f("previous_value", req=True, title="Previous Value"),
            _f("replacement_value", req=True, title="Replacement Value"),
            _f("updated_by", req=True, title="Updated By"),
        ),
    ),
    "meta_table_description": Table(
        "meta_table_description",
        "meta_table_descriptions.csv",
        "Metadata about individual tables.",
        (
            _f("id", "string", "uuid", req=True, uniq=True, title="Identifier"),
            _f("name", title="Name"),
            _f("language", title="Language"),
            _f("character_set", title="Character Set"),
        ),
    ),
    "cost_option": Table(
        "cost_option",
        "cost_options.csv",
        (
            "The costs of a service at certain points in time. This is an LGA Extension. This "
            "object provides a structured version of the text information contained in the "
            "'fees' field of the 'service' object."
        ),
        (
            _f("id", "string", "uuid", req=True, uniq=True, title="Identifier"),
            _f("service_id", "string", "uuid", req=True, title="Service Identifier"),
            _f("valid_from", "date", title="Valid From"),
            _f("valid_to", "date", title="Valid To"),
            _f("option", title="Option"),
            _f("currency", title="Currency"),
            _f("amount", "number", title="Amount"),
            _f("amount_description", title="Amount Description"),
        ),
        (("service_id", "service"),),
    ),
    "organization_identifier": Table(
        "organization_identifier",
        "organization_identifiers.csv",
        (
            "The details of the third party identifiers for organizations, such as: company "
            "registration number, charity number, tax registration number."
        ),
        (
            _f("id", "string", "uuid", req=True, uniq=True, title="Identifier"),
            _f("organization_id", "string", "uuid", req=True, title="Organization Identifier"),
            _f("identifier_scheme", title="Identifier Scheme"),
            _f("identifier_type", req=True, title="Identifier Type"),
            _f("identifier", req=True, title="Third Party Identifier"),
        ),
        (("organization_id", "organization"),),
    ),
    "taxonomy": Table(
        "taxonomy",
        "taxonomies.csv",
        "The taxonomies from which taxonomy terms are taken.",
        (
            _f("id", "string", "uuid", req=True, uniq=True, title="Identifier"),
            _f("name", req=True, title="Name"),
            _f("description", req=True, title="Description"),
            _f("uri", "string", "uri", title="URI"),
            _f("version", title="Version"),
        ),
    ),
}
