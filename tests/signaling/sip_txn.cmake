# The transaction layer (pc_sip_txn.h): timers on a driven clock, a fake lossy transport.
pc_add_criterion_test(sip_txn sip_txn_test.c LABELS unit)
target_link_libraries(test_signaling_sip_txn PRIVATE pc_signaling)
