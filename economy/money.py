"""Tokens are money: stored as integer hundredths ("cents"), shown as strings with 2 places.

Integers are exact on every database (SQLite keeps a DecimalField as a float), and
``UPDATE ... SET balance = balance - n`` on integers never rounds.
"""

from decimal import Decimal, InvalidOperation

CENT = Decimal("0.01")


def to_cents(amount: Decimal | str | int) -> int:
    """Convert an exact amount with at most 2 decimal places to integer cents.

    Raises ValueError for anything that is not a finite number with ≤ 2 places.
    """
    try:
        value = amount if isinstance(amount, Decimal) else Decimal(str(amount))
        if not value.is_finite() or value != value.quantize(CENT):
            raise ValueError(f"{amount!r} is not an amount with at most 2 decimal places")
        return int(value * 100)
    except (InvalidOperation, ArithmeticError) as exc:
        raise ValueError(f"{amount!r} is not an amount with at most 2 decimal places") from exc


def from_cents(cents: int) -> Decimal:
    return (Decimal(cents) / 100).quantize(CENT)


def format_cents(cents: int) -> str:
    """Integer cents as the API's money string: ``1000`` → ``"10.00"``, ``-5`` → ``"-0.05"``
    (what ``str(from_cents(cents))`` writes, by integer arithmetic)."""
    if type(cents) is not int:
        return str(from_cents(cents))
    whole, part = divmod(abs(cents), 100)
    return f"{'-' if cents < 0 else ''}{whole}.{part:02d}"
