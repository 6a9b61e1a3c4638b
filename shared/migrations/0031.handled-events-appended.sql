-- A batch's handled-event records are appended with binary COPY once the ids already recorded are
-- looked up (shared/consumer.py), no longer merged from a staging table: it is dropped.
DROP TABLE staged_handled_events;
