"""The domain: entities, their invariants and state machines, and their events.

It imports nothing else of the service, and no framework.
"""
