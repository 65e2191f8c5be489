-- Reach's per-address rate limit counts a truncated network's recent submissions before each
-- new one is written (chorus-store/src/reach/submissions.rs, recent_submissions); without an
-- index that count reads every submission.
CREATE INDEX reach_submissions_network ON reach_submissions (ip, created_at);
