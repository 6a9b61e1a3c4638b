"""Infrastructure every WTGR service shares: events, outbox, consumer, web defaults, auth.

Imports no service; services import from here, never from each other.
"""
