"""The rules of an entity and of the whole answer; parsing it (once per distinct answer)."""

from collections import OrderedDict
from collections.abc import Mapping, Sequence
from typing import Final

from pydantic import ValidationError

from generator import naming
from generator.entities.declared import (
    _PASCAL,
    _SNAKE,
    MAX_ENTITIES,
    MAX_ENTITY_NAME,
    MAX_FIELD_NAME,
    MAX_STATE_NAME,
    RESERVED_ENTITY_NAMES,
    RESERVED_FIELDS,
    RESERVED_MODULES,
    EntityAnswer,
    EntityRuleError,
    ListingAnswer,
    Workflow,
)
from generator.entities.field_rules import _parse_field
from generator.entities.fields import FieldSpec, Many
from generator.entities.kinds import SORTABLE_TYPES
from generator.entities.spec import EntitySpec, WorkflowSpec


def _check_reachable(where: str, workflow: Workflow) -> None:
    reached, frontier = {workflow.initial}, [workflow.initial]
    while frontier:
        for target in workflow.transitions[frontier.pop()]:
            if target not in reached:
                reached.add(target)
                frontier.append(target)
    if unreachable := [state for state in workflow.transitions if state not in reached]:
        message = f"{where}: states {unreachable} cannot be reached from {workflow.initial!r}"
        raise EntityRuleError(message)


def _parse_workflow(entity: str, workflow: Workflow, fields: Sequence[str]) -> WorkflowSpec:
    where = f"entity {entity!r}, workflow"
    if (
        not _SNAKE.fullmatch(workflow.field)
        or workflow.field in RESERVED_FIELDS
        or len(workflow.field) > MAX_FIELD_NAME
    ):
        message = (
            f"{where}: field {workflow.field!r} must be a snake_case, unreserved name "
            f"of at most {MAX_FIELD_NAME} characters"
        )
        raise EntityRuleError(message)
    if workflow.field in fields:
        message = f"{where}: field {workflow.field!r} is also declared under fields"
        raise EntityRuleError(message)
    states = list(workflow.transitions)
    for state in states:
        if not _SNAKE.fullmatch(state) or len(state) > MAX_STATE_NAME:
            message = f"{where}: state {state!r} must be snake_case, at most {MAX_STATE_NAME} long"
            raise EntityRuleError(message)
    if workflow.initial not in states:
        message = f"{where}: initial state {workflow.initial!r} is not one of {states}"
        raise EntityRuleError(message)
    for state, targets in workflow.transitions.items():
        for target in targets:
            if target not in states:
                message = f"{where}: {state!r} moves to {target!r}, which is not a state"
                raise EntityRuleError(message)
            if target == state:
                message = f"{where}: {state!r} moves to itself"
                raise EntityRuleError(message)
        if len(set(targets)) != len(targets):
            message = f"{where}: {state!r} lists a target twice"
            raise EntityRuleError(message)
    _check_reachable(where, workflow)
    transitions = {state: tuple(targets) for state, targets in workflow.transitions.items()}
    return WorkflowSpec(workflow.field, workflow.initial, transitions)


def _parse_entity(index: int, raw: object) -> EntitySpec:
    label = raw.get("name", f"#{index + 1}") if isinstance(raw, Mapping) else f"#{index + 1}"
    try:
        answer = EntityAnswer.model_validate(raw)
    except ValidationError as error:
        item = error.errors()[0]
        location = ".".join(str(part) for part in item["loc"]) or "entity"
        message = f"entity {label!r}: {location}: {item['msg'].removeprefix('Value error, ')}"
        raise EntityRuleError(message) from error
    name = answer.name
    if not _PASCAL.fullmatch(name) or len(name) > MAX_ENTITY_NAME:
        message = (
            f"entity {name!r}: the name must be PascalCase (e.g. 'Task', 'LineItem'), "
            f"at most {MAX_ENTITY_NAME} characters"
        )
        raise EntityRuleError(message)
    if name in RESERVED_ENTITY_NAMES:
        message = f"entity {name!r}: the name is used by the rendered code itself"
        raise EntityRuleError(message)
    if naming.snake_case(name) in RESERVED_MODULES:
        message = (
            f"entity {name!r}: its module {naming.snake_case(name)!r} is one the rendered "
            "code has already"
        )
        raise EntityRuleError(message)
    parsed = [_parse_field(name, key, value) for key, value in answer.fields.items()]
    fields = tuple(item for item in parsed if isinstance(item, FieldSpec))
    many = tuple(item for item in parsed if isinstance(item, Many))
    _check_columns(name, fields, many)
    if all(field.relation is not None for field in fields):
        message = (
            f"entity {name!r}: declare at least one field that is not a relation "
            "(the rendered tests change it)"
        )
        raise EntityRuleError(message)
    workflow = (
        _parse_workflow(name, answer.workflow, [field.name for field in fields])
        if answer.workflow is not None
        else None
    )
    for link in many:
        if workflow is not None and link.target_column == workflow.field:
            message = (
                f"entity {name!r}, field {link.name!r}: its list filter "
                f"{link.target_column!r} clashes with the workflow field"
            )
            raise EntityRuleError(message)
    by_name = {field.name: field for field in fields}
    for owner in answer.ownership:
        if owner not in by_name or by_name[owner].type != "str":
            message = f"entity {name!r}: ownership field {owner!r} must be a str field"
            raise EntityRuleError(message)
    if len(set(answer.ownership)) != len(answer.ownership):
        message = f"entity {name!r}: ownership lists a field twice"
        raise EntityRuleError(message)
    filters, sorts = _parse_listing(name, answer.listing, fields, workflow)
    # Every relation is a list filter (``?project_id=...``), after the declared ones.
    filters += tuple(f for f in fields if f.relation is not None and f not in filters)
    return EntitySpec(name, fields, workflow, tuple(answer.ownership), many, filters, sorts)


def _parse_listing(
    entity: str,
    listing: ListingAnswer | None,
    fields: Sequence[FieldSpec],
    workflow: WorkflowSpec | None,
) -> tuple[tuple[FieldSpec, ...], tuple[str, ...]]:
    """The checked ``list: {filter: [...], sort: [...]}`` of an entity."""
    if listing is None:
        return (), ()
    by_name = {field.name: field for field in fields}
    filters: list[FieldSpec] = []
    for name in listing.filter:
        where = f"entity {entity!r}, list filter {name!r}"
        field = by_name.get(name)
        if workflow is not None and name == workflow.field:
            message = f"{where}: the workflow field is always a filter"
            raise EntityRuleError(message)
        if field is not None and field.relation is not None:
            message = f"{where}: every relation is a filter already; leave it out"
            raise EntityRuleError(message)
        if field is None or field.type not in {"enum", "bool"}:
            message = f"{where}: filters are enum and bool fields of the entity"
            raise EntityRuleError(message)
        if field in filters:
            message = f"{where}: listed twice"
            raise EntityRuleError(message)
        filters.append(field)
    sorts: list[str] = []
    for name in listing.sort:
        where = f"entity {entity!r}, list sort {name!r}"
        field = by_name.get(name)
        if name not in {"created_at", "updated_at"} and (
            field is None or field.type not in SORTABLE_TYPES
        ):
            allowed = ", ".join(sorted(SORTABLE_TYPES))
            message = (
                f"{where}: sort keys are created_at, updated_at and fields of type {allowed} "
                "(not decimal: SQLite stores it as text, which sorts 10 before 9)"
            )
            raise EntityRuleError(message)
        if name in sorts:
            message = f"{where}: listed twice"
            raise EntityRuleError(message)
        sorts.append(name)
    if not filters and not sorts:
        message = f"entity {entity!r}: list: declare a filter or a sort key, or leave list out"
        raise EntityRuleError(message)
    return tuple(filters), tuple(sorts)


def _check_columns(entity: str, fields: Sequence[FieldSpec], many: Sequence[Many]) -> None:
    """Refuse a relation whose column, or whose association table's column, clashes."""
    seen: set[str] = set()
    for field in fields:
        if field.name in seen:
            relation = field.relation.name if field.relation else field.name
            message = (
                f"entity {entity!r}, field {relation!r}: its column {field.name!r} "
                "clashes with another field"
            )
            raise EntityRuleError(message)
        seen.add(field.name)
    for item in many:
        if item.target_column in seen:
            message = (
                f"entity {entity!r}, field {item.name!r}: its list filter "
                f"{item.target_column!r} clashes with another field or relation; name it otherwise"
            )
            raise EntityRuleError(message)
        seen.add(item.target_column)
        if item.target_column == item.owner_column:
            message = (
                f"entity {entity!r}, field {item.name!r}: the association table would hold "
                f"{item.owner_column!r} twice; name the relation otherwise"
            )
            raise EntityRuleError(message)


#: The last answers parsed, and what parsing them gave: Copier validates the answer and
#: renders a hundred templates from it, and the ``blueprint`` CLI checks it before Copier
#: runs; each distinct answer is parsed once per process. Specs are frozen, and callers
#: get a list of their own.
_PARSED: Final[OrderedDict[str, tuple[EntitySpec, ...] | str]] = OrderedDict()


_PARSED_LIMIT: Final = 16


def parse_entities(raw: object) -> list[EntitySpec]:
    """Validate the ``entities`` answer and compute every entity's names (memoized).

    Args:
        raw: The answer as Copier holds it: a list of mappings.

    Returns:
        The entities, in the order given.

    Raises:
        EntityRuleError: The answer broke a rule; the message names the entity, the field
            and the rule.
    """
    key = repr(raw)
    if key not in _PARSED:
        try:
            _PARSED[key] = tuple(_parse_entities(raw))
        except EntityRuleError as error:
            _PARSED[key] = str(error)
        while len(_PARSED) > _PARSED_LIMIT:
            _PARSED.popitem(last=False)
    _PARSED.move_to_end(key)
    parsed = _PARSED[key]
    if isinstance(parsed, str):
        raise EntityRuleError(parsed)
    return list(parsed)


def _parse_entities(raw: object) -> list[EntitySpec]:
    """The work behind :func:`parse_entities`, without the memo."""
    if not isinstance(raw, list) or not raw:
        message = "must be a non-empty list of entities"
        raise EntityRuleError(message)
    if len(raw) > MAX_ENTITIES:
        message = f"at most {MAX_ENTITIES} entities (got {len(raw)})"
        raise EntityRuleError(message)
    specs = [_parse_entity(index, item) for index, item in enumerate(raw)]
    seen: dict[str, str] = {}
    for spec in specs:
        for key in (spec.module, spec.plural):
            if key in seen and seen[key] != spec.name:
                message = f"entity {spec.name!r}: its name collides with {seen[key]!r}"
                raise EntityRuleError(message)
            if key == spec.module and key in seen:
                message = f"entity {spec.name!r}: declared twice"
                raise EntityRuleError(message)
        seen.setdefault(spec.module, spec.name)
        seen.setdefault(spec.plural, spec.name)
    _check_relations(specs)
    return specs


def _check_relations(specs: Sequence[EntitySpec]) -> None:
    """Refuse unknown targets, clashing association tables and required cycles."""
    names = [spec.name for spec in specs]
    tables = {spec.table: f"the table of entity {spec.name!r}" for spec in specs}
    required: dict[str, list[str]] = {name: [] for name in names}
    for spec in specs:
        targets = [(f.relation.name, f.relation.target) for f in spec.fields if f.relation]
        targets += [(item.name, item.target) for item in spec.many]
        for relation, target in targets:
            if target not in names:
                message = (
                    f"entity {spec.name!r}, field {relation!r}: {target!r} is not an entity "
                    f"(entities: {', '.join(names)})"
                )
                raise EntityRuleError(message)
        for item in spec.many:
            if item.table in tables:
                message = (
                    f"entity {spec.name!r}, field {item.name!r}: its association table "
                    f"{item.table!r} clashes with {tables[item.table]}"
                )
                raise EntityRuleError(message)
            tables[item.table] = f"the association table of {spec.name}.{item.name}"
        for field in spec.required_relations:
            assert field.relation is not None  # noqa: S101 - relations() selects them
            if field.relation.target == spec.name:
                message = (
                    f"entity {spec.name!r}, field {field.relation.name!r}: a required "
                    f"self-reference means no first row could ever be created; "
                    f"make it optional (belongs_to: '{spec.name}?')"
                )
                raise EntityRuleError(message)
            required[spec.name].append(field.relation.target)
    if cycle := _cycle(required):
        message = (
            f"entity {cycle[0]!r}: the required relations {' -> '.join(cycle)} form a cycle, "
            "so none of these rows could ever be created; make one of them optional"
        )
        raise EntityRuleError(message)
    _check_order_and_support(specs)


def _check_order_and_support(specs: Sequence[EntitySpec]) -> None:
    """Refuse targets declared after the entities that refer to them."""
    names = [spec.name for spec in specs]
    for index, spec in enumerate(specs):
        for field in spec.relations:
            assert field.relation is not None  # noqa: S101 - relations() selects them
            if field.relation.target not in names[: index + 1]:
                message = (
                    f"entity {spec.name!r}, field {field.relation.name!r}: "
                    f"{field.relation.target!r} must be declared before {spec.name!r} "
                    "(migrations create the tables in declaration order)"
                )
                raise EntityRuleError(message)
        for item in spec.many:
            if item.target not in names[: index + 1]:
                message = (
                    f"entity {spec.name!r}, field {item.name!r}: {item.target!r} must be "
                    f"declared before {spec.name!r} (the association table {item.table!r} "
                    "is created with its owner's table)"
                )
                raise EntityRuleError(message)


def _cycle(graph: Mapping[str, Sequence[str]]) -> list[str]:
    """A cycle in ``graph`` as [a, b, ..., a] (the first found, in declaration order), or []."""
    done: set[str] = set()

    def visit(node: str, path: list[str]) -> list[str]:
        if node in path:
            return [*path[path.index(node) :], node]
        if node in done:
            return []
        for target in graph[node]:
            if found := visit(target, [*path, node]):
                return found
        done.add(node)
        return []

    for start in graph:
        if found := visit(start, []):
            return found
    return []


def workflow_path(workflow: WorkflowSpec, state: str) -> list[str]:
    """The ``workflow_path`` filter: the shortest moves from the initial state to ``state``."""
    paths: dict[str, list[str]] = {workflow.initial: []}
    frontier = [workflow.initial]
    while frontier:
        current = frontier.pop(0)
        for target in workflow.transitions[current]:
            if target not in paths:
                paths[target] = [*paths[current], target]
                frontier.append(target)
    return paths[state]
