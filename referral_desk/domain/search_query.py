"""What an officer asks the provider directory (DESIGN.md §3 provider directory).

A plain value object shared by the UI, the CLI and the search engine in `store.search`. It
validates only what would make a search meaningless (an unknown setting, an absurd age or page
size); free text is never validated, because any text an officer types must simply work.
"""

from __future__ import annotations

from dataclasses import dataclass

from referral_desk.domain.errors import ValidationError

SETTINGS = frozenset({"custody", "community", "gate"})
MAX_LIMIT = 1000
MAX_AGE = 120

_GENDER_ALIASES = {
    "m": "male",
    "man": "male",
    "men": "male",
    "male": "male",
    "f": "female",
    "w": "female",
    "woman": "female",
    "women": "female",
    "female": "female",
}


def normalise_gender(value: str | None) -> str | None:
    """Map what an officer may type ('M', 'f', 'Woman') onto the directory's gender words.

    Anything else (for example 'non-binary') is kept, lower-cased, so that services open to
    'any' gender still match it. Blank means "no gender filter".
    """
    if value is None:
        return None
    key = value.strip().lower()
    if not key or key == "any":
        return None
    return _GENDER_ALIASES.get(key, key)


def _encodable(value: str) -> str:
    """Text that can be stored and bound as UTF-8: lone surrogates (which no keyboard types,
    but a bad clipboard or file can carry) become U+FFFD instead of failing later."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return value.encode("utf-8", "replace").decode("utf-8")
    return value


def _blank_to_none(value: str | None) -> str | None:
    if value is None:
        return None
    value = _encodable(value).strip()
    return value or None


@dataclass(frozen=True)
class SearchQuery:
    """Free text plus filters; every filter narrows (they combine with AND).

    `category` is a need-category code, `area` a service-area name, `prison` a prison name as
    listed on services (whatever the setting, a service must list it). `setting` is where the
    person is: "custody" (services in named prisons), "community" or "gate" (through the
    gate). `gender` accepts "m"/"f" and the like; services open to any gender always match.
    `prechecked` means an information-sharing protocol is agreed and the provider reports
    attendance, so the officer need not phone first. Only active services are searched unless
    `include_inactive`; deleted ones never are.
    """

    text: str = ""
    category: str | None = None
    area: str | None = None
    prison: str | None = None
    setting: str | None = None
    gender: str | None = None
    age: int | None = None
    free: bool = False
    prechecked: bool = False
    accepting: bool = False
    include_inactive: bool = False
    limit: int = 50

    def __post_init__(self) -> None:
        # Frozen: normalise through object.__setattr__ so that equal questions compare equal.
        if not isinstance(self.text, str):
            raise ValidationError("Search text must be text.")
        object.__setattr__(self, "text", _encodable(self.text))
        for name in ("category", "area", "prison", "setting", "gender"):
            value = getattr(self, name)
            if value is not None and not isinstance(value, str):
                raise ValidationError(f"Search filter {name} must be text.")
            object.__setattr__(self, name, _blank_to_none(value))
        if self.setting is not None:
            setting = self.setting.lower()
            if setting not in SETTINGS:
                raise ValidationError("Unknown setting; use one of: " + ", ".join(sorted(SETTINGS)))
            object.__setattr__(self, "setting", setting)
        object.__setattr__(self, "gender", normalise_gender(self.gender))
        if self.age is not None:
            if isinstance(self.age, bool) or not isinstance(self.age, int):
                raise ValidationError("Age must be a whole number of years.")
            if not 0 <= self.age <= MAX_AGE:
                raise ValidationError(f"Age must be between 0 and {MAX_AGE}.")
        if isinstance(self.limit, bool) or not isinstance(self.limit, int):
            raise ValidationError("The number of results must be a whole number.")
        if not 1 <= self.limit <= MAX_LIMIT:
            raise ValidationError(f"The number of results must be between 1 and {MAX_LIMIT}.")

    @property
    def has_filters(self) -> bool:
        """True when anything other than the text narrows the search."""
        return any(
            (
                self.category,
                self.area,
                self.prison,
                self.setting,
                self.gender,
                self.age is not None,
                self.free,
                self.prechecked,
                self.accepting,
            )
        )
