"""The one version table of everything a rendered project installs.

Every dependency and every tool of a rendered project is pinned here, and only here:
bumping a version for every future render is a one-line change. The template asks for
a pin with the ``pinned`` filter (``{{ "fastapi" | pinned }}`` renders ``fastapi==0.163.2``),
which fails the render for a name that is not in this table.
"""

from collections.abc import Mapping
from types import MappingProxyType
from typing import Final

#: Distribution name -> exact version, for the rendered project's runtime dependencies.
RUNTIME: Final[Mapping[str, str]] = MappingProxyType(
    {
        "aiosqlite": "0.22.1",
        "alembic": "1.20.1",
        "asyncpg": "0.32.0",
        "fastapi": "0.163.2",
        "loguru": "0.7.3",
        "prometheus-client": "0.26.0",
        "pydantic": "2.14.3",
        "pydantic-settings": "2.16.3",
        "pyjwt": "2.15.1",
        "redis": "8.1.0",
        "sqlalchemy": "2.1.9",
        "starlette": "1.10.0",
        "uvicorn": "0.54.0",
        "websockets": "17.4",
    }
)

#: Distribution name -> exact version, for the rendered project's development tools.
DEVELOPMENT: Final[Mapping[str, str]] = MappingProxyType(
    {
        "anyio": "4.16.0",
        "httpx2": "2.16.2",
        "hypothesis": "6.170.15",
        "import-linter": "2.16",
        "mypy": "2.4.1",
        "pre-commit": "4.7.0",
        "pytest": "9.2.0",
        "pytest-cov": "7.1.0",
        "pytest-xdist": "3.8.0",
        "ruff": "0.17.5",
    }
)

#: Distribution name -> exact version, for the rendered project's build backend.
BUILD: Final[Mapping[str, str]] = MappingProxyType({"uv-build": "0.13.6"})

#: GitHub Actions the rendered workflow uses -> the tag it pins (a major-version tag, which
#: its publisher moves only within compatible releases), and the uv that CI installs.
ACTIONS: Final[Mapping[str, str]] = MappingProxyType(
    {"actions/checkout": "v4", "astral-sh/setup-uv": "v6"}
)
CI_UV: Final = BUILD["uv-build"]
#: Tools the rendered CI installs that are no Python distributions -> their release:
#: GitLab's CLI (gitlab-org/cli, as its .deb) opens the template update's merge requests.
TOOLS: Final[Mapping[str, str]] = MappingProxyType({"glab": "1.46.1"})

#: Container images the rendered project names -> the tag it pins: its Dockerfile's
#: build and runtime bases (``python`` takes the answered Python version in front:
#: ``python:3.13-slim-bookworm``), the uv the image is built with, and the servers of
#: compose.yaml and of CI. Tags name a release line the publisher only patches.
IMAGES: Final[Mapping[str, str]] = MappingProxyType(
    {
        "ghcr.io/astral-sh/uv": CI_UV,
        "postgres": "16-bookworm",
        "python": "slim-bookworm",
        "redis": "7-bookworm",
    }
)

#: Every pinned distribution, whatever its role.
ALL: Final[Mapping[str, str]] = MappingProxyType({**RUNTIME, **DEVELOPMENT, **BUILD})

#: Top-level modules the rendered project imports from its dependencies, beyond the
#: distribution names themselves (``pydantic-settings`` -> ``pydantic_settings``).
#: A package name equal to one of these would shadow a dependency.
IMPORT_NAMES: Final[frozenset[str]] = frozenset(
    {name.replace("-", "_") for name in ALL}
    | {"importlinter", "jwt", "mako", "pytest_cov", "starlette", "typing_extensions", "uv_build"}
    | {"xdist"}
)
