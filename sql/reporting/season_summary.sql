-- reporting.season_summary: one row per season of the schedule.
--
-- Columns (BI contract):
--   season           integer  the season
--   games            integer  games scheduled (any status)
--   final_games      integer  games with status 'final'
--   first_game_date  date     earliest game date
--   last_game_date   date     latest game date
--   home_win_rate    float    share of final games (with both scores) the home team won;
--                             NULL before any game is final
--
-- Portable SQL (Postgres 15 and SQLite): CASE instead of FILTER, CAST instead of '::'.
SELECT g.season,
       count(*) AS games,
       sum(CASE WHEN g.status = 'final' THEN 1 ELSE 0 END) AS final_games,
       min(g.game_date) AS first_game_date,
       max(g.game_date) AS last_game_date,
       CAST(sum(CASE WHEN g.status = 'final' AND g.home_score > g.away_score
                     THEN 1 ELSE 0 END) AS DOUBLE PRECISION)
           / nullif(sum(CASE WHEN g.status = 'final'
                              AND g.home_score IS NOT NULL
                              AND g.away_score IS NOT NULL
                             THEN 1 ELSE 0 END), 0) AS home_win_rate
FROM games AS g
GROUP BY g.season
