"""The percent codec behaves exactly like urllib.parse's quote and unquote."""

from __future__ import annotations

from urllib.parse import quote as urllib_quote
from urllib.parse import unquote as urllib_unquote

from hypothesis import given, settings
from hypothesis import strategies as st

from lambda_asgi.sources._request import quote, unquote

SAFE_SETS = st.sampled_from(["", "/", "%+=/:@!$'()*,;~?[]"])
ESCAPE_LIKE = st.sampled_from(["%", "%2", "%zz", "%41", "%e9", "%C3%A9", "%F0%9F", "%%", "%+1"])


@settings(max_examples=500)
@given(text=st.text(), safe=SAFE_SETS)
def test_quote_matches_urllib(text: str, safe: str) -> None:
    assert quote(text, safe) == urllib_quote(text, safe=safe)


@settings(max_examples=500)
@given(parts=st.lists(st.one_of(st.text(max_size=3), ESCAPE_LIKE)))
def test_unquote_matches_urllib(parts: list[str]) -> None:
    text = "".join(parts)
    assert unquote(text) == urllib_unquote(text)


@settings(max_examples=300)
@given(text=st.text())
def test_round_trip(text: str) -> None:
    assert unquote(quote(text, "")) == text


def test_examples() -> None:
    assert quote("/a b/é", "/") == "/a%20b/%C3%A9"
    assert unquote("/a%20b/%C3%A9") == "/a b/é"
    assert unquote("%2541") == "%41"
    assert unquote("100%") == "100%"
    assert unquote("%ff") == "\ufffd"
