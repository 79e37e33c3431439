-- The clock evidence of every run (issue 10, item 1). `clock` is what the fetch saw of the
-- API's clock and this machine's: {"server_first", "server_last", "local", "skew_seconds",
-- "bounded"} (bounded: the observation time was held to the local clock plus the tolerance).
-- `watermark_distrusted` is a stored audit watermark a run found later than the local clock
-- allows and did not trust: it re-read the audit log from its newest stored record instead,
-- and replaced the watermark. Runs loaded before this migration have both NULL.

ALTER TABLE store.runs ADD COLUMN clock JSON;
ALTER TABLE store.runs ADD COLUMN watermark_distrusted TIMESTAMPTZ;
