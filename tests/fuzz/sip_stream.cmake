# The TCP/TLS stream framer and the received/rport helper of signaling/pc_sip_transport.h,
# cross-checked against the message parser. See the notes at the top of sip_stream_fuzz.c.
pc_add_fuzz_target(sip_stream
  SOURCES ${PC_FUZZ_DIR}/sip_stream_fuzz.c ${PC_FUZZ_ROOT}/signaling/sip_transport.c
    ${PC_FUZZ_ROOT}/signaling/sip_msg.c
  INCLUDES ${PC_FUZZ_ROOT}/signaling)
if(TARGET fuzz_sip_stream)
  target_link_libraries(fuzz_sip_stream PRIVATE PkgConfig::OPENSSL)
  # Seeds: the first byte picks the limit and the read size (see the fuzz target): "d" a limit
  # of 1600 octets and reads of 37, "A" 1040 and 2, "@" 1024 and 1.
  set(seeds ${CMAKE_CURRENT_BINARY_DIR}/fuzz_corpus/sip_stream)
  file(WRITE ${seeds}/seed-one "dOPTIONS sip:b@example.com SIP/2.0\r\nVia: SIP/2.0/TCP "
    "h.example.com;branch=z9hG4bK1;rport\r\nFrom: <sip:a@example.com>;tag=1\r\n"
    "To: <sip:b@example.com>\r\nCall-ID: c1@h\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n")
  file(WRITE ${seeds}/seed-pipelined "A\r\n\r\nMESSAGE sip:b@h SIP/2.0\r\nContent-Length: 5"
    "\r\n\r\nhello\r\nSIP/2.0 200 OK\r\nl: 0\r\n\r\n")
  file(WRITE ${seeds}/seed-folded "@INFO sip:b@h SIP/2.0\r\nl:\r\n  3\r\nX: y\r\n\r\nabc")
endif()
