-- The audit trail is listed newest first with any one of its filters (shared.audit.AUDIT_LOG):
-- each filter needs an index that leads with it and runs in the list's order.
CREATE INDEX audit_log_by_resource_id ON audit_log (resource_id, occurred_at DESC, id DESC);
CREATE INDEX audit_log_by_operation ON audit_log (operation, occurred_at DESC, id DESC);
