-- The open errors of each flow's steps (GET /v1/flows/<id>/errors), every time flowaudit
-- found them changed, kept after integrator.io purges them: one row per step with open
-- errors, or one row with step_id NULL when the flow had none open. is_current marks each
-- flow's latest reading (a run reads a flow's summary only when the flows listing's
-- numOpenError or lastErrorAt moved).
-- @column account: The account label the run was given (--account; default 'default').
-- @column flow_id: The flow.
-- @column flow_name: Its current name (or its last known name once deleted).
-- @column step_id: The export or import with open errors; NULL when none was open.
-- @column step_type: 'export' or 'import' (NULL when unknown or none open).
-- @column step_name: The step's name.
-- @column num_error: Errors open on that step.
-- @column flow_open_errors: The flow's open errors in all (the listing's numOpenError;
--    NULL when the API did not say).
-- @column last_error_at: When the flow last had an error (lastErrorAt, UTC).
-- @column observed_at: When this reading was true (the run's observation time, UTC).
-- @column run_id: The flowaudit run that read it.
-- @column is_current: Whether this is the flow's latest reading.
CREATE OR REPLACE VIEW open_errors AS
SELECT
    o.account,
    o.flow_id,
    f.name AS flow_name,
    o.step_id,
    s.resource_type AS step_type,
    s.name AS step_name,
    o.num_error,
    o.num_open_error AS flow_open_errors,
    o.last_error_at,
    o.observed_at,
    o.run_id,
    o.observed_at = max(o.observed_at) OVER (PARTITION BY o.account, o.flow_id) AS is_current
FROM store.open_errors AS o
LEFT JOIN store.resource_names AS f
  ON f.account = o.account AND f.resource_type = 'flow' AND f.resource_id = o.flow_id
LEFT JOIN store.resource_names AS s
  ON s.account = o.account AND s.resource_type IN ('export', 'import') AND s.resource_id = o.step_id;
