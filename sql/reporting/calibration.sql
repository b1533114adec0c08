-- reporting.calibration: predicted probability against outcome, per market and decile.
--
-- Columns (BI contract):
--   market        text     market (h2h, totals)
--   prob_bin      integer  floor(prob * 10), 0-9, as stored with the prediction
--   n             integer  predictions with a known outcome in the bin
--   p_mean        float    mean predicted probability in the bin
--   outcome_rate  float    share of those predictions whose side won
--
-- Only predictions with an outcome count: an open game says nothing about calibration.
-- In-sample predictions are included; filter on predictions.in_sample upstream when needed.
SELECT p.market,
       p.prob_bin,
       count(*) AS n,
       avg(p.prob) AS p_mean,
       avg(CAST(p.outcome AS DOUBLE PRECISION)) AS outcome_rate
FROM predictions AS p
WHERE p.outcome IS NOT NULL
GROUP BY p.market, p.prob_bin
