/* SPDX-License-Identifier: MIT */
/*
 * isolate.c - `phonecore bench --isolate`: the media CPU to the benchmark alone for the run, as
 * a media server runs its fast path on a dedicated core (isolcpus, cpusets; `tuna --isolate`
 * does the same as this at run time).
 *
 * What moves. Every task of every other process whose affinity includes the CPU and at least
 * one other: its affinity loses the CPU (sched_setaffinity on the thread). Per-CPU kernel
 * threads (affinity that CPU alone, or the kernel refusing: PF_NO_SETAFFINITY) stay, and so
 * does the scheduler tick: they are what isolation leaves on a core without nohz_full. The
 * unbound workqueues' cpumask loses the CPU too, and each IRQ whose affinity may be set (a
 * virtio device's managed IRQs may not: they are counted, not an error).
 *
 * Undo. Everything moved is written down and put back by pc_bench_isolate_end(), at exit
 * (atexit), and from a handler of the signals that end a process (SIGINT, SIGTERM, SIGHUP,
 * SIGQUIT and the crashes), which restores with system calls only and re-raises. Tasks that
 * started during the run inherited the narrowed affinity from a moved parent: at the end, a task
 * of another process that started after the isolation and whose affinity is exactly "every
 * online CPU but this one" gets every online CPU back (a task pinned so on purpose in that
 * window is widened too: the one case this cannot tell apart).
 *
 * Thread context: the calling thread (the CLI's); the signal handler on any. Allocates: the
 * list of moved tasks, at isolate time only.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/syscall.h>
#include <sys/types.h>

#include "pc_bench.h"

#define ISO_WQ_MASK "/sys/devices/virtual/workqueue/cpumask"
#define ISO_IRQ_MAX 1024

struct iso_task {
	pid_t tid;
	cpu_set_t old;
};

struct iso_irq {
	char path[48]; /* its smp_affinity_list */
	char old[64];  /* as read */
};

static struct {
	bool active;
	int cpu;
	cpu_set_t online;	/* CPUs this system has online (from our own process's view) */
	struct iso_task *tasks; /* moved, with their old affinity */
	size_t ntasks, cap;
	struct iso_irq irqs[ISO_IRQ_MAX];
	size_t nirqs;
	unsigned irqs_fixed;   /* IRQs whose affinity could not be changed */
	unsigned tasks_stayed; /* tasks that may run on the CPU alone or refused (kernel threads) */
	char wq_old[64];       /* the workqueue cpumask before, "" if untouched */
	unsigned long long start_ticks; /* when isolation began, clock ticks since boot */
	char summary[256];
} iso;

static const int iso_signals[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGSEGV,
				   SIGBUS, SIGFPE,  SIGILL, SIGABRT };

/* --- small helpers (async-signal-safe where the restore path uses them) ----------------------- */

static int write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = write(fd, text, strlen(text));
	close(fd);
	return n == (ssize_t)strlen(text) ? 0 : -EIO;
}

static int read_file(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -EIO;
	buf[n] = '\0';
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
		buf[--n] = '\0';
	return 0;
}

/* A CPU list ("0-1,3") into a set. */
static int parse_cpulist(const char *s, cpu_set_t *set)
{
	CPU_ZERO(set);
	while (*s != '\0') {
		char *end;
		long a = strtol(s, &end, 10), b;

		if (end == s || a < 0 || a >= CPU_SETSIZE)
			return -EINVAL;
		b = a;
		s = end;
		if (*s == '-') {
			b = strtol(s + 1, &end, 10);
			if (end == s + 1 || b < a || b >= CPU_SETSIZE)
				return -EINVAL;
			s = end;
		}
		for (long c = a; c <= b; c++)
			CPU_SET((int)c, set);
		if (*s == ',')
			s++;
		else if (*s != '\0')
			return -EINVAL;
	}
	return 0;
}

/* A set as a hex mask, as the workqueue cpumask file takes it (CPUs below 64). */
static void format_hexmask(const cpu_set_t *set, char *buf, size_t len)
{
	unsigned long long m = 0;

	for (int c = 0; c < 64; c++)
		if (CPU_ISSET(c, set))
			m |= 1ull << c;
	snprintf(buf, len, "%llx", m);
}

static void format_cpulist(const cpu_set_t *set, char *buf, size_t len)
{
	size_t off = 0;

	buf[0] = '\0';
	for (int c = 0; c < CPU_SETSIZE && off < len; c++)
		if (CPU_ISSET(c, set))
			off += (size_t)snprintf(buf + off, len - off, "%s%d", off ? "," : "", c);
}

static int set_affinity(pid_t tid, const cpu_set_t *set)
{
	return syscall(SYS_sched_setaffinity, tid, sizeof(*set), set) < 0 ? -errno : 0;
}

/* --- restore ---------------------------------------------------------------------------------- */

/* System calls only: also called from the signal handler. */
static void restore_saved(void)
{
	for (size_t i = 0; i < iso.ntasks; i++)
		(void)set_affinity(iso.tasks[i].tid, &iso.tasks[i].old); /* ESRCH: it ended */
	iso.ntasks = 0;
	for (size_t i = 0; i < iso.nirqs; i++)
		(void)write_file(iso.irqs[i].path, iso.irqs[i].old);
	iso.nirqs = 0;
	if (iso.wq_old[0] != '\0')
		(void)write_file(ISO_WQ_MASK, iso.wq_old);
	iso.wq_old[0] = '\0';
}

static void on_signal(int sig)
{
	if (iso.active) {
		iso.active = false;
		restore_saved();
	}
	signal(sig, SIG_DFL);
	raise(sig);
}

/* Each task of each other process: @fn(pid, tid). */
static void for_each_other_task(void (*fn)(long pid, pid_t tid))
{
	pid_t self = getpid();
	DIR *procs = opendir("/proc");
	struct dirent *p;

	if (procs == NULL)
		return;
	while ((p = readdir(procs)) != NULL) {
		char path[300];
		struct dirent *t;
		DIR *tasks;
		long pid = strtol(p->d_name, NULL, 10);

		if (pid <= 0 || pid == self)
			continue;
		snprintf(path, sizeof(path), "/proc/%ld/task", pid);
		tasks = opendir(path);
		if (tasks == NULL)
			continue; /* it ended */
		while ((t = readdir(tasks)) != NULL) {
			long tid = strtol(t->d_name, NULL, 10);

			if (tid > 0)
				fn(pid, (pid_t)tid);
		}
		closedir(tasks);
	}
	closedir(procs);
}

/* When task @tid of @pid started, in clock ticks since boot (field 22 of its stat); 0: unknown. */
static unsigned long long task_start_ticks(long pid, pid_t tid)
{
	char path[64], buf[1024], *p;
	unsigned long long v = 0;

	snprintf(path, sizeof(path), "/proc/%ld/task/%d/stat", pid, (int)tid);
	if (read_file(path, buf, sizeof(buf)) < 0 || (p = strrchr(buf, ')')) == NULL)
		return 0;
	/* p + 1: the blank before field 3 (state); each step goes to the blank before the next
	 * field, 19 of them to the one before field 22. */
	p++;
	for (int field = 3; field < 22 && p != NULL; field++)
		p = strchr(p + 1, ' ');
	if (p != NULL)
		v = strtoull(p + 1, NULL, 10);
	return v;
}

/* Now, in the clock ticks of a task's start time. */
static unsigned long long now_ticks(void)
{
	struct timespec ts;
	long hz = sysconf(_SC_CLK_TCK);

	clock_gettime(CLOCK_BOOTTIME, &ts);
	return (unsigned long long)ts.tv_sec * (unsigned long long)hz +
	       (unsigned long long)ts.tv_nsec / (1000000000ull / (unsigned long long)hz);
}

/* A task that started during the run with the narrowed affinity: every online CPU back. */
static void widen_inherited(long pid, pid_t tid)
{
	cpu_set_t cur, narrowed;

	if (sched_getaffinity(tid, sizeof(cur), &cur) < 0)
		return;
	narrowed = iso.online;
	CPU_CLR(iso.cpu, &narrowed);
	if (CPU_EQUAL(&cur, &narrowed) && task_start_ticks(pid, tid) >= iso.start_ticks)
		(void)set_affinity(tid, &iso.online);
}

void pc_bench_isolate_end(void)
{
	if (!iso.active)
		return;
	iso.active = false;
	restore_saved();
	for_each_other_task(widen_inherited);
	for (size_t i = 0; i < sizeof(iso_signals) / sizeof(iso_signals[0]); i++)
		signal(iso_signals[i], SIG_DFL);
	free(iso.tasks);
	iso.tasks = NULL;
	iso.cap = 0;
}

/* --- isolate ---------------------------------------------------------------------------------- */

static void move_task(long pid, pid_t tid)
{
	cpu_set_t cur, next;

	(void)pid;
	if (sched_getaffinity(tid, sizeof(cur), &cur) < 0 || !CPU_ISSET(iso.cpu, &cur))
		return;
	if (CPU_COUNT(&cur) < 2) {
		iso.tasks_stayed++; /* bound to this CPU: a per-CPU kernel thread, or pinned here */
		return;
	}
	if (iso.ntasks == iso.cap) {
		size_t cap = iso.cap ? 2 * iso.cap : 256;
		struct iso_task *t = realloc(iso.tasks, cap * sizeof(*t));

		if (t == NULL)
			return; /* left where it is: the summary's count says so */
		iso.tasks = t;
		iso.cap = cap;
	}
	next = cur;
	CPU_CLR(iso.cpu, &next);
	if (set_affinity(tid, &next) < 0) {
		iso.tasks_stayed++; /* PF_NO_SETAFFINITY, or it ended */
		return;
	}
	iso.tasks[iso.ntasks].tid = tid;
	iso.tasks[iso.ntasks].old = cur;
	iso.ntasks++;
}

static void move_irqs(void)
{
	DIR *d = opendir("/proc/irq");
	struct dirent *e;

	if (d == NULL)
		return;
	while ((e = readdir(d)) != NULL) {
		char path[48], old[64], next[64];
		cpu_set_t cur;
		long irq = strtol(e->d_name, NULL, 10);

		if (irq <= 0 && strcmp(e->d_name, "0") != 0)
			continue;
		snprintf(path, sizeof(path), "/proc/irq/%ld/smp_affinity_list", irq);
		if (read_file(path, old, sizeof(old)) < 0 || parse_cpulist(old, &cur) < 0 ||
		    !CPU_ISSET(iso.cpu, &cur))
			continue;
		CPU_CLR(iso.cpu, &cur);
		CPU_AND(&cur, &cur, &iso.online);
		if (CPU_COUNT(&cur) == 0 || iso.nirqs == ISO_IRQ_MAX) {
			iso.irqs_fixed++;
			continue;
		}
		format_cpulist(&cur, next, sizeof(next));
		if (write_file(path, next) < 0) {
			iso.irqs_fixed++; /* managed IRQs: the kernel keeps them where they are */
			continue;
		}
		snprintf(iso.irqs[iso.nirqs].path, sizeof(iso.irqs[iso.nirqs].path), "%s", path);
		snprintf(iso.irqs[iso.nirqs].old, sizeof(iso.irqs[iso.nirqs].old), "%s", old);
		iso.nirqs++;
	}
	closedir(d);
}

int pc_bench_isolate(int cpu)
{
	char online[256], wq[64];
	cpu_set_t wqset;
	bool wq_moved = false;
	int rc;

	if (iso.active)
		return -EALREADY;
	if (cpu < 0 || cpu >= CPU_SETSIZE)
		return -EINVAL;
	rc = read_file("/sys/devices/system/cpu/online", online, sizeof(online));
	if (rc < 0 || parse_cpulist(online, &iso.online) < 0)
		return rc < 0 ? rc : -EINVAL;
	if (!CPU_ISSET(cpu, &iso.online) || CPU_COUNT(&iso.online) < 2)
		return -EINVAL; /* nowhere to move the others to */
	memset(iso.summary, 0, sizeof(iso.summary));
	iso.cpu = cpu;
	iso.ntasks = iso.nirqs = 0;
	iso.irqs_fixed = iso.tasks_stayed = 0;
	iso.wq_old[0] = '\0';
	iso.start_ticks = now_ticks();
	iso.active = true;
	for (size_t i = 0; i < sizeof(iso_signals) / sizeof(iso_signals[0]); i++)
		signal(iso_signals[i], on_signal);
	{
		static bool registered;

		if (!registered && atexit(pc_bench_isolate_end) == 0)
			registered = true;
	}
	for_each_other_task(move_task);
	if (iso.ntasks == 0 && iso.tasks_stayed == 0) {
		pc_bench_isolate_end();
		return -EPERM; /* not even one could be looked at: no such rights */
	}
	move_irqs();
	if (read_file(ISO_WQ_MASK, wq, sizeof(wq)) == 0) {
		unsigned long long m = strtoull(wq, NULL, 16);

		CPU_ZERO(&wqset);
		for (int c = 0; c < 64; c++)
			if ((m >> c) & 1u)
				CPU_SET(c, &wqset);
		if (CPU_ISSET(cpu, &wqset) && CPU_COUNT(&wqset) > 1) {
			char next[64];

			CPU_CLR(cpu, &wqset);
			format_hexmask(&wqset, next, sizeof(next));
			if (write_file(ISO_WQ_MASK, next) == 0) {
				snprintf(iso.wq_old, sizeof(iso.wq_old), "%s", wq);
				wq_moved = true;
			}
		}
	}
	snprintf(iso.summary, sizeof(iso.summary),
		 "CPU %d isolated for the run (--isolate): %zu tasks of other processes and %zu "
		 "IRQs moved off it (restored after); left on it: %u tasks bound to it (per-CPU "
		 "kernel threads), %u IRQs the kernel keeps there, the scheduler tick; unbound "
		 "workqueues %s",
		 cpu, iso.ntasks, iso.nirqs, iso.tasks_stayed, iso.irqs_fixed,
		 wq_moved ? "moved" : "not moved");
	return (int)iso.ntasks;
}

const char *pc_bench_isolate_summary(void)
{
	return iso.active ? iso.summary : NULL;
}
