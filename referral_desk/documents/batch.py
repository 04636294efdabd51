"""Many referral slips in one PDF, for a batch print job (one print dialog, not five hundred).

Each slip starts on a new page and looks exactly as it does when printed alone. All slips are
checked before any layout work, so one slip with a forbidden word fails the job at once with the
position of the slip (never its content) rather than after minutes of layout.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from reportlab.platypus import Flowable, PageBreak

from referral_desk.documents.layout import layout_for
from referral_desk.documents.model import SlipData
from referral_desk.documents.pages import write_pdf
from referral_desk.documents.slip import checked_slip, continuation_footer, slip_story

__all__ = ["render_slips"]


def _checked_all(items: Iterable[SlipData]) -> list[SlipData]:
    checked = []
    for position, item in enumerate(items, start=1):
        try:
            checked.append(checked_slip(item))
        except ValueError as error:
            raise ValueError(f"Slip {position}: {error}") from None
    if not checked:
        raise ValueError("There are no slips to print")
    return checked


def _stories(slips: list[SlipData], size: str) -> Iterator[Flowable]:
    layout = layout_for(size)
    for index, slip in enumerate(slips):
        if index:
            yield PageBreak()
        yield from slip_story(slip, layout)


def render_slips(items: Iterable[SlipData], size: str = "A4") -> bytes:
    """All `items` as one multi-page PDF on A4 (default) or A5; same data, same bytes.

    Raises ValueError for an unknown size, an empty batch, or a slip that cannot be printed.
    """
    layout = layout_for(size)
    slips = _checked_all(items)
    return write_pdf(
        _stories(slips, size),
        layout,
        title=f"Referral slips ({len(slips)})",
        on_page_end=continuation_footer(layout),
        printed_on=slips[0].printed_on,
    )
