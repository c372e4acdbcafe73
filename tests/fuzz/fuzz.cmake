# libFuzzer targets, one per parser, with a short CTest run each (label fuzz). They need clang:
# configure a build with -DCMAKE_C_COMPILER=clang; with another compiler they are skipped, with a
# message. How to run one longer: see the notes at the top of each *_fuzz.c.
include_guard(GLOBAL)

get_filename_component(PC_FUZZ_DIR ${CMAKE_CURRENT_LIST_DIR} ABSOLUTE)
get_filename_component(PC_FUZZ_ROOT ${CMAKE_CURRENT_LIST_DIR}/../.. ABSOLUTE)
set(PC_FUZZ_SECONDS 20 CACHE STRING "Seconds each fuzz target runs under CTest")
set(PC_FUZZ_RUNS 5000000 CACHE STRING "Inputs each fuzz target tries at most under CTest")

# pc_add_fuzz_target(<name> SOURCES <files...> [INCLUDES <dirs...>])
#   Builds <name>_fuzz (target fuzz_<name>) from SOURCES with -fsanitize=fuzzer,address,undefined
#   (the parser's own sources listed here too, so that they are instrumented for coverage), and
#   registers the CTest test fuzz/<name>: PC_FUZZ_SECONDS of fuzzing (-max_total_time), at most
#   PC_FUZZ_RUNS inputs, growing a corpus in the build tree. Any crash, leak, out-of-bounds read
#   or undefined behaviour fails it.
function(pc_add_fuzz_target name)
  cmake_parse_arguments(PARSE_ARGV 1 arg "" "" "SOURCES;INCLUDES")
  if(NOT arg_SOURCES)
    message(FATAL_ERROR "pc_add_fuzz_target(${name}): SOURCES is required")
  endif()
  if(NOT CMAKE_C_COMPILER_ID MATCHES "Clang")
    message(STATUS "phonecore: fuzz target ${name} skipped: libFuzzer needs clang "
      "(-DCMAKE_C_COMPILER=clang), this build uses ${CMAKE_C_COMPILER_ID}")
    return()
  endif()
  if(PC_SANITIZE STREQUAL "thread")
    message(STATUS "phonecore: fuzz target ${name} skipped: ThreadSanitizer cannot join "
      "AddressSanitizer")
    return()
  endif()

  set(target fuzz_${name})
  set(flags -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined
    -fno-omit-frame-pointer)
  add_executable(${target} ${arg_SOURCES})
  target_include_directories(${target} PRIVATE ${arg_INCLUDES})
  target_compile_options(${target} PRIVATE ${flags})
  target_link_options(${target} PRIVATE ${flags})
  if(COMMAND pc_target_setup)
    pc_target_setup(${target})
  endif()
  set_target_properties(${target} PROPERTIES OUTPUT_NAME ${name}_fuzz)

  set(corpus ${CMAKE_CURRENT_BINARY_DIR}/fuzz_corpus/${name})
  file(MAKE_DIRECTORY ${corpus})
  add_test(NAME fuzz/${name}
    COMMAND ${target} -max_total_time=${PC_FUZZ_SECONDS} -runs=${PC_FUZZ_RUNS}
      -print_final_stats=1 ${corpus})
  math(EXPR timeout "${PC_FUZZ_SECONDS} + 120")
  set_tests_properties(fuzz/${name} PROPERTIES LABELS fuzz TIMEOUT ${timeout}
    ENVIRONMENT "ASAN_OPTIONS=detect_leaks=1;UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1")
endfunction()

# The Ethernet/ARP/IPv4/UDP parser of the DPDK backend.
pc_add_fuzz_target(net
  SOURCES ${PC_FUZZ_DIR}/net_fuzz.c ${PC_FUZZ_ROOT}/fastpath/io/net.c
  INCLUDES ${PC_FUZZ_ROOT}/fastpath/io)

# The RTP parser and the RTCP compound check of the fast path (header only).
pc_add_fuzz_target(rtp
  SOURCES ${PC_FUZZ_DIR}/rtp_fuzz.c
  INCLUDES ${PC_FUZZ_ROOT}/fastpath/rtp)

# The VP530-style configuration parser of phone/ (and its getters and dump).
pc_add_fuzz_target(config
  SOURCES ${PC_FUZZ_DIR}/config_fuzz.c ${PC_FUZZ_ROOT}/phone/config.c
  INCLUDES ${PC_FUZZ_ROOT}/phone)
# Seeds past the first-line check: a VP530-style file, and one with CR LF ends.
if(TARGET fuzz_config)
  set(seeds ${CMAKE_CURRENT_BINARY_DIR}/fuzz_corpus/config)
  file(WRITE ${seeds}/seed-vp530.cfg "#!version:1.0.0.1\n# common\naccount.1.enable = 1\n"
    "account.1.label = \"Desk # 1\"\naccount.1.sip_server_host = pbx.example.com # pbx\n"
    "account.1.ptime = 20\naccount.1.codec.5.payload_type = 97\n"
    "account.2.sip_server.1.expires = 600\naccount.1.advanced.timer_t1 = 0.5\n"
    "features.dnd_refuse_code = 480\nphonecore.media.io = dpdk\n"
    "phonecore.media.dpdk.ipv4 = 192.168.0.1\nphonecore.media.cpu = -1\nlang.gui = English\n"
    "account.1.password =\n")
  file(WRITE ${seeds}/seed-crlf.cfg "#!version:1.0.0.1\r\n\r\n  voice.jib.max\t= 300\r\n"
    "x.y = \"\"\r\n")
endif()

# More targets, one file each (tests/fuzz/<name>.cmake).
file(GLOB pc_fuzz_more CONFIGURE_DEPENDS ${PC_FUZZ_DIR}/*.cmake)
list(REMOVE_ITEM pc_fuzz_more ${PC_FUZZ_DIR}/fuzz.cmake)
foreach(f ${pc_fuzz_more})
  include(${f})
endforeach()
