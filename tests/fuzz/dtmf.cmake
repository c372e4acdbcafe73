# RFC 4733 telephone-events (fastpath/dtmf/pc_dtmf.h): the payload decoder, the receiver and
# the sender. See the notes at the top of dtmf_fuzz.c.
pc_add_fuzz_target(dtmf
  SOURCES ${PC_FUZZ_DIR}/dtmf_fuzz.c ${PC_FUZZ_ROOT}/fastpath/dtmf/dtmf.c
  INCLUDES ${PC_FUZZ_ROOT}/fastpath/dtmf)
