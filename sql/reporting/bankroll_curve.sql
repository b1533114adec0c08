-- reporting.bankroll_curve: the bankroll day by day and its drawdown from the peak.
--
-- Columns (BI contract):
--   game_date       date   a date with at least one bet
--   bankroll_start  float  bankroll at the start of the day (max bankroll_before)
--   profit          float  profit of the day's settled (win/loss/push) bets, 0 when none
--   bankroll_end    float  bankroll_start + profit
--   peak            float  highest bankroll_end up to and including this date
--   drawdown        float  bankroll_end / peak - 1 (0 at a new peak, negative below it)
--
-- Pending bets add nothing yet, so an unsettled day ends where it started. Money bets only:
-- paper bets never draw on the bankroll.
WITH daily AS (
    SELECT b.game_date,
           max(b.bankroll_before) AS bankroll_start,
           coalesce(sum(CASE WHEN b.result IN ('win', 'loss', 'push') THEN b.profit END), 0.0)
               AS profit
    FROM bet_ledger AS b
    WHERE $money_bets
    GROUP BY b.game_date
),
curve AS (
    SELECT d.game_date,
           d.bankroll_start,
           d.profit,
           d.bankroll_start + d.profit AS bankroll_end,
           max(d.bankroll_start + d.profit) OVER (
               ORDER BY d.game_date ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
           ) AS peak
    FROM daily AS d
)
SELECT c.game_date,
       c.bankroll_start,
       c.profit,
       c.bankroll_end,
       c.peak,
       c.bankroll_end / nullif(c.peak, 0) - 1 AS drawdown
FROM curve AS c
