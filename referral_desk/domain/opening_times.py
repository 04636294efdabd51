"""Opening times as officers write them, read into weekly schedule rows (HSDS `schedules`).

Opening times are free text in the directory ("Mon–Fri 9:30–4:30", "Tue & Thu 10am-2pm").
When a line is in one of the common forms — day names, single or as ranges, joined by commas,
"&" or "and", each group followed by a time range, groups separated by "," or ";" — it is read
into `Opening`s, which the HSDS export writes as `byday` / `opens_at` / `closes_at` rows next to
the text. Anything else ("24 hours (helpline)", "drop-in Wed 1–3") is not guessed at: the line
stays free text only (`parse_line` returns None).

Times without am/pm follow how offices write them: "9–5" is 09:00–17:00 (a closing hour not
after the opening one is afternoon), "1–3" is 13:00–15:00 (nothing opens at 1 am), and a
24-hour time ("13:30") is taken as it is.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

DAY_CODES = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
_DAY_NAMES = {
    "mon": 0,
    "monday": 0,
    "tue": 1,
    "tues": 1,
    "tuesday": 1,
    "wed": 2,
    "weds": 2,
    "wednesday": 2,
    "thu": 3,
    "thur": 3,
    "thurs": 3,
    "thursday": 3,
    "fri": 4,
    "friday": 4,
    "sat": 5,
    "saturday": 5,
    "sun": 6,
    "sunday": 6,
}
_SHORT = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_DASH = r"\s*(?:-|–|—|to)\s*"
_DAY = r"(?:" + "|".join(sorted(_DAY_NAMES, key=len, reverse=True)) + r")\.?"
_DAY_SPEC = rf"{_DAY}(?:{_DASH}{_DAY})?"
_DAYS = rf"{_DAY_SPEC}(?:\s*(?:,|&|\band\b)\s*{_DAY_SPEC})*"
_TIME = r"\d{1,2}(?:[:.]\d{2})?\s*(?:am|pm)?"
_GROUP = re.compile(rf"(?P<days>{_DAYS})\s*:?\s*(?P<open>{_TIME}){_DASH}(?P<close>{_TIME})", re.I)
_SEPARATOR = re.compile(r"[\s,;]*(?:\band\b)?[\s,;]*", re.I)
_TIME_PARTS = re.compile(r"(\d{1,2})(?:[:.](\d{2}))?\s*(am|pm)?", re.I)
_DAY_WORD = re.compile(_DAY, re.I)


@dataclass(frozen=True)
class Opening:
    """Open on these weekdays (indexes 0 = Monday) from `opens` to `closes` ("HH:MM")."""

    days: tuple[int, ...]
    opens: str
    closes: str

    @property
    def byday(self) -> str:
        return ",".join(DAY_CODES[d] for d in self.days)


def _days(text: str) -> tuple[int, ...] | None:
    found: list[int] = []
    for part in re.split(r"\s*(?:,|&|\band\b)\s*", text.strip(), flags=re.I):
        ends = [_DAY_NAMES[w.group().rstrip(".").lower()] for w in _DAY_WORD.finditer(part)]
        if len(ends) == 1:
            found.append(ends[0])
        elif len(ends) == 2:
            first, last = ends
            if last < first:
                return None  # "Fri-Mon": not a form we read
            found.extend(range(first, last + 1))
        else:
            return None
    return tuple(sorted(set(found)))


def _clock(text: str) -> tuple[int, int, str]:
    match = _TIME_PARTS.fullmatch(text.strip())
    if match is None:  # pragma: no cover - the group pattern matched it
        raise ValueError(text)
    return int(match.group(1)), int(match.group(2) or 0), (match.group(3) or "").lower()


def _hours(opens: str, closes: str) -> tuple[str, str] | None:
    (oh, om, omer), (ch, cm, cmer) = _clock(opens), _clock(closes)
    if om > 59 or cm > 59:
        return None
    if omer or cmer:
        if (omer and not 1 <= oh <= 12) or (cmer and not 1 <= ch <= 12):
            return None
        cmer = cmer or omer
        ch = ch % 12 + (12 if cmer == "pm" else 0)
        if omer:
            oh = oh % 12 + (12 if omer == "pm" else 0)
        else:  # "6-9pm" is 18-21, "10-2pm" is 10-14: the closing's half of the day if it fits
            same = oh % 12 + (12 if cmer == "pm" else 0)
            oh = same if (same, om) < (ch, cm) else oh % 12
    elif oh <= 12 and ch <= 12 and oh != 0:  # office-style: no am/pm, no 24-hour time
        if oh <= 6:
            oh, ch = oh + 12, ch + 12 if ch < 12 else ch
        elif (ch, cm) <= (oh, om):
            ch += 12
    if not (0 <= oh <= 23 and 0 <= ch <= 23) or (ch, cm) <= (oh, om):
        return None
    return f"{oh:02d}:{om:02d}", f"{ch:02d}:{cm:02d}"


@lru_cache(maxsize=4096)
def parse_line(line: str) -> tuple[Opening, ...] | None:
    """The openings one line of opening times states, or None when it is not a form we read.

    Cached: directories repeat a few forms ("Mon–Fri 9–5") across thousands of services, and
    every import and export reads each service's lines (a 20 000-service import: ~1 s saved).
    """
    text = line.strip()
    if not text:
        return None
    openings: list[Opening] = []
    at = 0
    for match in _GROUP.finditer(text):
        if not _SEPARATOR.fullmatch(text[at : match.start()]) or (openings and at == match.start()):
            return None
        days = _days(match.group("days"))
        hours = _hours(match.group("open"), match.group("close"))
        if not days or hours is None:
            return None
        opening = Opening(days, *hours)
        if opening not in openings:
            openings.append(opening)
        at = match.end()
    if not openings or not _SEPARATOR.fullmatch(text[at:]):
        return None
    return tuple(openings)


def describe(byday: str, opens: str, closes: str) -> str:
    """A schedule row as text, for packages that give only the structured fields:
    ("MO,TU,WE", "09:00:00", "17:00:00") -> "Mon, Tue, Wed 09:00–17:00"."""
    days = ", ".join(
        _SHORT[DAY_CODES.index(c)] if c in DAY_CODES else c
        for c in (p.strip().upper() for p in byday.split(","))
        if c
    )
    hours = "–".join(t[:5] for t in (opens, closes) if t)
    return " ".join(p for p in (days, hours) if p)
