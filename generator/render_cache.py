"""Compiled templates kept between renders: Jinja's bytecode cache, made safe to share.

Compiling the template's ~90 file templates is about half of a default render's CPU
(Jinja parses each one, generates Python source and compiles it). Jinja can keep the
compiled code on disk (:class:`jinja2.FileSystemBytecodeCache`); this module sets it up so
that a cached template can never render differently from a freshly compiled one:

* a template's entry is found by its name *and* everything its compiled code depends on
  besides its source (:func:`fingerprint`): the Python, Jinja and Copier versions, the
  environment's syntax and options, and its extensions with the render-time code of the
  release being rendered (``cache_identity`` of ``generator.release.ReleaseExtension``).
  Jinja itself checks the source: an entry whose template source changed is compiled
  again. (Jinja's own key is the file's path, which differs for every clone Copier
  renders from, so it would never hit.) The render-time code counts by its sources' digest:
  Jinja folds a filter applied to constants (``{{ "fastapi" | pinned }}``) into the
  compiled code, so the version table is in the entry.
* an unreadable, truncated or foreign entry is compiled again, and a cache that cannot be
  written is skipped: the cache only ever saves time.
* the folder is the user's own: created ``0700``; one that another user owns, or that
  others may write to, is not used (a cached entry is executed, as a ``.pyc`` is).

Where: ``$BLUEPRINT_CACHE_DIR``, else ``$XDG_CACHE_HOME/blueprint/templates``, else
``~/.cache/blueprint/templates``. ``BLUEPRINT_NO_CACHE=1`` turns it off. Deleting the
folder is always safe. The measurements are in ``docs/decisions/render-pipeline.md``.
"""

import hashlib
import importlib.metadata
import os
import stat
import sys
from pathlib import Path
from typing import Final

import jinja2
from jinja2 import Environment, FileSystemBytecodeCache
from jinja2.bccache import Bucket

#: Where the cache lives, if set (an empty value counts as unset).
CACHE_DIR_VARIABLE: Final = "BLUEPRINT_CACHE_DIR"
#: Any non-empty value turns the cache off.
NO_CACHE_VARIABLE: Final = "BLUEPRINT_NO_CACHE"


def cache_folder() -> Path | None:
    """The cache's folder, or ``None`` when the cache is turned off."""
    if os.environ.get(NO_CACHE_VARIABLE):
        return None
    if configured := os.environ.get(CACHE_DIR_VARIABLE):
        return Path(configured)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "blueprint" / "templates"


def _private(folder: Path) -> bool:
    """Create ``folder`` (``0700``) if needed; whether only this user may write to it."""
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        status = folder.stat()
    except OSError:
        return False
    owner_only = not status.st_mode & (stat.S_IWGRP | stat.S_IWOTH)
    user = os.getuid() if hasattr(os, "getuid") else status.st_uid  # no owners on Windows
    return stat.S_ISDIR(status.st_mode) and owner_only and status.st_uid == user


def _version(distribution: str) -> str:
    try:
        return importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        return "-"


def _name(value: object) -> str:
    """A stable name for an option that may be a function (``autoescape``, ``finalize``)."""
    if callable(value):
        return f"{getattr(value, '__module__', '?')}.{getattr(value, '__qualname__', '?')}"
    return repr(value)


def fingerprint(environment: Environment) -> str:
    """What a template's compiled code depends on, besides its source, as one digest.

    Read when the first template is loaded, after every extension has set the
    environment up.
    """
    extensions = sorted(
        f"{type(extension).__module__}.{type(extension).__qualname__}"
        f" {getattr(extension, 'cache_identity', '')}"
        for extension in environment.extensions.values()
    )
    parts = [
        sys.version,
        jinja2.__version__,
        _version("copier"),
        type(environment).__qualname__,
        *extensions,
        environment.block_start_string,
        environment.block_end_string,
        environment.variable_start_string,
        environment.variable_end_string,
        environment.comment_start_string,
        environment.comment_end_string,
        repr(environment.line_statement_prefix),
        repr(environment.line_comment_prefix),
        repr(environment.trim_blocks),
        repr(environment.lstrip_blocks),
        repr(environment.newline_sequence),
        repr(environment.keep_trailing_newline),
        repr(environment.optimized),
        _name(environment.autoescape),
        _name(environment.finalize),
    ]
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()


class TemplateCache(FileSystemBytecodeCache):
    """A bytecode cache keyed by template name and :func:`fingerprint`, never failing a render."""

    def __init__(self, folder: Path, environment: Environment) -> None:
        """Keep entries in ``folder`` (which must exist) for templates of ``environment``."""
        super().__init__(str(folder), "%s.jinja-cache")
        self._environment = environment
        self._fingerprint: str | None = None

    def get_cache_key(self, name: str, filename: str | None = None) -> str:
        """The entry's name: the template's name and the fingerprint, not its path."""
        if self._fingerprint is None:
            self._fingerprint = fingerprint(self._environment)
        return hashlib.sha256(f"{self._fingerprint}\0{name}".encode()).hexdigest()

    def load_bytecode(self, bucket: Bucket) -> None:
        """Load an entry; one that cannot be read is compiled again."""
        try:
            super().load_bytecode(bucket)
        except Exception:  # a damaged entry must only cost a compile
            bucket.reset()

    def dump_bytecode(self, bucket: Bucket) -> None:
        """Write an entry; a folder that cannot be written is skipped."""
        try:
            super().dump_bytecode(bucket)
        except OSError:
            return


def template_cache(environment: Environment) -> TemplateCache | None:
    """The cache for ``environment``'s templates, or ``None`` if off or not private."""
    folder = cache_folder()
    if folder is None or not _private(folder):
        return None
    return TemplateCache(folder, environment)
