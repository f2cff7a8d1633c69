"""Errors of the application's edges: a dependency that cannot be reached right now."""


class UnavailableError(Exception):
    """A dependency the operation needs cannot be reached; a retry later may succeed.

    The message is safe to show to callers; the cause (chained) is for the logs.

    Attributes:
        dependency: What could not be reached, e.g. ``"database"``.
    """

    def __init__(self, dependency: str) -> None:
        """Name the dependency that could not be reached."""
        self.dependency = dependency
        super().__init__(f"the {dependency} is unavailable; nothing was changed, try again shortly")


class OutcomeUnknownError(UnavailableError):
    """The database stopped answering during a commit: the change may or may not be stored.

    Never "nothing was changed": the caller must read the row back (or retry a create
    with the same ``Idempotency-Key``) before trying again.
    """

    def __init__(self, dependency: str) -> None:
        """Name the dependency that did not confirm the commit."""
        self.dependency = dependency
        Exception.__init__(
            self,
            f"the {dependency} did not confirm the change: it may or may not have been "
            "stored; read it back before trying again",
        )
