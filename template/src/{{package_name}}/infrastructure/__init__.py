"""Adapters to the outside world: the database and, later, caches and brokers."""
