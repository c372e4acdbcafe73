# PC::SRTP, phonecore's SRTP library (fastpath/srtp/ and the srtp benchmark link it, and only it):
#   - libsrtp2 built on OpenSSL's libcrypto, static, from PC_SRTP_PREFIX, when it is there
#     (scripts/bootstrap builds libsrtp2 2.5.0 there with --enable-openssl);
#   - else Debian's libsrtp2 (pkg-config, PkgConfig::SRTP2 from PcDeps.cmake), built on NSS.
# Its users get PC_SRTP_BACKEND_OPENSSL (1 or 0) and PC_SRTP_BACKEND, a string naming the library
# linked, for test and benchmark reports. Configure with -DPC_SRTP_PREFIX= to use Debian's.
set(pc_srtp_prefix_default /opt/phonecore/libsrtp2-2.5.0-openssl)
if(DEFINED ENV{PC_SRTP_PREFIX})
  set(pc_srtp_prefix_default "$ENV{PC_SRTP_PREFIX}")
endif()
set(PC_SRTP_PREFIX "${pc_srtp_prefix_default}" CACHE PATH
  "libsrtp2 built on OpenSSL (scripts/bootstrap); empty or absent: Debian's libsrtp2 (NSS)")

if(PC_SRTP_PREFIX AND EXISTS "${PC_SRTP_PREFIX}/lib/libsrtp2.a"
    AND EXISTS "${PC_SRTP_PREFIX}/include/srtp2/srtp.h")
  # The library names its version, and its ciphers their backend.
  file(STRINGS "${PC_SRTP_PREFIX}/lib/libsrtp2.a" pc_srtp_strings
    REGEX "^(libsrtp2 [0-9.]+|AES-128 counter mode using openssl)$")
  if(NOT "AES-128 counter mode using openssl" IN_LIST pc_srtp_strings)
    message(FATAL_ERROR "phonecore: ${PC_SRTP_PREFIX}/lib/libsrtp2.a is not built on OpenSSL; "
      "remove ${PC_SRTP_PREFIX} and run scripts/bootstrap, or configure with -DPC_SRTP_PREFIX=")
  endif()
  set(pc_srtp_version "libsrtp2 (version not found)")
  list(FILTER pc_srtp_strings INCLUDE REGEX "^libsrtp2 ")
  if(pc_srtp_strings)
    list(GET pc_srtp_strings 0 pc_srtp_version)
  endif()
  pc_require_pkg(PC_LIBCRYPTO libcrypto libssl-dev)
  add_library(PC::SRTP STATIC IMPORTED GLOBAL)
  set_target_properties(PC::SRTP PROPERTIES
    IMPORTED_LOCATION "${PC_SRTP_PREFIX}/lib/libsrtp2.a"
    INTERFACE_INCLUDE_DIRECTORIES "${PC_SRTP_PREFIX}/include"
    INTERFACE_LINK_LIBRARIES "PkgConfig::PC_LIBCRYPTO;Threads::Threads")
  set(pc_srtp_openssl 1)
  set(pc_srtp_backend
    "${pc_srtp_version} on OpenSSL ${PC_LIBCRYPTO_VERSION} (static, ${PC_SRTP_PREFIX})")
  message(STATUS "phonecore: SRTP library: ${pc_srtp_backend}")
else()
  add_library(PC::SRTP INTERFACE IMPORTED GLOBAL)
  set_target_properties(PC::SRTP PROPERTIES INTERFACE_LINK_LIBRARIES PkgConfig::SRTP2)
  set(pc_srtp_openssl 0)
  set(pc_srtp_backend "libsrtp2 ${SRTP2_VERSION} on NSS (Debian's libsrtp2)")
  message(STATUS "phonecore: SRTP library: Debian's libsrtp2, on NSS: allocates per packet, "
    "slower (scripts/bootstrap builds the OpenSSL one into PC_SRTP_PREFIX)")
endif()
set_property(TARGET PC::SRTP PROPERTY INTERFACE_COMPILE_DEFINITIONS
  "PC_SRTP_BACKEND_OPENSSL=${pc_srtp_openssl};PC_SRTP_BACKEND=\"${pc_srtp_backend}\"")
