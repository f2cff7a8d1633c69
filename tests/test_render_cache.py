"""The compiled-template cache: a cached render is the same bytes; a bad cache costs only time."""

from pathlib import Path
from typing import Any

import copier
import jinja2
import pytest
from jinja2 import Environment
from jinja2.ext import Extension

from generator import render_cache
from tests.conftest import project_files


@pytest.fixture
def compiled(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """What Jinja compiles from source while the test runs: file templates by name, and
    strings (paths, answer defaults, validators) as ``<string>``."""
    names: list[str] = []
    original = jinja2.Environment.compile

    def counting(self: Environment, source: Any, name: str | None = None, *args: Any) -> Any:
        names.append(name or "<string>")
        return original(self, source, name, *args)

    monkeypatch.setattr(jinja2.Environment, "compile", counting)
    return names


def _render(template_dir: Path, destination: Path) -> dict[str, bytes]:
    copier.run_copy(str(template_dir), destination, data={}, defaults=True, unsafe=True, quiet=True)
    return project_files(destination)


def test_a_warm_cache_renders_the_same_bytes_without_compiling(
    template_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, compiled: list[str]
) -> None:
    cache = tmp_path / "cache"
    monkeypatch.setenv(render_cache.CACHE_DIR_VARIABLE, str(cache))
    monkeypatch.delenv(render_cache.NO_CACHE_VARIABLE, raising=False)

    first = _render(template_dir, tmp_path / "first")
    compiled_first = len(compiled)
    compiled.clear()
    second = _render(template_dir, tmp_path / "second")

    assert compiled_first > 50, compiled_first  # every template, the first time
    assert compiled == []  # none the second: neither a file template nor a string
    assert second == first
    assert len(list(cache.iterdir())) >= compiled_first
    assert cache.stat().st_mode & 0o777 == 0o700


@pytest.mark.parametrize(
    "damage",
    [b"", b"j2", b"not a cache entry at all", b"j2\x80\x04garbage"],
    ids=["empty", "truncated", "foreign", "garbled"],
)
def test_damaged_entries_are_compiled_again(
    template_dir: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    compiled: list[str],
    damage: bytes,
) -> None:
    cache = tmp_path / "cache"
    monkeypatch.setenv(render_cache.CACHE_DIR_VARIABLE, str(cache))
    expected = _render(template_dir, tmp_path / "first")
    for entry in cache.iterdir():
        # The entries' own header, then garbage: Jinja's checks alone would raise.
        entry.write_bytes(jinja2.bccache.bc_magic + damage if damage else b"")
    compiled.clear()

    again = _render(template_dir, tmp_path / "again")

    assert again == expected
    assert len(compiled) > 50


def test_a_folder_others_may_write_to_is_not_used(
    template_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o777)
    monkeypatch.setenv(render_cache.CACHE_DIR_VARIABLE, str(shared))

    _render(template_dir, tmp_path / "project")

    assert list(shared.iterdir()) == []


def test_no_cache_writes_nothing(
    template_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, compiled: list[str]
) -> None:
    cache = tmp_path / "cache"
    monkeypatch.setenv(render_cache.CACHE_DIR_VARIABLE, str(cache))
    monkeypatch.setenv(render_cache.NO_CACHE_VARIABLE, "1")

    _render(template_dir, tmp_path / "first")
    compiled.clear()
    _render(template_dir, tmp_path / "second")

    assert not cache.exists()
    assert len(compiled) > 50


def test_an_unwritable_cache_folder_costs_only_the_compile(
    template_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocked = tmp_path / "a-file"
    blocked.write_text("not a folder", "utf-8")
    monkeypatch.setenv(render_cache.CACHE_DIR_VARIABLE, str(blocked / "cache"))

    rendered = _render(template_dir, tmp_path / "project")

    assert "README.md" in rendered


class _Release(Extension):
    """Stands in for ``ReleaseExtension``: names the render-time code it registered."""

    cache_identity = "release A"


class _OtherRelease(_Release):
    cache_identity = "release B"


def _key(*extensions: type[Extension], **options: Any) -> str:
    environment = Environment(extensions=list(extensions), **options)  # noqa: S701 - no HTML
    cache = render_cache.TemplateCache(Path(), environment)
    return cache.get_cache_key("template/README.md.jinja", "clone-1/template/README.md.jinja")


def test_an_entry_is_keyed_by_everything_the_compiled_code_depends_on() -> None:
    key = _key(_Release)

    assert _key(_Release) == key  # stable
    # The clone's path is not part of it (Copier renders from a new clone every time) ...
    environment = Environment(extensions=[_Release])  # noqa: S701 - no HTML
    cache = render_cache.TemplateCache(Path(), environment)
    other_path = cache.get_cache_key("template/README.md.jinja", "clone-2/template/README.md.jinja")
    assert other_path == key
    # ... but the release's code, the syntax and the options are.
    assert _key(_OtherRelease) != key
    assert _key(_Release, trim_blocks=True) != key
    assert _key(_Release, keep_trailing_newline=True) != key
    assert _key(_Release, variable_start_string="[[", variable_end_string="]]") != key
    assert cache.get_cache_key("template/other.jinja") != key
