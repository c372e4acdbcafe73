# The SIP header value grammar (signaling/pc_sip_hdr.h): URIs, name-addr, lists, Via, CSeq,
# Refer-To/Replaces, the event and session-timer headers; edge cases and the torture messages.
pc_add_criterion_test(sip_hdr sip_hdr_test.c LABELS unit)
target_link_libraries(test_signaling_sip_hdr PRIVATE pc_signaling)
target_compile_definitions(test_signaling_sip_hdr PRIVATE PC_TEST_SIP_DATA="${PC_SIP_TESTDATA}")
