"""accounts/grants.py: the one rule for an amount of credits, and when a grant fits a
balance (the stores' condition, in Python)."""

from __future__ import annotations

import pytest

from imagegate.accounts.grants import (
    MAX_BALANCE_MILLI,
    MAX_CREDITS,
    amount_milli,
    grant_fits,
    grant_milli,
    initial_milli,
    refusal,
)


@pytest.mark.parametrize(("value", "milli"), [
    (1, 1000), (-1, -1000), (0.001, 1), (2.5, 2500), (0.1, 100), (1e-3, 1),
    (MAX_CREDITS, MAX_BALANCE_MILLI), (-float(MAX_CREDITS), -MAX_BALANCE_MILLI),
    (123456789.123, 123456789123),
    # Binary floating point's nearest to a 3-decimal amount is that amount (a schema's
    # multipleOf 0.001 generates 4097 * 0.001 == 4.0969999999999995; JavaScript's 0.1 + 0.2).
    (4097 * 0.001, 4097), (0.1 + 0.2, 300),
])
def test_amounts_are_exact_millicredits(value: float, milli: int) -> None:
    assert amount_milli(value) == milli


@pytest.mark.parametrize(("value", "words"), [
    (True, "not a boolean"), ("50", "not a string"), (None, "not null"), ({}, "not an object"),
    (0.0001, "at most 3 decimals"), (0.3001, "at most 3 decimals"),
    (123456789.0001, "at most 3 decimals"),
    (float("nan"), "finite"), (float("-inf"), "finite"),
    (MAX_CREDITS + 1, "must be between"), (10**30, "must be between"),
])
def test_what_is_not_an_amount_says_why(value: object, words: str) -> None:
    with pytest.raises(ValueError, match=words):
        amount_milli(value)


def test_a_grant_is_not_zero_and_first_credits_not_negative() -> None:
    with pytest.raises(ValueError, match="must not be 0"):
        grant_milli(0.0)
    assert grant_milli(-5) == -5000 and initial_milli(0) == 0
    with pytest.raises(ValueError, match="0 or more"):
        initial_milli(-0.001)


def test_a_grant_fits_between_zero_and_the_most_a_balance_holds() -> None:
    assert grant_fits(100, -100) and not grant_fits(100, -101)
    assert grant_fits(MAX_BALANCE_MILLI - 1, 1) and not grant_fits(MAX_BALANCE_MILLI, 1)
    # A balance already below zero (an old row) may be credited back up, never debited.
    assert grant_fits(-500, 1) and not grant_fits(-500, -1)
    assert "the balance is 0.1" in refusal(100, -1050) and "take at most 0.1" in refusal(
        100, -1050
    )
    assert "take at most 0" in refusal(-500, -1)
