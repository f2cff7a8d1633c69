"""The application: commands, queries, their handlers, services and the ports they use."""
