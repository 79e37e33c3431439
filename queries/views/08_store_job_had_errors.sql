-- Internal: whether a job went wrong: it failed, or had at least one error record. jobs.had_errors.
CREATE OR REPLACE MACRO store.job_had_errors(status, num_error) AS coalesce(status = 'failed' OR num_error > 0, false);
