-- The completeness evidence of jobs: what each loaded run read of GET /v1/jobs (one row per
-- run that read jobs) and of flows' open errors. A reading is complete when every window
-- of it reached its end with no gap (jobs sharing one createdAt beyond a page, a page
-- cap); only a complete reading moves where the next one starts.
-- @column run_id: The flowaudit run (runs.run_id).
-- @column account: The account label the run was given (--account; default 'default').
-- @column mode: 'full' (every job the API still had) or 'incremental' (from the jobs
--    watermark minus jobs_overlap_hours).
-- @column jobs_from: Start of the reading (UTC, included); NULL for a full reading.
-- @column jobs_to: End of the reading (UTC, excluded): the run's observation time.
-- @column complete: Whether every window reached its end with no gap.
-- @column gaps: Why not, in words (JSON list); empty when complete.
-- @column windows: Windows of /jobs read (in parallel).
-- @column pages: Pages of /jobs read.
-- @column jobs_read: Jobs read (each once).
-- @column new_jobs: Jobs stored for the first time.
-- @column updated_jobs: Stored jobs whose reading changed (a run that had not ended).
-- @column error_flows: Flows whose open errors were read.
-- @column error_requests: GET /flows/<id>/errors requests made (flows whose open errors
--    the listing showed changed).
CREATE OR REPLACE VIEW job_reads AS
SELECT
    r.run_id,
    r.account,
    r.mode,
    r.jobs_from,
    r.jobs_to,
    r.complete,
    r.gaps,
    (SELECT count(*) FROM store.job_windows AS w WHERE w.run_id = r.run_id) AS windows,
    (SELECT coalesce(sum(w.pages), 0) FROM store.job_windows AS w WHERE w.run_id = r.run_id) AS pages,
    r.records AS jobs_read,
    r.new_jobs,
    r.updated_jobs,
    r.error_flows,
    r.error_requests
FROM store.job_reads AS r;
