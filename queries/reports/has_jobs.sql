-- Whether flowaudit has read any job of the account.
SELECT EXISTS (SELECT 1 FROM jobs WHERE account = $account) AS has_jobs
