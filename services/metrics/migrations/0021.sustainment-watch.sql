-- After a project completes, its outcome and balancing measures are watched for some months: a
-- signal of concern on one tells its lead and the QI lead who approved it (kept from the approval).
ALTER TABLE project_copies ADD COLUMN qi_lead jsonb;
