-- change_approvals: every change of account $account made by a person in the period
-- [$from, $to), with the change request that covers it: 'approved', 'approved after the
-- change' (an emergency change; overdue when the approval came after review_due_at),
-- 'self-approved' or 'no ticket' (see the change_approvals view).
SELECT
    store.utc_text(time) AS time,
    event_id,
    resource_type,
    resource_id,
    resource_name,
    user_id,
    user_email,
    source,
    state,
    ticket,
    approver,
    store.utc_text(approved_at) AS approved_at,
    tickets,
    store.utc_text(review_due_at) AS review_due_at,
    overdue,
    ticket_required
FROM change_approvals
WHERE account = $account
  AND time >= CAST($from AS TIMESTAMPTZ) AND time < CAST($to AS TIMESTAMPTZ)
ORDER BY time, event_id;
