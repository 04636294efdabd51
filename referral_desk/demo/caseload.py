"""The demo's caseload: colleagues, people, their needs and which needs get referrals."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from referral_desk.demo import content
from referral_desk.demo.base import (
    CASELOAD,
    FINAL_WEIGHTS,
    FORCED_NEED_KINDS,
    HISTORY_DAYS,
    NEED_KIND_WEIGHTS,
    REFERRAL_NEED,
    REQUIRED_FINALS,
    VALUE,
    Caseload,
    Directory,
    GeneratorBase,
    NeedInfo,
    S,
    give_ids,
    ordered_ids,
    web_slug,
)
from referral_desk.domain.states import NeedStatus, Outcome, ReferralState


class CaseloadMaker(GeneratorBase):
    """People, needs and referral slots; each referral's and need's history is another job."""

    def caseload(self, count: int, wanted_referrals: int, directory: Directory) -> Caseload:
        out = Caseload()
        if count <= 0:
            return out
        out.officers = self._colleagues(max(0, count - CASELOAD))
        owners = [self.site_officer_id] + [o["id"] for o in out.officers]
        ids = iter(ordered_ids(count))
        people = [self._person(i, next(ids), owners[i // CASELOAD]) for i in range(count)]
        needs = self._needs(people)
        active = [s for s in directory.services if s["status"] == "active"]
        slots = self._referral_slots(needs, wanted_referrals if active else 0)
        referral_ids = iter(ordered_ids(len(slots)))
        for need, final, outcome, end_on, reason in slots:
            service = self._choose_service(need, directory.active_by_category, active)
            self._referral(next(referral_ids), need, service, final, outcome, end_on, reason, out)
        for need in needs:
            self._need_history(need, out)
        by_person: dict[str, list[NeedInfo]] = {}
        for need in needs:
            by_person.setdefault(need.person["id"], []).append(need)
        for person in people:
            self._person_follow_ups(person, by_person.get(person["id"], []), out)
        out.people = people
        out.needs = [n.row for n in needs]
        for rows in (out.need_changes, out.referral_changes, out.follow_ups):
            give_ids(rows)
        return out

    def _unique(self, used: set[str], make: Any) -> str:
        value = make()
        while value in used:
            value = make()
        used.add(value)
        return value

    def _colleagues(self, people: int) -> list[dict[str, Any]]:
        """Officers of the same probation delivery unit, for people beyond one caseload."""
        rng, out = self.rng, []
        for officer_id in ordered_ids(-(-people // CASELOAD)):
            background = self._pick(
                (("english", 60), ("welsh", 15), ("south_asian", 15), ("black", 10))
            )
            males, females, families, _ = content.NAME_POOLS[background]
            given = rng.choice(rng.choice((males, females)))
            family = rng.choice(families)
            area = rng.choice(list(content.OFFICES))
            office = rng.choice(content.OFFICES[area])
            prefix = content.TOWNS[area][0][2]
            out.append(
                {
                    "id": officer_id,
                    "name": f"{given} {family}",
                    "role": "officer",
                    "team": office,
                    "office": f"{office} Probation Office",
                    "office_phone": self._phone(prefix),
                    "email": f"{web_slug(given)}.{web_slug(family)}@probation.example.gov.uk",
                }
            )
        return out

    def _person(self, i: int, person_id: str, owner: str) -> dict[str, Any]:
        rng, today = self.rng, self.today
        area = self._pick((("Greater Manchester", 35), ("West Yorkshire", 40), ("Wales", 25)))
        if i < len(content.SHOWCASE_PEOPLE):
            given, family, gender, background = content.SHOWCASE_PEOPLE[i]
            if background == "welsh":
                area = "Wales"
        else:
            gender = self._pick((("male", 80), ("female", 19), ("non-binary", 1)))
            background = self._pick(
                [(b, w[1] if area == "Wales" else w[0]) for b, w in content.BACKGROUNDS.items()]
            )
            males, females, families, female_families = content.NAME_POOLS[background]
            pool = {"male": males, "female": females}.get(gender) or rng.choice((males, females))
            given = rng.choice(pool)
            family = rng.choice(
                female_families if gender == "female" and female_families else families
            )
        age = 18 + min(51, int(rng.betavariate(2.0, 4.5) * 52))
        dob = today - timedelta(days=int(age * 365.25) + rng.randint(1, 360))
        letters = "ABCDEFGHJKLMNPRSTVWXY"
        crn = self._unique(
            self.ctx.used_crns, lambda: f"{rng.choice(letters)}{rng.randrange(10**6):06d}"
        )
        custody = i == 1 or (i != 0 and rng.random() < 0.35)
        release: date | None = None
        if custody:
            soon = i == 1 or rng.random() < 0.25
            release = today + timedelta(
                days=84 if i == 1 else rng.randint(1, 84) if soon else rng.randint(85, 720)
            )
        elif rng.random() < 0.4:
            release = today - timedelta(days=rng.randint(20, 900))
        nomis = None
        if release is not None:
            nomis = self._unique(
                self.ctx.used_nomis,
                lambda: (
                    f"{rng.choice('AG')}{rng.randrange(10**4):04d}"
                    f"{rng.choice(letters)}{rng.choice(letters)}"
                ),
            )
        local_prison = {
            "Greater Manchester": "HMP Manchester",
            "West Yorkshire": "HMP Leeds",
            "Wales": "HMP Cardiff",
        }[area]
        codes = content.BACKGROUNDS[background][2]
        ethnicity = rng.choice(codes) if rng.random() < 0.88 else rng.choice(self.ctx.ethnicities)
        if ethnicity not in self.ctx.ethnicities:
            ethnicity = ""
        foreign_odds = {
            "polish": 0.6,
            "romanian": 0.7,
            "iberian_french": 0.5,
            "arab": 0.4,
            "chinese": 0.4,
        }.get(background, 0.03)
        withdrawn = None
        if i >= 10 and rng.random() < 0.03:
            withdrawn = self.days.back(self.working_today, rng.randint(2, 30))
        pnc = None
        if rng.random() < 0.5:
            year = rng.randint(max(1995, dob.year + 12), today.year - 1)
            pnc = f"{year}/{rng.randrange(10**7):07d}{rng.choice(letters)}"
        return {
            "id": person_id,
            "given_name": given,
            "family_name": family,
            "date_of_birth": dob,
            "crn": crn,
            "nomis": nomis,
            "pnc": pnc,
            "gender": gender,
            "ethnicity": ethnicity,
            "disability": self._pick((("yes", 22), ("no", 65), ("prefer_not_to_say", 5), ("", 8))),
            "religion": rng.choices(content.RELIGIONS, content.RELIGION_WEIGHTS)[0],
            "foreign_national": None if rng.random() < 0.05 else rng.random() < foreign_odds,
            "setting": "custody" if custody else "community",
            "prison": (content.WOMENS_PRISON if gender == "female" else local_prison)
            if custody
            else "",
            "area": area,
            "office": "" if custody else rng.choice(content.OFFICES[area]),
            "expected_release_date": release,
            "cohort_iom": rng.random() < 0.15,
            "cohort_ppo": rng.random() < 0.05,
            "cohort_womens": gender == "female",
            "cohort_young_adult": age <= 25,
            "owner_officer_id": owner,
            "contact_preferences": rng.choice(content.CONTACT_PREFERENCES),
            "consent_given_on": None,  # set once the history is known
            "consent_scope": rng.choice(content.CONSENT_SCOPES),
            "consent_withdrawn_on": withdrawn,
        }

    def _needs(self, people: list[dict[str, Any]]) -> list[NeedInfo]:
        rng = self.rng
        weights = [
            (c, content.NEED_DETAILS.get(c, (1, [""], ["Other need"]))[0])
            for c in self.ctx.categories
        ]
        infos: list[NeedInfo] = []
        for person in people:
            wanted = self._pick(((1, 15), (2, 30), (3, 30), (4, 15), (5, 10)))
            allowed = [(c, w) for c, w in weights if c != "women" or person["gender"] == "female"]
            chosen: list[str] = []
            for _ in range(4 * wanted):
                category = self._pick(allowed)
                if category not in chosen:
                    chosen.append(category)
                if len(chosen) == wanted:
                    break
            for priority, category in enumerate(chosen, start=1):
                n = len(infos)
                kind = (
                    FORCED_NEED_KINDS[n].value
                    if n < len(FORCED_NEED_KINDS)
                    else self._pick(NEED_KIND_WEIGHTS)
                )
                _, subtypes, descriptions = content.NEED_DETAILS.get(
                    category, (1, [""], ["Other need, described in the case notes"])
                )
                row = {
                    "id": None,
                    "person_id": person["id"],
                    "category_code": category,
                    "subtype": rng.choice(subtypes),
                    "description": rng.choice(descriptions),
                    "priority": priority,
                    "identified_on": None,
                    "setting_at_time": person["setting"],
                    "place_at_time": person["prison"] or person["area"],
                    "status": "",
                }
                infos.append(NeedInfo(row, person, kind))
        for info, need_id in zip(infos, ordered_ids(len(infos)), strict=True):
            info.row["id"] = need_id
        return infos

    def _referral_slots(
        self, needs: list[NeedInfo], wanted: int
    ) -> list[tuple[NeedInfo, ReferralState, str, date | None, str | None]]:
        """Which need each referral is for and where its history must end."""
        rng = self.rng
        eligible = [n for n in needs if n.kind == REFERRAL_NEED]
        if not eligible and wanted:  # a tiny caseload: refer some of the open needs instead
            eligible = [n for n in needs if n.kind == NeedStatus.OPEN.value]
            for need in eligible:
                need.kind = REFERRAL_NEED
        if not eligible:
            return []
        counts = [0] * len(eligible)
        for i in range(min(wanted, len(eligible))):
            counts[i] = 1
        for _ in range(max(0, wanted - len(eligible))):
            counts[rng.randrange(len(eligible))] += 1
        for need, n in zip(eligible, counts, strict=True):
            if n == 0:
                need.kind = NeedStatus.OPEN.value  # no referral after all: an open need
        slots = []
        required = iter(REQUIRED_FINALS)
        for need, n in zip(eligible, counts, strict=True):
            for _ in range(n):
                withdrawn_on = need.person["consent_withdrawn_on"]
                if withdrawn_on is not None:
                    slots.append((need, S.WITHDRAWN, "", withdrawn_on, "consent_withdrawn"))
                    continue
                final, outcome = next(required, (None, ""))
                if final is None:
                    final = self._pick(FINAL_WEIGHTS)
                    if final == S.COMPLETED:
                        outcome = self._pick(
                            (
                                (Outcome.ACHIEVED.value, 50),
                                (Outcome.PARTLY_ACHIEVED.value, 30),
                                (Outcome.NOT_ACHIEVED.value, 20),
                            )
                        )
                slots.append((need, final, outcome, None, None))
        return slots

    def _choose_service(
        self,
        need: NeedInfo,
        by_category: dict[str, list[dict[str, Any]]],
        active: list[dict[str, Any]],
    ) -> dict[str, Any]:
        pool = by_category.get(need.row["category_code"]) or active
        service = self.rng.choice(pool)
        for _ in range(3):
            if service["gender"] in ("any", need.person["gender"]):
                break
            service = self.rng.choice(pool)
        return service

    def _need_history(self, need: NeedInfo, out: Caseload) -> None:
        rng, row = self.rng, need.row
        self.officer_id = need.person["owner_officer_id"]
        first = need.first_referral_at
        if first is not None:
            identified = first.date() - timedelta(days=rng.randint(0, 21))
        else:
            identified = self._days_ago(0, HISTORY_DAYS)
        row["identified_on"] = identified
        opened = self._at(identified)
        if first is not None and opened >= first:
            opened = first - timedelta(minutes=5)
        changes: list[tuple[NeedStatus, datetime, str]] = [(NeedStatus.OPEN, opened, "")]
        if first is not None:
            changes.append((NeedStatus.REFERRED, first, "referral made"))
            if need.met_at is not None:
                changes.append((NeedStatus.MET, need.met_at, "referral achieved"))
        elif need.kind != NeedStatus.OPEN.value:
            status = NeedStatus(need.kind)
            if status.is_unmet and rng.random() < 0.5:
                at = opened + timedelta(minutes=1)  # logged as unmet straight away
            else:
                on = min(self.today, identified + timedelta(days=rng.randint(1, 30)))
                at = max(self._at(on), opened + timedelta(minutes=1))
            note = "" if status.is_unmet else "No longer needed"
            changes.append((status, at, note))
        previous = None
        for status, at, note in changes:
            out.need_changes.append(
                {
                    "need_id": row["id"],
                    "from_status": previous,
                    "to_status": VALUE[status],
                    "at": at,
                    "by_officer_id": self.officer_id,
                    "reason_code": "",
                    "note": note,
                }
            )
            previous = VALUE[status]
        row["status"] = previous
