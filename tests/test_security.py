"""Passwords, tokens and CSRF tokens (property-based where the input is arbitrary)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from healthbridge.security import (
    csrf_matches,
    csrf_token,
    hash_password,
    looks_like_token,
    new_token,
    token_digest,
    verify_password,
)


def test_new_tokens_are_well_formed_and_unique() -> None:
    tokens = {new_token() for _ in range(200)}
    assert len(tokens) == 200
    assert all(looks_like_token(t) and t.startswith("hb_") for t in tokens)


@given(st.text(max_size=300))
def test_token_syntax_check_never_raises(text: str) -> None:
    result = looks_like_token(text)
    if result:
        assert text.startswith("hb_")
        assert len(text) <= 100


@given(st.text(min_size=1, max_size=64))
def test_token_digest_is_hex_sha256(text: str) -> None:
    digest = token_digest(text)
    assert len(digest) == 64
    int(digest, 16)


@settings(max_examples=25, deadline=None)
@given(st.text(min_size=1, max_size=64), st.text(min_size=1, max_size=64))
def test_passwords_verify_only_themselves(password: str, other: str) -> None:
    stored = hash_password(password)
    assert stored.startswith("$argon2id$")
    assert verify_password(stored, password)
    assert verify_password(stored, other) == (other == password)


def test_corrupt_hash_is_a_mismatch_not_a_crash() -> None:
    assert not verify_password("not-a-hash", "whatever")


@given(st.text(max_size=80), st.text(max_size=80), st.one_of(st.none(), st.text(max_size=80)))
def test_csrf_tokens_bind_to_the_session(binding: str, other: str, presented: str | None) -> None:
    key = "k" * 40
    assert csrf_matches(key, binding, csrf_token(key, binding))
    if other != binding:
        assert not csrf_matches(key, other, csrf_token(key, binding))
    if presented is not None and presented != csrf_token(key, binding):
        assert not csrf_matches(key, binding, presented)
    assert not csrf_matches(key, binding, None)
