"""Releases, read from the repository's history: which commit is which version.

A release is the commit that sets a final version (``X.Y.Z``, no ``.devN``, ``aN``,
``bN`` or ``rcN``) in ``generator/__init__.py`` and has a ``## X.Y.Z`` section in its
``CHANGELOG.md``; the first such commit of each version is the release. Work after a
release carries a development version (``0.8.0.dev0``) under an ``## Unreleased``
section, so a render of it never claims to be a release.

Tags are derived from this rule, so any clone recreates the same ones::

    python -m generator.releases            # list the releases and their commits
    python -m generator.releases --tag      # create the missing v<version> tags

Tags are lightweight (they hold no date or tagger), so recreating them anywhere gives the
same refs. A tag that exists on another commit is reported and left alone.
"""

import argparse
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from packaging.version import InvalidVersion, Version

from generator.lifecycle import git

VERSION_FILE: Final = "generator/__init__.py"
CHANGELOG: Final = "CHANGELOG.md"
_VERSION = re.compile(r'^__version__ = "(?P<version>[^"]+)"$', re.MULTILINE)


@dataclass(frozen=True)
class Release:
    """One release: its version and the commit that made it."""

    version: str
    commit: str

    @property
    def tag(self) -> str:
        """The git tag of the release: ``v0.7.0``."""
        return f"v{self.version}"


def _show(repository: Path, commit: str, path: str) -> str:
    try:
        return git(repository, "show", f"{commit}:{path}")
    except subprocess.CalledProcessError:
        return ""


def declared_version(source: str) -> str | None:
    """The ``__version__`` that a ``generator/__init__.py`` declares, if any."""
    match = _VERSION.search(source)
    return match["version"] if match else None


def is_final(version: str) -> bool:
    """Whether ``version`` is a release version (not dev, alpha, beta or candidate)."""
    try:
        parsed = Version(version)
    except InvalidVersion:
        return False
    return not (parsed.is_prerelease or parsed.is_devrelease or parsed.local)


def closes_section(changelog: str, version: str) -> bool:
    """Whether the changelog has a ``## <version>`` section."""
    return f"\n## {version}\n" in f"\n{changelog}"


def releases(repository: Path, revision: str = "HEAD") -> list[Release]:
    """Every release in the history of ``revision``, oldest first."""
    commits = git(
        repository, "log", "--reverse", "--format=%H", revision, "--", VERSION_FILE
    ).split()
    found: dict[str, Release] = {}
    for commit in commits:
        version = declared_version(_show(repository, commit, VERSION_FILE))
        if version is None or version in found or not is_final(version):
            continue
        if closes_section(_show(repository, commit, CHANGELOG), version):
            found[version] = Release(version, commit)
    return sorted(found.values(), key=lambda release: Version(release.version))


#: What a render reads: a change to any of these changes what a version renders.
RENDER_INPUTS: Final = ("copier.yml", "template", "generator")


def release_problems(repository: Path) -> list[str]:
    """Why the working tree's version does not mean one thing, if it does not.

    A development version must be above the newest release; a release version must be
    released (its commit found in the history) and the working tree must render exactly
    what that commit renders: no change under :data:`RENDER_INPUTS` since then.
    """
    version = declared_version((repository / VERSION_FILE).read_text("utf-8"))
    if version is None:
        return [f"{VERSION_FILE} declares no __version__"]
    made = releases(repository)
    if not is_final(version):
        newest = made[-1].version if made else None
        if newest is not None and Version(version) <= Version(newest):
            return [f"{version} is a development version below the newest release {newest}"]
        return []
    release = next((item for item in made if item.version == version), None)
    if release is None:
        return [f"{version} is not released yet: close its CHANGELOG section in that commit"]
    changed = git(repository, "diff", "--name-only", release.commit, "--", *RENDER_INPUTS)
    if changed.strip():
        files = ", ".join(changed.split()[:5])
        return [
            f"the render inputs changed since {release.tag} ({files}) while the version "
            f"is still {version}: set a development version and an Unreleased section"
        ]
    return []


def existing_tags(repository: Path) -> dict[str, str]:
    """The repository's tags and the commits they point at."""
    listing = git(repository, "tag", "--list", "--format=%(refname:short) %(objectname)")
    return dict(line.split(" ", 1) for line in listing.splitlines() if line)


def tag_releases(repository: Path) -> tuple[list[Release], list[str]]:
    """Create the missing ``v<version>`` tags.

    Returns:
        The releases tagged now, and one problem per tag that exists on another commit.
    """
    tags = existing_tags(repository)
    made: list[Release] = []
    problems: list[str] = []
    for release in releases(repository):
        current = tags.get(release.tag)
        if current is None:
            git(repository, "tag", release.tag, release.commit)
            made.append(release)
        elif current != release.commit:
            problems.append(
                f"{release.tag} points at {current[:12]}, but the release is {release.commit[:12]}"
            )
    return made, problems


def main(argv: list[str] | None = None) -> int:
    """List the releases; with ``--tag``, create their missing tags."""
    parser = argparse.ArgumentParser(prog="python -m generator.releases", description=__doc__)
    parser.add_argument("--repository", type=Path, default=Path.cwd())
    parser.add_argument("--tag", action="store_true", help="create the missing v<version> tags")
    options = parser.parse_args(argv)
    if options.tag:
        made, problems = tag_releases(options.repository)
        for release in made:
            print(f"tagged {release.tag} {release.commit}")
        for problem in problems:
            print(f"error: {problem}", file=sys.stderr)
        return 1 if problems else 0
    for release in releases(options.repository):
        print(f"{release.tag} {release.commit}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
