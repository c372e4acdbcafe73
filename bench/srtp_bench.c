/* SPDX-License-Identifier: MIT */
/*
 * srtp_bench.c - benchmark "srtp": SRTP protect and unprotect per packet through phonecore's
 * path (struct pc_pkt from a pool, the pc_srtp session API) against calling libsrtp directly
 * (srtp_protect / srtp_unprotect on a plain buffer holding the same packet), in the same run.
 *
 *   srtp/<suite>/<160|1200>/protect    RTP with a 160-octet (G.711, 20 ms) or 1200-octet
 *   srtp/<suite>/<160|1200>/unprotect  (video) payload, for each of the four suites.
 *
 * Both sides get the same keys, the same libsrtp policy (one stream for a listed SSRC, replay
 * window 128) and the same memory shape: 256 buffers of 2 KiB used in turn (ours from a pool,
 * the reference's from one aligned block). Per protect, both reset the length and write the
 * next sequence number (the payload is encrypted again, in place, each time: the cost does not
 * depend on its content). Unprotect needs fresh SRTP packets: a batch of 256 is made by a
 * libsrtp sender of each side's own (not timed), then unprotected (timed).
 * A trial is one batch of 256 packets; ours and the reference's alternate trial by trial (96
 * each per case, 16 with --quick) on one pinned CPU, so that both meet the same load on CPUs
 * shared with other work, and time per packet is the median trial's. Speedup = reference / ours
 * (1.0: the API costs nothing over libsrtp).
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <srtp2/srtp.h>

#include "bench_pvt.h"
#include "pc_pkt.h"
#include "pc_srtp.h"

#define SRTP_SSRC 0x5eed0001u
#define SRTP_BATCH 256u
#define SRTP_BUF 2048u
#define SRTP_TRIALS 96u /* per side and case: one batch of SRTP_BATCH packets each */
#define SRTP_TRIALS_QUICK 16u
#define SRTP_WARMUP 4u

static const char *const ref_name = "libsrtp direct";
static const unsigned payloads[] = { 160, 1200 };

enum srtp_impl {
	IMPL_PC,
	IMPL_DIRECT,
};

enum srtp_op {
	OP_PROTECT,
	OP_UNPROTECT,
};

/* One case's state: a suite and a payload size, both implementations. */
struct srtp_case {
	enum pc_srtp_suite suite;
	unsigned payload;
	size_t plain_len; /* RTP header + payload */
	uint8_t plain[SRTP_BUF];
	/* Ours. */
	struct pc_srtp *tx, *rx;
	struct pc_pkt *pkts[SRTP_BATCH];
	/* The reference. */
	srtp_t dtx, drx;
	uint8_t *bufs; /* SRTP_BATCH * SRTP_BUF */
	/* Senders making the packets each receiver unprotects. */
	srtp_t gen[2];
	uint16_t seq_tx[2]; /* next sequence number to protect, per side */
	uint16_t seq_gen[2];
};

struct srtp_ctx {
	const struct pc_bench_opts *o;
	struct pc_bench_report *report;
	struct pc_pkt_pool *pool;
	unsigned trials;
	int cpu;
	int rc;
};

/* --- setup ------------------------------------------------------------------------------------ */

static void make_key(struct pc_srtp_key *k, enum pc_srtp_suite suite)
{
	memset(k, 0, sizeof(*k));
	k->suite = suite;
	for (unsigned i = 0; i < PC_SRTP_KEY_MAX; i++)
		k->key[i] = (uint8_t)(0x31 + 3 * i);
	for (unsigned i = 0; i < PC_SRTP_SALT_MAX; i++)
		k->salt[i] = (uint8_t)(0xc7 ^ i);
}

/* The reference's session: the policy pc_srtp makes for a listed SSRC. */
static int direct_create(srtp_t *out, const struct pc_srtp_key *k)
{
	const struct pc_srtp_suite_info *si = pc_srtp_suite_info(k->suite);
	uint8_t master[PC_SRTP_KEY_MAX + PC_SRTP_SALT_MAX];
	srtp_policy_t pol;
	srtp_err_status_t st;

	memset(&pol, 0, sizeof(pol));
	switch (k->suite) {
	case PC_SRTP_AES_CM_128_HMAC_SHA1_80:
		srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&pol.rtp);
		srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&pol.rtcp);
		break;
	case PC_SRTP_AES_CM_128_HMAC_SHA1_32:
		srtp_crypto_policy_set_aes_cm_128_hmac_sha1_32(&pol.rtp);
		srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&pol.rtcp);
		break;
	case PC_SRTP_AEAD_AES_128_GCM:
		srtp_crypto_policy_set_aes_gcm_128_16_auth(&pol.rtp);
		srtp_crypto_policy_set_aes_gcm_128_16_auth(&pol.rtcp);
		break;
	default:
		srtp_crypto_policy_set_aes_gcm_256_16_auth(&pol.rtp);
		srtp_crypto_policy_set_aes_gcm_256_16_auth(&pol.rtcp);
		break;
	}
	memcpy(master, k->key, si->key_len);
	memcpy(master + si->key_len, k->salt, si->salt_len);
	pol.ssrc.type = ssrc_specific;
	pol.ssrc.value = SRTP_SSRC;
	pol.key = master;
	pol.window_size = PC_SRTP_WINDOW_DEFAULT;
	st = srtp_create(out, &pol);
	if (st != srtp_err_status_ok) {
		fprintf(stderr, "phonecore bench: srtp: srtp_create(%s): libsrtp error %d\n",
			si->name, (int)st);
		return -EPROTO;
	}
	return 0;
}

static void case_fini(struct srtp_case *c)
{
	pc_srtp_destroy(c->tx);
	pc_srtp_destroy(c->rx);
	if (c->dtx != NULL)
		srtp_dealloc(c->dtx);
	if (c->drx != NULL)
		srtp_dealloc(c->drx);
	for (unsigned i = 0; i < 2; i++)
		if (c->gen[i] != NULL)
			srtp_dealloc(c->gen[i]);
	for (unsigned i = 0; i < SRTP_BATCH; i++)
		if (c->pkts[i] != NULL)
			pc_pkt_pool_free_burst(c->pkts[i]->pool, &c->pkts[i], 1);
	free(c->bufs);
}

static int case_init(struct srtp_case *c, struct pc_pkt_pool *pool, enum pc_srtp_suite suite,
		     unsigned payload)
{
	struct pc_srtp_key k;
	uint32_t ssrc = SRTP_SSRC;
	struct pc_srtp_conf conf;
	int rc;

	memset(c, 0, sizeof(*c));
	c->suite = suite;
	c->payload = payload;
	make_key(&k, suite);
	/* The RTP packet: version 2, PT 0 or 96, the SSRC; sequence numbers written per packet. */
	c->plain[0] = 0x80;
	c->plain[1] = payload > 200 ? 96 : 0;
	c->plain[8] = (uint8_t)(SRTP_SSRC >> 24);
	c->plain[9] = (uint8_t)(SRTP_SSRC >> 16);
	c->plain[10] = (uint8_t)(SRTP_SSRC >> 8);
	c->plain[11] = (uint8_t)SRTP_SSRC;
	for (unsigned i = 0; i < payload; i++)
		c->plain[12 + i] = (uint8_t)(i * 31 + 7);
	c->plain_len = 12 + payload;

	memset(&conf, 0, sizeof(conf));
	conf.out = (struct pc_srtp_dir_conf){ .key = &k, .ssrcs = &ssrc, .n_ssrcs = 1 };
	rc = pc_srtp_create(&c->tx, &conf);
	if (rc == 0) {
		conf.out.key = NULL;
		conf.in = (struct pc_srtp_dir_conf){ .key = &k, .ssrcs = &ssrc, .n_ssrcs = 1 };
		rc = pc_srtp_create(&c->rx, &conf);
	}
	if (rc < 0) {
		fprintf(stderr, "phonecore bench: srtp: pc_srtp_create(%s): %s\n",
			pc_srtp_suite_name(suite), strerror(-rc));
		goto fail;
	}
	rc = direct_create(&c->dtx, &k);
	if (rc == 0)
		rc = direct_create(&c->drx, &k);
	if (rc == 0)
		rc = direct_create(&c->gen[IMPL_PC], &k);
	if (rc == 0)
		rc = direct_create(&c->gen[IMPL_DIRECT], &k);
	if (rc < 0)
		goto fail;
	if (pc_pkt_pool_alloc_burst(pool, c->pkts, SRTP_BATCH) != SRTP_BATCH) {
		fprintf(stderr, "phonecore bench: srtp: the pool ran dry\n");
		rc = -ENOBUFS;
		goto fail;
	}
	c->bufs = aligned_alloc(64, (size_t)SRTP_BATCH * SRTP_BUF);
	if (c->bufs == NULL) {
		rc = -ENOMEM;
		goto fail;
	}
	for (unsigned i = 0; i < SRTP_BATCH; i++) {
		memcpy(pc_pkt_append(c->pkts[i], (uint16_t)c->plain_len), c->plain, c->plain_len);
		memcpy(c->bufs + (size_t)i * SRTP_BUF, c->plain, c->plain_len);
	}
	return 0;

fail:
	case_fini(c);
	memset(c, 0, sizeof(*c));
	return rc;
}

/* --- the timed loops -------------------------------------------------------------------------- */

static inline void put_seq(uint8_t *rtp, uint16_t seq)
{
	rtp[2] = (uint8_t)(seq >> 8);
	rtp[3] = (uint8_t)seq;
}

/* @n packets protected; *@ns receives the time. Returns 0 or -EPROTO (a packet refused). */
static int run_protect(struct srtp_case *c, enum srtp_impl impl, uint32_t n, double *ns)
{
	uint16_t seq = c->seq_tx[impl];
	const uint16_t len = (uint16_t)c->plain_len;
	unsigned bad = 0;
	uint64_t t0, t1;

	if (impl == IMPL_PC) {
		t0 = pc_bench_now_ns();
		for (uint32_t i = 0; i < n; i++) {
			struct pc_pkt *p = c->pkts[i % SRTP_BATCH];

			(void)pc_pkt_set_len(p, len);
			put_seq(pc_pkt_data(p), seq++);
			bad += pc_srtp_protect(c->tx, p) != 0;
		}
		t1 = pc_bench_now_ns();
	} else {
		t0 = pc_bench_now_ns();
		for (uint32_t i = 0; i < n; i++) {
			uint8_t *b = c->bufs + (size_t)(i % SRTP_BATCH) * SRTP_BUF;
			int l = len;

			put_seq(b, seq++);
			bad += srtp_protect(c->dtx, b, &l) != srtp_err_status_ok;
		}
		t1 = pc_bench_now_ns();
	}
	c->seq_tx[impl] = seq;
	*ns = (double)(t1 - t0);
	if (bad != 0) {
		fprintf(stderr, "phonecore bench: srtp: %s protect refused %u of %" PRIu32 "\n",
			impl == IMPL_PC ? "pc_srtp" : ref_name, bad, n);
		return -EPROTO;
	}
	return 0;
}

/* @n packets unprotected, made in batches by the side's own sender (not timed). */
static int run_unprotect(struct srtp_case *c, enum srtp_impl impl, uint32_t n, double *ns)
{
	uint16_t seq = c->seq_gen[impl];
	const uint16_t len = (uint16_t)c->plain_len;
	unsigned bad = 0;
	uint64_t total = 0;

	for (uint32_t done = 0; done < n; done += SRTP_BATCH) {
		uint64_t t0, t1;

		/* Fresh SRTP packets, each in its buffer. */
		for (unsigned i = 0; i < SRTP_BATCH; i++) {
			uint8_t *b = impl == IMPL_PC ? pc_pkt_data(c->pkts[i]) :
						       c->bufs + (size_t)i * SRTP_BUF;
			int l = len;

			memcpy(b, c->plain, len);
			put_seq(b, seq++);
			bad += srtp_protect(c->gen[impl], b, &l) != srtp_err_status_ok;
			if (impl == IMPL_PC)
				(void)pc_pkt_set_len(c->pkts[i], (uint16_t)l);
		}
		if (impl == IMPL_PC) {
			t0 = pc_bench_now_ns();
			for (unsigned i = 0; i < SRTP_BATCH; i++)
				bad += pc_srtp_unprotect(c->rx, c->pkts[i]) != 0;
			t1 = pc_bench_now_ns();
			for (unsigned i = 0; i < SRTP_BATCH; i++)
				bad += pc_pkt_len(c->pkts[i]) != len;
		} else {
			int lens[SRTP_BATCH];

			for (unsigned i = 0; i < SRTP_BATCH; i++)
				lens[i] = len + pc_srtp_suite_info(c->suite)->rtp_trailer;
			t0 = pc_bench_now_ns();
			for (unsigned i = 0; i < SRTP_BATCH; i++)
				bad += srtp_unprotect(c->drx, c->bufs + (size_t)i * SRTP_BUF,
						      &lens[i]) != srtp_err_status_ok;
			t1 = pc_bench_now_ns();
			for (unsigned i = 0; i < SRTP_BATCH; i++)
				bad += lens[i] != len;
		}
		total += t1 - t0;
	}
	c->seq_gen[impl] = seq;
	*ns = (double)total;
	if (bad != 0) {
		fprintf(stderr, "phonecore bench: srtp: %s unprotect refused %u of %" PRIu32 "\n",
			impl == IMPL_PC ? "pc_srtp" : ref_name, bad, n);
		return -EPROTO;
	}
	return 0;
}

static int run_once(struct srtp_case *c, enum srtp_op op, enum srtp_impl impl, uint32_t n,
		    double *ns_per_pkt)
{
	double ns;
	int rc = op == OP_PROTECT ? run_protect(c, impl, n, &ns) : run_unprotect(c, impl, n, &ns);

	*ns_per_pkt = ns / n;
	return rc;
}

/* --- the cases -------------------------------------------------------------------------------- */

static int case_trials(struct srtp_ctx *ctx, struct srtp_case *c, enum srtp_op op)
{
	double o[SRTP_TRIALS], r[SRTP_TRIALS], scratch;
	unsigned n = ctx->trials, q = n / 4;
	char name[96];
	int rc = 0;

	snprintf(name, sizeof(name), "srtp/%s/%u/%s", pc_srtp_suite_name(c->suite), c->payload,
		 op == OP_PROTECT ? "protect" : "unprotect");
	/* Warm-up, then the trials, one batch each, alternating which side goes first. */
	for (unsigned w = 0; rc == 0 && w < SRTP_WARMUP; w++) {
		rc = run_once(c, op, IMPL_PC, SRTP_BATCH, &scratch);
		if (rc == 0)
			rc = run_once(c, op, IMPL_DIRECT, SRTP_BATCH, &scratch);
	}
	for (unsigned t = 0; rc == 0 && t < n; t++) {
		enum srtp_impl first = t % 2 ? IMPL_DIRECT : IMPL_PC;
		enum srtp_impl second = t % 2 ? IMPL_PC : IMPL_DIRECT;

		rc = run_once(c, op, first, SRTP_BATCH, first == IMPL_PC ? &o[t] : &r[t]);
		if (rc == 0)
			rc = run_once(c, op, second, SRTP_BATCH, second == IMPL_PC ? &o[t] : &r[t]);
	}
	if (rc < 0)
		return rc;
	rc = pc_bench_report_row(ctx->report, name, "ns_per_packet", "ns", PC_BENCH_LOWER_BETTER,
				 pc_bench_median(o, n), ref_name, pc_bench_median(r, n));
	if (rc < 0)
		return rc;
	/* pc_bench_median sorted both. The quartiles: single trials are short (a batch), and on
	 * shared CPUs some are preempted; the median and the middle half ignore those. */
	return pc_bench_report_note(ctx->report,
				    "%s: trials p25-p75 %.0f-%.0f ns (ours), %.0f-%.0f ns (%s)%s",
				    name, o[q], o[n - 1 - q], r[q], r[n - 1 - q], ref_name,
				    pc_bench_unsteady(o + q, r + q, n - 2 * q));
}

static void *srtp_bench_thread(void *arg)
{
	struct srtp_ctx *ctx = arg;
	struct srtp_case *c = malloc(sizeof(*c));

	if (c == NULL) {
		ctx->rc = -ENOMEM;
		return NULL;
	}
	for (unsigned s = 0; ctx->rc == 0 && s < PC_SRTP_SUITES; s++) {
		for (size_t z = 0; ctx->rc == 0 && z < sizeof(payloads) / sizeof(payloads[0]);
		     z++) {
			ctx->rc = case_init(c, ctx->pool, (enum pc_srtp_suite)s, payloads[z]);
			if (ctx->rc < 0)
				break;
			ctx->rc = case_trials(ctx, c, OP_PROTECT);
			if (ctx->rc == 0)
				ctx->rc = case_trials(ctx, c, OP_UNPROTECT);
			case_fini(c);
		}
	}
	free(c);
	return NULL;
}

int pc_bench_srtp_run(const struct pc_bench_opts *o)
{
	struct pc_pkt_pool_params pp = {
		.name = "bench-srtp",
		.count = 2 * SRTP_BATCH,
		.flags = PC_PKT_POOL_F_NO_HUGEPAGE,
	};
	struct srtp_ctx ctx = { .o = o };
	const char *nss;
	int cpu_b, rc;
	pthread_t t;

	ctx.trials = o->quick ? SRTP_TRIALS_QUICK : SRTP_TRIALS;
	rc = pc_bench_cpus(o, &ctx.cpu, &cpu_b);
	if (rc < 0)
		return rc;
	rc = pc_srtp_init();
	if (rc < 0) {
		fprintf(stderr, "phonecore bench: srtp: srtp_init failed\n");
		return rc;
	}
	rc = pc_bench_report_create(&ctx.report, "srtp", o);
	if (rc < 0)
		return rc;
	rc = pc_pkt_pool_create(&ctx.pool, &pp);
	if (rc < 0) {
		fprintf(stderr, "phonecore bench: srtp: pc_pkt_pool_create: %s\n", strerror(-rc));
		goto out_report;
	}
	rc = pc_bench_report_note(
		ctx.report,
		"%s; one thread pinned to CPU %d; per case and side %u trials of %u "
		"packets, the two sides alternating trial by trial; median; the SSRC "
		"listed (no stream cloned on the path)",
		srtp_get_version_string(), ctx.cpu, ctx.trials, SRTP_BATCH);
	if (rc < 0)
		goto out_pool;
	/* PC_SRTP_BACKEND: the library cmake/PcSrtp.cmake linked (OpenSSL build, or Debian's). */
	nss = PC_SRTP_BACKEND_OPENSSL ? "" : ", which allocates inside each call";
	rc = pc_bench_report_note(ctx.report,
				  "libsrtp linked: %s%s; both sides call that same library: the "
				  "ratio is our API's cost",
				  PC_SRTP_BACKEND, nss);
	if (rc < 0)
		goto out_pool;
	rc = pc_bench_thread_start(&t, ctx.cpu, srtp_bench_thread, &ctx);
	if (rc < 0)
		goto out_pool;
	pthread_join(t, NULL);
	rc = ctx.rc;
	if (rc == 0)
		rc = pc_bench_report_finish(ctx.report);
out_pool:
	pc_pkt_pool_destroy(ctx.pool);
out_report:
	pc_bench_report_destroy(ctx.report);
	return rc;
}
