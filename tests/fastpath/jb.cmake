# Suite of the adaptive jitter buffer (fastpath/jb/), driven on a simulated clock.
pc_add_criterion_test(jb jb_test.c LABELS unit)
