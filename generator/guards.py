"""Copier's silent edges, guarded: edits an update would lose, markers left committed.

- An edited file that the new release deletes: Copier removes it without a word. The
  update keeps the service's version beside it as ``<file>.orig`` and reports it.
- A file the service deleted or renamed that the new release changes: Copier skips the
  change without a word. The update names each such file (and what it was renamed to),
  for the change to be applied by hand.
- Conflict markers committed after an update: ``blueprint check`` names the files and fails.
"""

import subprocess
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Final

#: What starts a conflict an update writes inline (Copier's ``conflict="inline"``).
CONFLICT_MARKER: Final = "<<<<<<< before updating"
#: The suffix an edited file the release deletes is kept under.
KEPT_SUFFIX: Final = ".orig"


def contents(path: Path, names: Iterable[str]) -> dict[str, bytes]:
    """The bytes of the files ``names`` under ``path``, read before an update."""
    return {name: (path / name).read_bytes() for name in names if (path / name).is_file()}


def keep_deleted_edits(path: Path, edited: dict[str, bytes]) -> list[str]:
    """Write back, as ``<file>.orig``, every edited file the update removed; their names."""
    kept = []
    for name, content in sorted(edited.items()):
        if not (path / name).exists():
            (path / f"{name}{KEPT_SUFFIX}").write_bytes(content)
            kept.append(name)
    return kept


@dataclass(frozen=True, slots=True)
class Missed:
    """A file the release changed that the service deleted or renamed: Copier skipped it."""

    path: str
    #: Where the service moved it, when git sees a rename since the render.
    renamed_to: str | None = None

    def __str__(self) -> str:
        """``a.py``, or ``a.py (renamed to b.py)``."""
        return f"{self.path} (renamed to {self.renamed_to})" if self.renamed_to else self.path


def renames(path: Path, since: str) -> dict[str, str]:
    """Files renamed since the commit ``since``, as git's rename detection sees them.

    Raises:
        subprocess.CalledProcessError: git failed.
    """
    command = ["git", "diff", "--find-renames", "--name-status", "-z", since, "HEAD"]
    listed = subprocess.run(command, cwd=path, capture_output=True, text=True, check=True)
    entries = iter(listed.stdout.split("\0"))
    moved = {}
    for status in entries:
        if status.startswith(("R", "C")):
            old, new = next(entries), next(entries)
            if status.startswith("R"):
                moved[old] = new
        elif status:
            next(entries)
    return moved


def missed_changes(
    gone: Mapping[str, bytes], released: Path, moved: Mapping[str, str]
) -> list[Missed]:
    """The files of ``gone`` that the release rendered at ``released`` changes.

    ``gone``: the files the service removed, with their bytes in a render of its version
    before the update.
    """
    missed = []
    for name, before in sorted(gone.items()):
        after = released / name
        if after.is_file() and after.read_bytes() != before:
            missed.append(Missed(name, moved.get(name)))
    return missed


def committed_conflicts(path: Path) -> list[str]:
    """Files committed (at HEAD) with an update's conflict markers in them."""
    command = ["git", "grep", "-l", "--fixed-strings", "-e", CONFLICT_MARKER, "HEAD", "--"]
    found = subprocess.run(command, cwd=path, capture_output=True, text=True, check=False)
    # git grep exits 1 when nothing matches.
    return sorted(line.split(":", 1)[1] for line in found.stdout.splitlines() if ":" in line)
