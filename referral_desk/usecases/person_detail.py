"""Everything about one person for the person view: needs, referrals, follow-ups, timeline.

Loaded in a handful of set-based queries so a person with 50 needs and referrals opens well
inside the 100 ms budget (DESIGN.md §9).
"""

from __future__ import annotations

from datetime import datetime, time

from referral_desk.store import person_record_queries as records
from referral_desk.store.models import (
    Person,
)
from referral_desk.usecases.base import Session
from referral_desk.usecases.common import get_live
from referral_desk.usecases.dto import (
    FollowUpView,
    PersonDetail,
    PersonView,
    ReferralView,
    StatusChangeView,
    TimelineEvent,
)
from referral_desk.usecases.followups import follow_up_views
from referral_desk.usecases.needs import category_labels, need_view


def _label(status: str | None) -> str:
    return (status or "").replace("_", " ")


def load_person_detail(session: Session, person_id: str) -> PersonDetail:
    person = get_live(session, Person, person_id, "person")
    labels = category_labels(session)
    needs = records.needs_of(session, person.id)
    refs = records.referrals_of(session, person.id, newest_first=True)
    services = records.service_summaries(session, {r.service_id for r in refs})
    orgs = records.organisation_names(session, {s.organisation_id for s in services.values()})
    officers = records.officer_names(session)
    ref_changes = records.referral_history(session, [r.id for r in refs])
    need_changes = records.need_history(session, [n.id for n in needs])
    follow_ups = records.follow_ups_of(session, person.id)
    notes = records.case_notes_of(session, person.id)
    history: dict[str, list[StatusChangeView]] = {}
    for ch in ref_changes:
        history.setdefault(ch.referral_id, []).append(
            StatusChangeView.from_row(ch, by_name=officers.get(ch.by_officer_id or "", ""))
        )
    person_name = f"{person.given_name} {person.family_name}".strip()
    ref_views = []
    for r in refs:
        s = services.get(r.service_id)
        ref_views.append(
            ReferralView.from_row(
                r,
                service_name=s.name if s else "",
                organisation_name=orgs.get(s.organisation_id, "") if s else "",
                person_name=person_name,
                history=tuple(history.get(r.id, ())),
            )
        )
    fu_views: list[FollowUpView] = follow_up_views(
        session,
        follow_ups,
        person_names={person.id: person_name},
        referrals={r.id: r for r in refs},
        service_names={sid: row.name for sid, row in services.items()},
    )
    timeline = _timeline(
        needs, need_changes, refs, ref_changes, fu_views, notes, services, labels, officers
    )
    return PersonDetail(
        person=PersonView.from_row(person),
        owner_name=officers.get(person.owner_officer_id or "", ""),
        needs=tuple(need_view(n, labels) for n in needs),
        referrals=tuple(ref_views),
        follow_ups=tuple(fu_views),
        timeline=timeline,
    )


def _timeline(
    needs, need_changes, refs, ref_changes, fu_views, notes, services, labels, officers
) -> tuple[TimelineEvent, ...]:
    """Newest first: status changes, follow-ups done and notes, each with who and when."""
    need_by_id = {n.id: n for n in needs}
    ref_by_id = {r.id: r for r in refs}
    events: list[TimelineEvent] = []
    for ch in need_changes:
        need = need_by_id.get(ch.need_id)
        cat = labels.get(need.category_code, "") if need else ""
        text = (
            f"Need logged: {cat}"
            if ch.from_status is None
            else f"Need ({cat}) {_label(ch.from_status)} → {_label(ch.to_status)}"
        )
        events.append(
            TimelineEvent(
                ch.at, "need_status", text, officers.get(ch.by_officer_id or "", ""), ch.need_id
            )
        )
    for ch in ref_changes:
        ref = ref_by_id.get(ch.referral_id)
        svc = services.get(ref.service_id).name if ref and ref.service_id in services else ""
        reason = f" ({ch.reason_code.replace('_', ' ')})" if ch.reason_code else ""
        text = f"Referral {ref.reference if ref else ''} to {svc}: {_label(ch.to_status)}{reason}"
        if ch.note:
            text += f" — {ch.note}"
        events.append(
            TimelineEvent(
                ch.at,
                "referral_status",
                text,
                officers.get(ch.by_officer_id or "", ""),
                ch.referral_id,
            )
        )
    for fu in fu_views:
        if fu.done_on is not None:
            text = f"Follow-up done: {fu.kind.replace('_', ' ')}"
            if fu.result_note:
                text += f" — {fu.result_note}"
            # Done before times were kept: the day only, sorted under that day's other events
            # rather than at an invented hour.
            at = fu.done_at or datetime.combine(fu.done_on, time.min)
            by = officers.get(fu.done_by_officer_id or "", "")
            events.append(
                TimelineEvent(
                    at, "follow_up_done", text, by, fu.id, time_known=fu.done_at is not None
                )
            )
    for note in notes:
        kind = "setting" if note.kind == "setting" else "note"  # transfers and releases
        events.append(
            TimelineEvent(
                note.at, kind, note.text, officers.get(note.by_officer_id or "", ""), note.id
            )
        )
    events.sort(key=lambda e: e.at, reverse=True)
    return tuple(events)
