# Suites of the sockets I/O backend and of the code above it that runs on it: the timer wheel,
# the RTP/RTCP checks, and the RTP relay driven through the media loop over loopback.
pc_add_criterion_test(io_sockets io_sockets_test.c LABELS unit)
pc_add_criterion_test(io_sockets_stress io_sockets_stress_test.c LABELS stress)
pc_add_criterion_test(timer timer_test.c LABELS unit)
pc_add_criterion_test(rtp rtp_test.c LABELS unit)
pc_add_criterion_test(relay relay_test.c LABELS integration)
