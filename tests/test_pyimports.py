"""The import tidying every rendered Python module goes through (as ruff's isort and F401)."""

from pathlib import Path

from pytest_copie.plugin import Copie

from generator.pyimports import from_import, tidy_imports
from tests.conftest import render_with

CANDIDATES = '''"""A module."""

import uuid
import datetime
from typing import Final, Self
from decimal import Decimal

from pydantic import BaseModel
from orders.domain.task import TaskStatus, Task, ENTITY
from orders.domain.errors import InvariantError,
from orders.application.links import {EMPTY}
from tests.parents import seed
from fastapi import (
    APIRouter,
    status,
)


class Model(BaseModel):
    """Uses some names, mentions Decimal only in prose and in a string."""

    when: datetime.date
    note: Final = "a Decimal, in prose"
    status: str = "open"

    def copy(self) -> "Task":
        return f"{ENTITY}:{uuid.uuid4()}"  # an f-string's fields are code
'''.replace("{EMPTY}", " ")  # a template's import of nothing (a loop that wrote no name)

TIDY = '''"""A module."""

import datetime
import uuid
from typing import Final

from fastapi import (
    status,
)
from pydantic import BaseModel

from orders.domain.task import ENTITY, Task


class Model(BaseModel):
'''


def test_unused_names_go_and_the_rest_is_ordered_as_isort_writes_it() -> None:
    tidy = tidy_imports(CANDIDATES, {"orders"})

    assert tidy.startswith(TIDY)
    assert tidy.endswith(CANDIDATES.split("class Model(BaseModel):\n", 1)[1])


def test_an_attribute_or_a_sentence_does_not_keep_an_import() -> None:
    body = 'x = y.status  # Decimal\nz = "a Decimal"\n'
    text = f'"""Doc."""\n\nfrom a import status, Decimal\n\n{body}'

    assert tidy_imports(text, set()) == f'"""Doc."""\n\n\n{body}'


def test_sections_stdlib_third_party_first_party_local() -> None:
    text = "from tests.x import a\nfrom orders import b\nimport yaml\nimport os\n\n"
    text += "print(a, b, yaml, os)\n"

    assert tidy_imports(text, {"orders"}) == (
        "import os\n\nimport yaml\n\nfrom orders import b\n\nfrom tests.x import a\n\n"
        "print(a, b, yaml, os)\n"
    )


def test_a_block_with_a_comment_is_left_as_written() -> None:
    text = "import os\nimport sys  # noqa: F401 - kept on purpose\n\nprint(os)\n"

    assert tidy_imports(text, set()) == text


def test_long_imports_wrap_one_name_a_line() -> None:
    names = [f"Name{index:02d}" for index in range(12)]

    assert from_import("package.domain.module", names).startswith(
        "from package.domain.module import (\n    Name00,\n"
    )


def test_a_rendered_module_keeps_only_what_it_uses(copie: Copie, template_dir: Path) -> None:
    # The default Task has no relations, no list keys and no decimal field: the candidates
    # its templates list for those are gone, and ruff (in the matrix) finds nothing to fix.
    project = render_with(copie, template_dir, {})
    routes = (project / "src" / "task_service" / "api" / "routes" / "task.py").read_text()

    assert "from task_service.application.links import" not in routes
    assert "TaskSort" not in routes
    assert "from task_service.api.partial import if_given, unless_none" in routes


def test_only_a_trailing_comma_keeps_an_import_one_name_a_line() -> None:
    exploded = "from a import (\n    b,\n    c,\n)\n\nprint(b, c)\n"
    collapsed = "from a import (b, c)\n\nprint(b, c)\n"

    assert tidy_imports(exploded, set()) == exploded
    assert tidy_imports(collapsed, set()) == "from a import b, c\n\nprint(b, c)\n"


def test_a_keyword_argument_of_the_same_name_is_not_a_use() -> None:
    module = (
        '"""Doc."""\n\nfrom tests.parents import parent_id, seed\n\n'
        "seed(parent_id=None)\nx: parent_id = 1\n"
    )
    only_keyword = (
        '"""Doc."""\n\nfrom tests.parents import parent_id, seed\n\nseed(\n    parent_id=None,\n)\n'
    )

    assert "import parent_id, seed" in tidy_imports(module, set())
    assert "from tests.parents import seed\n" in tidy_imports(only_keyword, set())
