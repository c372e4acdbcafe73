# Suites of the media transport's RTCP (fastpath/rtp/pc_rtcp.h) and RFC 4733 DTMF
# (fastpath/dtmf/). The RTP suite itself is registered in io_sockets.cmake.
pc_add_criterion_test(rtcp rtcp_test.c LABELS unit)
pc_add_criterion_test(dtmf dtmf_test.c LABELS unit)
