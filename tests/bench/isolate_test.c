/* SPDX-License-Identifier: MIT */
/*
 * isolate_test.c - `phonecore bench --isolate` (bench/isolate.c): other processes leave the
 * media CPU for the run and get their affinity back after, also when the process is killed.
 *
 * Needs root (other processes' affinity) and two online CPUs: skips, saying which, otherwise.
 * Runs serially (it moves every process on the machine for a moment).
 */
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <linux/close_range.h>
#include <sys/prctl.h>
#include <sys/wait.h>

#include <criterion/criterion.h>

#include "pc_bench.h"

#define ISO_CPU 1

static void need_two_cpus_and_root(void)
{
	if (geteuid() != 0)
		cr_skip_test("not root: cannot change other processes' affinity");
	if (sysconf(_SC_NPROCESSORS_ONLN) < 2)
		cr_skip_test("one CPU online: nowhere to move the others to");
}

/* A process that sleeps until killed, with affinity @set: set before this returns (the child
 * says so on a pipe), so that it cannot undo a move made after. */
static pid_t sleeper(const cpu_set_t *set)
{
	int fds[2];
	pid_t pid;
	char c;

	cr_assert_eq(pipe(fds), 0, "pipe: %s", strerror(errno));
	pid = fork();
	cr_assert_geq(pid, 0, "fork: %s", strerror(errno));
	if (pid == 0) {
		sched_setaffinity(0, sizeof(*set), set);
		(void)!write(fds[1], "s", 1);
		/* Not Criterion's pipes: the runner waits for them to close. Gone with the test
		 * when an assertion ends it before reap(). */
		close_range(3, ~0u, 0);
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		for (;;)
			pause();
	}
	close(fds[1]);
	cr_assert_eq(read(fds[0], &c, 1), 1, "the sleeper did not start");
	close(fds[0]);
	return pid;
}

static void reap(pid_t pid)
{
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

static cpu_set_t affinity_of(pid_t pid)
{
	cpu_set_t s;

	cr_assert_eq(sched_getaffinity(pid, sizeof(s), &s), 0, "sched_getaffinity(%d)", (int)pid);
	return s;
}

static cpu_set_t two_cpus(void)
{
	cpu_set_t s;

	CPU_ZERO(&s);
	CPU_SET(0, &s);
	CPU_SET(ISO_CPU, &s);
	return s;
}

Test(isolate, moves_other_processes_off_the_cpu_and_back)
{
	cpu_set_t both = two_cpus(), only0, s;
	pid_t a, late;
	int moved;

	need_two_cpus_and_root();
	CPU_ZERO(&only0);
	CPU_SET(0, &only0);
	a = sleeper(&both);

	moved = pc_bench_isolate(ISO_CPU);
	cr_assert_geq(moved, 1, "pc_bench_isolate: %d", moved);
	cr_assert_not_null(pc_bench_isolate_summary());
	cr_assert(strstr(pc_bench_isolate_summary(), "CPU 1 isolated") != NULL, "%s",
		  pc_bench_isolate_summary());
	s = affinity_of(a);
	cr_assert(!CPU_ISSET(ISO_CPU, &s), "the sleeper may still run on CPU %d", ISO_CPU);
	cr_assert(CPU_ISSET(0, &s), "the sleeper lost CPU 0 too");
	cr_assert_eq(pc_bench_isolate(ISO_CPU), -EALREADY);

	/* A process started during the run with the narrowed affinity, as a moved parent's child
	 * inherits it: widened at the end (the online CPUs may be more than two). */
	late = sleeper(&only0);

	pc_bench_isolate_end();
	cr_assert_null(pc_bench_isolate_summary());
	s = affinity_of(a);
	cr_assert(CPU_EQUAL(&s, &both), "the sleeper's affinity was not put back");
	s = affinity_of(late);
	cr_assert(CPU_ISSET(ISO_CPU, &s),
		  "a task started during the run kept the narrowed affinity");
	pc_bench_isolate_end(); /* twice: nothing */
	reap(a);
	reap(late);
}

Test(isolate, leaves_processes_pinned_before_alone)
{
	cpu_set_t only0, only1, s;
	pid_t p0, p1;

	need_two_cpus_and_root();
	CPU_ZERO(&only0);
	CPU_SET(0, &only0);
	CPU_ZERO(&only1);
	CPU_SET(ISO_CPU, &only1);
	p0 = sleeper(&only0);
	p1 = sleeper(&only1);
	/* The widening looks at start times in 10 ms ticks: start isolating in a later one. */
	usleep(30000);
	cr_assert_geq(pc_bench_isolate(ISO_CPU), 0);
	s = affinity_of(p1);
	cr_assert(CPU_EQUAL(&s, &only1), "a task bound to the CPU alone was moved");
	pc_bench_isolate_end();
	s = affinity_of(p0);
	cr_assert(CPU_EQUAL(&s, &only0), "a task pinned to CPU 0 before the run was widened");
	s = affinity_of(p1);
	cr_assert(CPU_EQUAL(&s, &only1));
	reap(p0);
	reap(p1);
}

Test(isolate, a_killed_benchmark_puts_affinities_back)
{
	cpu_set_t both = two_cpus(), s;
	int pipefd[2], status;
	pid_t a, bench;
	char c;

	need_two_cpus_and_root();
	a = sleeper(&both);
	cr_assert_eq(pipe(pipefd), 0);
	bench = fork();
	cr_assert_geq(bench, 0);
	if (bench == 0) {
		close(pipefd[0]);
		if (pc_bench_isolate(ISO_CPU) < 0)
			_exit(3);
		(void)!write(pipefd[1], "i", 1);
		for (;;)
			pause();
	}
	close(pipefd[1]);
	cr_assert_eq(read(pipefd[0], &c, 1), 1, "the child did not isolate");
	s = affinity_of(a);
	cr_assert(!CPU_ISSET(ISO_CPU, &s), "not isolated while the child runs");
	kill(bench, SIGTERM);
	cr_assert_eq(waitpid(bench, &status, 0), bench);
	cr_assert(WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM,
		  "the handler must re-raise: status %#x", status);
	s = affinity_of(a);
	cr_assert(CPU_EQUAL(&s, &both), "SIGTERM left the sleeper off CPU %d", ISO_CPU);
	close(pipefd[0]);
	reap(a);
}

Test(isolate, refuses_cpus_it_cannot_isolate)
{
	cr_assert_eq(pc_bench_isolate(-1), -EINVAL);
	cr_assert_eq(pc_bench_isolate(CPU_SETSIZE), -EINVAL);
	cr_assert_eq(pc_bench_isolate(4000), -EINVAL, "CPU 4000 is not online here");
	cr_assert_null(pc_bench_isolate_summary());
}
