# The audio codecs' payload decoders of codecs/ (pc_audio_codec.h): every codec's decode and
# concealment on each input, and the RFC 3389 comfort-noise payload.
file(GLOB pc_fuzz_acodec_sources ${PC_FUZZ_ROOT}/codecs/acodec*.c)
pc_add_fuzz_target(acodec
  SOURCES ${PC_FUZZ_DIR}/acodec_fuzz.c ${pc_fuzz_acodec_sources}
  INCLUDES ${PC_FUZZ_ROOT}/codecs)
if(TARGET fuzz_acodec)
  target_link_libraries(fuzz_acodec PRIVATE PkgConfig::OPUS PkgConfig::SPANDSP
    PkgConfig::BCG729 m)
  # Seeds: a 160-byte G.711 frame, two G.729 frames and a SID (22 bytes), an Opus packet whose
  # TOC byte 'x' is CELT FB 20 ms, one code-3 packet ('{': several frames).
  set(seeds ${CMAKE_CURRENT_BINARY_DIR}/fuzz_corpus/acodec)
  string(REPEAT "U" 160 g711)
  file(WRITE ${seeds}/seed-g711.bin "${g711}")
  file(WRITE ${seeds}/seed-g729.bin "0123456789abcdefghijAB")
  file(WRITE ${seeds}/seed-opus-celt.bin "xabcdefghijklmnopqrstuvwxyz0123456789")
  file(WRITE ${seeds}/seed-opus-code3.bin "{Cabcdefghijklmnopqrstuvwxyz")
endif()
