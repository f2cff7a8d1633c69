"""One error hierarchy for the generator; the CLI turns it into exit codes in one place."""


class BlueprintError(Exception):
    """Base class of every error the generator reports to its user.

    Attributes:
        exit_code: The process exit code the CLI uses for this kind of error.
    """

    exit_code: int = 1


class AnswerError(BlueprintError):
    """An answer broke a rule; nothing was written."""

    exit_code = 2


class DestinationError(BlueprintError):
    """The destination cannot receive a new project (it exists and is not empty)."""

    exit_code = 2


class TemplateError(BlueprintError):
    """The template could not be found or could not be rendered."""

    exit_code = 3


class ProjectValidationError(BlueprintError):
    """A rendered project's own checks failed.

    Attributes:
        failed_steps: Names of the steps that failed, in the order they ran.
    """

    exit_code = 4

    def __init__(self, failed_steps: list[str]) -> None:
        """Name the failed steps in the message."""
        self.failed_steps = failed_steps
        super().__init__(f"validation failed at: {', '.join(failed_steps)}")


class UpdateConflictError(BlueprintError):
    """``copier update`` left conflicts in files that the user and the template both changed.

    Attributes:
        files: The files holding conflict markers.
    """

    exit_code = 6

    def __init__(self, files: list[str]) -> None:
        """Name the files with conflicts."""
        self.files = files
        super().__init__(
            f"the update left conflicts in {', '.join(files)}: resolve the "
            "'<<<<<<< before updating' markers, then commit"
        )


class NotAServiceError(BlueprintError):
    """The folder is not a service rendered from this template."""

    exit_code = 2


class DirtyProjectError(BlueprintError):
    """The project has uncommitted changes; updating it could lose them."""

    exit_code = 2
