"""The answer rules: directly, through Copier's validators, and with nothing written."""

from pathlib import Path

import copier
import pytest
import yaml

from generator.answers import QUESTIONS, Answers, answer_error, check_answers

#: (question, bad answer, part of the rule's message)
BAD_ANSWERS = [
    ("project_name", "", "must not be empty"),
    ("project_name", "   ", "must not be empty"),
    ("project_name", " Padded", "must not start or end with spaces"),
    ("project_name", "123 456", "at least one ASCII letter"),
    ("project_name", 'Say "hi"', 'must not contain "'),
    ("project_name", "x" * 81, "at most 80 characters"),
    ("project_slug", "Bad_Slug", "not a valid slug"),
    ("project_slug", "-leading-hyphen", "not a valid slug"),
    ("project_slug", "double--hyphen", "not a valid slug"),
    ("project_slug", "a" * 65, "at most 64 characters"),
    ("package_name", "class", "is a Python keyword"),
    ("package_name", "match", "is a Python keyword"),
    ("package_name", "1service", "not a valid package name"),
    ("package_name", "os", "shadow the standard-library module"),
    ("package_name", "json", "shadow the standard-library module"),
    ("package_name", "test", "reserved for the project's own folders"),
    ("package_name", "tests", "reserved for the project's own folders"),
    ("package_name", "fastapi", "shadow the dependency"),
    ("package_name", "My-Service", "not a valid package name"),
    ("package_name", "a" * 33, "at most 32 characters"),
    ("package_name", "", "not a valid package name"),
    ("description", "two\nlines", "single line"),
    ("description", "d" * 201, "at most 200 characters"),
    ("team", "", "must not be empty"),
    ("team_email", "not-an-email", "not a valid email address"),
    ("team_email", "a@b", "not a valid email address"),
    ("python_version", "3.11", "'3.11' is not one of 3.12, 3.13"),
    ("python_version", "3.14", "is not one of 3.12, 3.13"),
    ("database", "mysql", "'mysql' is not one of sqlite, postgresql"),
    ("cache", "memcached", "'memcached' is not one of memory, redis"),
    ("realtime", "sometimes", "input should be a valid boolean"),
    ("ci", "jenkins", "'jenkins' is not one of github, gitlab"),
    ("kubernetes", "maybe", "input should be a valid boolean"),
]


@pytest.mark.parametrize(("question", "value", "rule"), BAD_ANSWERS)
def test_bad_answers_are_named_with_their_rule(question: str, value: str, rule: str) -> None:
    message = answer_error(value, question)

    assert message.startswith(f"{question}: ")
    assert rule in message


@pytest.mark.parametrize(
    ("question", "value"),
    [
        ("project_name", "Orders API (v2) & Co's"),
        ("project_slug", "orders-api-2"),
        ("package_name", "orders_api_2"),
        ("package_name", "a" * 32),
        ("description", "Zoë's ünïcode — fine."),
        ("team_email", "team+orders@example.co.uk"),
        ("python_version", "3.12"),
        ("database", "postgresql"),
        ("cache", "redis"),
        ("realtime", False),
        ("ci", "gitlab"),
        ("kubernetes", True),
    ],
)
def test_good_answers_pass(question: str, value: str) -> None:
    assert answer_error(value, question) == ""


def test_every_question_of_copier_yml_has_a_rule_and_a_validator() -> None:
    config = yaml.safe_load((Path(__file__).parents[1] / "copier.yml").read_text("utf-8"))
    questions = [key for key in config if not key.startswith("_")]

    assert questions == list(QUESTIONS)
    tied = {
        "kubernetes": ", database=database",
        "entities": (
            ", schema_history=schema_history if schema_history is defined else none, "
            "given=_copier_conf.data.get('entities')"
        ),
    }
    # Copier would silently replace a recorded history its validator refused.
    assert "validator" not in config["schema_history"]
    for question in questions:
        if question == "schema_history":
            continue
        assert config[question]["validator"] == (
            f"{{{{ {question} | answer_error('{question}'{tied.get(question, '')}) }}}}"
        )


def test_check_answers_reports_unknown_questions_and_every_bad_answer() -> None:
    problems = check_answers({"colour": "blue", "package_name": "os", "python_version": "2.7"})

    assert [problem.split(":")[0] for problem in problems] == [
        "colour",
        "package_name",
        "python_version",
    ]
    assert "not a question of this template" in problems[0]


def test_the_defaults_are_valid() -> None:
    Answers(
        project_name="Task Service",
        project_slug="task-service",
        package_name="task_service",
        description="A production-grade FastAPI service.",
        team="Platform Team",
        team_email="platform@example.com",
        python_version="3.13",
        database="sqlite",
        cache="memory",
        realtime=True,
        ci="github",
        kubernetes=False,
        entities=yaml.safe_load((Path(__file__).parents[1] / "copier.yml").read_text("utf-8"))[
            "entities"
        ]["default"],
    )


#: Copier casts any text to a boolean itself ("maybe" is true) before a validator sees it;
#: `blueprint new` checks the raw answers first, so it refuses those too.
_BOOLEAN_QUESTIONS = {"realtime", "kubernetes"}


#: End to end through Copier: the first bad answer of each question (the rules themselves
#: are all checked directly above).
THROUGH_COPIER = list(
    {bad[0]: bad for bad in reversed(BAD_ANSWERS) if bad[0] not in _BOOLEAN_QUESTIONS}.values()
)


@pytest.mark.parametrize(("question", "value", "rule"), THROUGH_COPIER)
def test_copier_refuses_bad_answers_and_writes_nothing(
    template_dir: Path, tmp_path: Path, question: str, value: str, rule: str
) -> None:
    destination = tmp_path / "out"

    with pytest.raises(ValueError, match=f"'{question}'") as caught:
        copier.run_copy(
            str(template_dir),
            destination,
            data={question: value},
            defaults=True,
            unsafe=True,
            quiet=True,
        )

    # Copier checks `choices` itself, before the validator, in its own words.
    choices = {
        "python_version": "['3.12', '3.13']",
        "database": "['sqlite', 'postgresql']",
        "cache": "['memory', 'redis']",
        "ci": "['github', 'gitlab']",
    }
    expected = f"is not in {choices[question]}" if question in choices else rule
    assert expected in str(caught.value)
    assert not destination.exists()


def test_a_derived_default_is_validated_too(template_dir: Path, tmp_path: Path) -> None:
    destination = tmp_path / "out"

    with pytest.raises(ValueError, match=r"question 'package_name'.*at most 32 characters"):
        copier.run_copy(
            str(template_dir),
            destination,
            data={"project_name": "An Extraordinarily Long Service Name For Testing"},
            defaults=True,
            unsafe=True,
            quiet=True,
        )

    assert not destination.exists()


def test_kubernetes_on_sqlite_is_refused_everywhere_and_writes_nothing(
    template_dir: Path, tmp_path: Path
) -> None:
    destination = tmp_path / "out"
    rule = "kubernetes: true needs database=postgresql (got sqlite)"

    assert answer_error(True, "kubernetes", database="sqlite").startswith(rule)
    assert answer_error(True, "kubernetes", database="postgresql") == ""
    assert check_answers({"kubernetes": "true"})[0].startswith(rule)
    assert check_answers({"kubernetes": "true", "database": "postgresql"}) == []
    assert check_answers({"kubernetes": "maybe"}) == [
        "kubernetes: input should be a valid boolean, unable to interpret input"
    ]
    with pytest.raises(ValueError, match=r"Validation error for question 'kubernetes'") as caught:
        copier.run_copy(
            str(template_dir),
            destination,
            data={"kubernetes": True},
            defaults=True,
            unsafe=True,
            quiet=True,
        )
    assert rule in str(caught.value)
    assert not destination.exists()
