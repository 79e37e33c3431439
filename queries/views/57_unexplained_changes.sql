-- Every configuration difference no audit record explains: a change made with no trace in
-- the audit log (or a record missing from it), found when a run read content that the
-- replay of the audit log does not give. Each row says what differed and the interval in
-- which it happened: after changed_after (an observation that still saw the old value)
-- and by changed_before (the observation that saw the new one, or the audit record whose
-- oldValue revealed it). The rows of version_changes labelled 'unexplained'.
-- @column account: The account label the run was given (--account; default 'default').
-- @column resource_type: What changed ('flow', 'export', ...).
-- @column resource_id: The id of the resource that changed.
-- @column resource_name: Its name in the version the change made.
-- @column field_path: The field that differs (dotted path); NULL when the whole resource
--    appeared or vanished with no create or delete record.
-- @column change: 'modified', 'added', 'removed', 'created' or 'deleted'.
-- @column old_value: The value before (JSON); NULL when the field had none.
-- @column new_value: The value after (JSON); NULL when the field was removed.
-- @column changed_after: The change happened after this moment (UTC).
-- @column changed_before: ... and by this one (UTC).
-- @column version: The version it made (for a deletion: the version it ended).
CREATE OR REPLACE VIEW unexplained_changes AS
SELECT account, resource_type, resource_id, resource_name, field_path, change, old_value,
       new_value, changed_after, changed_before, version
FROM version_changes
WHERE label = 'unexplained';
