# Warnings, sanitizers and visibility, applied to every phonecore target through pc_target_setup().
# -Wstrict-prototypes and -Wmissing-prototypes are C-only (the one C++ file is a bench shim).
set(PC_WARNING_FLAGS -Wall -Wextra -Wshadow $<$<COMPILE_LANGUAGE:C>:-Wstrict-prototypes>
  $<$<COMPILE_LANGUAGE:C>:-Wmissing-prototypes> -Wpointer-arith -Wcast-align -Wformat=2 -Wundef -Wvla)
if(PC_WERROR)
  list(APPEND PC_WARNING_FLAGS -Werror)
endif()

set(PC_SANITIZE_FLAGS "")
if(PC_SANITIZE)
  if(NOT PC_SANITIZE MATCHES "^(address,undefined|undefined,address|address|undefined|thread)$")
    message(FATAL_ERROR "phonecore: PC_SANITIZE must be 'address,undefined' or 'thread', not '${PC_SANITIZE}'")
  endif()
  set(PC_SANITIZE_FLAGS -fsanitize=${PC_SANITIZE} -fno-omit-frame-pointer -fno-sanitize-recover=all)
  add_compile_definitions(PC_SANITIZED=1)
  add_compile_options(${PC_SANITIZE_FLAGS})
  add_link_options(${PC_SANITIZE_FLAGS})
endif()

add_compile_definitions(_GNU_SOURCE)

# pc_target_setup(<target>): project warnings and hidden visibility for a phonecore target.
function(pc_target_setup target)
  target_compile_options(${target} PRIVATE ${PC_WARNING_FLAGS})
  set_target_properties(${target} PROPERTIES C_VISIBILITY_PRESET hidden)
endfunction()
