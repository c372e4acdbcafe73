# The io_uring I/O backend (fastpath/io/io_uring.c): behaviour and exact packet accounting
# (unit); the backend under load against the sockets backend and a bare recvmmsg/sendmmsg loop,
# zero-copy and GSO sends (stress).
pc_add_criterion_test(io_uring io_uring_test.c LABELS unit)
pc_add_criterion_test(io_uring_stress io_uring_stress_test.c LABELS stress)
# In the test suite the load runs are short (PC_TEST_QUICK): the suite checks that the work is
# done and every buffer comes back; the figures are the benchmark's job (`phonecore bench io`).
# Run the executable by hand without PC_TEST_QUICK for the long measured runs.
get_test_property(fastpath/io_uring_stress ENVIRONMENT pc_uring_stress_env)
if(NOT pc_uring_stress_env)
  set(pc_uring_stress_env "")
endif()
list(APPEND pc_uring_stress_env PC_TEST_QUICK=1)
set_tests_properties(fastpath/io_uring_stress PROPERTIES ENVIRONMENT "${pc_uring_stress_env}")
