-- reporting.betting_gate: per model, whether money may be staked on its picks, and the
-- out-of-sample evidence the decision rests on.
--
-- Columns (BI contract):
--   model_name             text       the model (mlb_home_win, mlb_total_over)
--   model_version          text       the version the picks asset last gated
--   gate_open              boolean    money is staked (else picks are paper picks)
--   max_log_loss_diff      float      threshold applied: open when diff_ci_high is below it
--   evidence_weight        float      share of the model's departure from the market trusted
--                                     when sizing (NULL while closed)
--   reason                 text       the decision in words, with the numbers
--   checked_at             timestamp  when the picks asset last decided (UTC)
--   changed_at             timestamp  when gate_open last changed (UTC)
--   evaluation_id          text       the model_evidence row used; NULL: none recorded
--   evidence_at            timestamp  when that evidence was recorded (UTC)
--   n_games                integer    games the evidence scores
--   model_log_loss         float      the model's out-of-sample log-loss
--   market_log_loss        float      the no-vig market's log-loss on the same games
--   diff_mean              float      mean per-game log-loss, model - market (< 0: model better)
--   diff_ci_low            float      bootstrap 95% interval of diff_mean
--   diff_ci_high           float
--   edge_probability       float      share of bootstrap resamples where the model is better
--   calibration_slope      float      1 for a calibrated model, below 1 when too confident
--   calibration_intercept  float
--
-- A plain view even on Postgres: the gate changes with every picks run and must be live.
SELECT g.model_name,
       g.model_version,
       g.gate_open,
       g.max_log_loss_diff,
       g.evidence_weight,
       g.reason,
       g.checked_at,
       g.changed_at,
       g.evaluation_id,
       e.created_at AS evidence_at,
       e.n_games,
       e.model_log_loss,
       e.market_log_loss,
       e.diff_mean,
       e.diff_ci_low,
       e.diff_ci_high,
       e.edge_probability,
       e.calibration_slope,
       e.calibration_intercept
FROM betting_gate AS g
LEFT JOIN model_evidence AS e
    ON e.evaluation_id = g.evaluation_id AND e.model_name = g.model_name
