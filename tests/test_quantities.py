"""Quantity parsing and the memory-limit arithmetic, checked as properties (hypothesis)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.quantities import GI, MI, QuantityError, doubled_memory, format_bytes, parse

BINARY = {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40}
DECIMAL = {"k": 10**3, "M": 10**6, "G": 10**9, "T": 10**12}


@given(st.integers(min_value=0, max_value=10**6), st.sampled_from(sorted({**BINARY, **DECIMAL})))
def test_parse_knows_every_suffix(n, suffix):
    assert parse(f"{n}{suffix}") == n * {**BINARY, **DECIMAL}[suffix]


@given(st.integers(min_value=1, max_value=2**50))
def test_format_round_trips(n):
    assert parse(format_bytes(Decimal(n))) == n


@given(st.integers(min_value=1, max_value=64 * 2**30))
def test_doubling_rounds_up_to_a_whole_mi_or_gi(n):
    q = doubled_memory(Decimal(n))
    assert q >= 2 * n
    unit = GI if q >= GI else MI
    assert q % unit == 0
    assert q - 2 * n < unit


def test_equal_quantities_written_differently_compare_equal():
    assert parse("1Gi") == parse("1024Mi") == parse("1073741824")
    assert parse("900M") < parse("1Gi") < parse("1.1G")
    assert parse("0.5Gi") == parse("512Mi")


@pytest.mark.parametrize("bad", ["", "lots", "1GG", "Gi", "1.2.3Mi", "--1", None, True, "1e400000"])
def test_what_is_not_a_quantity_is_refused(bad):
    with pytest.raises(QuantityError):
        parse(bad)
