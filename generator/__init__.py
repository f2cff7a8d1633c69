"""Service Blueprint: a deterministic Copier template for production FastAPI services.

The package supplies what the template needs at render time (the Jinja filters of
:class:`generator.extension.BlueprintExtension` and the answer rules of
:mod:`generator.answers`) and what a user needs around it (the ``blueprint`` CLI, and
:func:`generator.validate.validate_project`, which runs a rendered project's own checks).
"""

__version__ = "0.7.0"
