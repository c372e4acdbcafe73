# The user agent (pc_sip_ua.h): every VP530 flow between UAs of this process on loopback, and the
# torture messages sent to a running UA.
pc_add_criterion_test(sip_ua sip_ua_test.c LABELS unit)
target_link_libraries(test_signaling_sip_ua PRIVATE pc_signaling)
target_compile_definitions(test_signaling_sip_ua PRIVATE PC_TEST_SIP_DATA="${PC_SIP_TESTDATA}")
