-- The digests a hash-chain link seals, for every link in the temp table `seal_ranges`
-- (link, first_run_id, last_run_id) of $account: per section, how many rows and the SHA-256
-- of their row digests in a fixed order. What each section covers (never change a
-- section: stored links were sealed with it; add a new one instead):
--   runs           the runs rows of the link's succeeded runs
--   audit_windows  the audit windows those runs paged (the completeness evidence)
--   audit_records  the audit records they first stored, raw record included
--   field_changes  the fieldChanges entries of those records
--   observations   what they first listed: each stretch's resource, first sighting and document
--   absences       what they found gone (missing from a complete listing)
--   history        the link's history seals: each rebuilt resource's digest (history_seals)
-- A field of a row is sealed by store.sealed (length-prefixed text; times as epoch µs).
WITH bounds AS (
    SELECT min(first_run_id) AS low, max(last_run_id) AS high FROM seal_ranges
),
runs AS (
    SELECT run_id AS run, sha256(
        store.sealed(run_id) || store.sealed(account) || store.sealed(epoch_us(started_at))
        || store.sealed(epoch_us(finished_at)) || store.sealed(status) || store.sealed(mode)
        || store.sealed(epoch_us(observed_at)) || store.sealed(epoch_us(observed_from))
        || store.sealed(epoch_us(audit_from)) || store.sealed(epoch_us(audit_to))
        || store.sealed(audit_complete) || store.sealed(CAST(audit_gaps AS VARCHAR))
        || store.sealed(audit_records) || store.sealed(CAST(listings AS VARCHAR))
        || store.sealed(requests) || store.sealed(retries) || store.sealed(CAST(counts AS VARCHAR))
        || store.sealed(flowaudit_version) || store.sealed(CAST(clock AS VARCHAR))
        || store.sealed(epoch_us(watermark_distrusted)) || store.sealed(api_url)
    ) AS h, run_id AS k1, NULL::VARCHAR AS k2, NULL::BIGINT AS k3
    FROM store.runs
    WHERE account = $account AND status = 'succeeded'
      AND run_id BETWEEN (SELECT low FROM bounds) AND (SELECT high FROM bounds)
),
windows AS (
    SELECT run_id AS run, sha256(
        store.sealed(run_id) || store.sealed(epoch_us(window_from)) || store.sealed(epoch_us(window_to))
        || store.sealed(scope) || store.sealed(records) || store.sealed(pages) || store.sealed(complete)
    ) AS h, coalesce(epoch_us(window_from), -9223372036854775807) AS k1, scope AS k2, epoch_us(window_to) AS k3
    FROM store.audit_windows
    WHERE account = $account
      AND run_id BETWEEN (SELECT low FROM bounds) AND (SELECT high FROM bounds)
),
records AS (
    SELECT first_run_id AS run, sha256(
        store.sealed(event_id) || store.sealed(epoch_us(time)) || store.sealed(resource_type)
        || store.sealed(resource_id) || store.sealed(source) || store.sealed(event)
        || store.sealed(user_id) || store.sealed(user_name) || store.sealed(user_email)
        || store.sealed(deleted_name) || store.sealed(CAST(raw AS VARCHAR)) || store.sealed(first_run_id)
    ) AS h, NULL::BIGINT AS k1, event_id AS k2, NULL::BIGINT AS k3
    FROM store.audit_records
    WHERE account = $account
      AND first_run_id BETWEEN (SELECT low FROM bounds) AND (SELECT high FROM bounds)
),
changes AS (
    SELECT a.first_run_id AS run, sha256(
        store.sealed(c.event_id) || store.sealed(c.position) || store.sealed(c.field_path)
        || store.sealed(c.old_present) || store.sealed(CAST(c.old_value AS VARCHAR))
        || store.sealed(c.new_present) || store.sealed(CAST(c.new_value AS VARCHAR))
    ) AS h, NULL::BIGINT AS k1, c.event_id AS k2, c.position AS k3
    FROM store.audit_field_changes AS c
    JOIN store.audit_records AS a ON a.account = c.account AND a.event_id = c.event_id
    WHERE c.account = $account
      AND a.first_run_id BETWEEN (SELECT low FROM bounds) AND (SELECT high FROM bounds)
),
observations AS (
    SELECT first_run_id AS run, sha256(
        store.sealed(resource_type) || store.sealed(resource_id) || store.sealed(epoch_us(first_seen_at))
        || store.sealed(first_run_id) || store.sealed(CAST(doc AS VARCHAR))
    ) AS h, epoch_us(first_seen_at) AS k1, resource_type || '/' || resource_id AS k2, NULL::BIGINT AS k3
    FROM store.observations
    WHERE account = $account
      AND first_run_id BETWEEN (SELECT low FROM bounds) AND (SELECT high FROM bounds)
),
absences AS (
    SELECT absent_run_id AS run, sha256(
        store.sealed(resource_type) || store.sealed(resource_id) || store.sealed(epoch_us(absent_at))
        || store.sealed(absent_run_id)
    ) AS h, epoch_us(absent_at) AS k1, resource_type || '/' || resource_id AS k2, NULL::BIGINT AS k3
    FROM store.observations
    WHERE account = $account AND absent_run_id IS NOT NULL
      AND absent_run_id BETWEEN (SELECT low FROM bounds) AND (SELECT high FROM bounds)
),
by_run AS (
    SELECT 'runs' AS section, * FROM runs
    UNION ALL SELECT 'audit_windows', * FROM windows
    UNION ALL SELECT 'audit_records', * FROM records
    UNION ALL SELECT 'field_changes', * FROM changes
    UNION ALL SELECT 'observations', * FROM observations
    UNION ALL SELECT 'absences', * FROM absences
),
by_link AS (
    SELECT l.link, s.section, s.h, s.k1, s.k2, s.k3
    FROM by_run AS s
    JOIN seal_ranges AS l ON s.run BETWEEN l.first_run_id AND l.last_run_id
    UNION ALL
    SELECT h.link, 'history', sha256(
        store.sealed(h.resource_type) || store.sealed(h.resource_id) || store.sealed(h.versions)
        || store.sealed(h.sha256)
    ), NULL, h.resource_type || '/' || h.resource_id, NULL
    FROM store.history_seals AS h
    JOIN seal_ranges AS l ON l.link = h.link
    WHERE h.account = $account
),
-- Each link's rows per section in the order their digest takes them; the caller hashes the
-- stream (flowaudit.audit_trail.chain.section_digests): a section's digest is the SHA-256 of
-- its row digests one after the other, the empty text's for a section without rows. (An
-- ordered string_agg here held every row digest of a first load in memory at once.)
SELECT link, section, h
FROM by_link
ORDER BY link, section, k1, k2, k3, h;
