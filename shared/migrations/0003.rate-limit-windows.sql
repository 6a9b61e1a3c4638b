-- Fixed-window request counters of shared.rate_limit (Flask-Limiter's storage in PostgreSQL), so
-- every gunicorn worker and every host of a service counts against the same limit. A row is one
-- client's window for one limit; expired rows are overwritten in place and swept now and then.
CREATE TABLE rate_limit_windows (
    key        text PRIMARY KEY,
    hits       integer NOT NULL CHECK (hits >= 0),
    expires_at timestamptz NOT NULL
);
CREATE INDEX rate_limit_windows_expired ON rate_limit_windows (expires_at);
