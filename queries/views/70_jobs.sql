-- Every flow run flowaudit has read (GET /v1/jobs), kept after integrator.io forgets it:
-- one row per job, as last read (a job read while it ran is read again once ended).
-- @column account: The account label the run was given (--account; default 'default').
-- @column job_id: The job's integrator.io id (_id).
-- @column flow_id: The flow that ran (_flowId).
-- @column flow_name: That flow's current name (or its last known name once deleted).
-- @column integration_id: The integration of the flow (_integrationId); NULL for a
--    standalone flow.
-- @column type: The job's type ('flow' for a flow run).
-- @column status: 'completed', 'failed', 'canceled', or, while it had not ended when last
--    read, 'queued', 'running', 'retrying' or 'canceling'.
-- @column created_at: When the run was created (createdAt, UTC): the time a run counts at
--    in flow_health_daily and change_impact.
-- @column started_at: When it started (UTC); NULL if it had not.
-- @column ended_at: When it ended (UTC); NULL if it had not.
-- @column duration_seconds: ended_at - started_at in seconds; NULL until it ended.
-- @column num_success: Records the run processed successfully (numSuccess).
-- @column num_error: Records that failed (numError).
-- @column num_ignore: Records it ignored (numIgnore).
-- @column num_pages: Pages it processed (numPagesProcessed).
-- @column ended: Whether the run ended as 'completed' or 'failed': the runs an error rate
--    counts (a canceled run says nothing of errors, an unfinished one not yet).
-- @column had_errors: Whether the run failed or had at least one error record.
-- @column first_run_id: The flowaudit run that first stored the job.
-- @column last_run_id: The flowaudit run that stored its latest reading.
-- @column doc: The job as the API returned it (JSON).
CREATE OR REPLACE VIEW jobs AS
SELECT
    j.account,
    j.job_id,
    j.flow_id,
    n.name AS flow_name,
    j.integration_id,
    j.type,
    j.status,
    j.created_at,
    j.started_at,
    j.ended_at,
    date_diff('millisecond', j.started_at, j.ended_at) / 1000.0 AS duration_seconds,
    j.num_success,
    j.num_error,
    j.num_ignore,
    j.num_pages,
    store.job_ended(j.status) AS ended,
    store.job_had_errors(j.status, j.num_error) AS had_errors,
    j.first_run_id,
    j.last_run_id,
    j.raw AS doc
FROM store.jobs AS j
LEFT JOIN store.resource_names AS n
  ON n.account = j.account AND n.resource_type = 'flow' AND n.resource_id = j.flow_id;
