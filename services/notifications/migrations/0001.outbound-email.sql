-- Every email the platform sends, kept: who, what, why (the event), and what became of it.
CREATE TABLE emails (
    id              uuid PRIMARY KEY,
    caused_by       text NOT NULL,
    event_type      text NOT NULL,
    recipients      text[] NOT NULL CHECK (cardinality(recipients) > 0),
    subject         text NOT NULL,
    body            text NOT NULL,
    status          text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'failed')),
    attempts        integer NOT NULL DEFAULT 0,
    last_error      text,
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    created_at      timestamptz NOT NULL DEFAULT now(),
    sent_at         timestamptz
);
CREATE INDEX emails_due ON emails (next_attempt_at) WHERE status = 'pending';

CREATE TRIGGER email_queued AFTER INSERT ON emails
    FOR EACH STATEMENT EXECUTE FUNCTION wake_listeners('mail');
