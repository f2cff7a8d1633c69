"""The distribution: the wheel carries the generator and the template it renders."""

import subprocess
import sys
import zipfile

import pytest
from packaging.version import Version

from generator import __version__
from generator.releases import is_final
from tests.conftest import REPO

pytestmark = pytest.mark.xdist_group("package")


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> zipfile.ZipFile:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", str(out), str(REPO)],
        check=True,
        capture_output=True,
    )
    [built] = out.glob("service_blueprint-*.whl")
    return zipfile.ZipFile(built)


def test_the_wheel_carries_the_generator(wheel: zipfile.ZipFile) -> None:
    names = set(wheel.namelist())
    modules = {path.name for path in (REPO / "generator").glob("*.py")}

    assert {f"generator/{module}" for module in modules} <= names
    assert "generator/py.typed" in names


def test_the_wheel_carries_the_whole_template(wheel: zipfile.ZipFile) -> None:
    names = set(wheel.namelist())
    template = {
        f"generator/_template/{path.relative_to(REPO).as_posix()}"
        for path in (REPO / "template").rglob("*")
        if path.is_file()
    }

    assert "generator/_template/copier.yml" in names
    assert template <= names
    assert len(template) > 30


def test_the_changelog_has_a_section_for_the_version_the_generator_reports() -> None:
    changelog = (REPO / "CHANGELOG.md").read_text("utf-8")
    sections = [
        line.removeprefix("## ") for line in changelog.splitlines() if line.startswith("## ")
    ]

    # A development version sits under "Unreleased"; a release version is its own section.
    expected = "Unreleased" if not is_final(__version__) else __version__
    assert sections[0] == expected
    released = [section for section in sections if section != "Unreleased"]
    assert released == sorted(released, key=lambda v: tuple(map(int, v.split("."))), reverse=True)
    assert is_final(__version__) or Version(__version__) > Version(released[0])
