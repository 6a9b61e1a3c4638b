"""devstack: start and stop the WTGR platform's real servers as local processes.

No Docker engine runs on the development and CI machines, so devstack runs the
real things directly: PostgreSQL from Debian's packages, Apache Kafka (KRaft,
single node) from its Maven Central jars on the machine's Java, Mailpit as the
mail catcher (devstack.mailpit; the same one deploy/ runs), and optionally every
service: its migration, then the processes shared/platform.py registers for it
(API under gunicorn, outbox relay, event consumer, workers such as notifications'
mailer).

    python -m devstack up --env run|test|chaos [--services] [--demo]
    python -m devstack down --env run|test|chaos [--purge]
    python -m devstack status --env run|test|chaos
    python -m devstack env --env run|test        # the env file: KEY=VALUE lines
    python -m devstack info --env run|test       # where to look

State (data directories, logs, pid files, the env file) lives in .local/<env>/
at the repository root; service logs and pid files in .local/<env>/logs/.
`up` is idempotent, `down` stops by pid what `up` started.

Ports (run / test / chaos, the fault suite's env):
    PostgreSQL 5433 / 25433 / 26433, Kafka 9092 / 29092 / 26092 (controller 9093 / 29093 / 26093),
    SMTP 1025 / 21025 / 26025, mail viewer 8025 / 28025 / 26825,
    ideas, projects, metrics, training, notifications 8001-8005 / 28001-28005 / 26001-26005.
Overrides: WTGR_PG_PORT, WTGR_KAFKA_PORT, WTGR_KAFKA_CONTROLLER_PORT,
WTGR_SMTP_PORT, WTGR_MAIL_HTTP_PORT, WTGR_<SERVICE>_PORT (e.g. WTGR_IDEAS_PORT).
The Kafka jars and Mailpit's binary (built once with `go install`) are cached in
$WTGR_CACHE_DIR (default ~/.cache/wtgr).
"""
