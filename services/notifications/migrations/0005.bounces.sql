-- Bounces that arrive later, by email: the delivery status notifications (RFC 3464) a relay sends
-- back to an email's envelope sender after it took the email (services/notifications/domain/bounces.py).

-- A hard bounce fails a sent email for good: status 'bounced', with the report's status code and
-- the remote server's words; a soft one (delayed, 4.x.x) is a note on the email, the latest kept.
ALTER TABLE emails DROP CONSTRAINT emails_status_check;
ALTER TABLE emails ADD CONSTRAINT emails_status_check CHECK (status IN ('pending', 'sent', 'failed', 'bounced'));
ALTER TABLE emails
    ADD COLUMN bounced_at        timestamptz,
    ADD COLUMN bounce_status     text,
    ADD COLUMN bounce_diagnostic text,
    ADD COLUMN delayed_at        timestamptz,
    ADD COLUMN delay_status      text,
    ADD COLUMN delay_diagnostic  text;
-- reports that name the email only by its Message-ID find it by that
CREATE INDEX emails_by_message_id ON emails (message_id) WHERE message_id IS NOT NULL;

-- Every report read, once per report and recipient: the same report read twice records nothing.
CREATE TABLE bounces (
    report_id   text NOT NULL,
    recipient   text NOT NULL,
    email_id    uuid NOT NULL REFERENCES emails (id),
    action      text NOT NULL,
    status      text NOT NULL,
    diagnostic  text NOT NULL,
    hard        boolean NOT NULL,
    received_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (report_id, recipient)
);
CREATE INDEX bounces_of_email ON bounces (email_id, received_at);

-- The bounce mailbox's messages already looked at (by the mailbox's unique id, POP3 UIDL): a
-- message left there (not a report, or a report of no email of ours) is counted once. Outcomes:
-- bounce, delay, duplicate (a report recorded before), other_report (delivered, relayed: nothing
-- to record), not_a_report, unmatched (a report of no email of ours).
CREATE TABLE mailbox_seen (
    uid     text PRIMARY KEY,
    outcome text NOT NULL CHECK (outcome IN ('bounce', 'delay', 'duplicate', 'other_report', 'not_a_report',
                                             'unmatched')),
    seen_at timestamptz NOT NULL DEFAULT now()
);
