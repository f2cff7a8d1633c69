"""The OpenAPI document of a rendered service, computed from the answers.

A rendered project keeps ``docs/openapi.json`` and a test that it equals what the app
serves. Rendering cannot run the app, so this module builds the same document from the
entity specs: a pure function that mirrors, operation by operation and schema by schema,
what the template's routes and Pydantic models make FastAPI emit. The rendered test is
the proof: any drift between this module and the template fails it.
"""

import json
from collections.abc import Sequence
from typing import Any, Final, cast

from generator.entities import EntitySpec, FieldSpec, json_value

Json = dict[str, Any]

_HEALTH_PATHS: Final[Json] = {
    "/health": {
        "get": {
            "tags": ["health"],
            "summary": "Health of the service and its dependencies",
            "description": (
                "Check every dependency within the configured timeout; 503 if any fails."
            ),
            "operationId": "health_health_get",
            "responses": {
                "200": {
                    "description": "Successful Response",
                    "content": {
                        "application/json": {
                            "schema": {"$ref": "#/components/schemas/HealthResponse"}
                        }
                    },
                },
                "503": {
                    "description": "Service Unavailable",
                    "content": {
                        "application/json": {
                            "schema": {"$ref": "#/components/schemas/HealthResponse"}
                        }
                    },
                },
            },
        }
    }
}
_FIXED_SCHEMAS: Final[Json] = {
    "CheckResult": {
        "properties": {
            "status": {"type": "string", "enum": ["ok", "failing"], "title": "Status"},
            "latency_ms": {
                "type": "number",
                "title": "Latency Ms",
                "description": "How long the check took, in milliseconds.",
            },
            "error": {
                "anyOf": [{"type": "string"}, {"type": "null"}],
                "title": "Error",
                "description": "Why the check failed, if it did.",
            },
        },
        "type": "object",
        "required": ["status", "latency_ms"],
        "title": "CheckResult",
        "description": "The outcome of one dependency check.",
    },
    "HealthResponse": {
        "properties": {
            "status": {"type": "string", "enum": ["ok", "unavailable"], "title": "Status"},
            "version": {"type": "string", "title": "Version"},
            "uptime_seconds": {"type": "number", "title": "Uptime Seconds"},
            "checks": {
                "additionalProperties": {"$ref": "#/components/schemas/CheckResult"},
                "type": "object",
                "title": "Checks",
            },
        },
        "type": "object",
        "required": ["status", "version", "uptime_seconds", "checks"],
        "title": "HealthResponse",
        "description": "The service's health: ``ok`` only when every check passed.",
    },
    "HTTPValidationError": {
        "properties": {
            "detail": {
                "items": {"$ref": "#/components/schemas/ValidationError"},
                "type": "array",
                "title": "Detail",
            }
        },
        "type": "object",
        "title": "HTTPValidationError",
    },
    "ValidationError": {
        "properties": {
            "loc": {
                "items": {"anyOf": [{"type": "string"}, {"type": "integer"}]},
                "type": "array",
                "title": "Location",
            },
            "msg": {"type": "string", "title": "Message"},
            "type": {"type": "string", "title": "Error Type"},
            "input": {"title": "Input"},
            "ctx": {"type": "object", "title": "Context"},
        },
        "type": "object",
        "required": ["loc", "msg", "type"],
        "title": "ValidationError",
    },
}

_VALIDATION_ERROR: Final[Json] = {
    "description": "Validation Error",
    "content": {
        "application/json": {"schema": {"$ref": "#/components/schemas/HTTPValidationError"}}
    },
}
_SECURITY: Final[list[Json]] = [{"HTTPBearer": []}]
_NULL: Final[Json] = {"type": "null"}


def _ref(name: str) -> Json:
    return {"$ref": f"#/components/schemas/{name}"}


def _title(name: str) -> str:
    """Pydantic's default title of a field."""
    return name.title().replace("_", " ")


def _bounds(field: FieldSpec) -> Json:
    """Pydantic writes numeric bounds as JSON numbers with a fraction, for every number type."""
    bounds: Json = {}
    if field.maximum is not None:
        bounds["maximum"] = float(cast("float", field.maximum))
    if field.minimum is not None:
        bounds["minimum"] = float(cast("float", field.minimum))
    return bounds


def _base(field: FieldSpec, *, request: bool) -> list[Json]:  # noqa: PLR0911 - one per type
    """The JSON schema alternatives of a field's type (before null)."""
    if field.type == "enum":
        return [_ref(field.enum_class or "")]
    if field.type in {"str", "text"} and request:
        schema: Json = {"type": "string"}
        if field.max_length is not None and field.type == "str":
            schema["maxLength"] = field.max_length
        schema["minLength"] = field.min_length or 1
        if field.anchored_pattern is not None:
            schema["pattern"] = field.anchored_pattern
        return [schema]
    if field.type in {"str", "text"}:
        return [{"type": "string"}]
    if field.type == "decimal":
        if not request:
            return [{"type": "string"}]
        return [{"type": "number", **_bounds(field)}, {"type": "string"}]
    if request and field.type in {"int", "float"}:
        simple_type = "integer" if field.type == "int" else "number"
        return [{"type": simple_type, **_bounds(field)}]
    simple = {
        "int": {"type": "integer"},
        "float": {"type": "number"},
        "bool": {"type": "boolean"},
        "date": {"type": "string", "format": "date"},
        "datetime": {"type": "string", "format": "date-time"},
        "uuid": {"type": "string", "format": "uuid"},
    }
    return [simple[field.type]]


def _property(alternatives: list[Json], name: str, *, nullable: bool) -> Json:
    if nullable and "$ref" in alternatives[0]:
        return {"anyOf": [*alternatives, _NULL]}
    if nullable:
        return {"anyOf": [*alternatives, _NULL], "title": _title(name)}
    if len(alternatives) == 1 and "$ref" in alternatives[0]:
        return dict(alternatives[0])
    if len(alternatives) == 1:
        return {**alternatives[0], "title": _title(name)}
    return {"anyOf": alternatives, "title": _title(name)}


def _create_property(field: FieldSpec) -> Json:
    schema = _property(_base(field, request=True), field.name, nullable=field.nullable)
    if field.has_default:
        schema["default"] = json_value(field.default)
    return schema


def _read_property(field: FieldSpec) -> Json:
    return _property(_base(field, request=False), field.name, nullable=field.nullable)


def _schemas(e: EntitySpec) -> Json:
    label, name = e.label, e.name
    wf = e.workflow
    create = {f.name: _create_property(f) for f in e.fields}
    update = {f.name: _property(_base(f, request=True), f.name, nullable=True) for f in e.fields}
    read: Json = {
        "id": {"type": "string", "format": "uuid", "title": "Id"},
        "created_by": {"type": "string", "title": "Created By"},
        "created_at": {"type": "string", "format": "date-time", "title": "Created At"},
        "updated_at": {"type": "string", "format": "date-time", "title": "Updated At"},
        **{f.name: _read_property(f) for f in e.fields},
    }
    if wf:
        read[wf.field] = _ref(e.status_enum)
    required = [f.name for f in e.fields if not f.nullable and not f.has_default]
    schemas: Json = {
        f"{name}Create": {
            "properties": create,
            "additionalProperties": False,
            "type": "object",
            **({"required": required} if required else {}),
            "title": f"{name}Create",
            "description": f"A new {label}.",
        },
        f"{name}Update": {
            "properties": update,
            "additionalProperties": False,
            "type": "object",
            "title": f"{name}Update",
            "description": "A partial update: only the fields present change.",
        },
        f"{name}Read": {
            "properties": read,
            "type": "object",
            "required": list(read),
            "title": f"{name}Read",
            "description": f"{e.article.capitalize()} {label}.",
        },
        f"{name}Page": {
            "properties": {
                "items": {"items": _ref(f"{name}Read"), "type": "array", "title": "Items"},
                "total": {"type": "integer", "title": "Total"},
                "limit": {"type": "integer", "title": "Limit"},
                "offset": {"type": "integer", "title": "Offset"},
            },
            "type": "object",
            "required": ["items", "total", "limit", "offset"],
            "title": f"{name}Page",
            "description": f"One page of {label} rows.",
        },
    }
    for f in e.enums:
        schemas[f.enum_class or ""] = {
            "type": "string",
            "enum": list(f.values),
            "title": f.enum_class,
            "description": f"The values of ``{f.name}``.",
        }
    if e.listing:
        schemas[e.sort_enum] = {
            "type": "string",
            "enum": [value for value, *_ in e.sort_keys],
            "title": e.sort_enum,
            "description": (
                "The orders a list may ask for: a key, or ``-`` and the key for descending."
                "\n\nNulls come last either way; rows that tie come oldest first."
            ),
        }
    if wf:
        schemas[e.status_enum] = {
            "type": "string",
            "enum": list(wf.states),
            "title": e.status_enum,
            "description": f"The states of {e.article} {label}.",
        }
        schemas[f"{name}StatusChange"] = {
            "properties": {wf.field: _ref(e.status_enum)},
            "additionalProperties": False,
            "type": "object",
            "required": [wf.field],
            "title": f"{name}StatusChange",
            "description": "The state to move to.",
        }
    return schemas


def _operation(
    e: EntitySpec,
    function: str,
    path: str,
    method: str,
    summary: str,
    description: str,
    *,
    parameters: list[Json] | None = None,
    body: str | None = None,
    success: tuple[str, str | None],
) -> Json:
    operation_id = "".join(c if c.isalnum() else "_" for c in f"{function}{path}") + f"_{method}"
    operation: Json = {
        "tags": [e.path],
        "summary": summary,
        "description": description,
        "operationId": operation_id,
        "security": _SECURITY,
    }
    if parameters:
        operation["parameters"] = parameters
    if body is not None:
        operation["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": _ref(body)}},
        }
    status, schema = success
    response: Json = {"description": "Successful Response"}
    if schema is not None:
        response["content"] = {"application/json": {"schema": _ref(schema)}}
    operation["responses"] = {status: response, "422": _VALIDATION_ERROR}
    return operation


def _uuid_in_path(name: str) -> Json:
    """A path parameter holding a UUID, as FastAPI describes ``name: uuid.UUID``."""
    return {
        "name": name,
        "in": "path",
        "required": True,
        "schema": {"type": "string", "format": "uuid", "title": _title(name)},
    }


_ITEM_ID: Final[Json] = _uuid_in_path("item_id")


_PAGE_PARAMETERS: Final[list[Json]] = [
    {
        "name": "limit",
        "in": "query",
        "required": False,
        "schema": {
            "type": "integer",
            "maximum": 100,
            "minimum": 1,
            "default": 50,
            "title": "Limit",
        },
    },
    {
        "name": "offset",
        "in": "query",
        "required": False,
        "schema": {"type": "integer", "minimum": 0, "default": 0, "title": "Offset"},
    },
]


def _paths(e: EntitySpec) -> Json:
    base = f"/api/v1/{e.path}"
    item = f"{base}/{{item_id}}"
    name, label, a = e.name, e.label, e.article
    wf = e.workflow
    list_parameters: list[Json] = []
    if wf:
        list_parameters.append(
            {
                "name": wf.field,
                "in": "query",
                "required": False,
                "schema": {"anyOf": [_ref(e.status_enum), _NULL], "title": _title(wf.field)},
            }
        )
    for field in e.filters:
        kind = _ref(field.enum_class) if field.enum_class else {"type": "boolean"}
        if field.relation is not None:
            kind = {"type": "string", "format": "uuid"}
        list_parameters.append(
            {
                "name": field.name,
                "in": "query",
                "required": False,
                "schema": {"anyOf": [kind, _NULL], "title": _title(field.name)},
            }
        )
    for link in e.many:
        list_parameters.append(
            {
                "name": link.target_column,
                "in": "query",
                "required": False,
                "schema": {
                    "anyOf": [{"type": "string", "format": "uuid"}, _NULL],
                    "title": _title(link.target_column),
                },
            }
        )
    if e.listing:
        list_parameters.append(
            {
                "name": "sort",
                "in": "query",
                "required": False,
                "schema": {"$ref": f"#/components/schemas/{e.sort_enum}", "default": "created_at"},
            }
        )
    list_parameters += _PAGE_PARAMETERS
    listed = f", oldest first{', optionally in one state' if wf else ''}"
    if e.listing:
        listed = " that match every filter given, in ``sort`` order"
    paths: Json = {
        base: {
            "post": _operation(
                e, "create", base, "post", f"Create {a} {label}",
                f"Create {a} {label} owned by the caller, in the caller's tenant.",
                body=f"{name}Create", success=("201", f"{name}Read"),
            ),
            "get": _operation(
                e, "list_page", base, "get", f"List {label} rows",
                f"Return one page of the tenant's rows{listed}.",
                parameters=list_parameters, success=("200", f"{name}Page"),
            ),
        },
        item: {
            "get": _operation(
                e, "get", item, "get", f"Read {a} {label}",
                "Return one row of the caller's tenant.",
                parameters=[_ITEM_ID], success=("200", f"{name}Read"),
            ),
            "patch": _operation(
                e, "update", item, "patch", f"Change fields of {a} {label}",
                "Change the fields present in the body; owners and managers only.",
                parameters=[_ITEM_ID], body=f"{name}Update", success=("200", f"{name}Read"),
            ),
        },
    }  # fmt: skip
    if wf:
        status_path = f"{item}/{wf.field}"
        paths[status_path] = {
            "post": _operation(
                e, "change_status", status_path, "post", f"Move {a} {label} to another state",
                "Move along the workflow; 409 names the allowed moves if this one is not.",
                parameters=[_ITEM_ID], body=f"{name}StatusChange", success=("200", f"{name}Read"),
            )
        }  # fmt: skip
    paths[item]["delete"] = _operation(
        e, "delete", item, "delete", f"Delete {a} {label}",
        "Delete a row; owners and managers only.",
        parameters=[_ITEM_ID], success=("204", None),
    )  # fmt: skip
    return paths


def nested_relations(e: EntitySpec) -> list[FieldSpec]:
    """Relations that get a nested read (``GET /projects/{id}/tasks``): one per target."""
    targets = [field.relation.target for field in e.relations if field.relation is not None]
    return [
        field
        for field in e.relations
        if field.relation is not None and targets.count(field.relation.target) == 1
    ]


def _nested_paths(e: EntitySpec, specs: list[EntitySpec]) -> Json:
    by_name = {spec.name: spec for spec in specs}
    paths: Json = {}
    for field in nested_relations(e):
        assert field.relation is not None  # noqa: S101 - nested_relations() selects them
        target = by_name[field.relation.target]
        path = f"/api/v1/{target.path}/{{parent_id}}/{e.path}"
        parent_id = _uuid_in_path("parent_id")
        paths[path] = {
            "get": _operation(
                e, f"list_by_{field.relation.name}", path, "get",
                f"List the {e.label} rows of {target.article} {target.label}",
                f"Return one page of the rows whose {field.relation.name} is this "
                f"{target.label}, oldest first.\n\n404 if the tenant has no such {target.label}.",
                parameters=[parent_id, *_PAGE_PARAMETERS], success=("200", f"{e.name}Page"),
            )
        }  # fmt: skip
    return paths


def _link_paths(e: EntitySpec, specs: list[EntitySpec]) -> Json:
    """The reads and writes of ``e``'s many-to-many relations: ``/tasks/{item_id}/tags``."""
    by_name = {spec.name: spec for spec in specs}
    paths: Json = {}
    for item in e.many:
        target = by_name[item.target]
        listed = f"/api/v1/{e.path}/{{item_id}}/{item.name}"
        linked = f"{listed}/{{{item.target_column}}}"
        target_id = _uuid_in_path(item.target_column)
        paths[listed] = {
            "get": _operation(
                e, f"list_linked_{item.name}", listed, "get",
                f"List the {target.label} rows linked to {e.article} {e.label}",
                f"Return one page of the linked {target.label} rows, oldest first."
                f"\n\n404: no such {e.label} in the tenant.",
                parameters=[_ITEM_ID, *_PAGE_PARAMETERS], success=("200", f"{target.name}Page"),
            )
        }  # fmt: skip
        paths[linked] = {
            "put": _operation(
                e, f"link_{item.name}", linked, "put",
                f"Link {target.article} {target.label} to {e.article} {e.label}",
                "Link the two rows; linked already is fine. Owners and managers only."
                f"\n\n404: no such {e.label} in the tenant; 422: no such {target.label}.",
                parameters=[_ITEM_ID, target_id], success=("204", None),
            ),
            "delete": _operation(
                e, f"unlink_{item.name}", linked, "delete",
                f"Unlink {target.article} {target.label} from {e.article} {e.label}",
                "Remove the link if there is one. Owners and managers only."
                f"\n\n404: no such {e.label} in the tenant.",
                parameters=[_ITEM_ID, target_id], success=("204", None),
            ),
        }  # fmt: skip
    return paths


def openapi_document(
    specs: Sequence[EntitySpec], title: str, description: str, version: str
) -> Json:
    """The OpenAPI document the rendered app serves at ``/openapi.json``."""
    specs = list(specs)
    paths: Json = dict(_HEALTH_PATHS)
    schemas: Json = dict(_FIXED_SCHEMAS)
    for spec in specs:
        paths.update(_paths(spec))
        paths.update(_link_paths(spec, specs))  # on the entity's own router, after its routes
        paths.update(_nested_paths(spec, specs))
        schemas.update(_schemas(spec))
    return {
        "openapi": "3.1.0",
        "info": {"title": title, "description": description, "version": version},
        "paths": paths,
        "components": {
            "schemas": dict(sorted(schemas.items())),
            "securitySchemes": {
                "HTTPBearer": {
                    "type": "http",
                    "description": "A JWT with sub, tenant_id and roles.",
                    "scheme": "bearer",
                }
            },
        },
    }


def openapi_json(
    specs: Sequence[EntitySpec], title: str, description: str, version: str = "0.1.0"
) -> str:
    """The ``openapi_json`` filter: the document as the service's exporter writes it."""
    document = openapi_document(specs, title, description, version)
    return json.dumps(document, indent=2, ensure_ascii=False)
