"""devstack: start and stop the WTGR platform's real servers as local processes.

No Docker engine runs on the development and CI machines, so devstack runs the
real things directly: PostgreSQL from Debian's packages, Apache Kafka (KRaft,
single node) from its Maven Central jars on the machine's Java, a small SMTP
mail catcher, and optionally every service (API under gunicorn, outbox relay,
event consumer).

    python -m devstack up --env run|test [--services] [--demo]
    python -m devstack down --env run|test [--purge]
    python -m devstack status --env run|test
    python -m devstack env --env run|test
    python -m devstack info --env run|test

State (data directories, logs, pid files, the env file) lives in
.local/<env>/ at the repository root.
"""
