/* SPDX-License-Identifier: MIT */
/*
 * eal.c - DPDK's Environment Abstraction Layer, brought up once per process for the reference
 * measurements (rte_ring, rte_mempool).
 *
 * The arguments suit these machines: no hugepages reserved (--no-huge, memory from anonymous
 * mappings), no devices (--no-pci), no shared configuration files (--no-shconf) so that
 * several benchmark processes can run at once without clashing in /var/run/dpdk. --in-memory
 * would say the same but DPDK 22.11 refuses it next to --no-huge ("--legacy-mem is not
 * compatible with --in-memory"). The main lcore is the first CPU this process may use.
 */
/* rte_thread_register() is still experimental in DPDK 22.11. */
#define ALLOW_EXPERIMENTAL_API

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>

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

static void eal_start_once(void)
{
	static char lcore[16];
	char *argv[EAL_ARGC_MAX] = {
		"phonecore",
		"-l",
		lcore,
		"--no-huge",
		"--no-pci",
		"--no-shconf",
		"-m",
		"512",
		"--log-level=lib.*:error",
		"--no-telemetry",
		NULL,
	};
	int argc = 10;
	cpu_set_t saved;
	bool have_saved;
	size_t len = 0;
	int rc;

	have_saved = pthread_getaffinity_np(pthread_self(), sizeof(saved), &saved) == 0;
	snprintf(lcore, sizeof(lcore), "%d", have_saved ? first_allowed_cpu(&saved) : 0);
	for (int i = 0; i < argc; i++)
		len += (size_t)snprintf(eal_args + len,
					len < sizeof(eal_args) ? sizeof(eal_args) - len : 0, "%s%s",
					i ? " " : "", argv[i]);

	/* DPDK logs to stdout by default, where the table goes. */
	rte_openlog_stream(stderr);
	rc = rte_eal_init(argc, argv);
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
