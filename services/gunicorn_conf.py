"""Gunicorn settings for every service API; the command line gives bind and workers."""

from shared.gunicorn_hooks import child_exit  # noqa: F401  (gunicorn looks the hook up by name)

accesslog = None
graceful_timeout = 10
timeout = 30
# gunicorn's largest request line (its default is 4094): a list's longest query (a 2,000-character
# cursor and its filters) fits, so such a request reaches the API and gets its problem+json answer
# rather than gunicorn's own HTML 414.
limit_request_line = 8190
