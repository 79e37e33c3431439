-- Whether the account's audit log is complete for one period [$from, $to), and its gaps
-- (the Audit page's evidence table; the evidence folder's coverage.json says the same).
SELECT complete, gaps
FROM audit_coverage(CAST($from AS TIMESTAMPTZ), CAST($to AS TIMESTAMPTZ))
WHERE account = $account;
