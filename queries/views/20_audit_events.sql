-- One row per audit record integrator.io ever reported for the account, kept after the
-- vendor's retention ends. Records of exports and imports are attributed to flows through
-- every flow that any version of them was seen in (see flow_audit_events for one row per flow).
-- @column account: The account label the run was given (--account; default 'default').
-- @column event_id: The audit record's id (_id); unique within an account.
-- @column time: When the change happened (UTC; TIMESTAMPTZ, like every time in flowaudit).
-- @column resource_type: What changed: 'flow', 'integration', 'export', 'import',
--    'connection', or another integrator.io resource type (e.g. 'script', 'accesstoken').
-- @column resource_id: The id of the resource that changed (_resourceId).
-- @column resource_name: The resource's current name; for a deleted resource the name its
--    delete record gives (deletedInfo.name), else its last known name.
-- @column flow_id: The flow the record belongs to: the flow itself for a flow record; for
--    an export or import, the one flow that uses it when exactly one does, NULL when it is
--    shared by several flows (then flow_ids lists them all) or used by none.
-- @column flow_ids: Every flow the record is attributed to, sorted (empty when none).
-- @column integration_id: The integration the resource belongs to (through its flow for an
--    export or import; NULL when its flows span several integrations or none).
-- @column integration_ids: Every integration the record is attributed to, sorted (empty when
--    none is known): a flow's own; for an export or import those of every flow that used
--    it; for a connection those of every flow whose steps used it.
-- @column event: What happened, lower case: 'create', 'update', 'delete', ...
-- @column source: Where the change came from, lower case: 'ui', 'api', 'connector',
--    'system', ...
-- @column user_id: The id of the user (or API token owner) who made the change (byUser._id).
-- @column user_name: That user's name (byUser.name).
-- @column user_email: That user's e-mail address (byUser.email).
-- @column field_change_count: Number of fields the record changed (entries of fieldChanges).
-- @column run_id: The flowaudit run that first stored the record.
CREATE OR REPLACE VIEW audit_events AS
SELECT
    a.account,
    a.event_id,
    a.time,
    a.resource_type,
    a.resource_id,
    n.name AS resource_name,
    CASE
        WHEN a.resource_type = 'flow' THEN a.resource_id
        WHEN len(f.flow_ids) = 1 THEN f.flow_ids[1]
    END AS flow_id,
    CASE WHEN a.resource_type = 'flow' THEN [a.resource_id] ELSE coalesce(f.flow_ids, []) END AS flow_ids,
    CASE
        WHEN a.resource_type IN ('integration', 'flow') THEN n.integration_id
        WHEN len(f.integration_ids) = 1 THEN f.integration_ids[1]
    END AS integration_id,
    CASE
        WHEN a.resource_type = 'integration' THEN [a.resource_id]
        WHEN a.resource_type = 'flow' THEN
            CASE WHEN n.integration_id IS NULL THEN []::VARCHAR[] ELSE [n.integration_id] END
        ELSE coalesce(f.integration_ids, [])
    END AS integration_ids,
    a.event,
    a.source,
    a.user_id,
    a.user_name,
    a.user_email,
    a.field_change_count,
    a.first_run_id AS run_id
FROM store.audit_records AS a
LEFT JOIN store.resource_names AS n
  ON n.account = a.account AND n.resource_type = a.resource_type AND n.resource_id = a.resource_id
LEFT JOIN store.flow_attribution AS f
  ON f.account = a.account AND f.resource_type = a.resource_type AND f.resource_id = a.resource_id;
