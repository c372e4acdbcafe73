# The RTCP parser and builder (fastpath/rtp/pc_rtcp.h) and the RTP receive statistics that
# feed its report blocks (fastpath/rtp/rtp.c). See the notes at the top of rtcp_fuzz.c.
pc_add_fuzz_target(rtcp
  SOURCES ${PC_FUZZ_DIR}/rtcp_fuzz.c ${PC_FUZZ_ROOT}/fastpath/rtp/rtcp.c
    ${PC_FUZZ_ROOT}/fastpath/rtp/rtp.c
  INCLUDES ${PC_FUZZ_ROOT}/fastpath/rtp)
