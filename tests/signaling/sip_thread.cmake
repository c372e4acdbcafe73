# The SIP thread (signaling/pc_sip_thread.h): two SIP threads, each with its own media loop on
# its own thread (sockets backend), calling each other over loopback: RTP both ways, hold and
# resume as seen in the loops' counters, DTMF, hang-up closing the ports; the command latency
# through the channel. Loopback only, threaded: unit (also run by the TSan stage).
pc_add_criterion_test(sip_thread sip_thread_test.c LABELS unit)
target_link_libraries(test_signaling_sip_thread PRIVATE pc_signaling)
