# The RTP endpoint (fastpath/media/): two of them on one media loop over loopback, a call.
pc_add_criterion_test(media media_test.c LABELS integration)
