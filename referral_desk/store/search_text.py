"""What an officer typed, made safe for FTS5: tokens, folding and the MATCH expression.

User text is never handed to FTS5: it is split into tokens of Unicode letters, digits and marks
(what the index's unicode61 tokenizer keeps), each double-quoted, so no input can make MATCH
fail (`store.search` explains the whole design).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping, Sequence

MAX_TEXT_CHARS = 500  # anything longer is a paste, not a search; keeps the work bounded
MAX_TOKENS = 10
MAX_TOKEN_CHARS = 40


def _is_word_char(ch: str) -> bool:
    # Letters, digits and combining marks: what FTS5's unicode61 tokenizer keeps. Everything
    # else (punctuation, symbols, spaces, controls) separates tokens, exactly as it does there.
    cat = unicodedata.category(ch)
    return cat[0] in "LNM" or cat == "Co"


def _split(text_: str) -> list[str]:
    if not text_:
        return []
    text_ = unicodedata.normalize("NFC", text_[:MAX_TEXT_CHARS])
    tokens: list[str] = []
    current: list[str] = []
    for ch in text_ + " ":
        if _is_word_char(ch):
            current.append(ch)
            continue
        if current:
            token = "".join(current)[:MAX_TOKEN_CHARS]
            current = []
            if any(unicodedata.category(c)[0] in "LN" for c in token):
                tokens.append(token)
    return tokens


def tokenise(text_: str) -> list[str]:
    """Split what an officer typed into search tokens; never fails, may return [].

    Tokens keep their case and accents (FTS5 folds both the same way it did when indexing);
    a token must contain at least one letter or digit, so stray combining marks vanish.
    """
    return _split(text_)[:MAX_TOKENS]


def search_tokens(text_: str) -> tuple[list[str], bool]:
    """The tokens to search for and whether the last one is a prefix (still being typed).

    The last token is a prefix unless the text ends in a space or punctuation. A single
    trailing character after other words is dropped: it is a word just begun ("drug r") or a
    possessive ("St Martin's"), and as a one-letter prefix it matches nearly every service
    while costing a pass over the whole index.
    """
    tokens = _split(text_)
    typed = text_[:MAX_TEXT_CHARS]
    prefix_last = bool(tokens) and len(tokens) <= MAX_TOKENS and _is_word_char(typed[-1])
    tokens = tokens[:MAX_TOKENS]
    if len(tokens) > 1 and len(tokens[-1]) == 1 and prefix_last:
        return tokens[:-1], False
    return tokens, prefix_last


def fold(token: str) -> str:
    """A token as the index stores it: lower case, accents removed (unicode61 with
    remove_diacritics 2). Used to compare typed tokens with vocabulary terms and names."""
    decomposed = unicodedata.normalize("NFKD", token.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _phrase(token: str, prefix: bool) -> str:
    # Tokens never contain '"' (it is punctuation), but escape anyway: this is the safety line.
    quoted = '"' + token.replace('"', '""') + '"'
    return quoted + "*" if prefix else quoted


def match_expression(
    tokens: Sequence[str],
    *,
    prefix_last: bool = True,
    alternatives: Mapping[int, Sequence[str]] | None = None,
) -> str:
    """An FTS5 MATCH string: all tokens required, each quoted, the last one as a prefix.

    `alternatives` maps a token position to other spellings (typo corrections) accepted in
    its place: `("lihgthouse" OR "lighthouse")`.
    """
    alternatives = alternatives or {}
    parts = []
    last = len(tokens) - 1
    for i, token in enumerate(tokens):
        prefix = prefix_last and i == last
        options = [_phrase(token, prefix)]
        options += [_phrase(alt, prefix) for alt in alternatives.get(i, ()) if alt != token]
        parts.append(options[0] if len(options) == 1 else "(" + " OR ".join(options) + ")")
    return " AND ".join(parts)
