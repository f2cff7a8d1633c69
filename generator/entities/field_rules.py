"""The rules of one field: its type, constraints, enum values and relations."""

import keyword
import re
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any, Final

from generator import naming
from generator.entities.declared import (
    _PASCAL,
    _SHADOWING_FIELDS,
    _SNAKE,
    _TYPE,
    DEFAULT_MAX_LENGTH,
    MAX_ENUM_VALUES,
    MAX_FIELD_NAME,
    MAX_LENGTH_LIMIT,
    MAX_STATE_NAME,
    ON_DELETE,
    RESERVED_FIELDS,
    UNIQUE_ROWS,
    EntityRuleError,
)
from generator.entities.fields import FieldSpec, Many, Relation
from generator.entities.kinds import BOUNDED_TYPES, FIELD_TYPES, KINDS, UNIQUE_TYPES
from generator.entities.values import _fits_lengths, distinct_values


def _check_field_name(where: str, name: str) -> None:
    if len(name) > MAX_FIELD_NAME:
        message = f"{where}: the name must be at most {MAX_FIELD_NAME} characters"
        raise EntityRuleError(message)
    if not _SNAKE.fullmatch(name):
        message = f"{where}: the name must be snake_case (lowercase words joined by '_')"
        raise EntityRuleError(message)
    if keyword.iskeyword(name) or keyword.issoftkeyword(name) or name == "type":
        message = f"{where}: the name is a Python keyword"
        raise EntityRuleError(message)
    if name in RESERVED_FIELDS:
        reserved = ", ".join(sorted(RESERVED_FIELDS))
        message = f"{where}: the name is reserved; the template adds {reserved} itself"
        raise EntityRuleError(message)
    if name in _SHADOWING_FIELDS or name.startswith("model_"):
        message = f"{where}: the name would shadow a Pydantic or SQLAlchemy attribute"
        raise EntityRuleError(message)


_SCALAR_KEYS: Final = (
    "type", "max_length", "min_length", "min", "max", "pattern", "examples", "default", "unique",
)  # fmt: skip


_KEYS: Final[dict[str, tuple[str, ...]]] = {
    "enum": ("enum", "type", "default", "unique"),
    "belongs_to": ("belongs_to", "on_delete"),
    "many": ("many",),
}


#: Constructs Python's ``re`` and Pydantic's Rust engine read differently, or only one reads.
_NON_PORTABLE_REGEX: Final = re.compile(r"\(\?[=!<]|\(\?P=|\\[1-9]|\(\?[aiLmsux]")


def _unknown_keys(where: str, spec: Mapping[str, Any], allowed: Sequence[str]) -> None:
    if unknown := set(spec) - set(allowed):
        message = f"{where}: unknown keys {sorted(unknown)}; allowed: {', '.join(allowed)}"
        raise EntityRuleError(message)


def _whole(where: str, key: str, value: object, low: int, high: int) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        message = f"{where}: {key} must be a whole number from {low} to {high}"
        raise EntityRuleError(message)
    return value


def _parse_relation(where: str, name: str, spec: Mapping[str, Any]) -> FieldSpec:
    _unknown_keys(where, spec, _KEYS["belongs_to"])
    target = str(spec["belongs_to"])
    optional = target.endswith("?")
    target = target.removesuffix("?")
    if not _PASCAL.fullmatch(target):
        message = f"{where}: belongs_to {spec['belongs_to']!r} must name an entity (e.g. Project)"
        raise EntityRuleError(message)
    on_delete = spec.get("on_delete", "restrict")
    if on_delete not in ON_DELETE:
        message = f"{where}: on_delete {on_delete!r} is not one of {', '.join(ON_DELETE)}"
        raise EntityRuleError(message)
    if on_delete == "set_null" and not optional:
        message = (
            f"{where}: on_delete set_null needs an optional relation "
            f"(belongs_to: '{target}?'); a required one cannot be null"
        )
        raise EntityRuleError(message)
    column = f"{name}_id"
    if len(column) > MAX_FIELD_NAME:
        message = f"{where}: its column {column!r} must be at most {MAX_FIELD_NAME} characters"
        raise EntityRuleError(message)
    return FieldSpec(column, "uuid", optional, None, relation=Relation(name, target, on_delete))


def _parse_enum(where: str, entity: str, name: str, spec: Mapping[str, Any]) -> FieldSpec:
    _unknown_keys(where, spec, _KEYS["enum"])
    kind = spec.get("type", "enum")
    if kind not in {"enum", "enum?"}:
        message = f"{where}: type must be 'enum' or 'enum?' when enum values are given"
        raise EntityRuleError(message)
    values = spec["enum"]
    if (
        not isinstance(values, list)
        or not 2 <= len(values) <= MAX_ENUM_VALUES  # noqa: PLR2004 - one value is a constant
        or len(set(map(str, values))) != len(values)
    ):
        message = f"{where}: enum must list 2 to {MAX_ENUM_VALUES} distinct values"
        raise EntityRuleError(message)
    for value in values:
        if not isinstance(value, str) or not _SNAKE.fullmatch(value) or len(value) > MAX_STATE_NAME:
            message = (
                f"{where}: enum value {value!r} must be snake_case, "
                f"at most {MAX_STATE_NAME} characters"
            )
            raise EntityRuleError(message)
    field = FieldSpec(
        name,
        "enum",
        kind == "enum?",
        None,
        unique=_flag(where, spec),
        values=tuple(values),
        enum_class=f"{entity}{naming.pascal_case(name)}",
    )
    if "default" in spec:
        if spec["default"] not in values:
            message = f"{where}: default {spec['default']!r} is not one of {values}"
            raise EntityRuleError(message)
        field = replace(field, default=spec["default"], has_default=True)
    return field


def _flag(where: str, spec: Mapping[str, Any]) -> bool:
    value = spec.get("unique", False)
    if not isinstance(value, bool):
        message = f"{where}: unique must be true or false"
        raise EntityRuleError(message)
    return value


def _parse_pattern(where: str, spec: Mapping[str, Any], field: FieldSpec) -> FieldSpec:
    pattern = spec["pattern"]
    if not isinstance(pattern, str) or not pattern:
        message = f"{where}: pattern must be a non-empty regular expression"
        raise EntityRuleError(message)
    try:
        compiled = re.compile(f"^(?:{pattern})$")
    except re.error as error:
        message = f"{where}: pattern {pattern!r} does not compile: {error}"
        raise EntityRuleError(message) from None
    if _NON_PORTABLE_REGEX.search(pattern):
        message = (
            f"{where}: pattern {pattern!r} uses look-around, back-references or inline "
            "flags, which Pydantic's regular-expression engine does not read"
        )
        raise EntityRuleError(message)
    examples = spec.get("examples")
    if (
        not isinstance(examples, list)
        or len(examples) != 2  # noqa: PLR2004 - the tests need two distinct values
        or not all(isinstance(example, str) for example in examples)
        or examples[0] == examples[1]
    ):
        message = (
            f"{where}: a pattern needs examples: two distinct values it matches "
            "(the rendered tests use them)"
        )
        raise EntityRuleError(message)
    field = replace(field, pattern=pattern, examples=tuple(examples))
    for example in examples:
        if compiled.search(example) is None or not _fits_lengths(field, example):
            message = (
                f"{where}: example {example!r} does not match the pattern "
                "(anchored: it must match the whole value) and the lengths"
            )
            raise EntityRuleError(message)
    return field


def _lengths(where: str, spec: Mapping[str, Any], kind: str) -> tuple[int | None, int | None]:
    """The checked ``(min_length, max_length)`` of a field."""
    lengths = {"max_length": spec.get("max_length"), "min_length": spec.get("min_length")}
    for key, value in lengths.items():
        if value is None:
            continue
        allowed = {"str"} if key == "max_length" else {"str", "text"}
        if kind not in allowed:
            message = f"{where}: {key} applies to {' and '.join(sorted(allowed))} fields only"
            raise EntityRuleError(message)
        _whole(where, key, value, 1, MAX_LENGTH_LIMIT)
    max_length = lengths["max_length"]
    if kind == "str" and max_length is None:
        max_length = DEFAULT_MAX_LENGTH
    min_length = lengths["min_length"]
    if min_length is not None and max_length is not None and min_length > max_length:
        message = f"{where}: min_length {min_length} is greater than max_length {max_length}"
        raise EntityRuleError(message)
    return min_length, max_length


def _parse_scalar(where: str, spec: Mapping[str, Any], kind: str, *, nullable: bool) -> FieldSpec:
    _unknown_keys(where, spec, _SCALAR_KEYS)
    if "examples" in spec and "pattern" not in spec:
        message = f"{where}: examples go with a pattern"
        raise EntityRuleError(message)
    min_length, max_length = _lengths(where, spec, kind)
    field = FieldSpec(
        "", kind, nullable, max_length, min_length=min_length, unique=_flag(where, spec)
    )
    if "pattern" in spec:
        if not KINDS[kind].textual:
            message = f"{where}: pattern applies to str and text fields only"
            raise EntityRuleError(message)
        field = _parse_pattern(where, spec, field)
    bounds: dict[str, Any] = {}
    for key in ("min", "max"):
        if key in spec:
            if kind not in BOUNDED_TYPES:
                message = f"{where}: {key} applies to int, float, decimal, date and datetime fields"
                raise EntityRuleError(message)
            bounds[key] = KINDS[kind].coerce(where, key, spec[key])
    if "min" in bounds and "max" in bounds and not bounds["min"] < bounds["max"]:
        message = f"{where}: min {spec['min']!r} must be less than max {spec['max']!r}"
        raise EntityRuleError(message)
    field = replace(field, minimum=bounds.get("min"), maximum=bounds.get("max"))
    if field.unique and kind not in UNIQUE_TYPES:
        allowed = ", ".join(sorted(UNIQUE_TYPES))
        message = f"{where}: unique applies to {allowed} fields (not {kind})"
        raise EntityRuleError(message)
    if "default" in spec:
        field = replace(
            field, default=_checked_default(where, field, spec["default"]), has_default=True
        )
    return field


def _checked_default(where: str, field: FieldSpec, raw: object) -> object:
    value = field.kind.coerce(where, "default", raw)
    problem = ""
    if isinstance(value, str) and field.type in {"str", "text"}:
        if not _fits_lengths(field, value) or not value.strip():
            problem = "breaks the length limits"
        elif field.anchored_pattern and not re.search(field.anchored_pattern, value):
            problem = "does not match the pattern"
    if field.minimum is not None and value < field.minimum:  # type: ignore[operator]
        problem = f"is below min {field.minimum}"
    if field.maximum is not None and value > field.maximum:  # type: ignore[operator]
        problem = f"is above max {field.maximum}"
    if problem:
        message = f"{where}: default {raw!r} {problem}"
        raise EntityRuleError(message)
    return value


def _parse_field(entity: str, name: str, raw: str | Mapping[str, Any]) -> FieldSpec | Many:
    where = f"entity {entity!r}, field {name!r}"
    _check_field_name(where, name)
    spec = dict(raw) if isinstance(raw, Mapping) else {"type": raw}
    kinds = [key for key in ("enum", "belongs_to", "many") if key in spec]
    if len(kinds) > 1:
        message = f"{where}: use one of enum, belongs_to and many, not {' and '.join(kinds)}"
        raise EntityRuleError(message)
    if kinds == ["belongs_to"]:
        return _parse_relation(where, name, spec)
    if kinds == ["many"]:
        _unknown_keys(where, spec, _KEYS["many"])
        target = str(spec["many"])
        if not _PASCAL.fullmatch(target):
            message = f"{where}: many {spec['many']!r} must name an entity (e.g. Tag)"
            raise EntityRuleError(message)
        return Many(name, target, entity)
    if kinds == ["enum"]:
        return _check_unique(where, replace(_parse_enum(where, entity, name, spec), name=name))
    match = _TYPE.fullmatch(str(spec.get("type", "")))
    if match is None or match["type"] not in FIELD_TYPES or match["type"] == "enum":
        allowed = ", ".join(FIELD_TYPES)
        message = (
            f"{where}: type {spec.get('type')!r} is not one of {allowed} "
            "(add '?' for a nullable field, e.g. 'date?'; enums list their values: "
            "{enum: [low, high]}; relations: {belongs_to: Project} or {many: Tag})"
        )
        raise EntityRuleError(message)
    field = _parse_scalar(where, spec, match["type"], nullable=bool(match["nullable"]))
    return _check_unique(where, replace(field, name=name))


def _check_unique(where: str, field: FieldSpec) -> FieldSpec:
    """Refuse a unique field whose constraints admit too few values for the rendered tests."""
    if field.unique and len(distinct_values(field, UNIQUE_ROWS)) < UNIQUE_ROWS:
        hint = "wider bounds"
        if field.pattern:
            hint = "examples that differ in a digit or letter"
        elif field.type == "enum":
            hint = "more values"
        message = (
            f"{where}: unique needs at least {UNIQUE_ROWS} distinct valid values (the rendered "
            f"tests create that many rows, each with its own value); give {hint}"
        )
        raise EntityRuleError(message)
    return field
