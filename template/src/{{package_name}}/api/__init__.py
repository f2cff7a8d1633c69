"""The HTTP edge: routes, dependencies and middleware."""
