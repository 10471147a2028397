"""``format_cents`` writes exactly what ``str(from_cents(cents))`` writes (the Decimal path),
for every integer a BigIntegerField holds."""

from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from economy.money import format_cents, from_cents


@given(st.integers(min_value=-(2**63), max_value=2**63 - 1))
def test_integer_cents_are_written_as_the_decimal_path_writes_them(cents):
    assert format_cents(cents) == str(from_cents(cents))


def test_edges():
    assert [format_cents(c) for c in (0, 5, -5, 100, -101, 123456)] == [
        "0.00",
        "0.05",
        "-0.05",
        "1.00",
        "-1.01",
        "1234.56",
    ]
    assert format_cents(Decimal(250)) == "2.50"  # not an int: the Decimal path
