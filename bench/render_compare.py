"""Render cost as whole processes: the blueprint against a trivial template, 50 entities against 1.

Usage: python bench/render_compare.py [--runs 7] [--baseline REF]

Each render is a fresh ``python -c 'copier.run_copy(...)'`` process, as a user's
``copier copy`` or ``blueprint new --no-validate`` is: interpreter start, imports, Copier,
the template. The variants run alternately, round by round, so all see the same machine
state; each prints the median CPU time (user + system of the process) and wall time, with
min and max. Ratios are of medians:

- blueprint (defaults) / trivial one-file template: what the template costs on top of
  Copier's own fixed cost, compiling every template (``BLUEPRINT_NO_CACHE=1``, a first
  render) and with the compiled templates cached (a later one; the cache is warmed by one
  render before the rounds);
- 50 entities / 1 entity: how render cost grows with the answer;
- both warm-cache and trivial renders again without the ``git config`` process Copier
  9.19 starts after every file it writes (to sync an executable bit into a git index,
  copier-org/copier#2605): that cost is per file, the same for any template of as many
  files, and no template can avoid it, so the ratio without it is the template's own;
- a trivial template of as many one-line files as the default render writes: what Copier
  itself costs per file (a compile, a render context per path part, a write, the git
  sync), the floor any template of that many files stands on;
- with ``--baseline REF``: the same renders with the template *and* generator code of a
  git ref of this repository (a worktree first on ``sys.path``), e.g. the commit before a
  change.
"""

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
GIT = shutil.which("git") or "git"
TRIVIAL_QUESTIONS = "project_name:\n  type: str\n  default: Task Service\n"
TRIVIAL_FILE = "# {{ project_name }}\n"
_RENDER = (
    "import json, sys, copier; copier.run_copy(sys.argv[1], sys.argv[2], "
    "data=json.loads(sys.argv[3]), defaults=True, unsafe=True, quiet=True)"
)
#: The same render without the ``git config`` process Copier (9.19) starts after writing
#: each file, to sync the file's executable bit into a git index: measured only, to tell
#: what the template costs from what the number of files costs in Copier itself.
_RENDER_WITHOUT_GIT_SYNC = (
    "import copier._main; copier._main.is_git_available = lambda: False; " + _RENDER
)


def entities(count: int) -> str:
    """``count`` entities of a few fields each, every third with a workflow."""
    found = []
    for index in range(count):
        name = f"Item{chr(65 + index // 10)}{chr(97 + index % 10)}"  # ItemAa ... ItemEj
        entity: dict[str, object] = {
            "name": name,
            "fields": {"title": "str", "amount": "decimal?", "due": "date?", "done": "bool"},
        }
        if index % 3 == 0:
            entity["workflow"] = {
                "initial": "open",
                "transitions": {"open": ["closed"], "closed": ["open"]},
            }
        found.append(entity)
    return yaml.safe_dump(found, sort_keys=False)


@dataclass
class Variant:
    """One render to repeat: a template folder, answers and, optionally, code to run it with."""

    name: str
    template: Path
    answers: dict[str, str]
    code: Path | None = None
    #: Environment variables of its own (the template cache's folder, or none).
    variables: dict[str, str] = field(default_factory=dict)
    #: The code the process runs: a plain render, or one without Copier's git sync.
    render: str = _RENDER
    cpu: list[float] = field(default_factory=list)
    wall: list[float] = field(default_factory=list)
    files: int = 0

    def run(self, destination: Path) -> None:
        """Render once in a new process; record its CPU and wall time."""
        environment = dict(os.environ)
        environment.pop("PYTHONPATH", None)
        if self.code is not None:
            environment["PYTHONPATH"] = str(self.code)
        environment.update(self.variables)
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.perf_counter()
        completed = subprocess.run(
            [sys.executable, "-c", self.render, str(self.template), str(destination),
             json.dumps(self.answers)],
            check=False, env=environment, cwd=destination.parent, capture_output=True, text=True,
        )  # fmt: skip
        if completed.returncode != 0:
            raise SystemExit(f"{self.name}: the render failed\n{completed.stderr[-2000:]}")
        self.wall.append(time.perf_counter() - started)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        self.cpu.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
        self.files = sum(1 for path in destination.rglob("*") if path.is_file())
        shutil.rmtree(destination)


def _template_copy(source: Path, destination: Path) -> Path:
    destination.mkdir(parents=True)
    shutil.copy2(source / "copier.yml", destination / "copier.yml")
    shutil.copytree(source / "template", destination / "template")
    return destination


def _trivial_files(destination: Path, count: int) -> Path:
    """A template of ``count`` one-line files, fifteen to a folder, and the trivial question."""
    destination.mkdir()
    (destination / "copier.yml").write_text(TRIVIAL_QUESTIONS, "utf-8")
    for index in range(count):
        module = destination / "src" / f"part{index // 15}" / f"module{index % 15}.py.jinja"
        module.parent.mkdir(parents=True, exist_ok=True)
        module.write_text(TRIVIAL_FILE, "utf-8")
    return destination


def _median(values: list[float]) -> str:
    return f"{statistics.median(values):.2f} s (min {min(values):.2f}, max {max(values):.2f})"


def main() -> int:
    """Render every variant alternately; print a table and the ratios."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--baseline", help="a git ref of this repository to compare with")
    args = parser.parse_args()
    fifty = entities(50)
    with tempfile.TemporaryDirectory() as folder:
        scratch = Path(folder)
        trivial = scratch / "trivial"
        trivial.mkdir()
        (trivial / "copier.yml").write_text(TRIVIAL_QUESTIONS, "utf-8")
        (trivial / "README.md.jinja").write_text(TRIVIAL_FILE, "utf-8")
        current = _template_copy(REPO, scratch / "current")
        compile_all = {"BLUEPRINT_NO_CACHE": "1"}
        cached = {"BLUEPRINT_CACHE_DIR": str(scratch / "template-cache")}
        variants = [
            Variant("trivial one-file template", trivial, {}),
            Variant("blueprint, defaults (1 entity)", current, {}, variables=compile_all),
            Variant("blueprint, 50 entities", current, {"entities": fifty}, variables=compile_all),
            Variant("blueprint, defaults, cache warm", current, {}, variables=cached),
            Variant("blueprint, 50 entities, cache warm", current, {"entities": fifty},
                    variables=cached),
            Variant("trivial, without Copier's git sync", trivial, {},
                    render=_RENDER_WITHOUT_GIT_SYNC),
            Variant("blueprint, defaults, cache warm, without Copier's git sync", current, {},
                    variables=cached, render=_RENDER_WITHOUT_GIT_SYNC),
        ]  # fmt: skip
        for warming in variants[3:5]:
            warming.run(scratch / "warm-up")
            warming.cpu.clear()
            warming.wall.clear()
        many = _trivial_files(scratch / "trivial-many", variants[3].files)
        variants.append(Variant(f"trivial, {variants[3].files} one-line files", many, {}))
        if args.baseline:
            code = scratch / "baseline-code"
            subprocess.run(
                [GIT, "worktree", "add", "--quiet", "--detach", str(code), args.baseline],
                cwd=REPO, check=True,
            )  # fmt: skip
            before = _template_copy(code, scratch / "baseline")
            variants += [
                Variant(f"{args.baseline}, defaults (1 entity)", before, {}, code),
                Variant(f"{args.baseline}, 50 entities", before, {"entities": fifty}, code),
            ]
        try:
            for run in range(args.runs):
                for index, variant in enumerate(variants):
                    variant.run(scratch / f"out-{run}-{index}")
        finally:
            if args.baseline:
                subprocess.run(
                    [GIT, "worktree", "remove", "--force", str(scratch / "baseline-code")],
                    cwd=REPO, check=False,
                )  # fmt: skip
    print(f"{args.runs} runs each, alternating; PYTHONDONTWRITEBYTECODE="
          f"{os.environ.get('PYTHONDONTWRITEBYTECODE', '')!r}")  # fmt: skip
    for variant in variants:
        print(f"{variant.name} ({variant.files} files): "
              f"CPU {_median(variant.cpu)}, wall {_median(variant.wall)}")  # fmt: skip

    def ratio(a: Variant, b: Variant) -> str:
        cpu = statistics.median(a.cpu) / statistics.median(b.cpu)
        wall = statistics.median(a.wall) / statistics.median(b.wall)
        return f"CPU {cpu:.2f}x, wall {wall:.2f}x"

    print(f"defaults / trivial: {ratio(variants[1], variants[0])}")
    print(f"50 entities / 1 entity: {ratio(variants[2], variants[1])}")
    print(f"defaults, cache warm / trivial: {ratio(variants[3], variants[0])}")
    print(f"50 entities / 1 entity, cache warm: {ratio(variants[4], variants[3])}")
    print(f"defaults, cache warm / trivial, both without Copier's git sync: "
          f"{ratio(variants[6], variants[5])}")  # fmt: skip
    print(f"trivial of as many files / trivial: {ratio(variants[7], variants[0])}")
    print(f"defaults, cache warm / trivial of as many files: {ratio(variants[3], variants[7])}")
    if args.baseline:
        print(f"{args.baseline} defaults / trivial: {ratio(variants[8], variants[0])}")
        print(f"{args.baseline} 50 / 1: {ratio(variants[9], variants[8])}")
        print(f"defaults, now / {args.baseline}: {ratio(variants[1], variants[8])}")
        print(f"50 entities, now / {args.baseline}: {ratio(variants[2], variants[9])}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
