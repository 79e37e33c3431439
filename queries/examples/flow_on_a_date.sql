-- What a flow looked like at a moment: its version valid at $at (UTC), from flows_as_of.
-- $flow is the flow's id or its name at that moment. No row: the flow did not exist then
-- (or flowaudit's history does not reach back that far).
--
-- @param flow =     the flow (required): its id or its name then
-- @param at =       the moment (required), UTC: '2026-03-01' or '2026-03-01 14:30'
--
-- Run: flowaudit sql -f queries/examples/flow_on_a_date.sql -p flow 'Orders to ERP' -p at 2026-03-01
SELECT
    flow_id,
    name,
    version,
    valid_from,
    valid_to,
    origin,
    disabled,
    schedule,
    timezone,
    integration_id,
    doc
FROM flows_as_of(CAST($at AS TIMESTAMPTZ))
WHERE flow_id = $flow OR name = $flow
ORDER BY account, flow_id;
