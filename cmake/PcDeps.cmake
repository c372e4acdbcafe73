# External libraries, all through pkg-config. A missing one stops configure with one line that
# names the pkg-config module, the Debian package that provides it, and the fix.
find_package(PkgConfig QUIET)
if(NOT PKG_CONFIG_FOUND)
  message(FATAL_ERROR "phonecore: missing pkg-config (Debian: pkg-config); run scripts/bootstrap")
endif()

# pc_require_pkg(<prefix> <pkg-config module> <Debian package>): defines PkgConfig::<prefix>.
function(pc_require_pkg prefix module debian)
  pkg_check_modules(${prefix} QUIET IMPORTED_TARGET GLOBAL ${module})
  if(NOT ${prefix}_FOUND)
    message(FATAL_ERROR "phonecore: missing package ${module} (Debian: ${debian}); run scripts/bootstrap")
  endif()
endfunction()

pc_require_pkg(DPDK libdpdk libdpdk-dev)
pc_require_pkg(URING liburing liburing-dev)
pc_require_pkg(X264 x264 libx264-dev)
pc_require_pkg(SPEEXDSP speexdsp libspeexdsp-dev)
pc_require_pkg(OPUS opus libopus-dev)
pc_require_pkg(SPANDSP spandsp libspandsp-dev)
pc_require_pkg(BCG729 libbcg729 libbcg729-dev)
pc_require_pkg(AVCODEC libavcodec libavcodec-dev)
pc_require_pkg(AVUTIL libavutil libavutil-dev)
pc_require_pkg(SRTP2 libsrtp2 libsrtp2-dev)
pc_require_pkg(OPENSSL openssl libssl-dev)
if(PC_BUILD_TESTS)
  pc_require_pkg(CRITERION criterion libcriterion-dev)
endif()

find_package(Threads REQUIRED)
include(${CMAKE_CURRENT_LIST_DIR}/PcSrtp.cmake)
