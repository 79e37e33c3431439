-- The drift register: one item per unexplained difference the history ever held (see
-- unexplained_changes), numbered per account in the order they were found. An item is
-- 'open' until someone accepts it (`flowaudit drift accept ITEM --note "..."`: who, when,
-- why) or the field returns to its earlier value ('reverted', found by every run); an item
-- the history no longer holds (a late audit record explains it, or the field became
-- volatile) is 'withdrawn'.
-- @column account: The account label the run was given (--account; default 'default').
-- @column item: The item's number (what `flowaudit drift accept` takes).
-- @column status: 'open', 'accepted', 'reverted' or 'withdrawn'.
-- @column resource_type: What changed ('flow', 'export', ...).
-- @column resource_id: The id of the resource that changed.
-- @column resource_name: Its name now (or its last known name).
-- @column field_path: The field that differs; NULL when the whole resource appeared or vanished.
-- @column change: 'modified', 'added', 'removed', 'created' or 'deleted'.
-- @column old_value: The value before (JSON); NULL when the field had none.
-- @column new_value: The value after (JSON); NULL when the field was removed.
-- @column changed_after: The change happened after this moment (UTC) ...
-- @column changed_before: ... and by this one (UTC): when it was found.
-- @column age_days: Days the item has been open: from changed_before to the account's newest
--    data (its last successful run), or to when it was accepted or reverted; NULL when withdrawn.
-- @column reverted_at: When the field returned to its earlier value (UTC); NULL if it has not.
-- @column reverted_event_id: The audit record that reverted it; NULL when none did (reverted
--    without a record, or not reverted).
-- @column reverted_by: Who reverted it (that record's byUser.email).
-- @column accepted_at: When it was accepted (UTC).
-- @column accepted_by: Who accepted it (--by, else the operating-system user).
-- @column note: Why it was accepted (--note).
-- @column run_id: The run whose load registered it.
CREATE OR REPLACE VIEW drift_register AS
WITH as_of AS (
    SELECT account, max(observed_at) AS as_of
    FROM store.runs
    WHERE status = 'succeeded'
    GROUP BY account
),
items AS (
    SELECT d.*,
        CASE WHEN d.accepted_at IS NOT NULL THEN 'accepted'
             WHEN d.reverted_at IS NOT NULL THEN 'reverted'
             WHEN NOT d.current THEN 'withdrawn'
             ELSE 'open' END AS status,
        a.as_of
    FROM store.drift_items AS d
    LEFT JOIN as_of AS a USING (account)
)
SELECT
    i.account, i.item, i.status, i.resource_type, i.resource_id,
    coalesce(n.name, i.resource_id) AS resource_name,
    i.field_path, i.change, i.old_value, i.new_value, i.changed_after, i.changed_before,
    CASE WHEN i.status <> 'withdrawn' THEN round(greatest(epoch(
        coalesce(i.accepted_at, i.reverted_at, i.as_of, i.changed_before) - i.changed_before), 0) / 86400, 1)
    END AS age_days,
    i.reverted_at, i.reverted_event_id, r.user_email AS reverted_by,
    i.accepted_at, i.accepted_by, i.note, i.first_run_id AS run_id
FROM items AS i
LEFT JOIN store.resource_names AS n
  ON n.account = i.account AND n.resource_type = i.resource_type AND n.resource_id = i.resource_id
LEFT JOIN store.audit_records AS r
  ON r.account = i.account AND r.event_id = i.reverted_event_id;
