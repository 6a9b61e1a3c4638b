-- An event emails each of its recipients once: the consumer skips a redelivered event, and this
-- index refuses a second email for the same event and recipients whatever the path it came by.
CREATE UNIQUE INDEX emails_once_per_event ON emails (caused_by, recipients);
