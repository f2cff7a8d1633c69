"""Copier's silent edges, guarded: edits an update would lose, markers left committed.

- An edited file that the new release deletes: Copier removes it without a word. The
  update keeps the service's version beside it as ``<file>.orig`` and reports it.
- Conflict markers committed after an update: ``blueprint check`` names the files and fails.
"""

import subprocess
from collections.abc import Iterable
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


def committed_conflicts(path: Path) -> list[str]:
    """Files committed (at HEAD) with an update's conflict markers in them."""
    command = ["git", "grep", "-l", "--fixed-strings", "-e", CONFLICT_MARKER, "HEAD", "--"]
    found = subprocess.run(command, cwd=path, capture_output=True, text=True, check=False)
    # git grep exits 1 when nothing matches.
    return sorted(line.split(":", 1)[1] for line in found.stdout.splitlines() if ":" in line)
