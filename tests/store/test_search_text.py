"""Typed text to FTS5 tokens and MATCH expressions (`store.search_text`): no input can make
MATCH fail."""

from __future__ import annotations

from referral_desk.store.search_text import match_expression, search_tokens, tokenise


def test_tokens_are_words_and_every_token_is_quoted() -> None:
    assert tokenise("St Martin's (Leeds)") == ["St", "Martin", "s", "Leeds"]
    assert tokenise('a AND OR NOT ( "x" * -y') == ["a", "AND", "OR", "NOT", "x", "y"]
    assert tokenise("  \x00 \u0301 ") == []
    assert match_expression(["a", "AND", "not"]) == '"a" AND "AND" AND "not"*'
    assert match_expression(["x"], prefix_last=False) == '"x"'
    assert match_expression(["lihgt"], alternatives={0: ["light"]}) == '("lihgt"* OR "light"*)'


def test_prefix_only_while_the_last_word_is_being_typed() -> None:
    assert search_tokens("drug rec") == (["drug", "rec"], True)
    assert search_tokens("drug rec ") == (["drug", "rec"], False)
    # A lone trailing letter is dropped: a word just begun, or a possessive.
    assert search_tokens("drug r") == (["drug"], False)
    assert search_tokens("St Martin's") == (["St", "Martin"], False)
    assert search_tokens("h") == (["h"], True)
