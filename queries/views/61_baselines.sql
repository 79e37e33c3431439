-- The pinned baselines: named, approved configurations (`flowaudit baseline set NAME`),
-- each the configuration of the account at the pin's time. Compare with
-- drift_from_baseline(name).
-- @column account: The account label the run was given (--account; default 'default').
-- @column name: The baseline's name.
-- @column as_of: The moment whose configuration it pins (UTC): the observation time of the
--    last successful run when it was pinned.
-- @column run_id: That run.
-- @column pinned_at: When it was pinned (UTC).
-- @column note: The approval it stands for (`baseline set --note`, e.g. a change ticket).
-- @column pinned_by: Who pinned it (`--by`, else the operating-system user).
CREATE OR REPLACE VIEW baselines AS
SELECT account, name, as_of, run_id, pinned_at, note, pinned_by
FROM store.baselines;
