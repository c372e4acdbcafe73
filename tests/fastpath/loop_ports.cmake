# Where a stream's ports are made (fastpath/loop, fastpath/io): the control thread prepares
# them, the media loop only adopts them (no socket call on the loop thread, checked under a
# seccomp filter of its own), and no prepared socket leaks on any error path.
pc_add_criterion_test(loop_ports loop_ports_test.c LABELS unit)
