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
 * SIGQUIT and the crashes), which restores with system calls only and then re-raises, or calls
 * the handler that was there before (ASan's, the program's). A signal that was ignored stays so
 * (SIGHUP under nohup). Only the process that isolated restores (a fork()ed child before its
 * exec has the handler and a copy of the lists, and does nothing). Tasks that
 * started during the run inherited the narrowed affinity from a moved parent: at the end, a task
 * of another process that started after the isolation and whose affinity is a moved task's
 * narrowed one gets the CPU back (a task pinned so on purpose in that window is widened too: the
 * one case this cannot tell apart). The signal path does not do this walk.
 *
 * Thread context: the calling thread (the CLI's); the signal handler on any. Allocates: the
 * list of moved tasks, at isolate time only.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
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
#define ISO_MASK_LEN 320 /* a %*pb mask of CPU_SETSIZE CPUs: 32 groups of 8 digits and a comma */

struct iso_task {
	pid_t tid;
	cpu_set_t old;
};

struct iso_irq {
	char path[48]; /* its smp_affinity_list */
	char old[128]; /* as read */
};

static struct {
	volatile sig_atomic_t active;
	pid_t owner; /* the process that isolated: not its fork()ed children */
	int cpu;
	cpu_set_t online;	/* CPUs this system has online (from our own process's view) */
	struct iso_task *tasks; /* moved, with their old affinity */
	size_t ntasks, cap;
	struct iso_irq irqs[ISO_IRQ_MAX];
	size_t nirqs;
	unsigned irqs_fixed;   /* IRQs whose affinity could not be changed */
	unsigned tasks_stayed; /* tasks that may run on the CPU alone or refused (kernel threads) */
	unsigned tasks_denied; /* EPERM: no right to move other users' tasks */
	char wq_old[ISO_MASK_LEN];	/* the workqueue cpumask before, "" if untouched */
	unsigned long long start_ticks; /* when isolation began, clock ticks since boot */
	char summary[256];
} iso;

/* The signals whose default action ends the process (SIGKILL cannot be caught). */
static const int iso_signals[] = { SIGINT,  SIGTERM, SIGHUP,  SIGQUIT,	 SIGPIPE, SIGALRM, SIGUSR1,
				   SIGUSR2, SIGXCPU, SIGXFSZ, SIGVTALRM, SIGPROF, SIGSEGV, SIGBUS,
				   SIGFPE,  SIGILL,  SIGABRT, SIGSYS,	 SIGTRAP };
#define ISO_NSIG (sizeof(iso_signals) / sizeof(iso_signals[0]))
static struct sigaction iso_old_act[ISO_NSIG];
static bool iso_hooked[ISO_NSIG]; /* on_signal installed (the disposition was not SIG_IGN) */

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
	if ((size_t)n == len - 1)
		return -EOVERFLOW; /* may not be all of it */
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

/* A kernel bitmap as sysfs prints it ("%*pb": hex, a comma every 32 bits: "ff,ffffffff"). */
static int parse_hexmask(const char *s, cpu_set_t *set)
{
	size_t n = strlen(s);
	int bit = 0;

	CPU_ZERO(set);
	while (n > 0) {
		char ch = s[--n];
		int v;

		if (ch == ',')
			continue;
		if (ch >= '0' && ch <= '9')
			v = ch - '0';
		else if (ch >= 'a' && ch <= 'f')
			v = ch - 'a' + 10;
		else if (ch >= 'A' && ch <= 'F')
			v = ch - 'A' + 10;
		else
			return -EINVAL;
		for (int i = 0; i < 4; i++, bit++) {
			if (!((v >> i) & 1))
				continue;
			if (bit >= CPU_SETSIZE)
				return -EINVAL;
			CPU_SET(bit, set);
		}
	}
	return 0;
}

static unsigned hexmask_group(const cpu_set_t *set, int g)
{
	unsigned w = 0;

	for (int i = 0; i < 32; i++)
		if (CPU_ISSET(32 * g + i, set))
			w |= 1u << i;
	return w;
}

/* A set in the same form, as the workqueue cpumask file takes it; -ENOSPC if @len is short. */
static int format_hexmask(const cpu_set_t *set, char *buf, size_t len)
{
	int top = CPU_SETSIZE / 32 - 1;
	size_t off = 0;

	while (top > 0 && hexmask_group(set, top) == 0)
		top--;
	for (int g = top; g >= 0; g--) {
		int k = snprintf(buf + off, len - off, g == top ? "%x" : ",%08x",
				 hexmask_group(set, g));

		if (k < 0 || (size_t)k >= len - off)
			return -ENOSPC;
		off += (size_t)k;
	}
	return 0;
}

/* A set as a CPU list with ranges ("0,2-71"); -ENOSPC if @len is short. */
static int format_cpulist(const cpu_set_t *set, char *buf, size_t len)
{
	size_t off = 0;

	buf[0] = '\0';
	for (int c = 0; c < CPU_SETSIZE; c++) {
		int e = c, k;

		if (!CPU_ISSET(c, set))
			continue;
		while (e + 1 < CPU_SETSIZE && CPU_ISSET(e + 1, set))
			e++;
		k = e > c ? snprintf(buf + off, len - off, "%s%d-%d", off ? "," : "", c, e) :
			    snprintf(buf + off, len - off, "%s%d", off ? "," : "", c);
		if (k < 0 || (size_t)k >= len - off)
			return -ENOSPC;
		off += (size_t)k;
		c = e;
	}
	return 0;
}

static int set_affinity(pid_t tid, const cpu_set_t *set)
{
	return syscall(SYS_sched_setaffinity, tid, sizeof(*set), set) < 0 ? -errno : 0;
}

/* --- restore ---------------------------------------------------------------------------------- */

/* System calls only: also called from the signal handler, maybe on two threads at once, so it
 * changes nothing in iso (putting back twice is harmless). */
static void restore_saved(void)
{
	for (size_t i = 0; i < iso.ntasks; i++)
		(void)set_affinity(iso.tasks[i].tid, &iso.tasks[i].old); /* ESRCH: it ended */
	for (size_t i = 0; i < iso.nirqs; i++)
		(void)write_file(iso.irqs[i].path, iso.irqs[i].old);
	if (iso.wq_old[0] != '\0')
		(void)write_file(ISO_WQ_MASK, iso.wq_old);
}

static void on_signal(int sig, siginfo_t *si, void *uc)
{
	size_t i = 0;

	/* A fork()ed child (before its exec) has the handler and a copy of iso: not its to undo. */
	if (iso.active && getpid() == iso.owner)
		restore_saved();
	while (i < ISO_NSIG && iso_signals[i] != sig)
		i++;
	if (i < ISO_NSIG && (iso_old_act[i].sa_flags & SA_SIGINFO)) {
		iso_old_act[i].sa_sigaction(sig, si, uc);
		return;
	}
	if (i < ISO_NSIG && iso_old_act[i].sa_handler != SIG_DFL) {
		iso_old_act[i].sa_handler(sig);
		return;
	}
	signal(sig, SIG_DFL);
	raise(sig);
}

/* The ending signals that are not crashes, blocked while the lists change or are put back. */
static void block_ending_signals(sigset_t *old)
{
	sigset_t set;

	sigemptyset(&set);
	for (size_t i = 0; i < ISO_NSIG; i++)
		if (iso_signals[i] != SIGSEGV && iso_signals[i] != SIGBUS &&
		    iso_signals[i] != SIGFPE && iso_signals[i] != SIGILL)
			sigaddset(&set, iso_signals[i]);
	sigprocmask(SIG_BLOCK, &set, old);
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

/* A task that started during the run with an affinity that is a moved task's narrowed one (it
 * inherited it from a moved parent or creating thread): the CPU back. */
static void widen_inherited(long pid, pid_t tid)
{
	cpu_set_t cur, wide;

	if (sched_getaffinity(tid, sizeof(cur), &cur) < 0 || CPU_ISSET(iso.cpu, &cur))
		return;
	wide = cur;
	CPU_SET(iso.cpu, &wide);
	for (size_t i = 0; i < iso.ntasks; i++) {
		if (!CPU_EQUAL(&wide, &iso.tasks[i].old))
			continue;
		if (task_start_ticks(pid, tid) >= iso.start_ticks)
			(void)set_affinity(tid, &wide);
		return;
	}
}

void pc_bench_isolate_end(void)
{
	sigset_t old;

	if (!iso.active || getpid() != iso.owner)
		return; /* not isolating, or a fork()ed child of the process that is */
	/* A Ctrl-C now waits until everything is back (on this thread; on another, the handler
	 * puts back the same things). iso.active stays set until then for the handler. */
	block_ending_signals(&old);
	restore_saved();
	for_each_other_task(widen_inherited);
	for (size_t i = 0; i < ISO_NSIG; i++)
		if (iso_hooked[i])
			sigaction(iso_signals[i], &iso_old_act[i], NULL);
	iso.active = false;
	atomic_signal_fence(memory_order_seq_cst);
	iso.ntasks = iso.nirqs = 0;
	iso.wq_old[0] = '\0';
	sigprocmask(SIG_SETMASK, &old, NULL);
	/* iso.tasks is kept (reused by the next isolation): a handler on another thread may still
	 * be reading it. */
}

/* --- isolate ---------------------------------------------------------------------------------- */

static void move_task(long pid, pid_t tid)
{
	cpu_set_t cur, next;
	int rc;

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
	rc = set_affinity(tid, &next);
	if (rc == -EPERM) {
		iso.tasks_denied++; /* another user's task, without CAP_SYS_NICE */
		return;
	}
	if (rc < 0) {
		iso.tasks_stayed++; /* PF_NO_SETAFFINITY (EINVAL), or it ended */
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
		char path[48], old[sizeof(iso.irqs[0].old)], next[sizeof(iso.irqs[0].old)];
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
		if (format_cpulist(&cur, next, sizeof(next)) < 0 || write_file(path, next) < 0) {
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
	char online[256], wq[ISO_MASK_LEN];
	cpu_set_t wqset;
	sigset_t oldmask;
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
	iso.cpu = cpu;
	iso.ntasks = iso.nirqs = 0;
	iso.irqs_fixed = iso.tasks_stayed = iso.tasks_denied = 0;
	iso.wq_old[0] = '\0';
	iso.start_ticks = now_ticks();
	iso.owner = getpid();
	iso.active = true;
	/* Not on a signal that was ignored (nohup); before a handler that was there (chained). */
	for (size_t i = 0; i < ISO_NSIG; i++) {
		struct sigaction act = { .sa_sigaction = on_signal };

		iso_hooked[i] = false;
		if (sigaction(iso_signals[i], NULL, &iso_old_act[i]) < 0 ||
		    iso_old_act[i].sa_handler == SIG_IGN)
			continue;
		act.sa_mask = iso_old_act[i].sa_mask;
		act.sa_flags = SA_SIGINFO | SA_RESTART | (iso_old_act[i].sa_flags & SA_ONSTACK);
		iso_hooked[i] = sigaction(iso_signals[i], &act, NULL) == 0;
	}
	{
		static bool registered;

		if (!registered && atexit(pc_bench_isolate_end) == 0)
			registered = true;
	}
	/* While the lists grow (realloc, a task moved but not yet written down), an ending signal
	 * waits: the handler would read a freed list or miss a task. */
	block_ending_signals(&oldmask);
	for_each_other_task(move_task);
	if (iso.tasks_denied > 0) {
		sigprocmask(SIG_SETMASK, &oldmask, NULL);
		pc_bench_isolate_end();
		return -EPERM; /* some tasks may not be moved by us: no such rights */
	}
	move_irqs();
	if (read_file(ISO_WQ_MASK, wq, sizeof(wq)) == 0 && parse_hexmask(wq, &wqset) == 0 &&
	    CPU_ISSET(cpu, &wqset) && CPU_COUNT(&wqset) > 1) {
		char next[ISO_MASK_LEN];

		CPU_CLR(cpu, &wqset);
		if (format_hexmask(&wqset, next, sizeof(next)) == 0 &&
		    write_file(ISO_WQ_MASK, next) == 0)
			snprintf(iso.wq_old, sizeof(iso.wq_old), "%s", wq);
	}
	sigprocmask(SIG_SETMASK, &oldmask, NULL);
	snprintf(iso.summary, sizeof(iso.summary),
		 "CPU %d isolated for the run (--isolate): %zu tasks of other processes and %zu "
		 "IRQs moved off it (restored after); left on it: %u tasks bound to it (per-CPU "
		 "kernel threads), %u IRQs the kernel keeps there, the scheduler tick; unbound "
		 "workqueues %s",
		 cpu, iso.ntasks, iso.nirqs, iso.tasks_stayed, iso.irqs_fixed,
		 iso.wq_old[0] != '\0' ? "moved" : "not moved");
	return (int)iso.ntasks;
}

const char *pc_bench_isolate_summary(void)
{
	return iso.active ? iso.summary : NULL;
}
