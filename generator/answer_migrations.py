"""Answer migrations: Copier runs them before ``copier update`` (``_migrations`` in copier.yml).

When a release renames or restructures a question, the answers a service recorded under
the old shape would be lost on update (Copier would ask again, or take the default). A
migration rewrites ``.copier-answers.yml`` first, so the update sees the answers in the
new shape. Run as ``python -m generator.answer_migrations rename OLD=NEW ...`` in the
service's folder; it is idempotent, and it never touches anything else.

Releases:
    0.2.0: ``author_name`` → ``team`` and ``author_email`` → ``team_email``
        (``rename OLD=NEW ...``).
    0.8.0: ``schema_history`` is recorded, its only snapshot the ``entities`` the
        service has (``record-history``), so the entities validator can refuse a change
        of ``entities`` that comes without its snapshot; then the template steps
        ``row_versions`` and ``idempotency_keys`` (``template-step NAME ...``): their
        revisions follow the service's own, wherever its history stands.
"""

import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml

ANSWERS_FILE = Path(".copier-answers.yml")
HEADER = "# Changes here will be overwritten by Copier; NEVER EDIT MANUALLY\n"


def rename(answers: Mapping[str, Any], renames: Mapping[str, str]) -> dict[str, Any]:
    """Return ``answers`` with keys renamed in place (order kept); new names win if both exist."""
    renamed: dict[str, Any] = {}
    for key, value in answers.items():
        new = renames.get(key, key)
        if new != key and new in answers:
            continue  # already migrated: keep the answer under its new name
        renamed[new] = value
    return renamed


def record_history(answers: Mapping[str, Any]) -> dict[str, Any]:
    """Return ``answers`` with ``schema_history: [entities]`` after ``entities``, if missing."""
    if "schema_history" in answers or "entities" not in answers:
        return dict(answers)
    recorded: dict[str, Any] = {}
    for key, value in answers.items():
        recorded[key] = value
        if key == "entities":
            recorded["schema_history"] = [value]
    return recorded


def template_step(answers: Mapping[str, Any], names: Sequence[str]) -> dict[str, Any]:
    """Return ``answers`` with ``{template: NAME}`` appended to ``schema_history``, if missing.

    The step's revision then follows every revision the service has: the history says
    when the service took the release that brings it.
    """
    history = answers.get("schema_history")
    if not isinstance(history, list):
        return dict(answers)
    recorded = {entry.get("template") for entry in history if isinstance(entry, Mapping)}
    added = [{"template": name} for name in names if name not in recorded]
    return {**answers, "schema_history": [*history, *added]}


def _renames(pairs: Sequence[str]) -> dict[str, str]:
    renames = {}
    for pair in pairs:
        old, separator, new = pair.partition("=")
        if not separator or not old or not new:
            message = f"expected OLD=NEW, got {pair!r}"
            raise SystemExit(message)
        renames[old] = new
    return renames


def main(argv: Sequence[str] | None = None, answers_file: Path = ANSWERS_FILE) -> int:
    """Run one migration on ``answers_file``; return the exit code."""
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] not in {"rename", "record-history", "template-step"}:
        print(
            "usage: python -m generator.answer_migrations rename OLD=NEW ... | record-history"
            " | template-step NAME ...",
            file=sys.stderr,
        )
        return 2
    answers = yaml.safe_load(answers_file.read_text("utf-8")) or {}
    if args[0] == "rename":
        migrated = rename(answers, _renames(args[1:]))
    elif args[0] == "template-step":
        migrated = template_step(answers, args[1:])
    else:
        migrated = record_history(answers)
    if migrated != answers or list(migrated) != list(answers):
        body = yaml.safe_dump(migrated, sort_keys=False, allow_unicode=True)
        answers_file.write_text(HEADER + body, "utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
