"""Render a new project from the template, writing nothing unless every answer is valid."""

from collections.abc import Mapping
from importlib.resources import files
from pathlib import Path

from generator.answers import check_answers
from generator.errors import AnswerError, DestinationError, TemplateError

_CHECKOUT_MARKERS = ("copier.yml", "template")


def template_source() -> Path:
    """Find the template this generator ships.

    An installed wheel carries it as ``generator/_template``; a source checkout (an
    editable install, or the tests) has ``copier.yml`` and ``template/`` beside the package.

    Raises:
        TemplateError: Neither is present.
    """
    package = Path(str(files("generator")))
    bundled = package / "_template"
    if (bundled / "copier.yml").is_file():
        return bundled
    checkout = package.parent
    if all((checkout / marker).exists() for marker in _CHECKOUT_MARKERS):
        return checkout
    message = f"the template is missing: neither {bundled} nor {checkout}/copier.yml exists"
    raise TemplateError(message)


def parse_data(pairs: list[str]) -> dict[str, str]:
    """Turn ``KEY=VALUE`` strings into answers.

    Raises:
        AnswerError: A pair has no ``=`` or an empty key, or a key is given twice.
    """
    data: dict[str, str] = {}
    for pair in pairs:
        key, separator, value = pair.partition("=")
        key = key.strip()
        if not separator or not key:
            message = f"--data {pair!r}: expected KEY=VALUE"
            raise AnswerError(message)
        if key in data:
            message = f"--data {key}: given twice"
            raise AnswerError(message)
        data[key] = value
    return data


def _is_git_root(path: Path) -> bool:
    return (path / ".git").exists()


def recordable(source: str) -> str:
    """``source`` as the answers file should record it: a URL as given, a path absolute.

    Copier records the path it was given; a relative one (``./template``) only resolves
    from the folder the service was rendered in, so later updates fail anywhere else.
    """
    if "://" in source or source.startswith(("gh:", "gl:", "git@", "git+")):
        return source
    return str(Path(source).expanduser().resolve())


def render(
    destination: Path,
    data: Mapping[str, str],
    *,
    defaults: bool,
    source: str | None = None,
    vcs_ref: str | None = None,
) -> Path:
    """Render a new project into ``destination``.

    Answers to the shipped template are checked before Copier runs; Copier checks those to
    another source with that release's own rules. Either way a bad answer writes nothing.

    Args:
        destination: A folder that does not exist yet, or is empty.
        data: Answers by question name; the others are asked, or defaulted.
        defaults: Use the default of every question not in ``data`` instead of asking.
        source: A template path or git URL; the template this generator ships by default.
        vcs_ref: The git tag or commit to render from a git ``source``; for the shipped
            template in a git checkout, ``HEAD`` (with uncommitted changes).

    Returns:
        The rendered project's root.

    Raises:
        AnswerError: An answer broke a rule (each problem is named).
        DestinationError: ``destination`` exists and is not an empty folder.
        TemplateError: Copier could not render the template.
    """
    import copier  # noqa: PLC0415 - a second's import, needed only when rendering

    # The shipped template's rules are this generator's; another source (a tag of an older
    # release, say) has rules of its own, which Copier checks before it writes anything.
    if source is None and (problems := check_answers(data)):
        raise AnswerError("\n".join(problems))
    if destination.exists() and (not destination.is_dir() or any(destination.iterdir())):
        message = f"{destination} exists and is not empty; choose a new folder"
        raise DestinationError(message)
    if source is None:
        shipped = template_source()
        source = str(shipped)
        if vcs_ref is None and _is_git_root(shipped):
            vcs_ref = "HEAD"
    else:
        source = recordable(source)
    try:
        worker = copier.run_copy(
            source,
            destination,
            data=dict(data),
            defaults=defaults,
            vcs_ref=vcs_ref,
            unsafe=True,
            quiet=True,
        )
    except ValueError as error:
        raise AnswerError(str(error)) from error
    except copier.errors.CopierError as error:
        raise TemplateError(str(error)) from error
    return Path(worker.dst_path)
