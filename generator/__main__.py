"""``python -m generator`` runs the ``blueprint`` CLI."""

from generator.cli import app

app(prog_name="blueprint")
