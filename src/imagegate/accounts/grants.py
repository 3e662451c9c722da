"""What an operator may grant: the one rule for an amount of credits given to (or taken from)
an account, for a top-up and for an account's first credits alike.

An amount is a JSON number: a boolean is not 1 credit and the string ``"50"`` is not 50 (a
client that sends them has a bug worth seeing). It is finite, a whole number of millicredits
(the ledger's unit: at most three decimals, so 0.0001 is refused instead of rounding to a
grant of nothing), and within ``MAX_CREDITS`` either way. A top-up is not zero (it would
answer success and change nothing); an account's first credits may be zero but not negative.

A negative top-up takes credits back, and only down to zero: the store refuses a grant that
would leave the balance below zero or above ``MAX_BALANCE_MILLI`` (errors.py's
``GrantRefused``) in the same statement that moves it, so two debits at once cannot both pass
a check made before either wrote.
"""

from __future__ import annotations

import math
from decimal import Decimal

from imagegate.catalog.pricing import MILLI, milli_to_credits

# One grant's limit either way: past it an amount is a typo (and past ~9e15 it would no longer
# fit the ledger's 64-bit integers as millicredits).
MAX_CREDITS = 1_000_000_000_000
# The most a balance may hold, so that no sum of grants overflows the balance's column.
MAX_BALANCE_MILLI = MAX_CREDITS * MILLI


def grant_fits(balance_milli: int, delta_milli: int) -> bool:
    """Whether a grant may move this balance: a debit only down to zero, a credit only up to
    ``MAX_BALANCE_MILLI`` (a balance already outside, an old row's, may still move back in).
    The SQL stores say the same in their UPDATE's condition (db/queries.py)."""
    new = balance_milli + delta_milli
    return (delta_milli >= 0 or new >= 0) and (delta_milli <= 0 or new <= MAX_BALANCE_MILLI)


def refusal(balance_milli: int, delta_milli: int) -> str:
    """Why a grant of ``delta_milli`` to a balance of ``balance_milli`` is refused."""
    balance = milli_to_credits(balance_milli)
    if delta_milli < 0:
        return (
            f"taking {milli_to_credits(-delta_milli)} credits would leave the balance below"
            f" zero (the balance is {balance}); take at most {max(balance, 0)}"
        )
    return f"the balance ({balance}) would pass the most an account may hold ({MAX_CREDITS})"


def grant_milli(value: object) -> int:
    """A top-up's amount (negative: a debit) in millicredits; ``ValueError`` says what is
    wrong with it."""
    milli = amount_milli(value)
    if milli == 0:
        raise ValueError("must not be 0: a grant of nothing changes nothing")
    return milli


def initial_milli(value: object) -> int:
    """An account's first credits in millicredits (zero allowed, never negative)."""
    milli = amount_milli(value)
    if milli < 0:
        raise ValueError(f"must be 0 or more (got {value!r}); an account starts with no debt")
    return milli


def amount_milli(value: object) -> int:
    """Any amount of credits, exact, in millicredits; ``ValueError`` when it is not a finite
    JSON number of at most three decimals within ``MAX_CREDITS`` either way."""
    # bool is an int in Python: refuse it before the number check lets it through as 1.
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"must be a number, not {json_type(value)} ({value!r:.60})")
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError(f"must be a finite number (got {value!r})")
    if abs(value) > MAX_CREDITS:
        raise ValueError(f"must be between -{MAX_CREDITS} and {MAX_CREDITS} (got {value!r})")
    # The decimal the client wrote (repr of a float is its shortest round-trip form), so 0.1
    # is 100 millicredits exactly and 0.0001 is seen as the fourth decimal it is.
    exact = Decimal(repr(value)) * MILLI
    whole = exact.to_integral_value()
    # Within two units of the float's last place of a millicredit is that millicredit:
    # 4097 * 0.001 computed in binary floating point is 4.0969999999999995, which a client
    # (or a schema's multipleOf) means as 4.097. A real fourth decimal (0.0001) is far off
    # and still refused.
    slack = max(Decimal("1e-9"), Decimal(math.ulp(float(value))) * 2 * MILLI)
    if abs(exact - whole) > slack:
        raise ValueError(
            f"must be a whole number of millicredits, at most 3 decimals (got {value!r})"
        )
    return int(whole)


def json_type(value: object) -> str:
    """The JSON type a parsed value came from, for a refusal's words."""
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, str):
        return "a string"
    if value is None:
        return "null"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__
