-- reporting.quarantine_summary: input rows set aside instead of loaded, per asset and reason.
--
-- Columns (BI contract):
--   asset            text     asset that met the rows (odds_snapshots, games, ...)
--   reason           text     why they were set aside, as the asset wrote it
--   row_count        integer  rows quarantined for that asset and reason
--   first_game_date  date     earliest game date among them; NULL when none was readable
--   last_game_date   date     latest game date among them
--
-- A plain view even on Postgres: like freshness, it must be live. The quarantine table
-- records no time of quarantining, so the game dates are the only time axis.
SELECT q.asset,
       q.reason,
       count(*) AS row_count,
       min(q.game_date) AS first_game_date,
       max(q.game_date) AS last_game_date
FROM quarantine AS q
GROUP BY q.asset, q.reason
