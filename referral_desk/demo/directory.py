"""The demo's provider directory: organisations, their locations and services."""

from __future__ import annotations

from typing import Any

from referral_desk.demo import content
from referral_desk.demo.base import (
    FORCED_SERVICE_STATUS,
    Directory,
    GeneratorBase,
    give_ids,
    ordered_ids,
    web_slug,
)
from referral_desk.domain.vocabularies import (
    CAPACITY_ACCEPTING,
    CAPACITY_FULL,
    CAPACITY_WAITING_LIST,
)


class DirectoryMaker(GeneratorBase):
    """Organisations, locations and services, with their categories and areas."""

    def directory(self, count: int) -> Directory:
        out = Directory()
        if count <= 0:
            return out
        n_orgs = max(2, count * 80 // 150)
        org_ids = ordered_ids(n_orgs)
        self._location_ids = iter(ordered_ids(n_orgs + count))  # at most one per org and service
        orgs = [self._organisation(i, org_ids[i], out) for i in range(n_orgs)]
        service_ids = ordered_ids(count)
        for i in range(count):
            org = orgs[i] if i < n_orgs else orgs[self.rng.randrange(n_orgs)]
            self._service(i, service_ids[i], org, out)
        for rows in (out.categories, out.areas):
            give_ids(rows)
        return out

    def _organisation(self, i: int, org_id: str, out: Directory) -> dict[str, Any]:
        rng = self.rng
        area = rng.choice(list(content.TOWNS))
        town = rng.choice(content.TOWNS[area])
        faith = False
        if i == 0:
            area, town = "West Yorkshire", content.TOWNS["West Yorkshire"][0]
            name, stem, kind = "Lighthouse Trust", "Lighthouse", "Trust"
        elif rng.random() < 0.08:
            faith = True
            name = f"{rng.choice(content.FAITH_ORGS)}, {town[0]}"
            stem, kind = name.split(",")[0], "Trust"
        else:
            stem, kind = rng.choice(content.ORG_STEMS), rng.choice(content.ORG_KINDS)
            name = f"{stem} {kind}" if rng.random() < 0.5 else f"{town[0]} {stem} {kind}"
        name = self._unique_org_name(name, town[0])
        slug = web_slug(name)
        is_cic = "CIC" in kind or "Community Interest" in kind
        org = {
            "id": org_id,
            "name": name,
            "charity_number": "" if is_cic else f"11{rng.randrange(100000):05d}",
            "company_number": f"{rng.randrange(10**7):08d}" if is_cic or rng.random() < 0.3 else "",
            "description": rng.choice(content.ORG_DESCRIPTIONS),
            "website": f"https://www.{slug}.example.org.uk",
            "email": f"info@{slug}.example.org.uk",
            "phone": self._phone(town[2]),
            "faith_based": faith,
            "uses_volunteers": rng.random() < 0.6,
            "lived_experience": rng.random() < 0.35,
            "extra": {},
        }
        out.organisations.append(org)
        location = self._location(org, area, town, out)
        return {
            **org,
            "_area": area,
            "_town": town,
            "_stem": stem,
            "_slug": slug,
            "_location": location,
        }

    def _unique_org_name(self, name: str, town: str) -> str:
        used = self.ctx.used_org_names
        candidate, n = name, 1
        while candidate in used:
            n += 1
            candidate = f"{name} ({town})" if n == 2 else f"{name} ({town} {n})"
        used.add(candidate)
        return candidate

    def _location(
        self, org: dict[str, Any], area: str, town: tuple[Any, ...], out: Directory
    ) -> dict[str, Any]:
        rng = self.rng
        streets = content.WELSH_STREETS if area == "Wales" and rng.random() < 0.5 else None
        street = rng.choice(streets or content.STREETS)
        if rng.random() < 0.3:
            line1 = f"{rng.choice(content.BUILDINGS)}, {rng.randint(1, 180)} {street}"
        else:
            line1 = f"{rng.randint(1, 240)} {street}"
        letters = content.POSTCODE_LETTERS
        postcode = (
            f"{rng.choice(town[1])} {rng.randint(1, 9)}{rng.choice(letters)}{rng.choice(letters)}"
        )
        location = {
            "id": next(self._location_ids),
            "organisation_id": org["id"],
            "name": org["name"],
            "address_1": line1,
            "address_2": rng.choice(content.DISTRICT_SUFFIXES),
            "city": town[0],
            "region": area,
            "postcode": postcode,
            "latitude": round(town[3] + rng.uniform(-0.03, 0.03), 4),
            "longitude": round(town[4] + rng.uniform(-0.05, 0.05), 4),
            "extra": {},
        }
        out.locations.append(location)
        return location

    def _service(self, i: int, service_id: str, org: dict[str, Any], out: Directory) -> None:
        rng, _today = self.rng, self.today
        codes = self.ctx.categories
        category = codes[i % len(codes)] if i < 3 * len(codes) else rng.choice(codes)
        stems, descriptions = content.CATEGORY_SERVICES.get(
            category, content.CATEGORY_SERVICES["other"]
        )
        stem = stems[0] if i == 0 else rng.choice(stems)
        if category == "women" and i < len(codes):
            stem = content.REFUGE_STEM  # the first women's service is always a refuge
        area, town, location = org["_area"], org["_town"], org["_location"]
        if i >= len(out.organisations) and rng.random() < 0.2:
            town = rng.choice(content.TOWNS[area])
            location = self._location(org, area, town, out)
        name = f"{org['_stem']} {stem}"
        if location["city"] != org["_town"][0]:
            name = f"{name} ({location['city']})"
        refuge = stem == content.REFUGE_STEM
        status = (
            "active"
            if i == 0
            else FORCED_SERVICE_STATUS.get(i)
            or self._pick(
                (("active", 90), ("temporarily closed", 4), ("inactive", 3), ("defunct", 3))
            )
        )
        women = category == "women" or refuge
        gender = "female" if women else self._pick((("any", 80), ("male", 12), ("female", 8)))
        min_age, max_age = self._pick(
            (((None, None), 70), ((18, 25), 12), ((18, None), 8), ((50, None), 5), ((21, 65), 5))
        )
        cohorts = []
        if max_age == 25:
            cohorts.append("young_adult")
        if women:
            cohorts.append("womens")
        if rng.random() < 0.08:
            cohorts.append(rng.choice(["iom", "ppo"]))
        prisons: list[str] = []
        if i == 0:
            prisons = ["HMP Leeds"]
        elif category == "resettlement" or rng.random() < 0.3:
            local = {
                "Greater Manchester": "HMP Manchester",
                "West Yorkshire": "HMP Leeds",
                "Wales": "HMP Cardiff",
            }[area]
            prisons = [content.WOMENS_PRISON] if gender == "female" else [local]
            if rng.random() < 0.2 and gender != "female":
                prisons.append(rng.choice(content.PRISONS))
            prisons = list(dict.fromkeys(prisons))
        community = not prisons or rng.random() < 0.6
        through_gate = bool(prisons) and (
            i == 0 or category == "resettlement" or rng.random() < 0.25
        )
        free = rng.random() < 0.85
        method = self._pick((("phone", 40), ("email", 25), ("form", 20), ("drop_in", 15)))
        slug = org["_slug"]
        phone = self._phone(town[2] if rng.random() < 0.85 else content.MOBILE_PREFIX)
        hours = rng.choice(content.OPENING_TIMES)
        contact = {
            "phone": phone,
            "email": f"referrals@{slug}.example.org.uk",
            "form": f"https://www.{slug}.example.org.uk/refer",
            "drop_in": f"Drop in at {location['address_1']}, {location['city']}: {hours}",
        }[method]
        if refuge:
            method, contact = "phone", f"24-hour line {phone}; address given once a place is agreed"
        languages = ["English"]
        if (area == "Wales" and rng.random() < 0.7) or rng.random() < 0.03:
            languages.append("Welsh")
        languages += rng.sample(content.LANGUAGES_EXTRA, rng.choice((0, 0, 1, 1, 2)))
        prechecked = i == 0 or rng.random() < 0.35
        assured = self._pick((((30, 180), 50), ((181, 540), 30), ((541, 1095), 20)))
        extra_categories = rng.sample(codes, rng.choice((0, 0, 0, 1, 1, 2)))
        categories = list(dict.fromkeys([category, *extra_categories]))
        description = rng.choice(descriptions)
        if i == 0:
            name = "Lighthouse Housing Advice"
            description = (
                "Housing advice for people leaving HMP Leeds or on probation in Leeds: "
                "homelessness applications, rent deposits and help to keep a tenancy."
            )
        service = {
            "id": service_id,
            "organisation_id": org["id"],
            "location_id": None if refuge else location["id"],
            "name": name,
            "description": description,
            "status": status,
            "gender": gender,
            "min_age": min_age,
            "max_age": max_age,
            "offence_exclusions": rng.choice(content.OFFENCE_EXCLUSIONS)
            if rng.random() < 0.15
            else [],
            "risk_levels": list(rng.choice(content.RISK_LEVEL_SETS)),
            "cohorts": cohorts,
            "prisons": prisons,
            "community": community,
            "through_the_gate": through_gate,
            "free": free,
            "unit_cost": None if free else rng.choice((35.0, 45.0, 60.0, 95.0, 120.0, 350.0)),
            "referral_method": method,
            "referral_contact": contact,
            "contact_name": rng.choice(content.CONTACT_NAMES),
            "phone": phone,
            "email": f"referrals@{slug}.example.org.uk",
            "response_days": 3 if i == 0 else rng.randint(1, 10),
            "waiting_weeks": None if rng.random() < 0.5 else rng.randint(0, 12),
            "capacity": CAPACITY_ACCEPTING
            if i == 0
            else self._pick(
                ((CAPACITY_ACCEPTING, 70), (CAPACITY_WAITING_LIST, 20), (CAPACITY_FULL, 10))
            ),
            "capacity_as_of": self._days_ago(0, 60),
            "languages": languages,
            "accessibility": rng.choice(content.ACCESSIBILITY),
            "opening_times": hours,
            "what_to_bring": rng.choice(content.WHAT_TO_BRING),
            "isp_agreed": prechecked,
            "reports_attendance": prechecked and rng.random() < 0.9,
            "reports_progress": prechecked and rng.random() < 0.7,
            "precheck_date": self._days_ago(7, 730) if prechecked else None,
            "precheck_by": rng.choice(content.PRECHECK_PEOPLE) if prechecked else "",
            "assured_date": self._days_ago(*assured),
            "assurer": rng.choice(content.ASSURERS),
            "confidential_address": refuge,
            "extra": {},
        }
        out.services.append(service)
        out.categories += [{"service_id": service_id, "category_code": c} for c in categories]
        if community:
            areas = [area]
            if rng.random() < 0.15:
                areas.append(rng.choice(list(content.TOWNS)))
            out.areas += [{"service_id": service_id, "name": a} for a in dict.fromkeys(areas)]
        if status == "active":
            for c in categories:
                out.active_by_category.setdefault(c, []).append(service)
