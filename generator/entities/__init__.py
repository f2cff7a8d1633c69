"""The ``entities`` answer: what users declare, its rules, and what the template renders.

For each entity the template needs names, Python and SQL types and sample values; they
are computed here, once per answer, and handed to every template as one model
(:class:`generator.model.Model`, the ``model`` of the template context).

An entity in ``copier.yml`` (YAML)::

    - name: Task                      # PascalCase, unique
      fields:                         # snake_case names, in order
        title: {type: str, max_length: 200}
        description: text?            # "?" makes a field nullable
        due_date: date?
        assignee_id: str?
      workflow:                       # optional status state machine
        field: status                 # the column holding the state (default "status")
        initial: todo
        transitions:                  # state -> the states it may move to
          todo: [in_progress, cancelled]
          in_progress: [done, todo, cancelled]
          done: [cancelled]
          cancelled: []
      ownership: [assignee_id]        # str fields whose value, a user id, grants that user
                                      # the same rights over the row as its creator

Fields may carry constraints, be enums, or relate to other entities::

    - name: Project
      fields:
        code: {type: str, max_length: 12, pattern: "[A-Z]+-[0-9]+",
               examples: [ACME-1, ACME-2], unique: true}    # unique within one tenant
        budget: {type: "decimal?", min: 0, max: 1000000}
    - name: Task
      fields:
        title: {type: str, min_length: 3, max_length: 200}
        priority: {enum: [low, medium, high], default: medium}
        project: {belongs_to: Project, on_delete: cascade}  # column project_id, required
        parent: {belongs_to: "Task?", on_delete: set_null}  # optional self-reference
        tags: {many: Tag}                                    # association table task_tags
      list: {filter: [priority], sort: [title, created_at]}  # ?priority=high&sort=-title

Every rule is checked here, once; each message names the entity, the field and the rule.

The package, by concern:

- :mod:`~generator.entities.declared`: the answer's shape, limits and reserved names;
- :mod:`~generator.entities.kinds`: each field type's Python, SQL and JSON forms;
- :mod:`~generator.entities.values`: literals, samples and distinct valid values;
- :mod:`~generator.entities.fields` and :mod:`~generator.entities.spec`: the model of a
  field and of an entity, with every name the template writes;
- :mod:`~generator.entities.field_rules` and :mod:`~generator.entities.rules`: parsing
  and the rules, for one field and for the whole answer;
- :mod:`~generator.entities.graph`: the relations seen from both ends.
"""

from generator.entities.declared import LINE_LENGTH, UNIQUE_ROWS, EntityRuleError
from generator.entities.fields import FieldSpec, Many, Relation
from generator.entities.graph import Dependant, RelationGraph
from generator.entities.rules import parse_entities, workflow_path
from generator.entities.spec import EntitySpec, WorkflowSpec
from generator.entities.values import distinct_values, json_value

__all__ = [
    "LINE_LENGTH",
    "UNIQUE_ROWS",
    "Dependant",
    "EntityRuleError",
    "EntitySpec",
    "FieldSpec",
    "Many",
    "Relation",
    "RelationGraph",
    "WorkflowSpec",
    "distinct_values",
    "json_value",
    "parse_entities",
    "workflow_path",
]
