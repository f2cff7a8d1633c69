"""Values of a field: Python and JSON literals, samples, distinct valid values, violations."""

from __future__ import annotations

import datetime
import json
import re
import uuid
from collections.abc import Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any, cast

from generator.entities.kinds import DECIMAL_PLACES, TEXTS, UUID_BASE, Bound

if TYPE_CHECKING:
    from generator.entities.fields import FieldSpec


def _literal(value: object) -> str:
    if isinstance(value, Decimal):
        return f'Decimal("{value:.{DECIMAL_PLACES}f}")'
    if isinstance(value, datetime.datetime):
        parts = [value.year, value.month, value.day, value.hour, value.minute]
        if value.second or value.microsecond:
            parts.append(value.second)
        if value.microsecond:
            parts.append(value.microsecond)
        return f"datetime.datetime({', '.join(map(str, parts))}, tzinfo=datetime.UTC)"
    if isinstance(value, datetime.date):
        return f"datetime.date({value.year}, {value.month}, {value.day})"
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, uuid.UUID):
        return f'uuid.UUID("{value}")'
    return repr(value)


def _words(value: Bound) -> str:
    """A bound as a person writes it: ``0``, ``0.5``, ``2030-01-31``."""
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    if isinstance(value, float):
        return f"{value:g}"
    return str(json_value(value))


def json_value(value: object) -> object:
    """A declared value (bound, default, sample) as the API and its schema write it in JSON."""
    if isinstance(value, Decimal):
        return f"{value:.{DECIMAL_PLACES}f}"
    if isinstance(value, datetime.datetime):
        return value.isoformat().replace("+00:00", "Z")
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    return value


def _json_literal(value: object) -> str:
    """``value`` as the API writes it in JSON, as a Python expression."""
    return _literal(json_value(value))


def _step(value: Bound, direction: int) -> Bound:
    """The nearest value beyond a bound: one unit (a day for dates) in ``direction``."""
    if isinstance(value, datetime.date):
        return value + datetime.timedelta(days=direction)
    return value + direction


def _fit(field: FieldSpec, text: str, length: int | None = None) -> str:
    """``text`` padded or cut to a length the field accepts (or exactly ``length``)."""
    low = field.min_length or 1
    high = field.max_length or max(low, len(text))
    size = length if length is not None else min(max(len(text), low), high)
    return (text + "x" * size)[:size]


def _not_a_value(values: Sequence[str]) -> str:
    """A text no longer than the values that is not one: only the CHECK may refuse it.

    Values are snake_case, so they never start with ``_``.
    """
    return "_" + values[0][1:]


def _mismatch(field: FieldSpec) -> str | None:
    """A value of an accepted length that the pattern refuses, if one is easily found."""
    assert field.anchored_pattern is not None  # noqa: S101 - only called for patterns
    compiled = re.compile(field.anchored_pattern)
    for seed in ("!", "a", "A", "0", "-", " ", "Z9", "zz"):
        candidate = _fit(field, seed * (field.min_length or 1))
        if compiled.search(candidate) is None:
            return candidate
    return None


def _accepts(field: FieldSpec, value: object) -> bool:
    """Whether ``value`` (of the field's type) meets every constraint of ``field``."""
    if isinstance(value, str) and field.type != "enum":
        if not _fits_lengths(field, value):
            return False
        return field.anchored_pattern is None or bool(re.search(field.anchored_pattern, value))
    bounded = cast("Any", value)
    return (field.minimum is None or bounded >= field.minimum) and (
        field.maximum is None or bounded <= field.maximum
    )


def _variants(text: str) -> list[str]:
    """Texts one edit away from ``text``: a character replaced by a sibling, or repeated."""
    siblings = ("0123456789", "abcdefghijklmnopqrstuvwxyz", "ABCDEFGHIJKLMNOPQRSTUVWXYZ")
    found: list[str] = []
    for index in reversed(range(len(text))):
        for alphabet in siblings:
            if text[index] in alphabet:
                found += [text[:index] + other + text[index + 1 :] for other in alphabet]
        found.append(text[:index] + text[index] + text[index:])
    return found


def _text_candidates(texts: Sequence[str], count: int) -> list[object]:
    """The texts, then those one edit away, then (a bounded number) two edits away."""
    first: list[str] = [*texts]
    for text in texts:
        first += _variants(text)
    candidates: list[object] = list(first)
    for text in first:
        if len(candidates) > count * 50:
            break
        candidates += _variants(text)
    return candidates


def _bound_candidates(field: FieldSpec, found: Sequence[object], count: int) -> list[object]:
    """Up from the samples, then down (where a bound stops that), then even fractions."""
    candidates: list[object] = []
    up: Any = found[-1]
    down: Any = found[0]
    for _ in range(count * 2):
        up = _step(up, 1)
        candidates.append(up)
    for _ in range(count * 2):
        down = _step(down, -1)
        candidates.append(down)
    low, high = cast("Any", field.minimum), cast("Any", field.maximum)
    if field.type in {"float", "decimal"} and low is not None and high is not None:
        quantum = Decimal(1).scaleb(-DECIMAL_PLACES)
        for step in range(1, count * 2):
            fraction = low + (high - low) * step / (count * 2)
            candidates.append(
                fraction.quantize(quantum) if isinstance(fraction, Decimal) else fraction
            )
    return candidates


def distinct_values(field: FieldSpec, count: int) -> list[object]:
    """``count`` distinct values meeting every constraint, starting with the two samples.

    Texts are derived from the samples (for a pattern, its examples) by one or two edits;
    numbers and dates count up (or down) from the samples. Fewer than ``count`` if the
    field's constraints admit fewer (or the edits find fewer).
    """
    found: list[object] = []
    for value in _sample_values(field):
        if value not in found:
            found.append(value)
    candidates: list[object]
    if field.type == "enum":
        candidates = list(field.values)
    elif field.type == "uuid":
        candidates = [uuid.UUID(int=UUID_BASE | n) for n in range(1, count + 1)]
    elif field.type == "bool":
        candidates = []
    elif field.type in {"str", "text"}:
        candidates = _text_candidates([str(value) for value in found], count)
    else:
        candidates = _bound_candidates(field, found, count)
    for candidate in candidates:
        if len(found) >= count:
            break
        if candidate not in found and _accepts(field, candidate):
            found.append(candidate)
    return found


def _sample_values(field: FieldSpec) -> tuple[object, object]:
    """The field's sample and other sample: fixed per type unless constraints narrow them."""
    if field.plain and field.kind.samples is not None:
        return field.kind.samples
    return _valid_values(field)


def _valid_values(field: FieldSpec) -> tuple[object, object]:
    """Two distinct values meeting every constraint of ``field``."""
    if field.type == "enum":
        return field.values[0], field.values[1]
    if field.pattern is not None:
        return field.examples[0], field.examples[1]
    if field.type in {"str", "text"}:
        first, second = ("alpha", "beta") if field.type == "str" else TEXTS
        return _fit(field, first), _fit(field, second)
    low, high = field.minimum, field.maximum
    start: Bound
    if low is not None:
        start = low
    elif high is not None:
        start = _step(high, -1)
    else:
        assert field.kind.start is not None  # noqa: S101 - every bounded kind has one
        start = field.kind.start
    after: Any = _step(start, 1)
    if high is not None and after > high:
        after = (cast("Any", start) + high) / 2 if field.type in {"float", "decimal"} else high
    if isinstance(after, Decimal):
        after = after.quantize(Decimal(1).scaleb(-DECIMAL_PLACES))
    return start, after


def _fits_lengths(field: FieldSpec, value: str) -> bool:
    low = field.min_length or 1
    return low <= len(value) <= (field.max_length or len(value))
