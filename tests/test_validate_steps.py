"""How ``validate_project`` orders its steps, with a stand-in for the commands they run.

The real commands run in tests/test_validate.py; here each step only sleeps, so the
order, the overlap of the tests with the static checks and the callbacks are visible.
"""

import itertools
import threading
import time
from collections.abc import Mapping
from pathlib import Path

import pytest

from generator import validate
from generator.validate import ALONGSIDE, STEPS, Step, StepResult, validate_project

#: How long each stand-in step takes: long enough that an overlap cannot be an accident
#: of scheduling, short enough for a fast test.
STEP_SECONDS = 0.2


class Recorder:
    """Stands in for ``run_step``: records when each step ran, and fails those it is told."""

    def __init__(self, failing: frozenset[str] = frozenset()) -> None:
        self.failing = failing
        self.spans: dict[str, tuple[float, float]] = {}
        self.callbacks_at_once = 0
        self.most_callbacks_at_once = 0
        self._lock = threading.Lock()

    def run_step(
        self, step: Step, project: Path, env: Mapping[str, str] | None = None
    ) -> StepResult:
        started = time.monotonic()
        time.sleep(STEP_SECONDS)
        self.spans[step.name] = (started, time.monotonic())
        return StepResult(step, STEP_SECONDS, 1 if step.name in self.failing else 0, "")

    def callback(self, _: object) -> None:
        with self._lock:
            self.callbacks_at_once += 1
            self.most_callbacks_at_once = max(self.most_callbacks_at_once, self.callbacks_at_once)
        time.sleep(0.01)
        with self._lock:
            self.callbacks_at_once -= 1


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "x"\nversion = "0"\n', "utf-8")
    return tmp_path


def _overlap(first: tuple[float, float], second: tuple[float, float]) -> float:
    return min(first[1], second[1]) - max(first[0], second[0])


def test_the_tests_run_alongside_the_static_checks_and_are_reported_in_order(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    recorder = Recorder()
    monkeypatch.setattr(validate, "run_step", recorder.run_step)

    report = validate_project(project, on_start=recorder.callback, on_done=recorder.callback)

    assert report.passed
    assert [result.step.name for result in report.results] == [step.name for step in STEPS]
    spans = recorder.spans
    # Nothing starts before the environment exists.
    assert all(spans[name][0] >= spans["uv sync"][1] for name in spans if name != "uv sync")
    # The tests overlap the other checks, which run one after another.
    rest = [step.name for step in STEPS[1:] if step.name != ALONGSIDE]
    assert _overlap(spans[ALONGSIDE], spans[rest[0]]) > STEP_SECONDS / 2
    for earlier, later in itertools.pairwise(rest):
        assert spans[later][0] >= spans[earlier][1]
    assert recorder.most_callbacks_at_once == 1


def test_a_failed_check_alongside_the_tests_fails_the_report_and_stops_nothing(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    recorder = Recorder(failing=frozenset({"mypy --strict", ALONGSIDE}))
    monkeypatch.setattr(validate, "run_step", recorder.run_step)

    report = validate_project(project)

    assert not report.passed
    assert report.failed_steps == ["mypy --strict", ALONGSIDE]
    assert set(recorder.spans) == {step.name for step in STEPS}


def test_a_failed_uv_sync_runs_nothing_else(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    recorder = Recorder(failing=frozenset({"uv sync"}))
    monkeypatch.setattr(validate, "run_step", recorder.run_step)

    report = validate_project(project)

    assert list(recorder.spans) == ["uv sync"]
    assert report.failed_steps == ["uv sync"] + [f"{step.name} (not run)" for step in STEPS[1:]]
