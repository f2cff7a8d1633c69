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
