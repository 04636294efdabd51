"""ISO 639 codes for the languages directories list (HSDS `languages.code`).

A vendored mapping, not a full registry: the languages our demo and officers name for services
in England and Wales. ISO 639-1 where the language has a two-letter code, ISO 639-3 otherwise
(HSDS 3.0 accepts either). A name not listed exports without a code, never a guessed one.
"""

from __future__ import annotations

_CODES: dict[str, str] = {
    "english": "en",
    "welsh": "cy",
    "polish": "pl",
    "urdu": "ur",
    "punjabi": "pa",
    "arabic": "ar",
    "romanian": "ro",
    "bengali": "bn",
    "kurdish": "ku",
    "kurdish (sorani)": "ckb",
    "sorani": "ckb",
    "kurdish (kurmanji)": "kmr",
    "tigrinya": "ti",
    "somali": "so",
    "portuguese": "pt",
    "british sign language": "bfi",
    "bsl": "bfi",
    "mandarin": "cmn",
    "cantonese": "yue",
    "chinese": "zh",
    "french": "fr",
    "spanish": "es",
    "italian": "it",
    "german": "de",
    "lithuanian": "lt",
    "latvian": "lv",
    "russian": "ru",
    "ukrainian": "uk",
    "bulgarian": "bg",
    "czech": "cs",
    "slovak": "sk",
    "hungarian": "hu",
    "albanian": "sq",
    "turkish": "tr",
    "farsi": "fa",
    "persian": "fa",
    "dari": "prs",
    "pashto": "ps",
    "gujarati": "gu",
    "hindi": "hi",
    "tamil": "ta",
    "amharic": "am",
    "swahili": "sw",
    "yoruba": "yo",
    "igbo": "ig",
    "vietnamese": "vi",
    "irish": "ga",
    "scottish gaelic": "gd",
    "gaelic": "gd",
    "romani": "rom",
    "tagalog": "tl",
    "greek": "el",
}
# The name a code stands for, for packages that give only the code (first name listed wins).
_NAMES: dict[str, str] = {}
for _name, _code in _CODES.items():
    _NAMES.setdefault(_code, _name)


def language_code(name: str) -> str:
    """The ISO 639 code of a language name ("Welsh" -> "cy"), or "" when we do not know it."""
    return _CODES.get(" ".join((name or "").split()).casefold(), "")


def language_name(code: str) -> str:
    """A language name for a code ("cy" -> "Welsh"), or "" when we do not know it."""
    name = _NAMES.get((code or "").strip().casefold(), "")
    return " ".join(w[:1].upper() + w[1:] for w in name.split())
