"""What the rendered tests know of each entity: one ``Case(...)`` per entity, as Python.

The rendered service's tests of its entities are written once (``tests/api/test_entities.py``)
and run for every entity of ``tests/cases.py``'s table; this writes that table's entries
from the entity model, so no test template spells an entity's samples itself.
"""

from generator.entities.graph import RelationGraph
from generator.entities.rules import workflow_path
from generator.entities.spec import EntitySpec
from generator.naming import pascal_case
from generator.pyliteral import Node, Raw, call, flat, mapping, sequence, text

#: Rows a list test makes per example when no unique field bounds them.
ROWS_MAX = 8


def _texts(values: list[str], kind: str = "tuple") -> Node:
    return sequence([text(value) for value in values], kind)


def _raws(values: list[str], kind: str = "tuple") -> Node:
    return sequence([Raw(value) for value in values], kind)


def _workflow(spec: EntitySpec) -> Node:
    workflow = spec.workflow
    if workflow is None:
        return Raw("None")
    first = workflow.legal[0][1]
    illegal = [target for source, target in workflow.illegal if source == first]
    return call(
        "Workflow",
        {
            "field": text(workflow.field),
            "states": Raw(spec.status_enum),
            "initial": text(workflow.initial),
            "first": text(first),
            "illegal": text(illegal[0]) if illegal else Raw("None"),
            "once": text(workflow.once) if workflow.once else Raw("None"),
            "legal": sequence([_texts(list(move)) for move in workflow.legal], "tuple"),
            "illegal_moves": sequence([_texts(list(move)) for move in workflow.illegal], "tuple"),
            "paths": mapping(
                {state: _texts(workflow_path(workflow, state)) for state in workflow.states}
            ),
        },
    )


def _domain(spec: EntitySpec) -> dict[str, Node]:
    """What the domain, application and repository tests need: Python values, classes."""
    name, workflow = spec.name, spec.workflow
    blank = spec.first_required_str
    messages = {
        "create": Raw(f"Create{name}"),
        "update": Raw(f"Update{name}"),
        "delete": Raw(f"Delete{name}"),
        "get": Raw(f"Get{name}"),
        "list": Raw(f"List{pascal_case(spec.plural)}"),
    }
    events = {
        "created": Raw(f"{name}Created"),
        "updated": Raw(f"{name}Updated"),
        "deleted": Raw(f"{name}Deleted"),
    }
    if workflow is not None:
        messages["move"] = Raw(f"Change{name}Status")
        events["status_changed"] = Raw(f"{name}StatusChanged")
    return {
        "entity": Raw(name),
        "plural": text(spec.plural),
        "row": Raw(f"{name}Row"),
        "table": text(spec.table),
        "values": mapping({f.name: Raw(f.sample) for f in spec.fields}),
        "edit": Raw(spec.editable.other_sample),
        "unique_values": mapping({f.name: _raws(f.distinct_samples) for f in spec.unique_fields}),
        "forbidden": mapping(
            {f.name: Raw(f.violations[0][1]) for f in spec.fields if f.check is not None}
        ),
        "blank": text(blank.name) if blank else Raw("None"),
        "messages": call("Messages", messages),
        "events": call("Events", events),
    }


def _bad_queries(spec: EntitySpec) -> list[str]:
    queries = []
    if spec.workflow is not None:
        queries.append(f"{spec.workflow.field}=no-such-state")
    if spec.listing:
        queries += ["sort=no_such_key", "sort=-"]
    for field in spec.filters:
        queries.append(f"{field.name}={'perhaps' if field.type == 'bool' else 'no_such_value'}")
    return queries


def _listing(spec: EntitySpec) -> Node:
    if not spec.listing:
        return Raw("None")
    plain = [f for f in spec.listed_fields if not f.unique and f.relation is None]
    unique = spec.unique_fields
    return call(
        "Listing",
        {
            "choices": mapping({f.name: _raws(f.distinct_samples_json, "list") for f in plain}),
            "nullable": _texts([f.name for f in plain if f.nullable], "set"),
            "filters": _texts([f.name for f in spec.filters if f.relation is None], "list"),
            "sorts": _texts([value for value, _, _, _ in spec.sort_keys], "list"),
            "instants": _texts(
                ["created_at", "updated_at"]
                + [f.name for f in spec.listed_fields if f.type == "datetime"],
                "set",
            ),
            "rows_max": Raw(str(len(unique[0].distinct_samples) if unique else ROWS_MAX)),
        },
    )


def _relations(spec: EntitySpec, graph: RelationGraph) -> Node:
    nested = {field.name for field in spec.nested}
    relations: dict[str, Node] = {}
    for field in spec.relations:
        assert field.relation is not None  # noqa: S101 - relations() selects them
        target = graph.of(field.relation.target)
        needs = [parent.name for parent in graph.ancestors(target.name)] + [target.name]
        relations[field.name] = call(
            "Relation",
            {
                "target": text(target.name),
                "needs": _texts(needs),
                "url": text(f"/api/v1/{target.path}"),
                "on_delete": text(field.relation.on_delete),
                "nested": Raw(str(field.name in nested)),
            },
        )
    return mapping(relations)


def case(spec: EntitySpec, graph: RelationGraph) -> Node:
    """``Case(...)`` of one entity (the class is the rendered ``tests/cases.py``'s).

    Arguments that would be empty are left out: the class's defaults.
    """
    editable = spec.editable
    required = spec.required_field
    violations = spec.violations if spec.rich else []
    arguments: dict[str, Node] = {
        "name": text(spec.name),
        "path": text(spec.path),
        "valid": mapping({f.name: Raw(f.sample_json) for f in spec.fields}),
        "compared": _texts([f.name for f in spec.fields if not (f.relation and not f.nullable)]),
        "editable": text(editable.name),
        "edits": _raws([editable.sample_json, editable.other_sample_json]),
        "distinct_edits": _raws(editable.distinct_samples_json[1:]),
        "other_edit": mapping(
            {f.name: Raw(f.other_sample_json) for f in [spec.second_editable] if f}
        ),
        "invalid": mapping({f.name: Raw(f.invalid_json) for f in spec.fields}),
        "required": text(required.name) if required else Raw("None"),
        "bad_queries": _texts(_bad_queries(spec)),
        "text_fields": mapping(
            {
                f.name: text("should match pattern") if f.pattern else Raw("NUL_REFUSED")
                for f in spec.fields
                if f.kind.textual
            }
        ),
        "int_maxima": mapping(
            {
                f.name: Raw("INT32_MAX" if f.maximum is None else str(f.maximum))
                for f in spec.fields
                if f.type == "int"
            }
        ),
        "unique": mapping({f.name: _raws(f.distinct_samples_json) for f in spec.unique_fields}),
        "nullable_unique": _texts([f.name for f in spec.nullable_unique]),
        "defaults": mapping({f.name: Raw(f.default_json) for f in spec.defaulted}),
        "violations": sequence(
            [_raws([text(name).text, text(rule).text, value]) for name, rule, value in violations],
            "tuple",
        ),
        "ownership": _texts(list(spec.ownership)),
        "workflow": _workflow(spec),
        "listing": _listing(spec),
        "parents": _texts([parent.name for parent in graph.ancestors(spec.name)]),
        "required_relations": mapping(
            {name: text(target) for name, target in spec.required_relation_targets.items()}
        ),
        "relations": _relations(spec, graph),
        **_domain(spec),
    }
    return call("Case", {key: value for key, value in arguments.items() if _given(value)})


def _given(node: Node) -> bool:
    return (node.text != "None") if isinstance(node, Raw) else bool(node.items)


def fake_arguments(spec: EntitySpec, graph: RelationGraph) -> list[str]:
    """``FakeRepository(...)``'s arguments for an entity, in the rendered ``tests/fakes.py``."""
    arguments = ["self.seen"]
    if spec.unique_fields:
        unique = sequence([text(f.name) for f in spec.unique_fields], "tuple")
        arguments.append(f"unique={flat(unique)}")
    if spec.many or graph.linked_to(spec.name):
        arguments.append("links=self.fake_links")
    if spec.many:
        many = mapping({item.target_column: text(item.table) for item in spec.many})
        arguments.append(f"many={flat(many)}")
    return arguments
