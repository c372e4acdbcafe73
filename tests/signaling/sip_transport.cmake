# The SIP transports (signaling/pc_sip_transport.h): the stream framer, received/rport, and UDP,
# TCP and TLS over loopback between transports of the test process (TLS certificates are made by
# the test with the OpenSSL API). Quick and loopback-only: unit.
pc_add_criterion_test(sip_transport sip_transport_test.c LABELS unit)
target_link_libraries(test_signaling_sip_transport PRIVATE pc_signaling)
