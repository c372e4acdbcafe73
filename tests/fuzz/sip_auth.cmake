# The digest challenge and credentials parsers of signaling/pc_sip_auth.h, with a client/server
# round trip on every challenge that parses (OpenSSL for the hashes).
pc_add_fuzz_target(sip_auth
  SOURCES ${PC_FUZZ_DIR}/sip_auth_fuzz.c ${PC_FUZZ_ROOT}/signaling/sip_auth.c
    ${PC_FUZZ_ROOT}/signaling/sip_msg.c
  INCLUDES ${PC_FUZZ_ROOT}/signaling)
if(TARGET fuzz_sip_auth)
  target_link_libraries(fuzz_sip_auth PRIVATE PkgConfig::OPENSSL)
  # Seeds: a challenge, credentials (RFC 2617 3.5), and two challenges on two lines (for the pick).
  set(seeds ${CMAKE_CURRENT_BINARY_DIR}/fuzz_corpus/sip_auth)
  file(WRITE ${seeds}/seed-challenge "Digest realm=\"atlanta.com\", domain=\"sip:ss1.carrier.com\", "
    "qop=\"auth,auth-int\", nonce=\"f84f1cec41e6cbe5aea9c8e88d359\", opaque=\"\", stale=FALSE, "
    "algorithm=SHA-256-sess, userhash=true")
  file(WRITE ${seeds}/seed-credentials "Digest username=\"Mufasa\", realm=\"testrealm@host.com\", "
    "nonce=\"dcd98b7102dd2f0e8b11d0f600bfb0c093\", uri=\"/dir/index.html\", qop=auth, "
    "nc=00000001, cnonce=\"0a4f113b\", response=\"6629fae49393a05397450978507c4ef1\", "
    "opaque=\"5ccc069c403ebaf9f0171e9517f40e41\"")
  file(WRITE ${seeds}/seed-pick "Digest realm=\"a\\\"b\", nonce=\"1\", algorithm=MD5, qop=\"auth\"\n"
    "Digest realm=\"a\", nonce=\"2\", algorithm=SHA-512-256")
endif()
