-- Postgres-only DDL for the foundation revision (applied by migration 0001).

-- Line changes arrive in time order: a BRIN index on captured_at is tiny and serves
-- time-window scans (freshness, "last N hours") without a B-tree over every row.
CREATE INDEX IF NOT EXISTS brin_odds_snapshots_captured_at
    ON odds_snapshots USING brin (captured_at);

-- Reporting schema read by BI tools; views here are the contract, raw tables are not.
CREATE SCHEMA IF NOT EXISTS reporting;

CREATE OR REPLACE VIEW reporting.season_summary AS
SELECT g.season,
       count(*)                                        AS games,
       count(*) FILTER (WHERE g.status = 'final')      AS final_games,
       min(g.game_date)                                AS first_game_date,
       max(g.game_date)                                AS last_game_date,
       avg((g.home_score > g.away_score)::int)
           FILTER (WHERE g.status = 'final')           AS home_win_rate
FROM games AS g
GROUP BY g.season;

CREATE OR REPLACE VIEW reporting.data_freshness AS
SELECT 'odds_snapshots'::text AS table_name,
       max(captured_at)        AS newest_row_at,
       count(*)                AS row_count
FROM odds_snapshots
UNION ALL
SELECT 'games', max(start_time_utc), count(*) FROM games;
