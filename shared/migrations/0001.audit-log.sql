-- The audit trail (shared.audit): who changed what, appended in the same transaction as the
-- change. Created in each service's own schema. Rows are never changed or removed: the
-- triggers below refuse UPDATE, DELETE and TRUNCATE, whoever asks (the service's own role too).
CREATE TABLE audit_log (
    id             bigserial PRIMARY KEY,
    occurred_at    timestamptz NOT NULL DEFAULT clock_timestamp(),
    actor          text NOT NULL,
    actor_roles    text[] NOT NULL,
    operation      text NOT NULL,
    resource_type  text NOT NULL,
    resource_id    text NOT NULL,
    before_version integer,
    after_version  integer,
    correlation_id text
);
CREATE INDEX audit_log_newest ON audit_log (occurred_at DESC, id DESC);
CREATE INDEX audit_log_by_resource ON audit_log (resource_type, resource_id, occurred_at DESC, id DESC);
CREATE INDEX audit_log_by_actor ON audit_log (actor, occurred_at DESC, id DESC);

CREATE FUNCTION audit_log_is_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log rows cannot be changed or deleted (% refused)', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END $$;

CREATE TRIGGER audit_log_no_update_or_delete BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_is_append_only();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_is_append_only();
