import ast
import json
import tomllib
from collections import OrderedDict
from pathlib import Path

import pytest
import yaml
from jinja2 import Environment, StrictUndefined
from pytest_copie.plugin import Copie

from generator import versions
from generator.entities import EntitySpec, rules
from generator.filters import FILTERS, FiltersExtension, pinned, python
from generator.naming import quoted
from generator.pyimports import wrapped
from tests.conftest import THREE_ENTITIES, render_with


def _environment() -> Environment:
    # Copier renders code, not HTML: no autoescaping, as in Copier itself.
    return Environment(
        extensions=[FiltersExtension],
        undefined=StrictUndefined,
        autoescape=False,  # noqa: S701
    )


def test_the_extension_registers_every_filter() -> None:
    environment = _environment()

    assert set(FILTERS) <= set(environment.filters)
    rendered = environment.from_string(
        "{{ name | snake_case }} {{ name | kebab_case }} {{ name | plural | pascal_case }}"
    ).render(name="LineItem")
    assert rendered == "line_item line-item LineItems"


def test_pinned_uses_the_version_table() -> None:
    assert pinned("fastapi") == f"fastapi=={versions.RUNTIME['fastapi']}"
    assert pinned("uvicorn[standard]") == f"uvicorn[standard]=={versions.RUNTIME['uvicorn']}"
    settings_version = versions.RUNTIME["pydantic-settings"]
    assert pinned("pydantic_settings") == f"pydantic_settings=={settings_version}"


@pytest.mark.parametrize("requirement", ["left-pad", "fastapi>=1", ""])
def test_pinned_refuses_what_the_table_does_not_pin(requirement: str) -> None:
    with pytest.raises(KeyError):
        pinned(requirement)


def test_an_unknown_pin_fails_the_render() -> None:
    with pytest.raises(KeyError, match="version table"):
        _environment().from_string("{{ 'requests' | pinned }}").render()


def test_every_pin_is_exact() -> None:
    for name, version in versions.ALL.items():
        assert version[0].isdigit(), name
        assert not set(version) & set("<>=~!*, "), name


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("plain", '"plain"'),
        ('say "hi"', '"say \\"hi\\""'),
        ("back\\slash", '"back\\\\slash"'),
        ("Zoë", '"Zoë"'),
    ],
)
def test_quoted_is_a_valid_literal_in_python_json_and_toml(value: str, expected: str) -> None:
    assert quoted(value) == expected
    assert ast.literal_eval(quoted(value)) == value
    assert json.loads(quoted(value)) == value
    assert tomllib.loads(f"key = {quoted(value)}")["key"] == value


def test_every_copier_template_gets_the_entity_model_once() -> None:
    environment = _environment()
    entities = [
        {"name": "Task", "fields": {"title": "str"}},
        {"name": "Tag", "fields": {"a": "str"}},
    ]
    copier = {"_copier_conf": {}, "entities": entities}

    names = environment.from_string("{{ model.specs | map(attribute='name') | join(',') }}")
    one = environment.from_string("{{ model.of(entity).table }} {{ model.specs[0].name }}")

    assert names.render(copier) == "Task,Tag"
    assert one.render(copier | {"entity": entities[1]}) == "tags Task"
    # Outside Copier's rendering (no _copier_conf), and for an invalid answer, no model.
    assert environment.from_string("{{ model is defined }}").render(entities=entities) == "False"
    invalid = {"_copier_conf": {}, "entities": [{"name": "task"}]}
    assert environment.from_string("{{ model is defined }}").render(invalid) == "False"


def test_a_render_parses_the_entities_answer_once(
    copie: Copie, template_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    parses: list[object] = []
    parse = rules._parse_entities

    def counted(raw: object) -> list[EntitySpec]:
        parses.append(raw)
        return parse(raw)

    monkeypatch.setattr(rules, "_parse_entities", counted)
    monkeypatch.setattr(rules, "_PARSED", OrderedDict())
    answers = {"entities": yaml.safe_dump(THREE_ENTITIES, sort_keys=False)}

    render_with(copie, template_dir, answers)

    assert len(parses) == 1


@pytest.mark.parametrize(
    ("values", "kind", "literal"),
    [
        (["a", "b"], "list", '["a", "b"]'),
        (["a"], "tuple", '("a",)'),
        ([], "tuple", "()"),
        ([], "set", "set()"),
        (["é"], "frozenset", 'frozenset({"é"})'),
        ({"project_id": "Project"}, "list", '{"project_id": "Project"}'),
    ],
)
def test_python_writes_literals_of_strings(values: object, kind: str, literal: str) -> None:
    assert python(values, kind) == literal  # type: ignore[arg-type]


def test_python_with_a_head_lays_out_as_ruff_format_does() -> None:
    assert python(["a", "b"], head="NAMES = ") == 'NAMES = ["a", "b"]'
    assert python([], head="EMPTY: list[str] = ") == "EMPTY: list[str] = []"
    assert python(["a"], "tuple", head="ONE = ") == 'ONE = ("a",)'
    long = ["x" * 50, "y" * 50]
    assert python(long, head="LONG = ", indent=4) == (
        f'LONG = [\n        "{long[0]}",\n        "{long[1]}",\n    ]'
    )
    with pytest.raises(ValueError, match="lists, tuples and sets only"):
        python({"a": "b"}, head="MAP = ")


def test_wrapped_lays_out_as_ruff_format_does() -> None:
    assert wrapped(["a", "b"], "f", indent=4) == "f(a, b)"
    assert wrapped(["x" * 50, "y" * 50], "f", indent=4) == (
        f"f(\n        {'x' * 50},\n        {'y' * 50},\n    )"
    )
    assert wrapped(["'" + "s" * 90 + "'"], "op.execute", indent=4, hug=True) == (
        "op.execute(\n        '" + "s" * 90 + "'\n    )"
    )
    assert wrapped(["Index(x)"], "args = ", indent=4, one_tuple=True) == "args = (Index(x),)"
    # An item that spans lines never shares one.
    assert wrapped(["F(\n)"], indent=0, tail=",") == "(\n    F(\n),\n),"
