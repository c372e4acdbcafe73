# The RFC 6184 H.264 payload format (codecs/pc_h264_rtp.h): the depacketizer over a packet
# stream, and the packetizer's round trip through it. See the notes at the top of
# h264_rtp_fuzz.c. h264_rtp.c needs no third-party library, so the target builds from it alone.
pc_add_fuzz_target(h264_rtp
  SOURCES ${PC_FUZZ_DIR}/h264_rtp_fuzz.c ${PC_FUZZ_ROOT}/codecs/h264_rtp.c
  INCLUDES ${PC_FUZZ_ROOT}/codecs)
# Seeds (binary: start codes hold zero bytes, which file(WRITE) cannot write, so a printf
# script writes them at configure time):
#   stream: conf, then a STAP-A (SPS, PPS), an FU-A in three packets, a single NAL packet;
#   au-stap: mode 1 with STAP-A, max_payload 785: SPS, PPS (4- and 3-byte start codes), an IDR
#     slice of 1500 bytes (FU-A) and a small non-IDR slice ending in trailing zero bytes;
#   au-mode0: mode 0, max_payload 13: an AUD and a slice with an emulation prevention byte.
if(TARGET fuzz_h264_rtp)
  set(seeds ${CMAKE_CURRENT_BINARY_DIR}/fuzz_corpus/h264_rtp)
  set(script ${CMAKE_CURRENT_BINARY_DIR}/h264_rtp_seeds.sh)
  file(WRITE ${script} "set -e\ncd '${seeds}'\n"
    "printf '\\100\\040\\000\\001\\000\\012\\170\\000\\003\\147\\102\\200\\000\\002\\150\\316"
    "\\001\\000\\003\\174\\205\\210\\001\\000\\003\\174\\005\\002\\001\\001\\003\\174\\105\\003"
    "\\001\\003\\003\\101\\232\\004' > seed-stream\n"
    "printf '\\213\\000\\000\\000\\000\\001\\147\\102\\200\\036\\000\\000\\001\\150\\316\\070"
    "\\200\\000\\000\\001\\145\\210' > seed-au-stap\n"
    "head -c 1500 /dev/zero | tr '\\000' '\\021' >> seed-au-stap\n"
    "printf '\\000\\000\\001\\101\\232\\001\\002\\000\\000' >> seed-au-stap\n"
    "printf '\\050\\000\\000\\000\\001\\011\\360\\000\\000\\001\\101\\232\\000\\000\\003\\001"
    "\\002\\000\\000' > seed-au-mode0\n")
  execute_process(COMMAND sh ${script} RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(WARNING "phonecore: h264_rtp fuzz seeds not written (${rc})")
  endif()
endif()
