"""Render every release of the template with that release's own render-time code.

Copier imports the Jinja extensions a template names from the environment that runs
Copier, so without this module tag ``vX`` would render with the *installed* generator's
filters, entity model and revision ids, and ``copier update`` would replay the old side
of an update with the new code (copier-org/copier#1170). Since Copier 9.12 the template
folder is not on ``sys.path`` during ``copier update`` or ``--vcs-ref`` copies either
(copier-org/copier#2557), so an extension shipped *inside* the template cannot be
imported by name.

The template repository is this repository: a checkout of any commit holds that commit's
``generator/`` package beside ``copier.yml``. :class:`ReleaseExtension`, the one
extension ``copier.yml`` names, finds that checkout through the template loader Copier
gives the environment and

* when the checkout's ``generator/`` sources are the installed ones (the usual case), or
  the checkout has none (the template bundled in the wheel), uses the installed code;
* otherwise imports the checkout's package under a private name derived from its
  content (``_blueprint_release_<sha256>``, so two releases in one process — the two
  sides of an update — never share a module) and lets *its* extension register the
  filters. Absolute ``generator`` imports inside it are rewritten to that private name
  while it is compiled; nothing is written to the checkout (no bytecode).

The design and what it costs are in ``docs/decisions/render-pipeline.md``.
"""

import ast
import hashlib
import importlib
import importlib.abc
import importlib.util
import sys
from collections.abc import Iterable, Sequence
from functools import cache
from importlib.machinery import ModuleSpec
from pathlib import Path
from types import ModuleType
from typing import Final

from jinja2 import Environment
from jinja2.ext import Extension
from jinja2.lexer import Token, TokenStream

from generator.render_cache import template_cache

PACKAGE: Final = "generator"
#: Where releases up to 0.7.0 keep their filters; later ones name theirs in
#: ``generator/__init__.py`` as ``RENDER_EXTENSION``.
LEGACY_RENDER_EXTENSION: Final = "generator.extension.BlueprintExtension"
_ALIAS_PREFIX: Final = "_blueprint_release_"
_INSTALLED: Final = Path(__file__).resolve().parent


def source_digest(package: Path) -> str:
    """A SHA-256 over the package's Python sources: their relative paths and bytes.

    The bundled template (``_template/``) and bytecode caches are not part of it.
    """
    digest = hashlib.sha256()
    for path in sorted(package.rglob("*.py")):
        relative = path.relative_to(package)
        if relative.parts[0] == "_template" or "__pycache__" in relative.parts:
            continue
        digest.update(relative.as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


@cache
def installed_digest() -> str:
    """The digest of the installed generator's sources (computed once per process)."""
    return source_digest(_INSTALLED)


def template_root(environment: Environment) -> Path | None:
    """The template checkout Copier renders from: the first folder of its loader."""
    searchpath: Sequence[str] | None = getattr(environment.loader, "searchpath", None)
    return Path(searchpath[0]) if searchpath else None


class _RenameImports(ast.NodeTransformer):
    """Point absolute ``generator`` imports at the release's private package name."""

    def __init__(self, alias: str) -> None:
        self.alias = alias

    def _renamed(self, name: str) -> str:
        if name == PACKAGE or name.startswith(f"{PACKAGE}."):
            return self.alias + name.removeprefix(PACKAGE)
        return name

    def visit_ImportFrom(self, node: ast.ImportFrom) -> ast.ImportFrom:
        if node.level == 0 and node.module is not None:
            node.module = self._renamed(node.module)
        return node

    def visit_Import(self, node: ast.Import) -> list[ast.stmt]:
        statements: list[ast.stmt] = [node]
        for name in node.names:
            renamed = self._renamed(name.name)
            if renamed != name.name and name.asname is None:
                # ``import generator.x`` binds ``generator``: bind it to the release's package.
                binding = ast.Assign(
                    targets=[ast.Name(PACKAGE, ast.Store())], value=ast.Name(self.alias, ast.Load())
                )
                statements.append(ast.copy_location(binding, node))
            name.name = renamed
        return statements


class _ReleaseLoader(importlib.abc.Loader):
    """Compile one module of a release's package with its imports renamed."""

    def __init__(self, alias: str, path: Path) -> None:
        self.alias = alias
        self.path = path

    def create_module(self, spec: ModuleSpec) -> None:
        """Use Python's default module creation."""

    def exec_module(self, module: ModuleType) -> None:
        """Run the module's code, compiled from source (nothing is cached on disk)."""
        tree = ast.parse(self.path.read_bytes(), filename=str(self.path))
        tree = ast.fix_missing_locations(_RenameImports(self.alias).visit(tree))
        code = compile(tree, str(self.path), "exec", dont_inherit=True)
        exec(code, module.__dict__)  # noqa: S102 - the template's own code, as Copier would import it


class _ReleaseFinder(importlib.abc.MetaPathFinder):
    """Find the modules of one release's package under its private name."""

    def __init__(self, alias: str, package: Path) -> None:
        self.alias = alias
        self.package = package

    def find_spec(
        self,
        fullname: str,
        path: Sequence[str] | None,
        target: ModuleType | None = None,
    ) -> ModuleSpec | None:
        """A spec for ``alias`` and ``alias.<module>``; ``None`` for every other name."""
        if fullname != self.alias and not fullname.startswith(f"{self.alias}."):
            return None
        base = self.package.joinpath(*fullname.split(".")[1:])
        if (init := base / "__init__.py").is_file():
            return importlib.util.spec_from_file_location(
                fullname,
                init,
                loader=_ReleaseLoader(self.alias, init),
                submodule_search_locations=[str(base)],
            )
        if (module := base.with_suffix(".py")).is_file():
            return importlib.util.spec_from_file_location(
                fullname, module, loader=_ReleaseLoader(self.alias, module)
            )
        return None


def release_package(package: Path, digest: str) -> ModuleType:
    """Import a checkout's ``generator`` package under a name of its own.

    The name is derived from the sources' ``digest`` (:func:`source_digest`), so the same
    sources are imported once per process, and different releases never overwrite each
    other's modules.
    """
    alias = _ALIAS_PREFIX + digest[:20]
    if not any(getattr(finder, "alias", None) == alias for finder in sys.meta_path):
        sys.meta_path.insert(0, _ReleaseFinder(alias, package))
    return importlib.import_module(alias)


def _resolve(package: ModuleType, dotted: str) -> type[Extension]:
    module_name, _, class_name = dotted.rpartition(".")
    module = importlib.import_module(package.__name__ + module_name.removeprefix(PACKAGE))
    extension: type[Extension] = getattr(module, class_name)
    return extension


def render_extension(root: Path | None) -> type[Extension]:
    """The filters extension of the release checked out at ``root``.

    Args:
        root: The template's root folder (where ``copier.yml`` is), or ``None``.

    Returns:
        The installed release's extension when ``root`` has no ``generator/`` package or
        the same sources as the installed one; otherwise the checkout's own.
    """
    package = None if root is None else root / PACKAGE
    digest = None
    if package is not None and (package / "__init__.py").is_file():
        digest = source_digest(package)
    if package is None or digest is None or digest == installed_digest():
        module = importlib.import_module(PACKAGE)
    else:
        module = release_package(package, digest)
    return _resolve(module, getattr(module, "RENDER_EXTENSION", LEGACY_RENDER_EXTENSION))


class ReleaseExtension(Extension):
    """The one extension ``copier.yml`` names: sets up the rendered release's filters.

    The release's own extension registers its filters on the environment; its source and
    token-stream hooks, if it has any, run through this one.
    """

    def __init__(self, environment: Environment) -> None:
        """Let the filters extension of the template's own release set up ``environment``.

        Compiled templates are kept between renders (:mod:`generator.render_cache`), keyed
        by the release's code too: two releases never share an entry.
        """
        super().__init__(environment)
        self.release = render_extension(template_root(environment))(environment)
        #: What identifies the render-time code: the release's module (a checkout's is
        #: named after its sources' digest) and the installed sources.
        self.cache_identity = f"{type(self.release).__module__} {installed_digest()}"
        if environment.bytecode_cache is None:
            environment.bytecode_cache = template_cache(environment)

    def preprocess(self, source: str, name: str | None, filename: str | None = None) -> str:
        """The release extension's source hook."""
        return self.release.preprocess(source, name, filename)

    def filter_stream(self, stream: TokenStream) -> TokenStream | Iterable[Token]:
        """The release extension's token-stream hook."""
        return self.release.filter_stream(stream)
