"""What a sync preview or run found, in the officer's words (plain functions, no widgets).

The exchange dialogs show these: the counts table (the six counts always, so "0 conflicts" is
said), the sentences about what needs attention, and a refusal with the reassurance that
nothing was written.
"""

from __future__ import annotations

from dataclasses import dataclass

from referral_desk.usecases.sync import (
    ExportSummary,
    ImportSummary,
    RefusedFile,
    pending_text,
    quarantine_text,
)

NOTHING_WRITTEN = "Nothing was written."


def plural(n: int, word: str, many: str | None = None) -> str:
    return f"{n} {word if n == 1 else (many or word + 's')}"


def nothing_written(message: str) -> str:
    """The refusal as the engine words it, plus the reassurance when it does not say so."""
    lowered = message.lower()
    if "nothing was" in lowered or "was not imported" in lowered:
        return message
    return f"{message} {NOTHING_WRITTEN}"


@dataclass(frozen=True)
class Outcome:
    """What a preview or a run did: either half may be absent (a file import has no export)."""

    exported: ExportSummary | None = None
    imported: ImportSummary | None = None
    new_site_id: str = ""  # why this PC took a new site id before syncing ("": it did not)

    @property
    def refused(self) -> tuple[RefusedFile, ...]:
        return self.imported.refused if self.imported else ()

    @property
    def brings_changes(self) -> bool:
        """Something would be (or was) written to this computer's records."""
        imp = self.imported
        return imp is not None and (imp.bundles > 0 or imp.released > 0)

    @property
    def sends_changes(self) -> bool:
        return self.exported is not None and self.exported.entries > 0


def count_rows(imp: ImportSummary) -> list[tuple[str, int]]:
    """The preview table: the six counts always (so "0 conflicts" is said), the rest if any."""
    rows = [
        ("People", imp.people),
        ("Needs", imp.needs),
        ("Referrals", imp.referrals),
        ("Follow-ups", imp.follow_ups),
        ("Directory changes", imp.directory),
    ]
    if imp.other:
        rows.append(("Other changes (lists, notes, settings)", imp.other))
    if imp.deleted:
        rows.append(("Records deleted", imp.deleted))
    rows.append(("Conflicts to review", imp.conflicts))
    if imp.future_stamped:
        rows.append(("Changes stamped more than a day ahead", imp.future_stamped))
    if imp.quarantined:
        rows.append(("Entries kept aside", imp.quarantined))
    if imp.pending:
        rows.append(("Records to be added later", imp.pending))
    return rows


def attention(imp: ImportSummary, *, preview: bool, new_site_id: str = "") -> list[str]:
    """Sentences about what needs the officer's attention after (or if) this is applied."""
    notes: list[str] = [new_site_id] if new_site_id else []
    will = "will be" if preview else "are"
    if imp.conflicts:
        notes.append(
            f"{plural(imp.conflicts, 'field')} changed here and on another computer at once: "
            f"both values {will} kept for you to review (Review conflicts)."
        )
    if imp.future_stamped or imp.clock_reviews:
        notes.append(
            f"{plural(imp.future_stamped, 'change')} stamped more than a day ahead of this "
            f"computer's clock: {plural(imp.clock_reviews, 'field')} {will} listed under "
            "Review conflicts to check."
        )
    if imp.quarantined or imp.still_quarantined:
        notes.append(
            f"{plural(imp.still_quarantined, 'entry', 'entries')} kept aside: they are kept "
            "and tried again at every sync; everything else "
            + ("applies." if preview else "was applied.")
        )
        notes.extend(quarantine_text(imp.quarantine_reasons))
    if imp.released:
        notes.append(f"{plural(imp.released, 'entry', 'entries')} released from being kept aside.")
    if imp.pending:
        notes.extend(pending_text(imp.pending_reasons or (("other", imp.pending),)))
    if imp.refused:
        notes.append(
            f"{plural(len(imp.refused), 'file')} refused (listed below); nothing was taken "
            "from them."
        )
    return notes
