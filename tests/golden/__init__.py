"""Golden digests: the files no release may ever change, and how to write them.

Only what deployed services depend on byte for byte is golden: the Alembic revisions
their databases applied (known by id), never every file of a render, so that a version
bump or a template improvement passes the suite unchanged.
"""

import hashlib
from pathlib import Path

GOLDEN = Path(__file__).parent
#: The revisions of the three-entity answer set (``tests.conftest.THREE_ENTITIES``).
GOLDEN_REVISIONS = GOLDEN / "three_entity_revisions.sha256"
_REVISIONS = "src/*/infrastructure/migrations/versions/*.py"


def revision_digests(project: Path) -> dict[str, str]:
    """SHA-256 of every revision file of a rendered project, by ``./relative/path``."""
    return {
        f"./{path.relative_to(project).as_posix()}": hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(project.glob(_REVISIONS))
    }


def read_digests(golden: Path) -> dict[str, str]:
    """The digests a golden file holds (``sha256sum`` format)."""
    digests: dict[str, str] = {}
    for line in golden.read_text(encoding="utf-8").splitlines():
        digest, path = line.split(maxsplit=1)
        digests[path] = digest
    return digests


def write_digests(golden: Path, digests: dict[str, str]) -> None:
    """Write digests in ``sha256sum`` format, sorted by path."""
    lines = [f"{digest}  {path}\n" for path, digest in sorted(digests.items())]
    golden.write_text("".join(lines), encoding="utf-8")


def released(digests: dict[str, str], golden: Path) -> dict[str, str]:
    """``digests`` of the files a golden file holds (``None`` for one that is gone).

    Revisions released later than the golden file (a template step's, added on top of
    the chain) are new files: they move nothing a database has applied.
    """
    return {path: digests.get(path, "missing") for path in read_digests(golden)}
