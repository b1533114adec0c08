-- reporting.roi_daily: the money bets of the ledger per game date (paper bets, placed while
-- the betting gate was closed, are in roi_summary under ledger 'paper').
--
-- Columns (BI contract):
--   game_date  date     the games' local date
--   bets       integer  bets placed
--   settled    integer  bets with result win, loss or push
--   wins       integer
--   losses     integer
--   pushes     integer
--   voids      integer  bets voided (stake returned; not counted as settled)
--   pending    integer  bets without a result yet
--   staked     float    money staked on settled bets (0 when none)
--   profit     float    money won or lost on settled bets (0 when none)
--   roi        float    profit / staked; NULL when nothing settled was staked
--
-- Voided and pending bets stay out of staked/profit/roi so that ROI measures decided bets.
SELECT b.game_date,
       count(*) AS bets,
       sum(CASE WHEN b.result IN ('win', 'loss', 'push') THEN 1 ELSE 0 END) AS settled,
       sum(CASE WHEN b.result = 'win' THEN 1 ELSE 0 END) AS wins,
       sum(CASE WHEN b.result = 'loss' THEN 1 ELSE 0 END) AS losses,
       sum(CASE WHEN b.result = 'push' THEN 1 ELSE 0 END) AS pushes,
       sum(CASE WHEN b.result = 'void' THEN 1 ELSE 0 END) AS voids,
       sum(CASE WHEN b.result IS NULL THEN 1 ELSE 0 END) AS pending,
       coalesce(sum(CASE WHEN b.result IN ('win', 'loss', 'push') THEN b.stake END), 0.0)
           AS staked,
       coalesce(sum(CASE WHEN b.result IN ('win', 'loss', 'push') THEN b.profit END), 0.0)
           AS profit,
       sum(CASE WHEN b.result IN ('win', 'loss', 'push') THEN b.profit END)
           / nullif(sum(CASE WHEN b.result IN ('win', 'loss', 'push') THEN b.stake END), 0)
           AS roi
FROM bet_ledger AS b
WHERE $money_bets
GROUP BY b.game_date
