"""The template's filters: pure, typed functions registered by one Jinja extension.

Copier does not load :class:`FiltersExtension` directly: it loads
:class:`generator.release.ReleaseExtension`, which hands the environment to the
``FiltersExtension`` of the release being rendered (this module when the installed
generator is that release). No filter reads the clock, the network, the environment or
the file system.
"""

import hashlib
import re
from collections.abc import Callable, Iterable, Mapping, MutableMapping
from typing import Any, Final

import yaml
from jinja2 import Environment, Template, nodes
from jinja2.ext import Extension

from generator import naming, pyliteral, versions
from generator.answers import QUESTIONS, answer_error
from generator.entities import EntityRuleError, workflow_path
from generator.model import Model
from generator.pyimports import tidy_imports, wrapped
from generator.schema import template_markers

_REQUIREMENT = re.compile(r"(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)(?P<extras>\[[a-z0-9,_-]+\])?")


def pinned(requirement: str) -> str:
    """Pin a requirement to the version of the generator's one version table.

    Args:
        requirement: A distribution name, optionally with extras: ``"uvicorn[standard]"``.

    Returns:
        The requirement with its exact version: ``"uvicorn[standard]==0.54.0"``.

    Raises:
        KeyError: The distribution is not in :data:`generator.versions.ALL`, so the
            render fails instead of producing an unpinned dependency.
    """
    match = _REQUIREMENT.fullmatch(requirement)
    if match is None:
        raise KeyError(f"not a requirement: {requirement!r}")
    name = match["name"].lower().replace("_", "-")
    if name not in versions.ALL:
        raise KeyError(f"{name!r} is not in the generator's version table (generator/versions.py)")
    return f"{requirement}=={versions.ALL[name]}"


def action(name: str) -> str:
    """A GitHub Action pinned from the version table: ``actions/checkout@v4``.

    Raises:
        KeyError: The action is not in :data:`generator.versions.ACTIONS`.
    """
    return f"{name}@{versions.ACTIONS[name]}"


def image(name: str, python_version: str | None = None) -> str:
    """A container image pinned from the version table: ``postgres:16-bookworm``.

    The ``python`` image takes the answered Python version: ``python:3.13-slim-bookworm``.

    Raises:
        KeyError: The image is not in :data:`generator.versions.IMAGES`.
    """
    tag = versions.IMAGES[name]
    if python_version is not None:
        tag = f"{python_version}-{tag}"
    return f"{name}:{tag}"


def version_of(distribution: str) -> str:
    """Return the pinned version of ``distribution`` (or CI tool) from the version table."""
    return versions.ALL.get(distribution) or versions.TOOLS[distribution]


def first_snapshot(entities: object) -> str:
    """The default ``schema_history`` (YAML): the ``entities`` answer, the template's steps.

    A first render records every template step after its first snapshot, as a service
    that took each release in turn would have: one chain of revisions for both.
    """
    return yaml.safe_dump([entities, *template_markers([])], sort_keys=False)


def ordered_answers(answers: Mapping[str, Any]) -> dict[str, Any]:
    """Copier's recorded answers in a fixed order: its own keys, then the questions' order.

    Copier lists answers given with ``--data`` first; ordering them here keeps the answers
    file byte-identical however the same answers were given.
    """
    own = sorted(key for key in answers if key.startswith("_"))
    asked = [key for key in QUESTIONS if key in answers]
    rest = sorted(key for key in answers if key not in own and key not in asked)
    return {key: _unshared(answers[key]) for key in [*own, *asked, *rest]}


def _unshared(value: object) -> object:
    """``value`` rebuilt without shared parts: YAML would write them as anchors (``*id001``).

    ``schema_history`` repeats the ``entities`` answer; each is written out in full.
    """
    if isinstance(value, Mapping):
        return {key: _unshared(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_unshared(item) for item in value]
    return value


def python(
    values: Iterable[str] | Mapping[str, str],
    kind: str = "list",
    *,
    head: str | None = None,
    indent: int = 0,
) -> str:
    """A Python literal of strings: ``["a", "b"]``, ``("a",)``, ``{"a"}`` / ``set()``, a dict.

    Args:
        values: The strings; a mapping of strings gives a dict.
        kind: For strings, ``list``, ``tuple``, ``set`` or ``frozenset``.
        head: With it, ``head`` and a list, tuple or set laid out as ruff format writes it
            from column ``indent`` (one line if it fits, else one item per line); without
            it, the literal on one line.
        indent: The column ``head`` starts at.

    Raises:
        ValueError: ``head`` with a mapping or a frozenset, which are not laid out.
    """
    if head is not None:
        if isinstance(values, Mapping) or kind == "frozenset":
            message = "python(head=...) lays out lists, tuples and sets only"
            raise ValueError(message)
        literals: list[pyliteral.Node] = [pyliteral.text(value) for value in values]
        return pyliteral.layout(pyliteral.sequence(literals, kind), indent, head)
    if isinstance(values, Mapping):
        pairs = ", ".join(
            f"{naming.quoted(key)}: {naming.quoted(value)}" for key, value in values.items()
        )
        return f"{{{pairs}}}"
    items = [naming.quoted(value) for value in values]
    joined = ", ".join(items)
    if kind == "tuple":
        return f"({joined}{',' if len(items) == 1 else ''})"
    if kind in {"set", "frozenset"}:
        literal = f"{{{joined}}}" if items else "set()"
        return f"frozenset({literal})" if kind == "frozenset" else literal
    return f"[{joined}]"


FILTERS: Final[dict[str, Callable[..., Any]]] = {
    "action": action,
    "image": image,
    "answer_error": answer_error,
    "first_snapshot": first_snapshot,
    "camel_case": naming.camel_case,
    "kebab_case": naming.kebab_case,
    "ordered_answers": ordered_answers,
    "pascal_case": naming.pascal_case,
    "pinned": pinned,
    "plural": naming.plural,
    "python": python,
    "quoted": naming.quoted,
    "singular": naming.singular,
    "snake_case": naming.snake_case,
    "version_of": version_of,
    "workflow_path": workflow_path,
    "wrapped": wrapped,
}


class FiltersExtension(Extension):
    """Sets up a template environment: the filters, the entity model, tidy imports.

    - :data:`FILTERS` become the environment's filters;
    - every template Copier renders (files, paths, the answers file) gets ``model``, the
      :class:`generator.model.Model` of the ``entities`` answer, built once per answer;
    - every rendered Python module's imports are tidied (:mod:`generator.pyimports`);
    - each distinct ``from_string`` source is compiled once.
    """

    def __init__(self, environment: Environment) -> None:
        """Set up ``environment`` as the class says."""
        super().__init__(environment)
        environment.filters.update(FILTERS)
        _hand_out_the_model(environment)
        _compile_each_string_once(environment)
        _tidy_python_imports(environment)


def _hand_out_the_model(environment: Environment) -> None:
    """Put ``model`` into the context of every template Copier renders (a context hook)."""
    models: dict[str, Model | None] = {}
    # Copier hands every template the same answer object: look it up by identity first.
    last: list[tuple[object, object, Model | None]] = []

    def model(entities: object, history: object) -> Model | None:
        if last and last[0][0] is entities and last[0][1] is history:
            return last[0][2]
        key = repr((entities, history))
        if key not in models:
            try:
                models[key] = Model.from_answer(
                    entities, history if isinstance(history, list) else None
                )
            except EntityRuleError:
                models[key] = None  # the answers' validators name the rule they broke
        last[:] = [(entities, history, models[key])]
        return models[key]

    class ModelContext(environment.context_class):  # type: ignore[name-defined,misc]
        def __init__(
            self,
            environment: Environment,
            parent: dict[str, Any],
            name: str | None,
            blocks: dict[str, Any],
            globals: MutableMapping[str, Any] | None = None,
        ) -> None:
            # While questions are asked the answer may still be YAML text: no model yet.
            answer = parent.get("entities") if "_copier_conf" in parent else None
            history = parent.get("schema_history")
            if isinstance(answer, list) and (built := model(answer, history)) is not None:
                parent["model"] = built
            super().__init__(environment, parent, name, blocks, globals)

    environment.context_class = ModelContext


_TAG = re.compile(r"\{%.*?%\}|\{\{.*?\}\}")


def renders_python(name: str | None) -> bool:
    """Whether a template file renders a Python module (``…py.jinja``, tags aside)."""
    return name is not None and _TAG.sub("", name).endswith(".py.jinja")


def _tidy_python_imports(environment: Environment) -> None:
    """Tidy the import block of every Python module the environment renders.

    Templates list the imports a module may need as plain lines;
    :func:`generator.pyimports.tidy_imports` keeps the used ones, ordered as ruff's isort
    writes them, with the answered package as first-party.
    """

    class PythonModuleTemplate(environment.template_class):  # type: ignore[name-defined,misc]
        def render(self, *args: object, **kwargs: object) -> str:
            text: str = super().render(*args, **kwargs)
            if not renders_python(self.name):
                return text
            context: dict[str, object] = dict(*args, **kwargs)
            package = context.get("package_name")
            return tidy_imports(text, {str(package)} if package else set())

    environment.template_class = PythonModuleTemplate


def _compile_each_string_once(environment: Environment) -> None:
    """Make ``environment.from_string`` compile each distinct source once.

    Copier renders every path part, answer default and validator with ``from_string``:
    about a thousand compiles of a few hundred distinct strings per render. The compiled
    template is reused; the extensions' preprocess hooks still run for every call
    (Copier's ``yield`` tag resets its per-render state there), as a compile would run
    them.
    """
    compile_string = environment.from_string
    compiled: dict[str, Template] = {}

    def from_string(
        source: object,
        globals: MutableMapping[str, Any] | None = None,
        template_class: type[Template] | None = None,
    ) -> Template:
        if isinstance(source, nodes.Template) or globals is not None or template_class:
            return compile_string(source, globals, template_class)  # type: ignore[arg-type]
        # Copier also hands over answers' values as they are (``when: true``): Jinja reads
        # any value as its text.
        source = str(source)
        if source in compiled:
            environment.preprocess(source)
        else:
            compiled[source] = _from_cache(environment, source) or compile_string(source)
        return compiled[source]

    environment.from_string = from_string  # type: ignore[method-assign]


def _from_cache(environment: Environment, source: str) -> Template | None:
    """``source`` compiled by way of the environment's bytecode cache, if it has one.

    Jinja keeps only loaded templates there; a string gets a name of its own content, so
    each distinct string has one entry (:mod:`generator.render_cache`).
    """
    cache = environment.bytecode_cache
    if cache is None:
        return None
    name = f"<string {hashlib.sha256(source.encode()).hexdigest()}>"
    bucket = cache.get_bucket(environment, name, None, source)
    if bucket.code is None:
        bucket.code = environment.compile(source)
        cache.set_bucket(bucket)
    else:
        environment.preprocess(source)  # as a compile would (see above)
    code_globals = environment.make_globals(None)
    return environment.template_class.from_code(environment, bucket.code, code_globals, None)
