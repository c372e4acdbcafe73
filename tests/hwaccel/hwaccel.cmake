# Suite of the offload interface (hwaccel/pc_hwaccel.h) and its cpu backend.
pc_add_criterion_test(hwaccel hwaccel_test.c LABELS unit)
target_link_libraries(test_hwaccel_hwaccel PRIVATE pc_hwaccel)
