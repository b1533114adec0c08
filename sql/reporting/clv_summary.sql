-- reporting.clv_summary: closing-line value of the money bets, per market and overall (the
-- paper bets' CLV, with intervals, is in roi_summary under ledger 'paper').
--
-- Columns (BI contract):
--   market              text     market (h2h, totals), or 'all' for every bet
--   bets                integer  bets placed
--   clv_bets            integer  bets with a closing line (clv_prob not NULL)
--   clv_mean            float    mean clv_prob (closing no-vig minus implied price taken)
--   clv_positive_share  float    share of clv_bets that beat the close (clv_prob > 0)
--   clv_min             float
--   clv_max             float
--
-- CLV is known at the close, before settlement, so pending and void bets count here.
-- The 'all' row exists even for an empty ledger (bets 0, the rest NULL).
SELECT b.market,
       count(*) AS bets,
       count(b.clv_prob) AS clv_bets,
       avg(b.clv_prob) AS clv_mean,
       CAST(sum(CASE WHEN b.clv_prob > 0 THEN 1 ELSE 0 END) AS DOUBLE PRECISION)
           / nullif(count(b.clv_prob), 0) AS clv_positive_share,
       min(b.clv_prob) AS clv_min,
       max(b.clv_prob) AS clv_max
FROM bet_ledger AS b
WHERE $money_bets
GROUP BY b.market
UNION ALL
SELECT 'all',
       count(*),
       count(b.clv_prob),
       avg(b.clv_prob),
       CAST(sum(CASE WHEN b.clv_prob > 0 THEN 1 ELSE 0 END) AS DOUBLE PRECISION)
           / nullif(count(b.clv_prob), 0),
       min(b.clv_prob),
       max(b.clv_prob)
FROM bet_ledger AS b
WHERE $money_bets
