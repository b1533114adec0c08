-- reporting.data_freshness: how recent the newest row of each pipeline table is.
--
-- Columns (BI contract):
--   table_name     text       odds_snapshots, games, predictions, picks, bet_ledger
--   newest_row_at  timestamp  newest row's time (UTC): captured_at, start_time_utc,
--                             predicted_at, decision_at, settled_at respectively;
--                             NULL when the table is empty (or, for bet_ledger, unsettled)
--   row_count      integer    rows in the table
--
-- A plain view even on Postgres: freshness must be live, never as old as a refresh.
-- odds_snapshots grows to tens of millions of rows: its figures come from
-- odds_snapshot_days, which each load writes in the same transaction as the rows, so they
-- are exact without counting the table on every dashboard refresh.
SELECT CAST('odds_snapshots' AS TEXT) AS table_name,
       max(newest_captured_at) AS newest_row_at,
       coalesce(sum(row_count), 0) AS row_count
FROM odds_snapshot_days
UNION ALL
SELECT 'games', max(start_time_utc), count(*) FROM games
UNION ALL
SELECT 'predictions', max(predicted_at), count(*) FROM predictions
UNION ALL
SELECT 'picks', max(decision_at), count(*) FROM picks
UNION ALL
SELECT 'bet_ledger', max(settled_at), count(*) FROM bet_ledger
