# The SIP header value grammar and the printer of signaling/ (first byte picks the parser).
pc_add_fuzz_target(sip_hdr
  SOURCES ${PC_FUZZ_DIR}/sip_hdr_fuzz.c ${PC_FUZZ_ROOT}/signaling/sip_hdr.c
    ${PC_FUZZ_ROOT}/signaling/sip_print.c ${PC_FUZZ_ROOT}/signaling/sip_msg.c
  INCLUDES ${PC_FUZZ_ROOT}/signaling)
# Seeds: one per parser (the first byte modulo 14 is the mode of sip_hdr_fuzz.c: 'p' is 0).
if(TARGET fuzz_sip_hdr)
  set(seeds ${CMAKE_CURRENT_BINARY_DIR}/fuzz_corpus/sip_hdr)
  file(WRITE ${seeds}/seed-uri "psip:alice:pw@[2001:db8::1]:5060;transport=tcp;lr;ttl=1?a=b%20c")
  file(WRITE ${seeds}/seed-na
    "q\"J \\\"R\\\"\" <sips:bob@example.com;maddr=10.0.0.1>;tag=1;q=0.5;expires=60")
  file(WRITE ${seeds}/seed-via
    "rSIP / 2.0 / UDP [::1]:5060 ;branch=z9hG4bK1;rport;received=192.0.2.1;ttl=3")
  file(WRITE ${seeds}/seed-list "s\"a, b\" <sip:x@y>, <sip:z@w>;q=1, *")
  file(WRITE ${seeds}/seed-esc "t\"abc%41\\\"\"")
  file(WRITE ${seeds}/seed-msg "uINVITE sip:b@h SIP/2.0\r\nv: SIP/2.0/UDP h;branch=z9hG4bK1\r\n"
    "f: <sip:a@h>;tag=1\r\nt: b <sip:b@h>\r\ni: c\r\nCSeq: 1 INVITE\r\n"
    "m: <sip:a@h>;expires=60, *\r\nRoute: <sip:p;lr>\r\nl: 2\r\n\r\nhi")
  file(WRITE ${seeds}/seed-cseq "v314159 INVITE")
  file(WRITE ${seeds}/seed-rack "w776656 1 INVITE")
  file(WRITE ${seeds}/seed-se "y4000;refresher=uac")
  file(WRITE ${seeds}/seed-event "zrefer;id=93809824")
  file(WRITE ${seeds}/seed-substate "{terminated;reason=noresource;retry-after=30")
  file(WRITE ${seeds}/seed-replaces "|425928@bob.example.org;to-tag=7743;from-tag=6472;early-only")
  file(WRITE ${seeds}/seed-referto
    "}<sip:d@h?Replaces=12345%40192.168.118.3%3Bto-tag%3D1%3Bfrom-tag%3D2>")
endif()
