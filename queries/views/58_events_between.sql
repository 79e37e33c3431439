-- Every audit record of a period [ts_from, ts_to), creates and deletes included, with the
-- columns of audit_events. Half-open like every period in flowaudit: a record at exactly
-- ts_to belongs to the next period. Example: SELECT * FROM events_between(
-- TIMESTAMPTZ '2026-01-01 00:00Z', TIMESTAMPTZ '2026-04-01 00:00Z').
-- @param ts_from: Start of the period (TIMESTAMPTZ), included.
-- @param ts_to: End of the period (TIMESTAMPTZ), excluded.
-- @column account: The account label the run was given (--account; default 'default').
-- @column event_id: The audit record's id (_id).
-- @column time: When it happened (UTC).
-- @column resource_type: What it concerns ('flow', 'export', 'connection', 'user', ...).
-- @column resource_id: The id of that resource.
-- @column resource_name: Its name (see audit_events.resource_name).
-- @column flow_id: The flow it belongs to (see audit_events.flow_id).
-- @column flow_ids: Every flow it is attributed to.
-- @column integration_id: The integration it belongs to (see audit_events.integration_id).
-- @column integration_ids: Every integration it is attributed to.
-- @column event: What happened, lower case: 'create', 'update', 'delete', ...
-- @column source: Where it came from, lower case: 'ui', 'api', 'system', ...
-- @column user_id: The id of the user who did it.
-- @column user_name: That user's name.
-- @column user_email: That user's e-mail address.
-- @column field_change_count: Number of fields the record changed.
-- @column run_id: The flowaudit run that first stored the record.
CREATE OR REPLACE MACRO events_between(ts_from, ts_to) AS TABLE
SELECT *
FROM audit_events
WHERE time >= ts_from AND time < ts_to;
