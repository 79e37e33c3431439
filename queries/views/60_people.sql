-- One row per person who changed anything in an account (per audit records): the names
-- and e-mail addresses seen for them, their first and last change, and how many changes
-- they made through the UI, the API and otherwise. A person is their user id (byUser._id),
-- else their e-mail address. Changes are create, update, delete, restore and purge records.
-- @column account: The account label the run was given (--account; default 'default').
-- @column person_id: The user id (byUser._id); the e-mail address when the records give no id.
-- @column user_name: The name their newest record gives.
-- @column user_email: The e-mail address their newest record gives.
-- @column names: Every name their records give, sorted.
-- @column emails: Every e-mail address their records give, sorted.
-- @column first_change_at: Their first change (UTC).
-- @column last_change_at: Their latest change (UTC).
-- @column changes: How many changes they made.
-- @column ui_changes: ... through the UI (source 'ui').
-- @column api_changes: ... through the API (source 'api').
-- @column other_changes: ... otherwise (connector, system, ...).
CREATE OR REPLACE VIEW people AS
SELECT
    account,
    coalesce(user_id, user_email) AS person_id,
    arg_max(user_name, time) AS user_name,
    arg_max(user_email, time) AS user_email,
    list_sort(list(DISTINCT user_name) FILTER (WHERE user_name IS NOT NULL)) AS names,
    list_sort(list(DISTINCT user_email) FILTER (WHERE user_email IS NOT NULL)) AS emails,
    min(time) AS first_change_at,
    max(time) AS last_change_at,
    count(*) AS changes,
    count(*) FILTER (WHERE source = 'ui') AS ui_changes,
    count(*) FILTER (WHERE source = 'api') AS api_changes,
    count(*) FILTER (WHERE source IS DISTINCT FROM 'ui' AND source IS DISTINCT FROM 'api') AS other_changes
FROM store.audit_records
WHERE event IN ('create', 'update', 'delete', 'restore', 'purge')
  AND coalesce(user_id, user_email) IS NOT NULL
GROUP BY account, coalesce(user_id, user_email);
