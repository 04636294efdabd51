"""The person view's header: name, identifiers, setting, release, cohort, officer, consent,
and a warning band for a closed case or withdrawn consent. A mixin of `PersonPage`
(ui/person_view.py)."""

from __future__ import annotations

from collections.abc import Mapping
from html import escape

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QVBoxLayout,
    QWidget,
)

from referral_desk.domain.people import age_on
from referral_desk.ui import palette
from referral_desk.ui.elided import ElidedLabel, breakable
from referral_desk.ui.models import cohort_text, setting_text
from referral_desk.ui.my_day import (
    action_button,
)
from referral_desk.ui.widgets import fmt_date
from referral_desk.usecases.dto import (
    PersonView,
)


class PersonHeader:
    """Builds and fills the header (see the module docstring)."""

    def _header(self, actions: Mapping[str, QAction]) -> QWidget:
        header = QWidget()
        box = QVBoxLayout(header)
        box.setContentsMargins(0, 0, 0, 4)
        top = QHBoxLayout()
        # One line, shortened with "…" (whole in the tooltip): a 200-character name must not
        # push the case buttons off the page.
        self.name_label = ElidedLabel()
        self.name_label.setStyleSheet("font-size: 16pt; font-weight: 600;")
        self.name_label.setAccessibleName("Person name")
        top.addWidget(self.name_label, 1)
        for key in ("edit_person", "transfer", "consent", "hand_over", "close_case"):
            if key in actions:
                top.addWidget(action_button(actions[key]))
        box.addLayout(top)
        self.details_label = QLabel()
        self.details_label.setAccessibleName("Person details")
        self.details_label.setWordWrap(True)
        self.details_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        box.addWidget(self.details_label)
        self.banner = QFrame()
        self.banner.setObjectName("personBanner")
        banner_row = QHBoxLayout(self.banner)
        banner_row.setContentsMargins(8, 4, 8, 4)
        self.banner_label = QLabel()
        self.banner_label.setWordWrap(True)
        self.banner_label.setAccessibleName("Case warning")
        banner_row.addWidget(self.banner_label, 1)
        self.banner.hide()
        box.addWidget(self.banner)
        return header

    def _fill_header(self, p: PersonView, today, owner: str) -> None:
        self.name_label.setText(p.display_name)

        def typed(text: str) -> str:  # what officers typed: shown as text, wrapping anywhere
            return escape(breakable(text))

        bits = []
        if p.crn:
            bits.append(f"CRN <b>{p.crn}</b>")
        if p.nomis:
            bits.append(f"Prison no. <b>{p.nomis}</b>")
        if p.pnc:
            bits.append(f"PNC {typed(p.pnc)}")
        if p.date_of_birth:
            bits.append(f"Born {fmt_date(p.date_of_birth)} (age {age_on(p.date_of_birth, today)})")
        bits.append(typed(setting_text(p)))
        if p.expected_release_date:
            days = (p.expected_release_date - today).days
            when = (
                f"in {days // 7} weeks"
                if days >= 14
                else (f"in {days} days" if days >= 0 else "date passed")
            )
            bits.append(f"Release {fmt_date(p.expected_release_date)} ({when})")
        cohorts = cohort_text(p)
        if cohorts:
            bits.append(f"Cohort: {typed(cohorts)}")
        if owner:
            bits.append(f"Officer: {typed(owner)}")
        if p.has_consent:
            bits.append(f"Consent to share since {fmt_date(p.consent_given_on)}")
        elif p.consent_withdrawn_on is None:
            bits.append("Consent to share: <i>not recorded</i>")
        self.details_label.setText("  ·  ".join(bits))
        self.details_label.setAccessibleDescription(self.details_label.text())
        warnings = []
        if p.closed_on is not None:
            warnings.append(f"Case closed on {fmt_date(p.closed_on)}.")
        if p.consent_withdrawn_on is not None:
            warnings.append(
                f"Consent withdrawn on {fmt_date(p.consent_withdrawn_on)}: no new referrals; "
                "tell providers of open referrals."
            )
        self.banner_label.setText(" ".join(warnings))
        self.banner.setStyleSheet(
            f"QFrame#personBanner {{ background: {palette.WARNING_BACKGROUND};"
            f" border: 1px solid {palette.WARNING_BORDER}; border-radius: 4px; }}"
        )
        self.banner.setVisible(bool(warnings))
