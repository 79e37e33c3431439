-- One row per `_id` among the staged jobs: the newest reading when a job came twice.
CREATE OR REPLACE TEMP TABLE staged_jobs AS
SELECT *
FROM staged_jobs
QUALIFY row_number() OVER (PARTITION BY job_id ORDER BY last_modified DESC NULLS LAST, raw::VARCHAR) = 1;
