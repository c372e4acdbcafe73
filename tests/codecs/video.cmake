# Suite of H.264 video (codecs/pc_video.h): conversion, test pattern and block code, Y4M, x264
# encoding through the offload interface, libavcodec decoding, and the RFC 6184 round trip.
pc_add_criterion_test(video video_test.c LABELS unit)
target_link_libraries(test_codecs_video PRIVATE pc_codecs)
