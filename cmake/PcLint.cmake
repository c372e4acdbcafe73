# Lint tests (label lint): the code is formatted as .clang-format says (kernel style, 100
# columns). `scripts/format` rewrites the files in place.
find_program(PC_CLANG_FORMAT NAMES clang-format clang-format-14)
if(PC_CLANG_FORMAT)
  add_test(NAME lint/format
    COMMAND ${CMAKE_SOURCE_DIR}/scripts/format --check
    WORKING_DIRECTORY ${CMAKE_SOURCE_DIR})
  set_tests_properties(lint/format PROPERTIES LABELS lint TIMEOUT 120)
else()
  message(WARNING "phonecore: clang-format not found: the lint/format test is not registered (run scripts/bootstrap)")
endif()
