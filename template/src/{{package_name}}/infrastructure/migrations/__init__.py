"""Alembic migrations of the database schema; ``env.py`` is their environment."""
