# Suite of the SDP parser, printer and offer/answer (signaling/pc_sdp.h).
pc_add_criterion_test(sdp sdp_test.c LABELS unit)
target_link_libraries(test_signaling_sdp PRIVATE pc_signaling)
