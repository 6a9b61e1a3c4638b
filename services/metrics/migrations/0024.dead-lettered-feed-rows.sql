-- Feed rows (measure.recorded on wtgr.measures) that metrics' consumer dead-lettered, read back
-- from its dead-letter topic by the overdue worker and kept per data source with the reason, until
-- its owners are told of them before a board pack (reported_in). The dead letter's partition and
-- offset name it, so a record read twice is kept once; dead_letter_positions says where reading
-- resumes on each partition, written in the same transaction as the rows.
CREATE TABLE feed_dead_letters (
    dl_partition     integer NOT NULL,
    dl_offset        bigint NOT NULL,
    data_source      text,
    kpi_code         text,
    unit_code        text,
    period           text,
    reason           text NOT NULL,
    category         text NOT NULL,
    event_id         text,
    dead_lettered_at timestamptz NOT NULL,
    reported_in      date,
    reported_at      timestamptz,
    PRIMARY KEY (dl_partition, dl_offset)
);
CREATE INDEX feed_dead_letters_unreported ON feed_dead_letters (data_source, dead_lettered_at)
    WHERE reported_at IS NULL;
CREATE INDEX feed_dead_letters_newest_first ON feed_dead_letters (dead_lettered_at DESC, dl_partition, dl_offset);

CREATE TABLE dead_letter_positions (
    dl_partition integer PRIMARY KEY,
    next_offset  bigint NOT NULL
);
