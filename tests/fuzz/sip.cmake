# The SIP message parser of signaling/ (one datagram per input).
pc_add_fuzz_target(sip
  SOURCES ${PC_FUZZ_DIR}/sip_fuzz.c ${PC_FUZZ_ROOT}/signaling/sip_msg.c
  INCLUDES ${PC_FUZZ_ROOT}/signaling)
# Seeds: a few torture messages (RFC 4475), when the test data folder is there.
set(PC_SIP_TESTDATA "/work/shared/testdata/sip" CACHE PATH
  "Folder of the SIP torture messages and their EXPECTED.tsv (the suite skips without it)")
if(TARGET fuzz_sip AND EXISTS ${PC_SIP_TESTDATA}/rfc4475)
  file(COPY ${PC_SIP_TESTDATA}/rfc4475/wsinv.dat ${PC_SIP_TESTDATA}/rfc4475/dblreq.dat
    ${PC_SIP_TESTDATA}/rfc4475/unreason.dat
    DESTINATION ${CMAKE_CURRENT_BINARY_DIR}/fuzz_corpus/sip)
endif()
