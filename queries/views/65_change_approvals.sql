-- Every change made by a person (audit records whose source is not 'system'), linked to the
-- change requests imported with `flowaudit approvals import`: a ticket covers a change when
-- the change lies in its window [window_from, window_to) and touches its resource, or a
-- flow or integration it names. Each change is 'approved' (a ticket approved by someone
-- else before or when it was made), 'approved after the change' (an emergency change: the
-- approval came later, and is due within emergency_review_hours), 'self-approved' (its only
-- approval is by the person who made it) or 'no ticket'. With several tickets, the best
-- state wins.
-- @column account: The account label the run was given (--account; default 'default').
-- @column event_id: The audit record of the change.
-- @column time: When the change was made (UTC).
-- @column resource_type: What changed ('flow', 'export', ...).
-- @column resource_id: The id of the resource that changed.
-- @column resource_name: Its name (see audit_events.resource_name).
-- @column user_id: Who made the change (byUser._id).
-- @column user_email: That person's e-mail address.
-- @column source: Where the change came from ('ui', 'api', ...).
-- @column state: 'approved', 'approved after the change', 'self-approved' or 'no ticket'.
-- @column ticket: The ticket that gives the state (NULL for 'no ticket').
-- @column approver: Who approved that ticket.
-- @column approved_at: When (UTC).
-- @column tickets: Every ticket that covers the change, sorted.
-- @column review_due_at: For 'approved after the change': by when the approval was due (UTC).
-- @column overdue: For 'approved after the change': whether the approval came after
--    review_due_at; NULL otherwise.
-- @column ticket_required: Whether the rules say this change always needs a ticket
--    (ticket_required_types, ticket_required_integrations).
CREATE OR REPLACE VIEW change_approvals AS
WITH in_force AS (
    SELECT * FROM store.rules
    QUALIFY row_number() OVER (PARTITION BY account ORDER BY set_at DESC) = 1
),
required_integrations AS (
    SELECT r.account, list(n.resource_id) AS ids
    FROM in_force AS r
    JOIN store.resource_names AS n
      ON n.account = r.account AND n.resource_type = 'integration'
     AND (list_contains(r.ticket_required_integrations, n.resource_id)
          OR list_contains(list_transform(r.ticket_required_integrations, lambda x: lower(x)), lower(n.name)))
    GROUP BY r.account
),
changes AS (
    SELECT * FROM audit_events WHERE source IS DISTINCT FROM 'system'
),
linked AS (
    SELECT
        c.account, c.event_id, a.ticket, a.approver, a.approved_at,
        CASE
            WHEN lower(trim(a.approver)) IN (lower(c.user_email), lower(c.user_id)) THEN 'self-approved'
            WHEN a.approved_at <= c.time THEN 'approved'
            ELSE 'approved after the change'
        END AS state
    FROM changes AS c
    JOIN store.approvals AS a
      ON a.account = c.account AND c.time >= a.window_from AND c.time < a.window_to
     AND (a.resource_id = c.resource_id
          OR list_contains(c.flow_ids, a.flow_id)
          OR list_contains(c.integration_ids, a.integration_id))
),
best AS (
    SELECT
        account, event_id,
        arg_min(
            {'state': state, 'ticket': ticket, 'approver': approver, 'approved_at': approved_at},
            [CASE state WHEN 'approved' THEN 1 WHEN 'approved after the change' THEN 2 ELSE 3 END::VARCHAR,
             strftime(approved_at, '%Y%m%d%H%M%S%f'), ticket]
        ) AS chosen,
        list_sort(list(DISTINCT ticket)) AS tickets
    FROM linked
    GROUP BY account, event_id
)
SELECT
    c.account, c.event_id, c.time, c.resource_type, c.resource_id, c.resource_name,
    c.user_id, c.user_email, c.source,
    coalesce(b.chosen.state, 'no ticket') AS state,
    b.chosen.ticket AS ticket,
    b.chosen.approver AS approver,
    b.chosen.approved_at AS approved_at,
    coalesce(b.tickets, []) AS tickets,
    CASE WHEN b.chosen.state = 'approved after the change'
         THEN c.time + to_microseconds(CAST(r.emergency_review_hours * 3600000000 AS BIGINT)) END AS review_due_at,
    CASE WHEN b.chosen.state = 'approved after the change'
         THEN b.chosen.approved_at > c.time + to_microseconds(CAST(r.emergency_review_hours * 3600000000 AS BIGINT)) END AS overdue,
    coalesce(
        list_contains(r.ticket_required_types, c.resource_type)
        OR list_has_any(c.integration_ids, coalesce(q.ids, [])),
        false
    ) AS ticket_required
FROM changes AS c
LEFT JOIN best AS b USING (account, event_id)
LEFT JOIN in_force AS r USING (account)
LEFT JOIN required_integrations AS q USING (account);
