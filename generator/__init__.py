"""Service Blueprint: a deterministic Copier template for production FastAPI services.

The package supplies what the template needs at render time (the Jinja filters of
:class:`generator.filters.FiltersExtension` and the answer rules of
:mod:`generator.answers`) and what a user needs around it (the ``blueprint`` CLI, and
:func:`generator.validate.validate_project`, which runs a rendered project's own checks).
"""

__version__ = "0.8.0.dev0"

#: The Jinja extension that registers this release's filters. Copier loads
#: :class:`generator.release.ReleaseExtension`, which reads this name from the package of
#: the release being rendered (a checkout of any tag) and lets that extension set up the
#: environment, so every release renders with its own code.
RENDER_EXTENSION = "generator.filters.FiltersExtension"
