# Suite of the SIP digest authentication (signaling/pc_sip_auth.h): RFC 2617 / RFC 7616 known
# answers, SHA-512-256, nonce counting, stale, the choice among challenges, malformed headers.
pc_add_criterion_test(sip_auth sip_auth_test.c LABELS unit)
target_link_libraries(test_signaling_sip_auth PRIVATE pc_signaling)
