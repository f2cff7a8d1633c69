"""The description of an update's pull or merge request: the same inputs, the same text.

``blueprint fleet update --push`` writes it next to the check log and the rendered
scheduled workflow passes it to the forge's CLI (``gh pr create --body-file``,
``glab mr create --description``). It says what the update moves (the versions), what
the template changed on the way (the CHANGELOG sections of every release crossed, read
from the template at the target release), what needs a person (conflicts) and how the
checks went.
"""

import functools
import re
import tempfile
from collections.abc import Sequence
from pathlib import Path

from packaging.version import InvalidVersion, Version

from generator.lifecycle import git, repository_location

_SECTION = re.compile(r"^## (?P<title>.+)$", re.MULTILINE)


def _version(text: str) -> Version | None:
    try:
        return Version(text.removeprefix("v"))
    except InvalidVersion:
        return None


@functools.cache
def template_changelog(source: str, release: str) -> str:
    """``CHANGELOG.md`` of the template at ``release`` (empty if it has none).

    Raises:
        subprocess.CalledProcessError: The release cannot be fetched from ``source``.
    """
    with tempfile.TemporaryDirectory(prefix="blueprint-changelog-") as scratch:
        clone = Path(scratch)
        repository = repository_location(source)
        git(clone, "clone", "--quiet", "--depth", "1", "--branch", release, repository, "t")
        path = clone / "t" / "CHANGELOG.md"
        return path.read_text("utf-8") if path.is_file() else ""


def crossed(changelog: str, previous: str | None, target: str) -> str:
    """The sections of the releases after ``previous`` up to ``target``, newest first."""
    low, high = _version(previous or ""), _version(target)
    matches = list(_SECTION.finditer(changelog))
    ends = [match.start() for match in matches[1:]] + [len(changelog)]
    kept = []
    for match, end in zip(matches, ends, strict=True):
        version = _version(match["title"].split()[0])
        if version is None or high is None or version > high:
            continue
        if low is not None and version <= low:
            continue
        kept.append(changelog[match.start() : end].strip())
    return "\n\n".join(kept)


def description(
    *,
    service: str,
    previous: str | None,
    target: str,
    changelog: str,
    conflicts: list[str],
    failed_steps: list[str] | None,
    kept: Sequence[str] = (),
    missed: Sequence[str] = (),
) -> str:
    """The Markdown body. ``failed_steps``: ``None`` when the checks did not run.

    ``kept``: edited files the release deletes (kept as ``<file>.orig``); ``missed``:
    files the service deleted or renamed whose changes in the release Copier skipped.
    """
    lines = [
        f"# Update {service} to Service Blueprint {target}",
        "",
        f"The service moves from template {previous or 'an unversioned render'} to {target}"
        " (made by `blueprint fleet update`; the answers and the local edits are kept).",
        "",
        "## Conflicts",
        "",
    ]
    if conflicts:
        lines.append("Resolve the `<<<<<<<` markers in these files before merging:")
        lines += ["", *(f"- `{name}`" for name in conflicts)]
    else:
        lines.append("None.")
    if kept:
        lines += ["", "## Edited files the release deletes", ""]
        lines.append("Your version of each is kept beside it as `<file>.orig`; move what you")
        lines.append("need into the release's layout, then delete the `.orig` files:")
        lines += ["", *(f"- `{name}`" for name in kept)]
    if missed:
        lines += ["", "## Release changes this service did not receive", ""]
        lines.append("The release changes these files, which this service deleted or renamed;")
        lines.append("Copier skips them. Apply what applies by hand:")
        lines += ["", *(f"- `{name}`" for name in missed)]
    lines += ["", "## Checks", ""]
    if failed_steps is None:
        lines.append("Not run here (`--no-validate`, or conflicts): the service's CI runs them.")
    elif failed_steps:
        lines.append("Failed: " + ", ".join(f"`{step}`" for step in failed_steps) + ".")
    else:
        lines.append("All passed: `uv sync`, the OpenAPI export, ruff, mypy, import contracts,")
        lines.append("pytest.")
    excerpt = crossed(changelog, previous, target)
    lines += ["", "## What changed in the template", "", excerpt or "(no CHANGELOG entries)"]
    return "\n".join(lines) + "\n"


def push(path: Path, branch: str, remote: str = "origin") -> None:
    """Push ``branch`` to ``remote``, replacing what an earlier run pushed there.

    ``--force-with-lease``: a branch someone else pushed to since is refused, not lost.

    Raises:
        subprocess.CalledProcessError: The push failed.
    """
    git(path, "push", "--quiet", "--force-with-lease", "--set-upstream", remote, branch)
