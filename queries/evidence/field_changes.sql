-- field_changes: one row per field change of the audit records of account $account in the
-- period [$from, $to): the record (event_id, as in events), the field as integrator.io
-- names it, and its old and new value as JSON text (empty when the record gave none:
-- old_present / new_present say which).
SELECT
    store.utc_text(time) AS time,
    event_id,
    resource_type,
    resource_id,
    resource_name,
    position,
    field_path,
    old_present,
    CAST(old_value AS VARCHAR) AS old_value,
    new_present,
    CAST(new_value AS VARCHAR) AS new_value,
    source,
    user_email
FROM changes_between(CAST($from AS TIMESTAMPTZ), CAST($to AS TIMESTAMPTZ))
WHERE account = $account
ORDER BY time, event_id, position;
