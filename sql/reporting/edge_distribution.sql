-- reporting.edge_distribution: the model's edge over the market, per market and edge bin,
-- with what the bets in each bin returned.
--
-- Columns (BI contract):
--   market     text     market (h2h, totals)
--   edge_bin   float    lower bound of the bin, bins 0.01 wide: floor(edge * 100) / 100
--                       (edge 0.034 is in bin 0.03, edge -0.004 in bin -0.01)
--   picks      integer  picks in the bin (every predicted side, bet or not)
--   bets       integer  picks that became bets (is_bet), money or paper
--   edge_mean  float    mean edge (model_prob - market_prob) of the bin's picks
--   settled    integer  those bets staking money and settled win, loss or push in the
--                       ledger (paper bets, placed while the betting gate was closed,
--                       are in roi_summary under ledger 'paper')
--   staked     float    money staked on the settled bets (0 when none)
--   profit     float    money won or lost on the settled bets (0 when none)
--   roi        float    profit / staked; NULL when nothing settled was staked
--
-- A bet's ledger row has the pick's id (bet_id = pick_id). Portable floor: CAST to integer
-- truncates on SQLite and rounds on Postgres, and in both cases a result above the value is
-- one too high. The 1e-9 keeps an edge that lies on a bound in its own bin: 0.29 scales to
-- 28.999999999999996, which would otherwise floor to bin 0.28.
WITH scaled AS (
    SELECT p.pick_id,
           p.market,
           p.edge,
           p.is_bet,
           p.edge * 100 + 1e-9 AS x
    FROM picks AS p
),
binned AS (
    SELECT s.pick_id,
           s.market,
           s.edge,
           s.is_bet,
           CASE WHEN CAST(s.x AS INTEGER) > s.x THEN CAST(s.x AS INTEGER) - 1
                ELSE CAST(s.x AS INTEGER) END AS bin
    FROM scaled AS s
)
SELECT k.market,
       CAST(k.bin AS DOUBLE PRECISION) / 100 AS edge_bin,
       count(*) AS picks,
       sum(CASE WHEN k.is_bet THEN 1 ELSE 0 END) AS bets,
       avg(k.edge) AS edge_mean,
       sum(CASE WHEN b.result IN ('win', 'loss', 'push') THEN 1 ELSE 0 END) AS settled,
       coalesce(sum(CASE WHEN b.result IN ('win', 'loss', 'push') THEN b.stake END), 0.0)
           AS staked,
       coalesce(sum(CASE WHEN b.result IN ('win', 'loss', 'push') THEN b.profit END), 0.0)
           AS profit,
       sum(CASE WHEN b.result IN ('win', 'loss', 'push') THEN b.profit END)
           / nullif(sum(CASE WHEN b.result IN ('win', 'loss', 'push') THEN b.stake END), 0)
           AS roi
FROM binned AS k
LEFT JOIN bet_ledger AS b
    ON b.bet_id = k.pick_id AND $money_bets
GROUP BY k.market, k.bin
