-- Who hears of what (subscriptions and follows), how (preferences per kind and channel), and what
-- each person was told (the notifications: the in-app feed and what digests list).

-- A person (their email address, lower case) and a topic: 'kpi:ALOS@WARD-7', 'idea:<id>',
-- 'project:<id>', 'campaign:<id>', 'story:<id>' or 'stories'. A follow is asked for; an event
-- subscribes the people it names (owners, teams, submitters). Leaving keeps the row, inactive, so
-- the next event does not subscribe them again.
CREATE TABLE subscriptions (
    person     text NOT NULL CHECK (person = lower(person)),
    topic      text NOT NULL,
    title      text NOT NULL,
    path       text,
    origin     text NOT NULL CHECK (origin IN ('follow', 'event')),
    relation   text NOT NULL,
    active     boolean NOT NULL DEFAULT true,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (person, topic)
);
CREATE INDEX subscriptions_followers ON subscriptions (topic, person) WHERE active;
-- a person's list, keyset on (updated_at, topic) newest first, all or only the active (or left) ones
CREATE INDEX subscriptions_of_person ON subscriptions (person, updated_at DESC, topic DESC);
CREATE INDEX subscriptions_of_person_by_state ON subscriptions (person, active, updated_at DESC, topic DESC);

-- Only the choices a person made; a missing row is the kind's default (domain/kinds.py).
CREATE TABLE preferences (
    person     text NOT NULL CHECK (person = lower(person)),
    kind       text NOT NULL,
    channel    text NOT NULL CHECK (channel IN ('email', 'in_app')),
    cadence    text NOT NULL CHECK (cadence IN ('immediately', 'daily', 'weekly', 'off')),
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (person, kind, channel)
);

ALTER TABLE emails
    ADD COLUMN person           text,
    ADD COLUMN kind             text NOT NULL DEFAULT 'single' CHECK (kind IN ('single', 'alert', 'digest')),
    ADD COLUMN html_body        text,
    ADD COLUMN message_id       text,
    ADD COLUMN group_key        text,
    ADD COLUMN unsubscribe      text,
    ADD COLUMN smtp_code        integer,
    ADD COLUMN refused          boolean NOT NULL DEFAULT false;
-- one alert email gathering the levels of a KPI's month, open while it waits to be sent
CREATE UNIQUE INDEX emails_one_open_group ON emails (person, group_key) WHERE status = 'pending' AND group_key IS NOT NULL;
-- the daily cap counts a person's emails of the day
CREATE INDEX emails_of_person_by_day ON emails (person, created_at) WHERE person IS NOT NULL;

-- What a person was told, once per event (the unique key): the feed, and what digests list.
CREATE TABLE notifications (
    id            uuid PRIMARY KEY,
    person        text NOT NULL CHECK (person = lower(person)),
    event_id      text NOT NULL,
    event_type    text NOT NULL,
    kind          text NOT NULL,
    topic         text NOT NULL,
    name          text,
    because       text NOT NULL,
    subject       text NOT NULL,
    body          text NOT NULL,
    link          text NOT NULL,
    occurred_at   timestamptz NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    in_app        boolean NOT NULL,
    read_at       timestamptz,
    email_cadence text NOT NULL CHECK (email_cadence IN ('immediately', 'daily', 'weekly', 'off')),
    email_id      uuid REFERENCES emails (id),
    UNIQUE (person, event_id)
);
CREATE INDEX notifications_feed ON notifications (person, created_at DESC, id DESC) WHERE in_app;
CREATE INDEX notifications_unread ON notifications (person, (read_at IS NULL), created_at DESC, id DESC) WHERE in_app;
CREATE INDEX notifications_awaiting_digest ON notifications (email_cadence, person, occurred_at)
    WHERE email_id IS NULL AND email_cadence IN ('daily', 'weekly');
CREATE INDEX notifications_of_email ON notifications (email_id);

-- The in-app feed as the list endpoint reads it.
CREATE VIEW feed AS
    SELECT id, person, event_type, kind, topic, subject, body, link, occurred_at, created_at, read_at,
           read_at IS NULL AS unread
      FROM notifications WHERE in_app;
