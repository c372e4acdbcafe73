# The SIP message printer (signaling/pc_sip_print.h): the bounded builder, the value printers,
# and parse -> print -> parse round trips of the torture messages and typical messages.
pc_add_criterion_test(sip_print sip_print_test.c LABELS unit)
target_link_libraries(test_signaling_sip_print PRIVATE pc_signaling)
target_compile_definitions(test_signaling_sip_print PRIVATE PC_TEST_SIP_DATA="${PC_SIP_TESTDATA}")
