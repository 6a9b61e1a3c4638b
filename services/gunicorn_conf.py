"""Gunicorn settings for every service API; the command line gives bind and workers."""

from shared.gunicorn_hooks import child_exit  # noqa: F401  (gunicorn looks the hook up by name)

accesslog = None
graceful_timeout = 10
timeout = 30
