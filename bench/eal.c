/* SPDX-License-Identifier: MIT */
/*
 * eal.c - DPDK's Environment Abstraction Layer, brought up once per process for the reference
 * measurements (rte_ring, rte_mempool).
 *
 * Memory: hugepages where available (DESIGN: packet buffers on hugepages where available), as
 * DPDK is deployed: when a hugetlbfs is mounted and at least EAL_HUGE_FREE_MIN 2 MiB pages are
 * free (scripts/bootstrap reserves them), EAL takes its 512 MiB from them (--in-memory: no
 * files left behind, no shared configuration). Otherwise it runs on anonymous 4 KiB mappings
 * (--no-huge --no-shconf; --in-memory would say the same but DPDK 22.11 refuses it next to
 * --no-huge). The choice shows in the relay's latency tail: on 4 KiB pages an mbuf touched is
 * a TLB miss, a nested page walk in a VM (relay/dpdk's p99 at half load: 25 us to 1 ms over
 * five runs; 8-17 us on hugepages).
 * The free count is read under an flock held through rte_eal_init(), so that benchmark
 * processes starting together do not count the same pages; a failed start is not retried
 * (EAL cannot be started twice), hence the margin over the 256 pages EAL takes.
 * No devices (--no-pci). The main lcore is the first CPU this process may use.
 */
/* rte_thread_register() is still experimental in DPDK 22.11. */
#define ALLOW_EXPERIMENTAL_API

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/file.h>

#include <rte_eal.h>
#include <rte_ethdev.h>
#ifdef PC_BENCH_HAVE_ETH_RING
#include <rte_eth_ring.h>
#endif
#include <rte_errno.h>
#include <rte_lcore.h>
#include <rte_log.h>
#include <rte_ring.h>
#include <rte_version.h>

#include "bench_pvt.h"

#define EAL_ARGC_MAX 16
/* EAL's -m 512 is 256 pages of 2 MiB; the rest is room for others (packet pools of
 * processes that do not take the lock). */
#define EAL_HUGE_FREE_MIN 320L
#define EAL_HUGE_FREE "/sys/kernel/mm/hugepages/hugepages-2048kB/free_hugepages"
/* Pages promised to a mapping but not faulted yet: counted in free_hugepages, not available. */
#define EAL_HUGE_RESV "/sys/kernel/mm/hugepages/hugepages-2048kB/resv_hugepages"
#define EAL_LOCK "/tmp/phonecore-eal.lock"

static pthread_once_t eal_once = PTHREAD_ONCE_INIT;
static int eal_rc = -EAGAIN;
static char eal_args[256];
static char eal_err[256];

static int first_allowed_cpu(const cpu_set_t *set)
{
	for (int i = 0; i < CPU_SETSIZE; i++)
		if (CPU_ISSET(i, set))
			return i;
	return 0;
}

/* The number in the file at @path; 0 when it cannot be read. */
static long read_count(const char *path)
{
	FILE *f = fopen(path, "r");
	long v = 0;

	if (f == NULL)
		return 0;
	if (fscanf(f, "%ld", &v) != 1)
		v = 0;
	fclose(f);
	return v;
}

/* A hugetlbfs of 2 MiB pages is mounted and enough of them are free. */
static bool huge_usable(void)
{
	char line[512];
	bool mounted = false;
	FILE *f = fopen("/proc/mounts", "r");

	if (f == NULL)
		return false;
	while (!mounted && fgets(line, sizeof(line), f) != NULL)
		mounted =
			strstr(line, " hugetlbfs ") != NULL &&
			(strstr(line, "pagesize=2M") != NULL || strstr(line, "pagesize=") == NULL);
	fclose(f);
	return mounted &&
	       read_count(EAL_HUGE_FREE) - read_count(EAL_HUGE_RESV) >= EAL_HUGE_FREE_MIN;
}

static void eal_start_once(void)
{
	static char lcore[16];
	char *argv[EAL_ARGC_MAX] = {
		"phonecore",	  "-l", lcore, "--no-pci", "-m", "512", "--log-level=lib.*:error",
		"--no-telemetry",
	};
	int argc = 8;
	cpu_set_t saved;
	bool have_saved;
	size_t len = 0;
	int rc, lock;

	/* O_NOFOLLOW: /tmp is everyone's; read-only is enough for flock(). */
	lock = open(EAL_LOCK, O_RDONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0666);
	if (lock < 0 && errno == EACCES) /* another user's file and fs.protected_regular */
		lock = open(EAL_LOCK, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (lock >= 0 && flock(lock, LOCK_EX) < 0) {
		close(lock);
		lock = -1;
	}
	if (huge_usable()) {
		argv[argc++] = "--in-memory";
	} else {
		argv[argc++] = "--no-huge";
		argv[argc++] = "--no-shconf";
	}
	argv[argc] = NULL;
	have_saved = pthread_getaffinity_np(pthread_self(), sizeof(saved), &saved) == 0;
	snprintf(lcore, sizeof(lcore), "%d", have_saved ? first_allowed_cpu(&saved) : 0);
	for (int i = 0; i < argc; i++)
		len += (size_t)snprintf(eal_args + len,
					len < sizeof(eal_args) ? sizeof(eal_args) - len : 0, "%s%s",
					i ? " " : "", argv[i]);

	/* DPDK logs to stdout by default, where the table goes. */
	rte_openlog_stream(stderr);
	rc = rte_eal_init(argc, argv);
	if (lock >= 0)
		close(lock); /* the flock goes with it */
	if (rc < 0) {
		int err = rte_errno > 0 ? rte_errno : EIO;

		eal_rc = -err;
		snprintf(eal_err, sizeof(eal_err), "rte_eal_init failed: %s", rte_strerror(err));
		fprintf(stderr,
			"phonecore bench: DPDK EAL did not start (%s; args: %s): DPDK reference "
			"rows will be null\n",
			eal_err, eal_args);
	} else {
		eal_rc = 0;
	}
	/* EAL pinned this thread to the main lcore's CPU; the caller did not ask for that. */
	if (have_saved)
		pthread_setaffinity_np(pthread_self(), sizeof(saved), &saved);
}

int pc_bench_eal_start(void)
{
	pthread_once(&eal_once, eal_start_once);
	return eal_rc;
}

const char *pc_bench_eal_args(void)
{
	return eal_args;
}

const char *pc_bench_eal_error(void)
{
	return eal_err;
}

const char *pc_bench_dpdk_version(void)
{
	return rte_version();
}

int pc_bench_eal_thread_register(void)
{
	unsigned lcore;

	if (eal_rc < 0)
		return eal_rc;
	if (rte_thread_register() < 0) {
		int err = rte_errno > 0 ? rte_errno : EINVAL;

		fprintf(stderr, "phonecore bench: rte_thread_register: %s\n", rte_strerror(err));
		return -err;
	}
	/* Registration succeeds without an lcore id when all RTE_MAX_LCORE are taken; such a
	 * thread gets no mempool cache, and the comparison would be unfair to DPDK. */
	lcore = rte_lcore_id();
	if (lcore == LCORE_ID_ANY || lcore >= RTE_MAX_LCORE) {
		rte_thread_unregister();
		fprintf(stderr, "phonecore bench: registered DPDK thread got no lcore id\n");
		return -EBUSY;
	}
	return (int)lcore;
}

void pc_bench_eal_thread_unregister(void)
{
	rte_thread_unregister();
}

/* A ring by name: the existing one, or a new one of @slots (MP/MC: either side may be any
 * thread). */
static struct rte_ring *ring_get(const char *name, unsigned slots)
{
	struct rte_ring *r = rte_ring_lookup(name);

	return r ? r : rte_ring_create(name, slots, SOCKET_ID_ANY, 0);
}

int pc_bench_netring_port(const char *name, const char *rx_ring, const char *tx_ring,
			  unsigned slots)
{
#ifdef PC_BENCH_HAVE_ETH_RING
	struct rte_ring *rx, *tx;
	int id;

	if (eal_rc < 0)
		return eal_rc;
	rx = ring_get(rx_ring, slots);
	tx = ring_get(tx_ring, slots);
	if (rx == NULL || tx == NULL)
		return -(rte_errno > 0 ? rte_errno : ENOMEM);
	id = rte_eth_from_rings(name, &rx, 1, &tx, 1, SOCKET_ID_ANY);
	return id < 0 ? -(rte_errno > 0 ? rte_errno : EIO) : id;
#else
	(void)name;
	(void)rx_ring;
	(void)tx_ring;
	(void)slots;
	return -ENOTSUP;
#endif
}
