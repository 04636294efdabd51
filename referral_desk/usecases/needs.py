"""Use cases for needs: logging (met or unmet, equally quick), status, order, deletion."""

from __future__ import annotations

from referral_desk.domain.errors import ValidationError
from referral_desk.domain.fields import field
from referral_desk.domain.lifecycle import check_need_transition
from referral_desk.domain.states import UNMET_REASONS, NeedStatus
from referral_desk.domain.text import clean_line
from referral_desk.store import people_queries
from referral_desk.store.models import Need, NeedStatusChange, Person
from referral_desk.usecases.base import ServiceBase, Session, officer_of
from referral_desk.usecases.common import after_last, erase, get_live, parse_date
from referral_desk.usecases.dto import NeedView
from referral_desk.usecases.reference import reference_items, require_code


def parse_unmet_reason(text: str) -> NeedStatus:
    key = (text or "").strip().lower().replace("_", "-")
    if key in UNMET_REASONS:
        return UNMET_REASONS[key]
    try:
        status = NeedStatus(text.strip().lower())
    except ValueError:
        status = None
    if status is not None and status.is_unmet:
        return status
    raise ValidationError("Unknown unmet reason; use one of: " + ", ".join(UNMET_REASONS))


def parse_need_status(text: str) -> NeedStatus:
    key = (text or "").strip().lower().replace("-", "_")
    try:
        return NeedStatus(key)
    except ValueError:
        pass
    if text.strip().lower() in UNMET_REASONS:
        return UNMET_REASONS[text.strip().lower()]
    raise ValidationError(
        "Unknown need status; use one of: " + ", ".join(s.value for s in NeedStatus)
    )


def set_need_status(
    session: Session, need: Need, target: NeedStatus, when, note: str = "", reason: str = ""
) -> None:
    """Record a need's status change as an insert-only history row and update the cache."""
    current = NeedStatus(need.status) if need.status else None
    if current is not None:
        check_need_transition(current, target)
    session.flush()
    when = after_last(session, NeedStatusChange.at, NeedStatusChange.need_id, need.id, when)
    session.add(
        NeedStatusChange(
            need_id=need.id,
            from_status=need.status if current else None,
            to_status=target.value,
            at=when,
            by_officer_id=officer_of(session),
            reason_code=reason,
            note=note,
        )
    )
    need.status = target.value


def category_labels(session: Session) -> dict[str, str]:
    return {
        i.code: i.label for i in reference_items(session, "need_category", include_deprecated=True)
    }


def need_view(need: Need, labels: dict[str, str]) -> NeedView:
    return NeedView.from_row(
        need, category=need.category_code, category_label=labels.get(need.category_code, "")
    )


def check_priority(value: object) -> int:
    """A place in the order as typed (CLI, dialog): a whole number from 1."""
    if isinstance(value, bool):
        raise ValidationError("Priority must be a whole number of at least 1")
    try:
        number = int(str(value).strip())
    except ValueError:
        raise ValidationError("Priority must be a whole number of at least 1") from None
    if number < 1:
        raise ValidationError("Priority must be a whole number of at least 1")
    return number


def _make_room(session: Session, person_id: str, place: int) -> None:
    """Renumber the person's needs 1..n in their order, leaving `place` free for a new one."""
    needs = people_queries.needs(session, person_id)  # live ones, by priority then age
    for index, need in enumerate(needs, start=1):
        wanted = index if index < place else index + 1
        if need.priority != wanted:
            need.priority = wanted


class NeedService(ServiceBase):
    def log(
        self,
        person_id: str,
        category: str,
        description: str = "",
        *,
        priority: int | None = None,
        unmet: str | None = None,
        subtype: str = "",
        identified_on: str | None = None,
    ) -> NeedView:
        """Log a need; with `unmet` it is recorded straight away as unmet (no service found…).

        `priority` is the place in the person's order (1 = tackle first; default: last). A
        need put before others moves them down one (priorities renumbered 1..n), all in this
        one transaction, so a busy database can never leave the need logged but unplaced.
        """
        description = field("need", "description").clean(description)
        subtype = field("need", "subtype").clean(subtype)
        category = clean_line(category)
        unmet_status = parse_unmet_reason(unmet) if unmet else None
        when = parse_date(identified_on, "Identified date") or self.clock.today()
        wanted = None if priority is None else check_priority(priority)
        with self._write(reason="log need") as session:
            person = get_live(session, Person, person_id, "person")
            require_code(session, "need_category", category, "need category")
            if category == "other" and not description:
                raise ValidationError("Describe a need logged as Other")
            last = 1 + people_queries.highest_need_priority(session, person.id)
            place = last if wanted is None else min(wanted, last)
            if place < last:
                _make_room(session, person.id, place)
            need = Need(
                person_id=person.id,
                category_code=category,
                description=description,
                subtype=subtype,
                priority=place,
                identified_on=when,
                setting_at_time=person.setting,
                place_at_time=person.prison or person.area,
                status="",
            )
            session.add(need)
            now = self.clock.now()
            set_need_status(session, need, NeedStatus.OPEN, now)
            if unmet_status is not None:
                set_need_status(session, need, unmet_status, now)
            session.flush()
            return need_view(need, category_labels(session))

    def set_status(self, need_id: str, status: str, note: str = "") -> NeedView:
        target = parse_need_status(status)
        note = field("need_status_change", "note").clean(note)
        with self._write(reason="need status") as session:
            need = get_live(session, Need, need_id, "need")
            set_need_status(session, need, target, self.clock.now(), note=note)
            session.flush()
            return need_view(need, category_labels(session))

    def update(
        self,
        need_id: str,
        *,
        description: str | None = None,
        category: str | None = None,
        subtype: str | None = None,
    ) -> NeedView:
        if category is not None:
            category = clean_line(category)
        if description is not None:
            description = field("need", "description").clean(description)
        if subtype is not None:
            subtype = field("need", "subtype").clean(subtype)
        with self._write(reason="edit need") as session:
            need = get_live(session, Need, need_id, "need")
            if category is not None:
                require_code(session, "need_category", category, "need category")
                need.category_code = category
            if description is not None:
                need.description = description
            if subtype is not None:
                need.subtype = subtype
            session.flush()
            return need_view(need, category_labels(session))

    def get(self, need_id: str) -> NeedView:
        with self._read() as session:
            return need_view(get_live(session, Need, need_id, "need"), category_labels(session))

    def list(self, person_id: str | None = None) -> list[NeedView]:
        with self._read() as session:
            labels = category_labels(session)
            rows = people_queries.needs(session, person_id)
            return [need_view(n, labels) for n in rows]

    def reorder(self, person_id: str, need_ids: list[str]) -> list[NeedView]:
        """Set priorities 1..n in the given order (needs are tackled one after another)."""
        with self._write(reason="reorder needs") as session:
            person = get_live(session, Person, person_id, "person")
            needs = {n.id: n for n in people_queries.needs(session, person.id)}
            if set(need_ids) != set(needs):
                raise ValidationError("The new order must list each of the person's needs once")
            for i, nid in enumerate(need_ids, start=1):
                if needs[nid].priority != i:
                    needs[nid].priority = i
        return self.list(person_id)

    def delete(self, need_id: str) -> None:
        with self._write(reason="delete need") as session:
            need = get_live(session, Need, need_id, "need")
            erase(session, [need], self.clock.now())  # with its status history
        self.db.checkpoint()
