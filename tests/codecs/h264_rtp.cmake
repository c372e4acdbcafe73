# Suite of the RFC 6184 H.264 RTP payload format (codecs/pc_h264_rtp.h): packetizer and
# depacketizer round trips, RFC 6184 byte layouts, reordering, loss, malformed payloads.
pc_add_criterion_test(h264_rtp h264_rtp_test.c LABELS unit)
target_link_libraries(test_codecs_h264_rtp PRIVATE pc_codecs)
