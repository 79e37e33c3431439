-- The hash chain that makes stored records and versions tamper-evident: one link per
-- succeeded run (and, on a database that held data before flowaudit kept a chain, one link
-- for that migration, sealing everything loaded until then as one block). Each link holds
-- SHA-256 digests of what its runs loaded (sections) and the hash of the previous link;
-- its own hash covers both. `flowaudit verify` recomputes every link from the store. The
-- newest link's hash is the chain's head (recorded in every evidence folder's MANIFEST).
-- @column account: The account label the run was given (--account; default 'default').
-- @column link: The link's number in the account's chain (1 for the first).
-- @column kind: 'run' (one run's load) or 'migration' (what was stored before the chain began).
-- @column migration: For kind 'migration': the migration that sealed.
-- @column first_run_id: The first run whose load the link seals.
-- @column last_run_id: The last such run (the same for kind 'run').
-- @column sealed_at: When the link was written (UTC).
-- @column rehashed: Whether the load hashed the observations anew (volatile_fields changed):
--    the observation sections of earlier links are then no longer checked.
-- @column sections: What the link seals (JSON: {"audit_records": {"rows": n, "sha256":
--    "..."}, ...}: runs, audit_windows, audit_records, field_changes, observations, absences,
--    history).
-- @column previous: The hash of the previous link (64 zeros for the first).
-- @column hash: The link's hash (SHA-256, hex).
CREATE OR REPLACE VIEW hash_chain AS
SELECT account, link, kind, migration, first_run_id, last_run_id, sealed_at, rehashed, sections,
       previous, hash
FROM store.hash_chain;
