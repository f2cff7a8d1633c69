"""The rules every answer must keep, in one place.

Copier's question validators call :func:`answer_error` (through the ``answer_error``
filter), and the CLI validates whole answer sets with :class:`Answers` before anything is
written, so a rule is written once and enforced on both paths. Every message starts with
the question's name and states the rule.
"""

import keyword
import re
import sys
from collections.abc import Callable, Mapping
from typing import Annotated, Any, Final, Literal

import yaml
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    EmailStr,
    TypeAdapter,
    ValidationError,
    model_validator,
)

from generator import versions
from generator.entities import parse_entities
from generator.schema import HOW_TO_CHANGE, has_markers, history_error

PYTHON_VERSIONS: Final = ("3.12", "3.13")
#: The first choice of each question is its default in copier.yml (a test holds them equal).
DATABASES: Final = ("sqlite", "postgresql")
CACHES: Final = ("memory", "redis")
CI_PROVIDERS: Final = ("github", "gitlab")
#: Question -> its fixed choices, for the message that names them.
_CHOICES: Final[Mapping[str, tuple[str, ...]]] = {
    "python_version": PYTHON_VERSIONS,
    "database": DATABASES,
    "cache": CACHES,
    "ci": CI_PROVIDERS,
}
#: Longest package name: the rendered code stays within its 100-column lines with it
#: (a template test renders one this long).
MAX_PACKAGE_LENGTH: Final = 32
MAX_SLUG_LENGTH: Final = 64

_SLUG = re.compile(r"[a-z][a-z0-9]*(?:-[a-z0-9]+)*")
_PACKAGE = re.compile(r"[a-z][a-z0-9_]*")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_UNSAFE_IN_NAME: Final = frozenset('"\\`{}')
_RESERVED_PACKAGES: Final = frozenset({"test", "tests", "src", "docs"})
#: Soft keywords of every supported Python (``type`` became one in 3.12), fixed here so
#: the rule does not depend on the Python that runs the generator.
_SOFT_KEYWORDS: Final = frozenset({"_", "case", "match", "type"})


def _one_line(max_length: int) -> Callable[[str], str]:
    def check(value: str) -> str:
        if not value.strip():
            raise ValueError("must not be empty")
        if value != value.strip():
            raise ValueError("must not start or end with spaces")
        if _CONTROL.search(value):
            raise ValueError("must be a single line without control characters")
        if len(value) > max_length:
            raise ValueError(f"must be at most {max_length} characters (got {len(value)})")
        return value

    return check


def _project_name(value: str) -> str:
    if not re.search(r"[A-Za-z]", value):
        raise ValueError("must contain at least one ASCII letter, so a slug can be derived")
    if unsafe := sorted(set(value) & _UNSAFE_IN_NAME):
        characters = " ".join(unsafe)
        raise ValueError(f"must not contain {characters} (the name is written into code)")
    return value


def _project_slug(value: str) -> str:
    if not _SLUG.fullmatch(value):
        raise ValueError(
            f"{value!r} is not a valid slug: use lowercase letters, digits and single "
            "hyphens, starting with a letter (e.g. 'orders-service')"
        )
    if len(value) > MAX_SLUG_LENGTH:
        raise ValueError(f"must be at most {MAX_SLUG_LENGTH} characters")
    return value


def _package_name(value: str) -> str:
    if not _PACKAGE.fullmatch(value):
        raise ValueError(
            f"{value!r} is not a valid package name: use lowercase letters, digits and "
            "underscores, starting with a letter (e.g. 'orders_service')"
        )
    if len(value) > MAX_PACKAGE_LENGTH:
        raise ValueError(f"must be at most {MAX_PACKAGE_LENGTH} characters")
    if keyword.iskeyword(value) or value in _SOFT_KEYWORDS:
        raise ValueError(f"{value!r} is a Python keyword and cannot name a package")
    if value in sys.stdlib_module_names:
        raise ValueError(f"{value!r} would shadow the standard-library module of that name")
    if value in _RESERVED_PACKAGES:
        raise ValueError(f"{value!r} is reserved for the project's own folders")
    if value in versions.IMPORT_NAMES:
        raise ValueError(f"{value!r} would shadow the dependency of that name")
    return value


ProjectName = Annotated[str, AfterValidator(_one_line(80)), AfterValidator(_project_name)]
ProjectSlug = Annotated[str, AfterValidator(_project_slug)]
PackageName = Annotated[str, AfterValidator(_package_name)]
Description = Annotated[str, AfterValidator(_one_line(200))]
TeamName = Annotated[str, AfterValidator(_one_line(100))]
PythonVersion = Literal["3.12", "3.13"]
Database = Literal["sqlite", "postgresql"]
Cache = Literal["memory", "redis"]
CiProvider = Literal["github", "gitlab"]


def _yaml_text(value: object) -> object:
    """Accept the YAML text a command line passes (``-d entities='[...]'``)."""
    if not isinstance(value, str):
        return value
    try:
        return yaml.safe_load(value)
    except yaml.YAMLError as error:
        message = f"is not valid YAML ({str(error).splitlines()[0]})"
        raise ValueError(message) from error


def _entities(value: object) -> object:
    if has_markers(value):
        message = (
            "renamed_from and removed say how the data model changed; they belong in "
            f"schema_history, which `{HOW_TO_CHANGE}` records"
        )
        raise ValueError(message)
    parse_entities(value)
    return value


def _history(value: object) -> object:
    if not isinstance(value, list) or not value:
        message = "must be a non-empty list of entities answers, oldest first"
        raise ValueError(message)
    return value


Entities = Annotated[object, BeforeValidator(_yaml_text), AfterValidator(_entities)]
SchemaHistory = Annotated[object, BeforeValidator(_yaml_text), AfterValidator(_history)]


class Answers(BaseModel):
    """A complete, valid set of answers to the template's questions."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    project_name: ProjectName
    project_slug: ProjectSlug
    package_name: PackageName
    description: Description
    team: TeamName
    team_email: EmailStr
    python_version: PythonVersion
    database: Database
    cache: Cache
    realtime: bool
    ci: CiProvider
    kubernetes: bool
    entities: Entities
    schema_history: SchemaHistory | None = None

    @model_validator(mode="after")
    def _questions_agree(self) -> "Answers":
        if message := combination_error(self.kubernetes, self.database):
            raise ValueError(message)
        if self.schema_history is not None and (
            message := history_error(self.entities, self.schema_history)
        ):
            raise ValueError(message)
        return self


#: Question name -> the adapter that checks one answer to it.
_ADAPTERS: Final[Mapping[str, TypeAdapter[Any]]] = {
    name: TypeAdapter(field.rebuild_annotation()) for name, field in Answers.model_fields.items()
}

QUESTIONS: Final = tuple(Answers.model_fields)


def _message(question: str, error: ValidationError) -> str:
    details = "; ".join(_describe(question, item) for item in error.errors())
    return f"{question}: {details}"


def _describe(question: str, item: Mapping[str, Any]) -> str:
    message = str(item["msg"])
    if item["type"] == "literal_error":
        return f"{item['input']!r} is not one of {', '.join(_CHOICES[question])}"
    if item["type"] == "value_error":
        return message.removeprefix("Value error, ")
    return message[:1].lower() + message[1:]


def combination_error(kubernetes: bool, database: str) -> str:
    """The rule between answers: Kubernetes replicas cannot share one SQLite file."""
    if kubernetes and database == "sqlite":
        return (
            "kubernetes: true needs database=postgresql (got sqlite): the replicas of a "
            "Deployment cannot share one SQLite file"
        )
    return ""


def answer_error(value: object, question: str, **others: object) -> str:
    """Check one answer against its question's rule, and against the answers in ``others``.

    Args:
        value: The answer, as Copier holds it.
        question: The question's name, e.g. ``"package_name"``.
        others: Answers to earlier questions that a rule ties this one to
            (``kubernetes`` is checked against ``database``).

    Returns:
        An empty string when the answer is valid, otherwise a message that starts with
        the question's name and states the rule it broke. Copier shows a non-empty
        validator result as the error.

    Raises:
        KeyError: ``question`` is not one of the template's questions.
    """
    try:
        checked = _ADAPTERS[question].validate_python(value)
    except ValidationError as error:
        return _message(question, error)
    if question == "kubernetes" and "database" in others:
        return combination_error(bool(checked), str(others["database"]))
    if question == "entities":
        return _recorded_history_error(checked, others)
    return ""


def _recorded_history_error(entities: object, others: Mapping[str, object]) -> str:
    """Whether ``entities`` follows from ``others["schema_history"]``, given or recorded.

    Copier's validator of ``entities`` sees the history given with ``--data`` or recorded
    in the answers file (0.8.0's answer migration records it for older services); on a
    first render there is none yet, and its default follows from ``entities``. With
    ``given`` (the answer given with ``--data``), a recorded answer that differs is one
    Copier is about to replace: only the answer that will be rendered is checked.
    """
    given = others.get("given")
    if isinstance(given, str):
        try:
            given = yaml.safe_load(given)
        except yaml.YAMLError:
            given = None
    if given is not None and given != entities:
        # Copier checks the recorded answer before it takes the one given: it is replaced.
        return ""
    history = others.get("schema_history")
    if isinstance(history, str):
        try:
            history = yaml.safe_load(history)
        except yaml.YAMLError:
            return "schema_history: is not valid YAML"
    return "" if history is None else history_error(entities, history)


def check_answers(data: Mapping[str, object]) -> list[str]:
    """Check the answers a user supplied (a partial set) before anything is rendered.

    Args:
        data: Question name -> answer; questions left out keep their defaults.

    Returns:
        One message per broken rule or unknown question, empty when all are valid.
    """
    problems = [
        f"{name}: not a question of this template (known: {', '.join(QUESTIONS)})"
        for name in data
        if name not in _ADAPTERS
    ]
    problems += [
        message
        for name, value in data.items()
        if name in _ADAPTERS and (message := answer_error(value, name))
    ]
    if not problems and "entities" in data and "schema_history" in data:
        entities = _ADAPTERS["entities"].validate_python(data["entities"])
        if message := _recorded_history_error(entities, data):
            problems.append(message)
    if not problems:
        kubernetes = _ADAPTERS["kubernetes"].validate_python(data.get("kubernetes", False))
        database = str(data.get("database", DATABASES[0]))
        if message := combination_error(kubernetes, database):
            problems.append(message)
    return problems
