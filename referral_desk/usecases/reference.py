"""Reference lists (need categories, reason codes, bank holidays…) and team-wide settings."""

from __future__ import annotations

import re
import unicodedata
from datetime import date

from referral_desk.domain.errors import ValidationError
from referral_desk.domain.fields import field
from referral_desk.domain.followup_rules import FollowUpRules
from referral_desk.domain.roles import KEEPER
from referral_desk.domain.text import clean_line
from referral_desk.domain.workdays import WorkingCalendar
from referral_desk.store.models import ReferenceItem, TeamSetting
from referral_desk.store.reference_queries import reference_items
from referral_desk.store.seed import (
    reference_data_missing,
    reference_id,
    seed_reference_data,
    team_setting_id,
)
from referral_desk.usecases.base import ServiceBase, Session
from referral_desk.usecases.dto import ReferenceItemView
from referral_desk.usecases.roles import require_in


def require_code(session: Session, list_name: str, code: str, what: str) -> ReferenceItem:
    """The active entry for `code`, or a ValidationError listing the valid codes."""
    items = reference_items(session, list_name)
    for item in items:
        if item.code == code:
            return item
    codes = ", ".join(i.code for i in items)
    raise ValidationError(f"Unknown {what}; use one of: {codes}")


SUGGESTIONS = 3
SUGGESTION_CUTOFF = 60
"""How many near names a refusal offers, and how alike (rapidfuzz WRatio, 0-100) they must be."""


def nearest_labels(text: str, labels: list[str], limit: int = SUGGESTIONS) -> list[str]:
    """The list's labels most like `text`, best first (for "Did you mean …?")."""
    from rapidfuzz import fuzz, process, utils

    found = process.extract(
        text,
        labels,
        scorer=fuzz.WRatio,
        processor=utils.default_process,
        limit=limit,
        score_cutoff=SUGGESTION_CUTOFF,
    )
    return [label for label, _score, _index in found]


def unknown_entry(what: str, items: list[ReferenceItem], text: str) -> ValidationError:
    """The refusal for a name not in a list: near names from the list, never the typed text.

    The typed text may be anything (a name, a note); messages are shown and may be logged.
    """
    near = nearest_labels(text, [i.label for i in items])
    noun = what.replace("_", " ")
    if near:
        return ValidationError(f"Unknown {noun}. Did you mean: {', '.join(near)}?")
    if not items:
        return ValidationError(f"Unknown {noun}: the {noun} list is empty.")
    if len(items) <= 8:
        return ValidationError(f"Unknown {noun}; use one of: {', '.join(i.label for i in items)}.")
    return ValidationError(f"Unknown {noun}; choose one from the {noun} list.")


def find_item(items: list[ReferenceItem], text: str) -> ReferenceItem | None:
    """The entry whose code or label is `text`, ignoring case and spacing."""
    key = clean_line(text).casefold()
    for item in items:
        if key in (item.code.casefold(), item.label.casefold()):
            return item
    return None


def resolve_item(session: Session, list_name: str, text: str, what: str) -> ReferenceItem:
    """The active entry named by `text` (code or label, any case), or a refusal with near names.

    Used for every value that becomes a row of a report (prison, area…), so that what an
    officer types can never be printed for a commissioner: only list entries are stored.
    """
    items = reference_items(session, list_name)
    item = find_item(items, text)
    if item is None:
        raise unknown_entry(what, items, text)
    return item


def working_calendar(session: Session) -> WorkingCalendar:
    return WorkingCalendar(
        date.fromisoformat(i.code) for i in reference_items(session, "bank_holiday")
    )


def follow_up_rules(session: Session) -> FollowUpRules:
    row = session.get(TeamSetting, team_setting_id("follow_up_rules"))
    return FollowUpRules.from_mapping(row.value if row else None)


EDITABLE_LISTS = (
    "prison",
    "area",
    "team",
    "ethnicity",
    "need_category",
    "decline_reason",
    "withdraw_reason",
    "end_reason",
)
"""Lists a team may extend or retire entries of. The others (methods, channels, information
shared, bank holidays) are read by code in the app, so a new entry would mean nothing."""

_SLUG = re.compile(r"[^a-z0-9]+")


def _list_name(text: str) -> str:
    name = clean_line(text).lower().replace("-", "_")
    if name not in EDITABLE_LISTS:
        raise ValidationError("Unknown reference list; use one of: " + ", ".join(EDITABLE_LISTS))
    return name


def _code_for(label: str) -> str:
    """A stable code from a label ("HMP Leeds" -> "hmp_leeds"), the shape of the shipped codes."""
    code = _SLUG.sub(
        "_", unicodedata.normalize("NFKD", label).encode("ascii", "ignore").decode("ascii").lower()
    ).strip("_")
    return code[: field("reference_item", "code").limit]


def ensure_items(session: Session, list_name: str, labels: list[str]) -> int:
    """Add the entries of `labels` a list lacks (codes made from the labels); how many added.

    For data a program sets up (the demo's teams), in the caller's transaction.
    """
    every = reference_items(session, list_name, include_deprecated=True)
    known = {i.label.casefold() for i in every} | {i.code for i in every}
    order = max((i.sort_order for i in every), default=-1) + 1
    added = 0
    for label in labels:
        code = _code_for(label)
        if label.casefold() in known or code in known:
            continue
        known |= {label.casefold(), code}
        session.add(
            ReferenceItem(
                id=reference_id(list_name, code),
                list_name=list_name,
                code=code,
                label=label,
                synonyms="",
                sort_order=order + added,
            )
        )
        added += 1
    return added


class ReferenceService(ServiceBase):
    def add_item(self, list_name: str, label: str, code: str | None = None) -> ReferenceItemView:
        """Add an entry to a list (or bring back a retired one with the same code or label).

        The id is derived from (list, code), as for the shipped defaults, so two sites adding
        the same prison before a sync converge on one entry instead of clashing.
        """
        name = _list_name(list_name)
        label = field("reference_item", "label").clean(label, required=True)
        code = field("reference_item", "code").clean(code) if code else _code_for(label)
        if not code:
            raise ValidationError("Give a code made of letters or digits for this entry")
        with self._write(reason="reference list: add") as session:
            require_in(session, KEEPER)  # the lists officers pick from are the team's
            every = reference_items(session, name, include_deprecated=True)
            same = [
                i
                for i in every
                if i.code.casefold() == code.casefold() or i.label.casefold() == label.casefold()
            ]
            if same and all(i.deprecated_at is None for i in same):
                raise ValidationError("That entry is already in the list.")
            order = max((i.sort_order for i in every), default=-1) + 1
            item = same[0] if same else session.get(ReferenceItem, reference_id(name, code))
            if item is None:
                item = ReferenceItem(
                    id=reference_id(name, code),
                    list_name=name,
                    code=code,
                    label=label,
                    synonyms="",
                    sort_order=order,
                )
                session.add(item)
            elif item.deleted_at is not None:  # removed by hand once: bring it back as new
                item.deleted_at = None
                item.label, item.sort_order = label, order
            item.deprecated_at = None
            session.flush()
            return ReferenceItemView.from_row(item)

    def deprecate(self, list_name: str, code_or_label: str) -> ReferenceItemView:
        """Retire an entry: no longer offered or accepted, never deleted (old records use it)."""
        name = _list_name(list_name)
        with self._write(reason="reference list: retire") as session:
            require_in(session, KEEPER)  # the lists officers pick from are the team's
            item = resolve_item(session, name, code_or_label, name)
            item.deprecated_at = self.clock.now()
            session.flush()
            return ReferenceItemView.from_row(item)

    def resolve(self, list_name: str, text: str) -> ReferenceItemView:
        """The active entry named by `text` (code or label), or the refusal input would get.

        For forms that check a field as the officer leaves it, with the same message as saving.
        """
        with self._read() as session:
            return ReferenceItemView.from_row(resolve_item(session, list_name, text, list_name))

    def seed_defaults(self) -> int:
        """Add missing defaults. Runs at every start, so it looks before taking the write lock:
        a start (or a read-only command) need not queue behind another window's save."""
        with self._read() as session:
            if not reference_data_missing(session):
                return 0
        with self._write(reason="seed reference data") as session:
            return seed_reference_data(session)

    def list(self, list_name: str, include_deprecated: bool = False) -> list[ReferenceItemView]:
        with self._read() as session:
            return [
                ReferenceItemView.from_row(i)
                for i in reference_items(session, list_name, include_deprecated)
            ]

    def categories(self) -> list[ReferenceItemView]:
        return self.list("need_category")

    def calendar(self) -> WorkingCalendar:
        with self._read() as session:
            return working_calendar(session)

    def follow_up_rules(self) -> FollowUpRules:
        with self._read() as session:
            return follow_up_rules(session)
