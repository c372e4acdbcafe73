# Suites of the DPDK backend (fastpath/io/io_dpdk.c) and of its frame parser (fastpath/io/net.c).

# The parser alone: known frames, every malformed case, no read past the length (ASan build).
pc_add_criterion_test(net net_test.c LABELS unit)

# The backend on virtual devices. The net_ring pairs are made with rte_eth_from_rings(), which
# lives in the net_ring driver (librte_net_ring, not in libdpdk.pc's libraries). EAL loads the
# same file as a plugin; the dynamic loader keeps one copy. Without it those tests skip.
pc_add_criterion_test(io_dpdk io_dpdk_test.c LABELS unit)
find_library(PC_RTE_NET_RING rte_net_ring HINTS ${DPDK_LIBRARY_DIRS})
if(PC_RTE_NET_RING)
  target_link_libraries(test_fastpath_io_dpdk PRIVATE ${PC_RTE_NET_RING})
else()
  message(STATUS "phonecore: librte_net_ring not found: the net_ring tests of fastpath/io_dpdk will skip")
  target_compile_definitions(test_fastpath_io_dpdk PRIVATE PC_TEST_NO_ETH_RING=1)
endif()
# The test drives EAL and net_ring itself: it needs DPDK's headers and flags.
target_link_libraries(test_fastpath_io_dpdk PRIVATE PkgConfig::DPDK)
