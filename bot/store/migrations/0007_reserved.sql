-- Reserved for another branch's 0007 (the numbers are handed out by the lead). This file only
-- keeps the numbering without a gap on the crash-safe branch: drop it when the real 0007 lands.
SELECT 1;
