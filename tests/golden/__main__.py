"""Write a golden file for a new answer set: ``python -m tests.golden NAME ENTITIES.yml``.

An existing golden file is never rewritten: what it holds was released, and deployed
databases know those revisions. This refuses to overwrite one.
"""

import sys
import tempfile
from pathlib import Path

import copier

from tests.conftest import REPO
from tests.golden import GOLDEN, revision_digests, write_digests


def main(arguments: list[str]) -> int:
    """Render the answer set from this checkout and write its revisions' digests."""
    if len(arguments) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    name, entities = arguments
    golden = GOLDEN / f"{name}_revisions.sha256"
    if golden.exists():
        print(f"{golden} exists; released revisions never change", file=sys.stderr)
        return 1
    with tempfile.TemporaryDirectory() as scratch:
        project = Path(scratch) / "project"
        copier.run_copy(
            str(REPO),
            project,
            data={"entities": Path(entities).read_text("utf-8")},
            defaults=True,
            unsafe=True,
            quiet=True,
            vcs_ref="HEAD",
        )
        write_digests(golden, revision_digests(project))
    print(f"wrote {golden}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
