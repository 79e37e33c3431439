-- The Audit page: changes made since $since (all when NULL): how many are in each approval
-- state (in_state, on every row), and the ones that need a look, newest first: self-approved,
-- approved after the change (an emergency change), and without a ticket though the rules
-- require one. One row of every other state is kept for its count.
SELECT time, event_id, resource_type, resource_id, resource_name, user_email, source, state, ticket,
       approver, approved_at, overdue, ticket_required,
       count(*) OVER (PARTITION BY state) AS in_state,
       state IN ('self-approved', 'approved after the change') OR (state = 'no ticket' AND ticket_required) AS needs_a_look
FROM change_approvals
WHERE account = $account AND ($since IS NULL OR time >= CAST($since AS TIMESTAMPTZ))
QUALIFY needs_a_look OR row_number() OVER (PARTITION BY state ORDER BY time DESC, event_id) = 1
ORDER BY time DESC, event_id;
