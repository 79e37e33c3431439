-- One row per (audit record, flow) it is attributed to: a flow's own records, and the
-- records of every export and import any version of the flow used. A record of an export
-- shared by two flows appears once for each.
-- @column account: The account label the run was given (--account; default 'default').
-- @column flow_id: The flow the record is attributed to.
-- @column flow_name: That flow's current name (or its last known name once deleted).
-- @column via: 'flow' for the flow's own record, 'export' or 'import' for a record of one
--    of its steps.
-- @column event_id: The audit record's id (_id).
-- @column time: When the change happened (UTC).
-- @column resource_type: What changed ('flow', 'export', 'import').
-- @column resource_id: The id of the resource that changed.
-- @column resource_name: The name of the resource that changed (see audit_events).
-- @column event: What happened, lower case: 'create', 'update', 'delete', ...
-- @column source: Where the change came from, lower case: 'ui', 'api', ...
-- @column user_id: The id of the user who made the change.
-- @column user_name: That user's name.
-- @column user_email: That user's e-mail address.
-- @column field_change_count: Number of fields the record changed.
CREATE OR REPLACE VIEW flow_audit_events AS
SELECT
    e.account,
    u.flow_id,
    n.name AS flow_name,
    e.resource_type AS via,
    e.event_id,
    e.time,
    e.resource_type,
    e.resource_id,
    e.resource_name,
    e.event,
    e.source,
    e.user_id,
    e.user_name,
    e.user_email,
    e.field_change_count
-- CROSS JOIN first: `FROM e, unnest(...) LEFT JOIN n` would group as e × (unnest ⟕ n),
-- a lateral join DuckDB evaluates row by row (minutes on a large account).
FROM audit_events AS e
CROSS JOIN unnest(e.flow_ids) AS u(flow_id)
LEFT JOIN store.resource_names AS n
  ON n.account = e.account AND n.resource_type = 'flow' AND n.resource_id = u.flow_id;
