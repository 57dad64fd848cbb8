"""Kubernetes resource quantities, parsed by the official client and compared as numbers.

"1Gi" and "1024Mi" are the same limit and "900M" is less than "1Gi": comparing the strings would get
both wrong. Parsing is `kubernetes.utils.parse_quantity` (the client's implementation of the
apimachinery grammar); formatting back chooses the largest binary unit that represents the value
exactly, as people write memory.
"""

from __future__ import annotations

import math
from decimal import Decimal, InvalidOperation

from kubernetes.utils import parse_quantity

MI = Decimal(2**20)
GI = Decimal(2**30)
MAX = Decimal(2**63)  # apimachinery keeps quantities in an int64 of their smallest unit
_BINARY = (("Ei", Decimal(2**60)), ("Pi", Decimal(2**50)), ("Ti", Decimal(2**40)), ("Gi", GI), ("Mi", MI),
           ("Ki", Decimal(2**10)))


class QuantityError(ValueError):
    """Not a Kubernetes quantity."""


def parse(value: object) -> Decimal:
    if isinstance(value, bool) or value is None:
        raise QuantityError(f"not a quantity: {value!r}")
    try:
        q = parse_quantity(value)
    except (ValueError, TypeError, InvalidOperation) as e:
        raise QuantityError(f"not a quantity: {value!r}") from e
    if not q.is_finite() or abs(q) >= MAX:
        raise QuantityError(f"not a quantity (or larger than Kubernetes can store): {value!r}")
    return q


def is_quantity(value: object) -> bool:
    try:
        parse(value)
    except QuantityError:
        return False
    return True


def format_bytes(q: Decimal) -> str:
    """The largest binary unit that holds q exactly (512Mi, 2Gi), else plain bytes."""
    for suffix, factor in _BINARY:
        if q >= factor and q % factor == 0:
            return f"{int(q // factor)}{suffix}"
    return str(int(q)) if q == q.to_integral_value() else str(q)


def doubled_memory(current: Decimal) -> Decimal:
    """Twice the current limit, rounded up to a whole Gi from 1Gi on, else to a whole Mi."""
    target = current * 2
    if target >= GI:
        return Decimal(math.ceil(target / GI)) * GI
    return Decimal(max(math.ceil(target / MI), 1)) * MI
