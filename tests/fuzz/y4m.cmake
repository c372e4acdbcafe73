# The Y4M (YUV4MPEG2) parsers and reader, the Annex B scanner and the block-code reader of
# codecs/pc_video.h (codecs/video_img.c alone). See the notes at the top of y4m_fuzz.c.
pc_add_fuzz_target(y4m
  SOURCES ${PC_FUZZ_DIR}/y4m_fuzz.c ${PC_FUZZ_ROOT}/codecs/video_img.c
  INCLUDES ${PC_FUZZ_ROOT}/codecs ${PC_FUZZ_ROOT}/hwaccel)
if(TARGET fuzz_y4m)
  target_link_libraries(fuzz_y4m PRIVATE m)
  set(seeds ${CMAKE_CURRENT_BINARY_DIR}/fuzz_corpus/y4m)
  file(WRITE ${seeds}/seed-small.y4m "YUV4MPEG2 W4 H2 F30:1 Ip A1:1 C420jpeg\nFRAME\n"
    "0123456789ab\nFRAME Ixx\n0123456789ab\n")
  file(WRITE ${seeds}/seed-tags.y4m "YUV4MPEG2 C420mpeg2 H4 W8 XYSCSS=420MPEG2 I?\nFRAME\n")
endif()
