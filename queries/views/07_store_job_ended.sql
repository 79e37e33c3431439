-- Internal: whether a job ended in a way an error rate counts ('completed' or 'failed'; a
-- canceled run says nothing of errors, an unfinished one nothing yet). jobs.ended.
CREATE OR REPLACE MACRO store.job_ended(status) AS coalesce(status IN ('completed', 'failed'), false);
