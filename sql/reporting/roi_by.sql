-- reporting.roi_by_tier, roi_by_market, roi_by_month: the ledger's money bets per key, beside the
-- bootstrap interval the rollup computed for it. One template for the three views:
-- $key is the view's key column (tier, market, month) and $key_expr its value per bet.
--
-- Columns (BI contract):
--   $key       text     tier: A/B/C, 'untiered' below the lowest tier;
--                       market: h2h, totals; month: YYYY-MM of the game date
--   bets       integer  bets placed (any result)
--   settled    integer  bets with result win, loss or push
--   wins       integer
--   losses     integer
--   pushes     integer
--   staked     float    money staked on settled bets (0 when none)
--   profit     float    money won or lost on settled bets (0 when none)
--   roi        float    profit / staked; NULL when nothing settled was staked
--   win_rate   float    wins / (wins + losses), pushes excluded; NULL without either
--   clv_mean   float    mean closing-line value (clv_prob) of the settled bets with one
--   roi_ci_low   float  bootstrap 95% interval of roi from roi_summary (scope $key);
--   roi_ci_high  float  NULL until the rollup has computed it
WITH per_key AS (
    SELECT $key_expr AS $key,
           count(*) AS bets,
           sum(CASE WHEN b.result IN ('win', 'loss', 'push') THEN 1 ELSE 0 END) AS settled,
           sum(CASE WHEN b.result = 'win' THEN 1 ELSE 0 END) AS wins,
           sum(CASE WHEN b.result = 'loss' THEN 1 ELSE 0 END) AS losses,
           sum(CASE WHEN b.result = 'push' THEN 1 ELSE 0 END) AS pushes,
           sum(CASE WHEN b.result IN ('win', 'loss', 'push') THEN b.stake END) AS staked,
           sum(CASE WHEN b.result IN ('win', 'loss', 'push') THEN b.profit END) AS profit,
           avg(CASE WHEN b.result IN ('win', 'loss', 'push') THEN b.clv_prob END) AS clv_mean
    FROM bet_ledger AS b
    WHERE $money_bets
    GROUP BY $key_expr
)
SELECT p.$key,
       p.bets,
       p.settled,
       p.wins,
       p.losses,
       p.pushes,
       coalesce(p.staked, 0.0) AS staked,
       coalesce(p.profit, 0.0) AS profit,
       p.profit / nullif(p.staked, 0) AS roi,
       CAST(p.wins AS DOUBLE PRECISION) / nullif(p.wins + p.losses, 0) AS win_rate,
       p.clv_mean,
       s.roi_ci_low,
       s.roi_ci_high
FROM per_key AS p
LEFT JOIN roi_summary AS s
    ON s.scope = '$key' AND s.key = p.$key AND $money_summary
