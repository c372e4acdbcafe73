/* SPDX-License-Identifier: MIT */
/*
 * bench_pvt.h - what the benchmarks in bench/ share: the result report (table, JSON, SVG),
 * pinned threads and their start line, the clocks, and DPDK's EAL. Internal to bench/.
 *
 * Nothing here includes DPDK: eal.c and relay_dpdk_*.c keep DPDK's headers to themselves and
 * hand out plain C.
 *
 * Thread context: report and EAL functions on the benchmark's calling thread; the clock and
 * start-line helpers on any thread. Allocates: report functions and thread start only.
 */
#ifndef PC_BENCH_PVT_H
#define PC_BENCH_PVT_H

#include <pthread.h>
#include <stdint.h>
#include <time.h>

#include "pc_atomic.h"
#include "pc_bench.h"
#include "pc_pkt.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Each benchmark, defined in its own file and listed in bench.c. */
int pc_bench_ring_run(const struct pc_bench_opts *o);
int pc_bench_pool_run(const struct pc_bench_opts *o);
int pc_bench_relay_run(const struct pc_bench_opts *o);
int pc_bench_io_run(const struct pc_bench_opts *o);
int pc_bench_jitter_run(const struct pc_bench_opts *o);
int pc_bench_srtp_run(const struct pc_bench_opts *o);
/* sip_bench.c: parse rate vs libre, UAS calls/s and setup latency vs baresip under SIPp. */
int pc_bench_sip_run(const struct pc_bench_opts *o);
/* codecs_bench.c: encode and decode time per 20 ms frame for each audio codec. */
int pc_bench_codecs_run(const struct pc_bench_opts *o);
/* aec_bench.c: echo cancellation (ERLE, convergence, double-talk) vs webrtc-audio-processing. */
int pc_bench_aec_run(const struct pc_bench_opts *o);
/* video_bench.c: x264 encode time per frame and encode-to-decode frame latency. */
int pc_bench_video_run(const struct pc_bench_opts *o);

/* --- the report ------------------------------------------------------------------------------- */

/* Which way a metric is better: it decides how the speedup is taken. */
enum pc_bench_better {
	PC_BENCH_HIGHER_BETTER, /* rates: speedup = ours / reference */
	PC_BENCH_LOWER_BETTER,	/* times, latencies, sizes: speedup = reference / ours */
	/* levels in dB, higher better (ERLE, SDR): speedup = 10^((ours - reference) / 10), the
	 * ratio of the powers the two figures stand for */
	PC_BENCH_HIGHER_BETTER_DB,
};

struct pc_bench_report;

/*
 * pc_bench_report_create - start collecting the rows of benchmark @bench; writes *@out.
 * @bench: borrowed, copied. @o: borrowed; must outlive the report (its paths and stream are
 * used by pc_bench_report_finish()). Returns 0 or -ENOMEM. Allocates.
 */
int pc_bench_report_create(struct pc_bench_report **out, const char *bench,
			   const struct pc_bench_opts *o);

/* pc_bench_report_destroy - free the report; NULL is ignored. */
void pc_bench_report_destroy(struct pc_bench_report *r);

/*
 * pc_bench_report_note - add one line about the setup or a caveat: printed above the table and
 * kept in the JSON "notes". Returns 0 or -ENOMEM. Allocates.
 */
int pc_bench_report_note(struct pc_bench_report *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/*
 * pc_bench_report_row - add a result row. Strings are borrowed and copied.
 * @ref_name:  the reference measured against (e.g. "rte_ring SP/SC"); NULL when none exists.
 * @ref_value: the reference's figure; NAN when it could not be measured in this run (it is
 *             then written as null, and so is the speedup).
 * @ours:      phonecore's figure; NAN when it could not be measured.
 * Returns 0 or -ENOMEM. Allocates.
 */
int pc_bench_report_row(struct pc_bench_report *r, const char *case_name, const char *metric,
			const char *unit, enum pc_bench_better better, double ours,
			const char *ref_name, double ref_value);

/*
 * pc_bench_report_finish - print the table to the options' stream, then write the JSON and the
 * SVG when their paths are set (creating missing parent directories). Peak resident memory is
 * read here, so call it once the benchmark's work is done. Returns 0, or -errno of the first
 * file that could not be written (named on stderr).
 */
int pc_bench_report_finish(struct pc_bench_report *r);

/* --- clocks ----------------------------------------------------------------------------------- */

/* CLOCK_MONOTONIC in nanoseconds: the clock of every interval the benchmarks report. */
static inline uint64_t pc_bench_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/*
 * pc_bench_ticks - a cheap timestamp for per-sample latencies: the TSC on x86-64 (about 10 ns
 * to read here, against 24 ns for clock_gettime), CLOCK_MONOTONIC elsewhere. The lfence keeps
 * the read from moving above the loads and stores it is meant to follow. Convert with
 * pc_bench_ns_per_tick().
 */
#if defined(__x86_64__)
static inline uint64_t pc_bench_ticks(void)
{
	__builtin_ia32_lfence();
	return __builtin_ia32_rdtsc();
}
#else
static inline uint64_t pc_bench_ticks(void)
{
	return pc_bench_now_ns();
}
#endif

/* pc_bench_ns_per_tick - nanoseconds per pc_bench_ticks() unit, calibrated against
 * CLOCK_MONOTONIC once per process (about 20 ms the first time). Any thread. */
double pc_bench_ns_per_tick(void);

/* --- threads ---------------------------------------------------------------------------------- */

/*
 * pc_bench_cpus - the producer and consumer CPUs from @o (-1 means CPUs 0 and 1), checked to
 * be distinct and allowed for this process. Returns 0, or -EINVAL with the reason on stderr.
 */
int pc_bench_cpus(const struct pc_bench_opts *o, int *producer, int *consumer);

/*
 * pc_bench_thread_start - start @fn(@arg) on a thread pinned to @cpu from its first
 * instruction (the affinity is set in its attributes). Returns 0 or -errno (named on stderr).
 * The caller joins it. Allocates (a thread).
 */
int pc_bench_thread_start(pthread_t *out, int cpu, void *(*fn)(void *), void *arg);

/*
 * A start line for the threads of one run: each calls pc_bench_start_line_wait(), and all leave
 * it together, so that thread start-up is not timed and no thread runs alone. When a thread
 * cannot be started, pc_bench_start_line_abort() sends the ones already waiting home.
 */
struct pc_bench_start_line {
	_Atomic uint32_t waiting;
	_Atomic uint32_t aborted;
};

static inline void pc_bench_start_line_init(struct pc_bench_start_line *s, uint32_t threads)
{
	atomic_init(&s->waiting, threads);
	atomic_init(&s->aborted, 0);
}

/* Returns true when all threads arrived, false when the run was aborted: return at once. */
static inline bool pc_bench_start_line_wait(struct pc_bench_start_line *s)
{
	/* The acquire load pairs with the other threads' acq_rel decrements: what they did
	 * before arriving (their setup) is visible once all have arrived. */
	pc_fetch_sub_acq_rel(&s->waiting, 1);
	while (pc_load_acquire(&s->waiting) != 0) {
		if (pc_load_relaxed(&s->aborted))
			return false;
		pc_cpu_pause();
	}
	return true;
}

static inline void pc_bench_start_line_abort(struct pc_bench_start_line *s)
{
	pc_store_relaxed(&s->aborted, 1);
}

/* pc_bench_median - the median of @n values (sorted in place); NAN when @n is 0. */
double pc_bench_median(double *v, unsigned n);

/*
 * pc_bench_unsteady - for the notes: a warning when, in either set of @n sorted trial times
 * (@b may be NULL), the slowest trial took more than 1.5 times the fastest; "" otherwise.
 * Static storage.
 */
const char *pc_bench_unsteady(const double *a, const double *b, unsigned n);

/* --- DPDK's EAL ------------------------------------------------------------------------------- */

/*
 * pc_bench_eal_start - bring DPDK's EAL up once per process (later calls return the first
 * result). The calling thread's CPU affinity is kept: EAL would pin it to the main lcore.
 * Returns 0, or -errno; on failure one line naming the reason and the arguments is printed on
 * stderr (once), and the benchmarks report their DPDK reference rows as null.
 */
int pc_bench_eal_start(void);

/* The EAL arguments used, as one line (valid after pc_bench_eal_start()). */
const char *pc_bench_eal_args(void);

/* Why the EAL did not start, as one line; "" when it did or was not tried. */
const char *pc_bench_eal_error(void);

/* DPDK's version string, e.g. "DPDK 22.11.11" (known without the EAL). */
const char *pc_bench_dpdk_version(void);

/*
 * pc_bench_eal_thread_register - make the calling (non-EAL) thread a registered lcore, so that
 * DPDK's per-lcore state (mempool caches) serves it. Pin the thread first: DPDK records its
 * affinity here. Returns the lcore id (>= 0), or -errno with the reason on stderr.
 */
int pc_bench_eal_thread_register(void);

/* pc_bench_eal_thread_unregister - give the calling thread's lcore id back. */
void pc_bench_eal_thread_unregister(void);

/*
 * pc_bench_netring_port - a new ethdev of the net_ring driver named @name that receives from
 * the rte_ring @rx_ring and sends into @tx_ring (each created with @slots on first use, found
 * by name after): two ports with the rings crossed are a wire in memory. After EAL started.
 * Returns the port id, -ENOTSUP when built without librte_net_ring, or -errno.
 */
int pc_bench_netring_port(const char *name, const char *rx_ring, const char *tx_ring,
			  unsigned slots);

/* --- the relay benchmark's DPDK wire (relay_dpdk_gen.c, relay_dpdk_bare.c) -------------------- */

struct pc_io;
struct pc_hist;

/*
 * The light generator and sink: template frames sent and counted straight on the ethdev of a
 * phonecore dpdk I/O instance (the generator's end of the wire), in that instance's buffers.
 * See relay_dpdk_gen.c. All on the thread that owns that instance.
 */
struct pc_bench_dgen;

struct pc_bench_dgen_stats {
	uint64_t offered;     /* frames handed to the wire, tx_full included */
	uint64_t tx_full;     /* of those, refused by the full ring towards the relay: its loss */
	uint64_t alloc_fails; /* frames not made: the generator's pool was empty (not offered) */
	uint64_t rx_counted;  /* frames of the trial under way, counted */
	uint64_t rx_stale;    /* the relay's RTP of an earlier trial (or of none) */
	uint64_t rx_other;    /* anything else: dropped */
	uint64_t arp_requests_sent;
	uint64_t arp_replies_sent;
};

/*
 * pc_bench_dgen_create - a generator on @io's port and buffers (@io borrowed: a dpdk
 * instance that must outlive the generator; its receive side is the generator's from now on:
 * do not call pc_io_rx_burst on it). @ports: the A and B sides' UDP ports (host order), where
 * the relay sends back. @max_calls: templates to make room for. Writes *@out. Returns 0,
 * -EINVAL (not dpdk), -EPROTO (its buffers are not pc_pkt-in-mbuf), -ENOBUFS or -ENOMEM.
 * Allocates.
 */
int pc_bench_dgen_create(struct pc_bench_dgen **out, struct pc_io *io, const uint16_t ports[2],
			 unsigned max_calls);
void pc_bench_dgen_destroy(struct pc_bench_dgen *g);

/* pc_bench_dgen_resolve - the MAC of @ipv4 (network order: the relay) by ARP, polling the sink
 * (frames of no trial are dropped meanwhile) for up to @timeout_ns. Returns 0 or -ETIMEDOUT. */
int pc_bench_dgen_resolve(struct pc_bench_dgen *g, uint32_t ipv4, uint64_t timeout_ns);

/*
 * pc_bench_dgen_select - build the templates of @ncalls calls: side s of call i sends to
 * @targets[s][i] (borrowed; side B only when @both), all at the address resolved last. Sending
 * then goes round-robin over the calls (A then B of each call when @both), sequence numbers
 * from 0. Returns 0, or -EINVAL (no address resolved, another address, too many calls).
 */
int pc_bench_dgen_select(struct pc_bench_dgen *g, union pc_pkt_addr *const targets[2],
			 unsigned ncalls, bool both);

/* pc_bench_dgen_send - make and send @n frames (at most 32) stamped @now_ns and @trial (not 0).
 * Returns how many were offered: @n, or 0 when the pool is empty. No allocation. */
unsigned pc_bench_dgen_send(struct pc_bench_dgen *g, unsigned n, uint64_t now_ns, uint32_t trial);

/* pc_bench_dgen_receive - drain the sink: the relay's frames of @trial are counted (returned)
 * and, with @h (borrowed, may be NULL), their one-way latency recorded; ARP is handled; the
 * rest is dropped and counted. No allocation. */
uint64_t pc_bench_dgen_receive(struct pc_bench_dgen *g, uint32_t trial, struct pc_hist *h);

void pc_bench_dgen_get_stats(const struct pc_bench_dgen *g, struct pc_bench_dgen_stats *st);

/*
 * The bare DPDK forwarder: the least work that relays between two legs on an ethdev (rx,
 * rewrite addresses and ports for the other leg, tx; ARP answered). The floor of relay/dpdk.
 * See relay_dpdk_bare.c.
 */
struct pc_bench_dbare;

struct pc_bench_dbare_conf {
	uint16_t port_id;     /* an ethdev not configured yet (net_ring) */
	uint32_t ipv4;	      /* its address, network order */
	uint16_t leg_port[2]; /* call i: leg A port leg_port[0] + i, leg B leg_port[1] + i */
	uint32_t ncalls;
	union pc_pkt_addr remote_b; /* where leg B sends; leg A learns its peer */
};

struct pc_bench_dbare_stats {
	uint64_t rx, tx;
	uint64_t dropped;    /* not for a leg of ours, or unresolved */
	uint64_t unresolved; /* the other leg's peer MAC unknown */
	uint64_t tx_full;    /* refused by the full ring towards the generator */
	uint64_t arp_replies;
};

/* pc_bench_dbare_create - configure and start the port for @c (borrowed). Writes *@out.
 * Returns 0 or -errno (named on stderr). Allocates. Setup thread. */
int pc_bench_dbare_create(struct pc_bench_dbare **out, const struct pc_bench_dbare_conf *c);

/* pc_bench_dbare_main - the forwarding loop, a pthread start routine (@arg: the forwarder);
 * runs until pc_bench_dbare_stop(). */
void *pc_bench_dbare_main(void *arg);
void pc_bench_dbare_stop(struct pc_bench_dbare *b);

/* pc_bench_dbare_get_stats - the forwarding thread's counters; after it was joined. */
void pc_bench_dbare_get_stats(const struct pc_bench_dbare *b, struct pc_bench_dbare_stats *st);

/* pc_bench_dbare_destroy - after the thread was joined: drain, stop and close the port. */
void pc_bench_dbare_destroy(struct pc_bench_dbare *b);

#ifdef __cplusplus
}
#endif

#endif /* PC_BENCH_PVT_H */
