-- Every field change made in a period [ts_from, ts_to), with who made it; the columns of
-- field_changes. Records without field changes (most creates and deletes) have no row
-- here: events_between lists every record. Example: SELECT * FROM changes_between(
-- TIMESTAMPTZ '2026-01-01 00:00Z', TIMESTAMPTZ '2026-02-01 00:00Z').
-- @param ts_from: Start of the period (TIMESTAMPTZ), included.
-- @param ts_to: End of the period (TIMESTAMPTZ), excluded.
-- @column account: The account label the run was given (--account; default 'default').
-- @column event_id: The audit record the change belongs to.
-- @column time: When the change happened (UTC).
-- @column resource_type: What changed ('flow', 'export', 'import', ...).
-- @column resource_id: The id of the resource that changed.
-- @column resource_name: The name of the resource that changed.
-- @column flow_id: The flow the change belongs to (see audit_events.flow_id).
-- @column flow_ids: Every flow the change is attributed to.
-- @column position: Position of the entry within the record's fieldChanges (0-based).
-- @column field_path: The changed field (dotted path).
-- @column old_value: The value before (JSON); NULL when the field had none.
-- @column new_value: The value after (JSON); NULL when the field was removed.
-- @column old_present: Whether the record gave an oldValue.
-- @column new_present: Whether the record gave a newValue.
-- @column event: What happened, lower case.
-- @column source: Where the change came from, lower case ('ui', 'api', ...).
-- @column user_id: The id of the user who made the change.
-- @column user_name: That user's name.
-- @column user_email: That user's e-mail address.
CREATE OR REPLACE MACRO changes_between(ts_from, ts_to) AS TABLE
SELECT *
FROM field_changes
WHERE time >= ts_from AND time < ts_to;
