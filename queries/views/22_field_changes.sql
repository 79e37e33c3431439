-- One row per entry of an audit record's fieldChanges: which field changed, from what, to
-- what. Values are JSON; a field that had no value before (no oldValue in the record) has
-- old_present = false and old_value NULL, while an explicit null is old_present = true and
-- old_value JSON 'null'. The same holds for new values.
-- @column account: The account label the run was given (--account; default 'default').
-- @column event_id: The audit record the change belongs to (audit_events.event_id).
-- @column time: When the change happened (UTC).
-- @column resource_type: What changed ('flow', 'export', 'import', ...).
-- @column resource_id: The id of the resource that changed.
-- @column resource_name: The name of the resource that changed (see audit_events).
-- @column flow_id: The flow the change belongs to (same rule as audit_events.flow_id).
-- @column flow_ids: Every flow the change is attributed to.
-- @column position: Position of the entry within the record's fieldChanges (0-based).
-- @column field_path: The changed field as integrator.io names it (dotted path, e.g.
--    'disabled', 'http.relativeURI'; pageGenerators/pageProcessors stand for the exports and
--    imports of a flow).
-- @column old_value: The value before the change (JSON); NULL when the field had none.
-- @column new_value: The value after the change (JSON); NULL when the field was removed.
-- @column old_present: Whether the record gave an oldValue (false: the field was newly set).
-- @column new_present: Whether the record gave a newValue (false: the field was removed).
-- @column event: What happened, lower case ('update', 'create', ...).
-- @column source: Where the change came from, lower case ('ui', 'api', ...).
-- @column user_id: The id of the user who made the change.
-- @column user_name: That user's name.
-- @column user_email: That user's e-mail address.
CREATE OR REPLACE VIEW field_changes AS
SELECT
    e.account,
    e.event_id,
    e.time,
    e.resource_type,
    e.resource_id,
    e.resource_name,
    e.flow_id,
    e.flow_ids,
    c.position,
    c.field_path,
    c.old_value,
    c.new_value,
    c.old_present,
    c.new_present,
    e.event,
    e.source,
    e.user_id,
    e.user_name,
    e.user_email
FROM store.audit_field_changes AS c
JOIN audit_events AS e ON e.account = c.account AND e.event_id = c.event_id;
