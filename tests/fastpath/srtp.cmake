# SRTP/SRTCP on libsrtp2 (fastpath/srtp/): known answers (RFC 3711 B, RFC 7714 16-17), round trips,
# tampering, replay, re-protect between legs, the SDES inline: key parser.
pc_add_criterion_test(srtp srtp_test.c LABELS unit)
# The known-answer tests compute the expected packets a second way, with OpenSSL's libcrypto: a
# reference written independently of libsrtp and pinned to the RFCs' vectors first (libsrtp itself
# runs on NSS or, built by scripts/bootstrap, on the same libcrypto: cmake/PcSrtp.cmake).
# The allocation test states which libsrtp is linked (PC_SRTP_BACKEND) and, on OpenSSL (with
# phonecore's HMAC-SHA1 registered), asserts no malloc per packet in any suite (srtp_test.c).
pc_require_pkg(PC_TEST_LIBCRYPTO libcrypto libssl-dev)
target_link_libraries(test_fastpath_srtp PRIVATE PkgConfig::PC_TEST_LIBCRYPTO)
# The suite counts the media path's malloc calls by defining malloc itself: export it.
set_target_properties(test_fastpath_srtp PROPERTIES ENABLE_EXPORTS ON)
# The suite drives the private HMAC type (srtp_pvt.h).
target_include_directories(test_fastpath_srtp PRIVATE ${PROJECT_SOURCE_DIR}/fastpath/srtp)
