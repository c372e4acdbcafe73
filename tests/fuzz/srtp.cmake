# The SDES inline: key-params parser of fastpath/srtp/ (srtp_key.c holds it and needs no libsrtp,
# so the target builds from that file alone).
pc_add_fuzz_target(srtp
  SOURCES ${PC_FUZZ_DIR}/srtp_fuzz.c ${PC_FUZZ_ROOT}/fastpath/srtp/srtp_key.c
  INCLUDES ${PC_FUZZ_ROOT}/fastpath/srtp ${PC_FUZZ_ROOT}/fastpath/pkt
    ${PC_FUZZ_ROOT}/fastpath/arch)
# Seeds: the first byte picks the suite ('A' AES_CM_128_HMAC_SHA1_80 .. 'D' AEAD_AES_256_GCM).
if(TARGET fuzz_srtp)
  set(seeds ${CMAKE_CURRENT_BINARY_DIR}/fuzz_corpus/srtp)
  file(WRITE ${seeds}/seed-cm80 "Ainline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|2^20|1:32")
  file(WRITE ${seeds}/seed-cm32 "Binline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|1048576")
  file(WRITE ${seeds}/seed-gcm128 "Cinline:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGw==|2^31")
  file(WRITE ${seeds}/seed-gcm256
    "Dinline:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8gISIjJCUmJygpKis=|7:1")
endif()
