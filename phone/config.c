/* SPDX-License-Identifier: MIT */
/*
 * config.c - the VP530-style configuration of pc_config.h: the table of known keys, the parser
 * (bounded by the buffer's length, no NUL needed), the layered store and the getters.
 *
 * A buffer is read twice: the first pass checks every line and reports the unknown keys, the
 * second applies it, so that a buffer with an error changes nothing.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pc_config.h"

/* --- the table of known keys ------------------------------------------------------------------ */

enum pc_cfg_type {
	PC_CFG_STR,
	PC_CFG_INT,   /* decimal integer in [min, max] */
	PC_CFG_ONEOF, /* decimal integer, one of set[] */
	PC_CFG_BOOL,  /* 0 or 1 */
	PC_CFG_SECS,  /* decimal seconds in [dmin, dmax] */
	PC_CFG_WORD,  /* one of words[] */
	PC_CFG_IPV4,  /* dotted quad */
};

struct pc_cfg_key {
	const char *name; /* the key, or its tail after account.X. (codec.N., sip_server.N.) */
	enum pc_cfg_type type;
	const char *def;	  /* default text; NULL: "" */
	const char *const *def_n; /* per codec (server) N defaults, N - 1 indexed, or NULL */
	int64_t min, max;
	double dmin, dmax;
	const int64_t *set;
	unsigned nset;
	const char *const *words; /* NULL-terminated */
};

#define PC_CFG_N(a) (sizeof(a) / sizeof((a)[0]))
/* clang-format off */
#define K_STR(n, d) { .name = (n), .type = PC_CFG_STR, .def = (d) }
#define K_INT(n, d, lo, hi) \
	{ .name = (n), .type = PC_CFG_INT, .def = (d), .min = (lo), .max = (hi) }
#define K_BOOL(n, d) { .name = (n), .type = PC_CFG_BOOL, .def = (d), .min = 0, .max = 1 }
#define K_ONEOF(n, d, s) \
	{ .name = (n), .type = PC_CFG_ONEOF, .def = (d), .set = (s), .nset = PC_CFG_N(s) }
#define K_SECS(n, d, lo, hi) \
	{ .name = (n), .type = PC_CFG_SECS, .def = (d), .dmin = (lo), .dmax = (hi) }
#define K_WORD(n, d, w) { .name = (n), .type = PC_CFG_WORD, .def = (d), .words = (w) }
#define K_IPV4(n, d) { .name = (n), .type = PC_CFG_IPV4, .def = (d) }
/* clang-format on */

static const int64_t pc_cfg_ptimes[] = { 10, 20, 30, 40, 50, 60 };
/* The reject codes the Yealink guides list for normal_refuse_code and dnd_refuse_code. */
static const int64_t pc_cfg_refuse_codes[] = { 404, 480, 486, 603 };
static const char *const pc_cfg_io_words[] = { "sockets", "uring", "dpdk", NULL };
static const char *const pc_cfg_idle_words[] = { "poll", "sleep", NULL };
static const int64_t pc_cfg_opus_rates[] = { 8000, 12000, 16000, 24000, 48000 };
static const char *const pc_cfg_x264_presets[] = { "ultrafast", "superfast", "veryfast", "faster",
						   "fast",	"medium",    NULL };
static const char *const pc_cfg_h264_profiles[] = { "baseline", "main", "high", NULL };
static const int64_t pc_cfg_voice_rates[] = { 8000, 16000 };

/*
 * The codec list: PCMU 0, PCMA 8, G729 18, G722 9 on by default (VP530.md); slots 5..8 are
 * spare, off, with no payload type until one is configured.
 */
static const char *const pc_cfg_codec_enable[PC_CONFIG_CODECS] = {
	"1", "1", "1", "1", "0", "0", "0", "0",
};
static const char *const pc_cfg_codec_pt[PC_CONFIG_CODECS] = {
	"0", "8", "18", "9", "", "", "", "",
};
static const char *const pc_cfg_codec_prio[PC_CONFIG_CODECS] = {
	"1", "2", "3", "4", "0", "0", "0", "0",
};
static const char *const pc_cfg_codec_rtpmap[PC_CONFIG_CODECS] = {
	"PCMU", "PCMA", "G729", "G722", "", "", "", "",
};

/* account.X.<name>: ranges from the VP530 table, else from the Yealink v70 guides. */
static const struct pc_cfg_key pc_cfg_account_keys[] = {
	K_BOOL("enable", "0"),
	K_STR("label", ""),
	K_STR("display_name", ""),
	K_STR("user_name", ""),
	K_STR("auth_name", ""),
	K_STR("password", ""),
	K_STR("sip_server_host", ""),
	K_INT("sip_server_port", "5060", 1, 65535),
	K_INT("sip_listen_port", "5060", 1, 65535),
	K_INT("transport", "0", 0, 3),
	K_BOOL("outbound_proxy_enable", "0"),
	K_STR("outbound_host", ""),
	K_INT("outbound_port", "5060", 1, 65535),
	K_INT("expires", "3600", 30, 2147483647),
	K_INT("reg_fail_retry_interval", "30", 0, 1800),
	K_ONEOF("ptime", "20", pc_cfg_ptimes),
	K_INT("srtp_encryption", "0", 0, 2),
	K_INT("dtmf.type", "1", 0, 3),
	K_INT("dtmf.dtmf_payload", "101", 96, 255),
	K_BOOL("auto_answer", "0"),
	K_BOOL("always_fwd.enable", "0"),
	K_STR("always_fwd.target", ""),
	K_BOOL("busy_fwd.enable", "0"),
	K_STR("busy_fwd.target", ""),
	K_BOOL("timeout_fwd.enable", "0"),
	K_STR("timeout_fwd.target", ""),
	K_INT("timeout_fwd.timeout", "2", 0, 20),
	K_BOOL("dnd.enable", "0"),
	K_BOOL("session_timer.enable", "0"),
	K_INT("session_timer.expires", "1800", 90, 7200),
	K_INT("session_timer.refresher", "0", 0, 1),
	K_SECS("advanced.timer_t1", "0.5", 0.5, 10),
	K_SECS("advanced.timer_t2", "4", 2, 40),
	K_SECS("advanced.timer_t4", "5", 2.5, 60),
	K_BOOL("nat.rport", "0"),
	K_INT("nat.udp_update_enable", "1", 0, 2),
	K_INT("nat.udp_update_time", "30", 15, 2147483647),
	K_INT("conf_type", "0", 0, 1),
};

/* account.X.codec.N.<name> */
static const struct pc_cfg_key pc_cfg_codec_keys[] = {
	{ .name = "enable", .type = PC_CFG_BOOL, .max = 1, .def_n = pc_cfg_codec_enable },
	{ .name = "payload_type", .type = PC_CFG_INT, .max = 127, .def_n = pc_cfg_codec_pt },
	{ .name = "priority", .type = PC_CFG_INT, .max = 10, .def_n = pc_cfg_codec_prio },
	{ .name = "rtpmap", .type = PC_CFG_STR, .def_n = pc_cfg_codec_rtpmap },
};

/* account.X.sip_server.N.<name> */
static const struct pc_cfg_key pc_cfg_sipsrv_keys[] = {
	K_INT("expires", "3600", 30, 2147483647),
};

/* Keys outside the accounts, and phonecore's own. */
static const struct pc_cfg_key pc_cfg_global_keys[] = {
	K_ONEOF("features.normal_refuse_code", "486", pc_cfg_refuse_codes),
	K_ONEOF("features.dnd_refuse_code", "480", pc_cfg_refuse_codes),
	K_BOOL("features.conference_enable", "1"),
	K_BOOL("call_waiting.enable", "1"),
	K_BOOL("call_waiting.tone", "1"),
	K_BOOL("transfer.semi_attend_tran_enable", "1"),
	K_BOOL("sip.rfc2543_hold", "0"),
	K_BOOL("voice.echo_cancellation", "1"),
	K_BOOL("voice.vad", "0"),
	K_BOOL("voice.cng", "1"),
	K_BOOL("voice.jib.adaptive", "1"),
	K_INT("voice.jib.min", "0", 0, 1000),
	K_INT("voice.jib.max", "300", 0, 1000),
	K_INT("voice.jib.normal", "120", 0, 1000),
	K_INT("network.port.min_rtpport", "11780", 1, 65535),
	K_INT("network.port.max_rtpport", "11800", 1, 65535),
	K_INT("network.qos.rtptos", "40", 0, 63),
	K_INT("network.qos.signaltos", "26", 0, 63),
	K_WORD("phonecore.media.io", "uring", pc_cfg_io_words),
	K_STR("phonecore.media.dpdk.eal_args", "--no-huge --no-pci --vdev=net_ring0"),
	K_IPV4("phonecore.media.dpdk.ipv4", "10.0.0.1"),
	K_INT("phonecore.media.pool_pkts", "16384", 1024, 1048576),
	K_INT("phonecore.media.burst", "32", 1, 64),
	K_INT("phonecore.media.uring_zc_min", "0", 0, 65535),
	K_INT("phonecore.media.cpu", "-1", -1, 1023),
	K_WORD("phonecore.media.idle", "sleep", pc_cfg_idle_words),
	K_INT("phonecore.media.max_streams", "1024", 1, 100000),
	K_INT("phonecore.voice.jib.late_cost_ms", "10", 0, 1000),
	K_INT("phonecore.audio.opus.bitrate", "24000", 6000, 510000),
	K_BOOL("phonecore.audio.opus.fec", "1"),
	K_BOOL("phonecore.audio.opus.dtx", "0"),
	K_INT("phonecore.audio.opus.loss_pct", "10", 0, 100),
	K_INT("phonecore.audio.opus.complexity", "10", 1, 10),
	K_ONEOF("phonecore.audio.opus.pcm_rate", "48000", pc_cfg_opus_rates),
	K_INT("phonecore.video.width", "1280", 16, 4096),
	K_INT("phonecore.video.height", "720", 16, 2304),
	K_INT("phonecore.video.fps", "30", 1, 120),
	K_INT("phonecore.video.bitrate", "2000", 50, 100000),
	K_WORD("phonecore.video.preset", "ultrafast", pc_cfg_x264_presets),
	K_WORD("phonecore.video.profile", "baseline", pc_cfg_h264_profiles),
	K_INT("phonecore.video.threads", "1", 1, 16),
	K_INT("phonecore.video.keyint", "300", 0, 100000),
	K_BOOL("phonecore.video.intra_refresh", "0"),
	K_INT("phonecore.video.slice_max_size", "1200", 0, 65535),
	K_INT("phonecore.video.vbv_frames", "1", 1, 1000),
	K_INT("phonecore.video.decoder_threads", "1", 1, 16),
	K_ONEOF("phonecore.voice.rate", "16000", pc_cfg_voice_rates),
	K_INT("phonecore.voice.aec.tail_ms", "250", 20, 500),
	K_INT("phonecore.voice.aec.frame_ms", "10", 10, 60),
	K_INT("phonecore.voice.aec.max_delay_ms", "320", 0, 500),
	K_INT("phonecore.voice.aec.suppress_db", "-50", -90, -1),
	K_INT("phonecore.voice.aec.suppress_dt_db", "-25", -90, -1),
	K_INT("phonecore.voice.noise_suppress_db", "-15", -90, -1),
	K_BOOL("phonecore.voice.agc", "0"),
	K_IPV4("phonecore.sip.listen_ip", "127.0.0.1"),
	K_INT("phonecore.sip.ring_ms", "6000", 100, 60000),
	K_STR("phonecore.sip.tls_cert", ""),
	K_STR("phonecore.sip.tls_key", ""),
	K_STR("phonecore.sip.tls_ca", ""),
	K_BOOL("phonecore.sip.tls_verify", "1"),
	K_INT("phonecore.sip.tls_port", "0", 0, 65535),
};

/*
 * Slots: account X's block holds its own keys, then codec 1..N's, then SIP server 1..N's; the
 * four blocks come first, the global keys after them.
 */
#define PC_CFG_NACC PC_CFG_N(pc_cfg_account_keys)
#define PC_CFG_NCODEC PC_CFG_N(pc_cfg_codec_keys)
#define PC_CFG_NSRV PC_CFG_N(pc_cfg_sipsrv_keys)
#define PC_CFG_NGLOBAL PC_CFG_N(pc_cfg_global_keys)
#define PC_CFG_BLOCK \
	(PC_CFG_NACC + PC_CONFIG_CODECS * PC_CFG_NCODEC + PC_CONFIG_SIP_SERVERS * PC_CFG_NSRV)
#define PC_CFG_NKNOWN (PC_CONFIG_ACCOUNTS * PC_CFG_BLOCK + PC_CFG_NGLOBAL)
#define PC_CFG_KEY_NAME_MAX 96 /* longest known key: account.4.codec.8.payload_type */

enum pc_cfg_kind { PC_CFG_GLOBAL, PC_CFG_ACCOUNT, PC_CFG_CODEC, PC_CFG_SIPSRV };

struct pc_cfg_slot {
	const struct pc_cfg_key *k;
	enum pc_cfg_kind kind;
	unsigned acc; /* 1-based, account keys */
	unsigned n;   /* 1-based, codec and SIP server keys */
};

static void slot_decode(unsigned slot, struct pc_cfg_slot *s)
{
	unsigned i;

	s->acc = s->n = 0;
	if (slot >= PC_CONFIG_ACCOUNTS * PC_CFG_BLOCK) {
		s->kind = PC_CFG_GLOBAL;
		s->k = &pc_cfg_global_keys[slot - PC_CONFIG_ACCOUNTS * PC_CFG_BLOCK];
		return;
	}
	s->acc = slot / PC_CFG_BLOCK + 1;
	i = slot % PC_CFG_BLOCK;
	if (i < PC_CFG_NACC) {
		s->kind = PC_CFG_ACCOUNT;
		s->k = &pc_cfg_account_keys[i];
		return;
	}
	i -= PC_CFG_NACC;
	if (i < PC_CONFIG_CODECS * PC_CFG_NCODEC) {
		s->kind = PC_CFG_CODEC;
		s->n = i / PC_CFG_NCODEC + 1;
		s->k = &pc_cfg_codec_keys[i % PC_CFG_NCODEC];
		return;
	}
	i -= PC_CONFIG_CODECS * PC_CFG_NCODEC;
	s->kind = PC_CFG_SIPSRV;
	s->n = i / PC_CFG_NSRV + 1;
	s->k = &pc_cfg_sipsrv_keys[i % PC_CFG_NSRV];
}

static void slot_name(const struct pc_cfg_slot *s, char *buf, size_t len)
{
	switch (s->kind) {
	case PC_CFG_GLOBAL:
		snprintf(buf, len, "%s", s->k->name);
		break;
	case PC_CFG_ACCOUNT:
		snprintf(buf, len, "account.%u.%s", s->acc, s->k->name);
		break;
	case PC_CFG_CODEC:
		snprintf(buf, len, "account.%u.codec.%u.%s", s->acc, s->n, s->k->name);
		break;
	case PC_CFG_SIPSRV:
		snprintf(buf, len, "account.%u.sip_server.%u.%s", s->acc, s->n, s->k->name);
		break;
	}
}

static const char *slot_default(const struct pc_cfg_slot *s)
{
	if (s->k->def_n != NULL)
		return s->k->def_n[s->n - 1];
	return s->k->def != NULL ? s->k->def : "";
}

static int find_key(const struct pc_cfg_key *t, size_t nt, const char *k, size_t len)
{
	for (size_t i = 0; i < nt; i++)
		if (strlen(t[i].name) == len && memcmp(t[i].name, k, len) == 0)
			return (int)i;
	return -1;
}

/* Eats "D." with D in 1..max, no leading zero; returns D, or 0 when it is not there. */
static unsigned eat_index(const char **k, size_t *len, unsigned max)
{
	const char *p = *k;
	size_t n = *len;
	unsigned v = 0, digits = 0;

	if (n == 0 || p[0] == '0')
		return 0;
	while (n > 0 && p[0] >= '0' && p[0] <= '9' && digits < 4) {
		v = v * 10 + (unsigned)(p[0] - '0');
		p++;
		n--;
		digits++;
	}
	if (digits == 0 || n == 0 || p[0] != '.' || v > max)
		return 0;
	*k = p + 1;
	*len = n - 1;
	return v;
}

static int has_prefix(const char *k, size_t len, const char *prefix)
{
	size_t n = strlen(prefix);

	return len >= n && memcmp(k, prefix, n) == 0;
}

/* The slot of the known key @k (@len bytes), or -1. */
static int known_slot(const char *k, size_t len)
{
	unsigned acc, n, base;
	int i;

	if (!has_prefix(k, len, "account.")) {
		i = find_key(pc_cfg_global_keys, PC_CFG_NGLOBAL, k, len);
		return i < 0 ? -1 : (int)(PC_CONFIG_ACCOUNTS * PC_CFG_BLOCK) + i;
	}
	k += 8;
	len -= 8;
	acc = eat_index(&k, &len, PC_CONFIG_ACCOUNTS);
	if (acc == 0)
		return -1;
	base = (acc - 1) * PC_CFG_BLOCK;
	if (has_prefix(k, len, "codec.")) {
		k += 6;
		len -= 6;
		n = eat_index(&k, &len, PC_CONFIG_CODECS);
		i = n == 0 ? -1 : find_key(pc_cfg_codec_keys, PC_CFG_NCODEC, k, len);
		if (i < 0)
			return -1;
		return (int)(base + PC_CFG_NACC + (n - 1) * PC_CFG_NCODEC) + i;
	}
	if (has_prefix(k, len, "sip_server.")) {
		k += 11;
		len -= 11;
		n = eat_index(&k, &len, PC_CONFIG_SIP_SERVERS);
		i = n == 0 ? -1 : find_key(pc_cfg_sipsrv_keys, PC_CFG_NSRV, k, len);
		if (i < 0)
			return -1;
		return (int)(base + PC_CFG_NACC + PC_CONFIG_CODECS * PC_CFG_NCODEC +
			     (n - 1) * PC_CFG_NSRV) +
		       i;
	}
	i = find_key(pc_cfg_account_keys, PC_CFG_NACC, k, len);
	return i < 0 ? -1 : (int)base + i;
}

/* --- values ---------------------------------------------------------------------------------- */

static int is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* A decimal integer with an optional sign: 0, -EINVAL (not one), -ERANGE (beyond 18 digits). */
static int parse_int(const char *s, size_t n, int64_t *out)
{
	int neg = 0;
	int64_t v = 0;
	size_t i = 0;

	if (n > 0 && (s[0] == '-' || s[0] == '+')) {
		neg = s[0] == '-';
		i = 1;
	}
	if (i == n)
		return -EINVAL;
	for (size_t j = i; j < n; j++)
		if (!is_digit(s[j]))
			return -EINVAL;
	while (i < n && s[i] == '0')
		i++;
	if (n - i > 18) /* < 10^18: no overflow below */
		return -ERANGE;
	for (; i < n; i++)
		v = v * 10 + (s[i] - '0');
	*out = neg ? -v : v;
	return 0;
}

/* Decimal seconds, [0-9]+(.[0-9]+)?: 0, -EINVAL, -ERANGE (more than 12 integer digits). */
static int parse_secs(const char *s, size_t n, double *out)
{
	uint64_t whole = 0, frac = 0, scale = 1;
	size_t i = 0, int_digits = 0;

	for (; i < n && is_digit(s[i]); i++) {
		if (int_digits == 0 && s[i] == '0')
			continue;
		if (++int_digits > 12)
			return -ERANGE;
		whole = whole * 10 + (uint64_t)(s[i] - '0');
	}
	if (i == 0)
		return -EINVAL;
	if (i < n) {
		if (s[i] != '.' || i + 1 == n)
			return -EINVAL;
		for (size_t j = i + 1; j < n; j++) {
			if (!is_digit(s[j]))
				return -EINVAL;
			if (j - i <= 9) { /* finer than a nanosecond does not count */
				frac = frac * 10 + (uint64_t)(s[j] - '0');
				scale *= 10;
			}
		}
	}
	/* Both parts are exact in a double: one rounding, in the division. */
	*out = (double)whole + (double)frac / (double)scale;
	return 0;
}

/* A dotted quad of decimal octets without leading zeros. */
static int parse_ipv4(const char *s, size_t n)
{
	size_t i = 0;

	for (int part = 0; part < 4; part++) {
		unsigned v = 0, digits = 0;

		if (part > 0) {
			if (i == n || s[i] != '.')
				return -EINVAL;
			i++;
		}
		while (i < n && is_digit(s[i]) && digits < 4) {
			v = v * 10 + (unsigned)(s[i] - '0');
			i++;
			digits++;
		}
		if (digits == 0 || digits > 3 || v > 255 || (digits > 1 && s[i - digits] == '0'))
			return -EINVAL;
	}
	return i == n ? 0 : -EINVAL;
}

static int word_index(const char *const *words, const char *s, size_t n)
{
	for (int i = 0; words[i] != NULL; i++)
		if (strlen(words[i]) == n && memcmp(words[i], s, n) == 0)
			return i;
	return -1;
}

/* What the key @k allows, for error messages. */
static void allowed(const struct pc_cfg_key *k, char *buf, size_t len)
{
	size_t at;

	switch (k->type) {
	case PC_CFG_STR:
		snprintf(buf, len, "text");
		break;
	case PC_CFG_INT:
		snprintf(buf, len, "an integer in %lld..%lld", (long long)k->min,
			 (long long)k->max);
		break;
	case PC_CFG_BOOL:
		snprintf(buf, len, "0 or 1");
		break;
	case PC_CFG_SECS:
		snprintf(buf, len, "decimal seconds in %g..%g", k->dmin, k->dmax);
		break;
	case PC_CFG_IPV4:
		snprintf(buf, len, "a dotted IPv4 address");
		break;
	case PC_CFG_ONEOF:
	case PC_CFG_WORD:
		at = (size_t)snprintf(buf, len, "one of ");
		for (unsigned i = 0; at < len; i++) {
			if (k->type == PC_CFG_ONEOF && i == k->nset)
				break;
			if (k->type == PC_CFG_WORD && k->words[i] == NULL)
				break;
			if (k->type == PC_CFG_ONEOF)
				at += (size_t)snprintf(buf + at, len - at, "%s%lld", i ? ", " : "",
						       (long long)k->set[i]);
			else
				at += (size_t)snprintf(buf + at, len - at, "%s%s", i ? ", " : "",
						       k->words[i]);
		}
		break;
	}
}

/* 0 when @s (@n bytes, not empty) is a value of @k; -EINVAL not of its type, -ERANGE outside. */
static int check_value(const struct pc_cfg_key *k, const char *s, size_t n)
{
	int64_t v;
	double d;
	int rc;

	switch (k->type) {
	case PC_CFG_STR:
		return 0;
	case PC_CFG_BOOL:
		return n == 1 && (s[0] == '0' || s[0] == '1') ? 0 : -EINVAL;
	case PC_CFG_INT:
		rc = parse_int(s, n, &v);
		if (rc < 0)
			return rc;
		return v < k->min || v > k->max ? -ERANGE : 0;
	case PC_CFG_ONEOF:
		rc = parse_int(s, n, &v);
		if (rc < 0)
			return rc;
		for (unsigned i = 0; i < k->nset; i++)
			if (k->set[i] == v)
				return 0;
		return -ERANGE;
	case PC_CFG_SECS:
		rc = parse_secs(s, n, &d);
		if (rc < 0)
			return rc;
		return d < k->dmin || d > k->dmax ? -ERANGE : 0;
	case PC_CFG_WORD:
		return word_index(k->words, s, n) < 0 ? -EINVAL : 0;
	case PC_CFG_IPV4:
		return parse_ipv4(s, n);
	}
	return -EINVAL;
}

/* --- the store ------------------------------------------------------------------------------- */

#define PC_CFG_SRC_CMDLINE 0u /* else 1 + the index in files[] */

struct pc_cfg_val {
	char *text; /* NULL: not set, the default applies */
	uint32_t src;
	uint32_t line;
};

struct pc_cfg_unknown {
	char *key;
	struct pc_cfg_val v;
};

struct pc_config {
	pc_config_warn_h warn;
	void *warn_arg;
	unsigned nwarn;
	unsigned nfiles;
	unsigned nunknown;
	char *files[PC_CONFIG_MAX_FILES];
	struct pc_cfg_unknown unknown[PC_CONFIG_MAX_UNKNOWN];
	struct pc_cfg_val known[PC_CFG_NKNOWN];
};

int pc_config_create(struct pc_config **out, pc_config_warn_h warn, void *arg)
{
	struct pc_config *cfg = calloc(1, sizeof(*cfg));

	if (cfg == NULL)
		return -ENOMEM;
	cfg->warn = warn;
	cfg->warn_arg = arg;
	*out = cfg;
	return 0;
}

void pc_config_destroy(struct pc_config *cfg)
{
	if (cfg == NULL)
		return;
	for (unsigned i = 0; i < PC_CFG_NKNOWN; i++)
		free(cfg->known[i].text);
	for (unsigned i = 0; i < cfg->nunknown; i++) {
		free(cfg->unknown[i].key);
		free(cfg->unknown[i].v.text);
	}
	for (unsigned i = 0; i < cfg->nfiles; i++)
		free(cfg->files[i]);
	free(cfg);
}

unsigned pc_config_warning_count(const struct pc_config *cfg)
{
	return cfg->nwarn;
}

static int store(struct pc_cfg_val *v, const char *s, size_t n, uint32_t src, uint32_t line)
{
	char *text = malloc(n + 1);

	if (text == NULL)
		return -ENOMEM;
	memcpy(text, s, n);
	text[n] = '\0';
	free(v->text);
	v->text = text;
	v->src = src;
	v->line = line;
	return 0;
}

/* The index of the unknown key @k (@len bytes) in unknown[], or -1. */
static int find_unknown(const struct pc_config *cfg, const char *k, size_t len)
{
	for (unsigned i = 0; i < cfg->nunknown; i++) {
		const char *key = cfg->unknown[i].key;

		if (strncmp(key, k, len) == 0 && key[len] == '\0')
			return (int)i;
	}
	return -1;
}

/* --- messages -------------------------------------------------------------------------------- */

/* Writes "NAME:LINE: " (LINE 0: "NAME: ") and the formatted rest to @dst. */
__attribute__((format(printf, 5, 6))) static void report(char *dst, size_t dlen, const char *name,
							 unsigned line, const char *fmt, ...)
{
	va_list ap;
	int at;

	if (dst == NULL || dlen == 0)
		return;
	if (line > 0)
		at = snprintf(dst, dlen, "%s:%u: ", name, line);
	else
		at = snprintf(dst, dlen, "%s: ", name);
	if (at < 0 || (size_t)at >= dlen)
		return;
	va_start(ap, fmt);
	vsnprintf(dst + at, dlen - (size_t)at, fmt, ap);
	va_end(ap);
}

/* Copies @s (@n bytes) for a message: at most @max bytes, non-printable bytes as '?'. */
static void shown(char *dst, size_t dlen, const char *s, size_t n, size_t max)
{
	size_t i, cut = n > max ? max : n;

	for (i = 0; i < cut && i + 4 < dlen; i++)
		dst[i] = s[i] >= 0x20 && s[i] < 0x7f ? s[i] : '?';
	if (cut < n && i + 4 < dlen) {
		memcpy(dst + i, "...", 3);
		i += 3;
	}
	dst[i] = '\0';
}

/* --- the parser ------------------------------------------------------------------------------ */

struct pc_cfg_reader {
	const char *p, *end;
	unsigned line;
};

/* The next line without its LF and a CR before it; false at the end of the buffer. */
static bool next_line(struct pc_cfg_reader *r, const char **s, size_t *n)
{
	const char *nl;

	if (r->p == r->end)
		return false;
	nl = memchr(r->p, '\n', (size_t)(r->end - r->p));
	*s = r->p;
	*n = (size_t)((nl != NULL ? nl : r->end) - r->p);
	r->p = nl != NULL ? nl + 1 : r->end;
	if (*n > 0 && (*s)[*n - 1] == '\r')
		(*n)--;
	r->line++;
	return true;
}

static int is_blank(char c)
{
	return c == ' ' || c == '\t';
}

static int is_key_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || is_digit(c) || c == '_' ||
	       c == '.';
}

static int key_ok(const char *k, size_t n)
{
	if (n == 0)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!is_key_char(k[i]))
			return 0;
	return 1;
}

/* The offset of the first control byte (not tab) of @s, or @n. */
static size_t control_at(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (((unsigned char)s[i] < 0x20 && s[i] != '\t') || s[i] == 0x7f)
			break;
	return i;
}

struct pc_cfg_line {
	const char *key, *val;
	size_t klen, vlen;
};

/*
 * Parses one line (@n bytes, no line end). Returns 0 with the key and value in *@l, 1 for a blank
 * or comment line, or -EBADMSG with the reason in @why.
 */
static int parse_line(const char *s, size_t n, struct pc_cfg_line *l, char *why, size_t wlen)
{
	const char *eq, *v, *end = s + n;
	char show[80];
	size_t i = 0, c;

	if (n > PC_CONFIG_LINE_MAX) {
		snprintf(why, wlen, "line longer than %u bytes", PC_CONFIG_LINE_MAX);
		return -EBADMSG;
	}
	if (memchr(s, '\0', n) != NULL) {
		snprintf(why, wlen, "NUL byte in the line");
		return -EBADMSG;
	}
	while (i < n && is_blank(s[i]))
		i++;
	if (i == n || s[i] == '#')
		return 1;
	eq = memchr(s + i, '=', n - i);
	if (eq == NULL) {
		snprintf(why, wlen, "missing '=' (expected key = value)");
		return -EBADMSG;
	}
	l->key = s + i;
	l->klen = (size_t)(eq - l->key);
	while (l->klen > 0 && is_blank(l->key[l->klen - 1]))
		l->klen--;
	if (!key_ok(l->key, l->klen)) {
		shown(show, sizeof(show), l->key, l->klen, 64);
		snprintf(why, wlen, "bad key '%s' (a key is letters, digits, '_' and '.')", show);
		return -EBADMSG;
	}

	v = eq + 1;
	while (v < end && is_blank(*v))
		v++;
	if (v < end && *v == '"') {
		const char *close = memchr(v + 1, '"', (size_t)(end - v - 1));
		const char *t;

		if (close == NULL) {
			snprintf(why, wlen, "bad quoted value: no closing '\"'");
			return -EBADMSG;
		}
		for (t = close + 1; t < end && is_blank(*t); t++)
			;
		if (t < end && *t != '#') {
			snprintf(why, wlen, "bad quoted value: text after the closing '\"'");
			return -EBADMSG;
		}
		l->val = v + 1;
		l->vlen = (size_t)(close - l->val);
	} else {
		const char *t;

		/* A '#' that starts the value or follows a blank begins a comment. */
		for (t = v; t < end; t++)
			if (*t == '#' && (t == v || is_blank(t[-1])))
				break;
		while (t > v && is_blank(t[-1]))
			t--;
		l->val = v;
		l->vlen = (size_t)(t - v);
	}
	c = control_at(l->val, l->vlen);
	if (c < l->vlen) {
		snprintf(why, wlen, "control byte 0x%02x in the value", (unsigned char)l->val[c]);
		return -EBADMSG;
	}
	return 0;
}

/* An empty value of a known key that is not a string sets nothing. */
static int sets_nothing(int slot, size_t vlen)
{
	struct pc_cfg_slot s;

	if (slot < 0 || vlen > 0)
		return 0;
	slot_decode((unsigned)slot, &s);
	return s.k->type != PC_CFG_STR;
}

/*
 * Checks one assignment from @name (line @line; 0: the command line). Returns 0 and *@slot (-1:
 * unknown key; then a warning is reported), 1 when there is nothing to set (an empty value of a
 * key that is not a string), or -EINVAL / -ERANGE with the error in @err.
 */
static int check_assignment(struct pc_config *cfg, const char *name, unsigned line,
			    const struct pc_cfg_line *l, int *slot, char *err, size_t errlen)
{
	char show_k[80], show_v[48], what[128];
	struct pc_cfg_slot s;
	int rc;

	*slot = known_slot(l->key, l->klen);
	if (*slot < 0) {
		char msg[PC_CONFIG_ERR_MAX];

		shown(show_k, sizeof(show_k), l->key, l->klen, 64);
		report(msg, sizeof(msg), name, line,
		       "warning: unknown key '%s' (kept; phonecore does not use it)", show_k);
		cfg->nwarn++;
		if (cfg->warn != NULL)
			cfg->warn(msg, cfg->warn_arg);
		return 0;
	}
	if (sets_nothing(*slot, l->vlen))
		return 1;
	slot_decode((unsigned)*slot, &s);
	if (l->vlen == 0)
		return 0;
	rc = check_value(s.k, l->val, l->vlen);
	if (rc < 0) {
		shown(show_k, sizeof(show_k), l->key, l->klen, 64);
		shown(show_v, sizeof(show_v), l->val, l->vlen, 32);
		allowed(s.k, what, sizeof(what));
		report(err, errlen, name, line, "%s = '%s': %s, expected %s", show_k, show_v,
		       rc == -ERANGE ? "out of range" : "not valid", what);
	}
	return rc;
}

/* Sets what check_assignment() accepted; an unknown key past the limit is dropped (warning). */
static int apply(struct pc_config *cfg, const char *name, unsigned line,
		 const struct pc_cfg_line *l, int slot, uint32_t src)
{
	struct pc_cfg_unknown *u;
	int rc, i;

	if (slot >= 0)
		return store(&cfg->known[slot], l->val, l->vlen, src, line);
	i = find_unknown(cfg, l->key, l->klen);
	if (i >= 0)
		return store(&cfg->unknown[i].v, l->val, l->vlen, src, line);
	if (cfg->nunknown == PC_CONFIG_MAX_UNKNOWN) {
		char msg[PC_CONFIG_ERR_MAX], show_k[80];

		shown(show_k, sizeof(show_k), l->key, l->klen, 64);
		report(msg, sizeof(msg), name, line,
		       "warning: unknown key '%s' dropped: already %u unknown keys", show_k,
		       PC_CONFIG_MAX_UNKNOWN);
		cfg->nwarn++;
		if (cfg->warn != NULL)
			cfg->warn(msg, cfg->warn_arg);
		return 0;
	}
	u = &cfg->unknown[cfg->nunknown];
	u->key = malloc(l->klen + 1);
	if (u->key == NULL)
		return -ENOMEM;
	memcpy(u->key, l->key, l->klen);
	u->key[l->klen] = '\0';
	rc = store(&u->v, l->val, l->vlen, src, line);
	if (rc < 0) {
		free(u->key);
		u->key = NULL;
		return rc;
	}
	cfg->nunknown++;
	return 0;
}

/* The source number of the file @name, remembered on first use. */
static int file_src(struct pc_config *cfg, const char *name, uint32_t *src)
{
	for (unsigned i = 0; i < cfg->nfiles; i++) {
		if (strcmp(cfg->files[i], name) == 0) {
			*src = i + 1;
			return 0;
		}
	}
	if (cfg->nfiles == PC_CONFIG_MAX_FILES)
		return -ENOSPC;
	cfg->files[cfg->nfiles] = strdup(name);
	if (cfg->files[cfg->nfiles] == NULL)
		return -ENOMEM;
	*src = ++cfg->nfiles;
	return 0;
}

static void reader_init(struct pc_cfg_reader *r, const void *buf, size_t len)
{
	static const char empty[1];

	r->p = len > 0 ? buf : empty;
	r->end = r->p + len;
	r->line = 0;
	/* A UTF-8 byte order mark before the first line is not part of it. */
	if (len >= 3 && memcmp(r->p, "\xef\xbb\xbf", 3) == 0)
		r->p += 3;
}

int pc_config_load_buf(struct pc_config *cfg, const char *name, const void *buf, size_t len,
		       char *err, size_t errlen)
{
	const size_t hlen = sizeof(PC_CONFIG_HEADER) - 1;
	struct pc_cfg_reader r;
	struct pc_cfg_line l;
	char why[160];
	unsigned assignments = 0; /* lines that set a value */
	uint32_t src;
	const char *s;
	size_t n;
	int rc, slot;

	if (err != NULL && errlen > 0)
		err[0] = '\0';

	/* Pass 1: check everything, change nothing. */
	reader_init(&r, buf, len);
	if (!next_line(&r, &s, &n))
		n = 0;
	while (n > 0 && is_blank(s[n - 1]))
		n--;
	if (n != hlen || memcmp(s, PC_CONFIG_HEADER, hlen) != 0) {
		report(err, errlen, name, 1, "the first line must be '%s'", PC_CONFIG_HEADER);
		return -EBADMSG;
	}
	while (next_line(&r, &s, &n)) {
		rc = parse_line(s, n, &l, why, sizeof(why));
		if (rc < 0) {
			report(err, errlen, name, r.line, "%s", why);
			return rc;
		}
		if (rc > 0)
			continue;
		rc = check_assignment(cfg, name, r.line, &l, &slot, err, errlen);
		if (rc < 0)
			return rc;
		assignments += rc == 0;
	}
	if (assignments == 0)
		return 0;

	rc = file_src(cfg, name, &src);
	if (rc < 0) {
		report(err, errlen, name, 0, "%s",
		       rc == -ENOSPC ? "too many configuration files" : strerror(-rc));
		return rc;
	}

	/* Pass 2: apply; only running out of memory can stop it. */
	reader_init(&r, buf, len);
	next_line(&r, &s, &n);
	while (next_line(&r, &s, &n)) {
		if (parse_line(s, n, &l, why, sizeof(why)) != 0)
			continue;
		slot = known_slot(l.key, l.klen);
		if (sets_nothing(slot, l.vlen))
			continue;
		rc = apply(cfg, name, r.line, &l, slot, src);
		if (rc < 0) {
			report(err, errlen, name, r.line, "%s", strerror(-rc));
			return rc;
		}
	}
	return 0;
}

int pc_config_load_file(struct pc_config *cfg, const char *path, char *err, size_t errlen)
{
	size_t len = 0;
	char *buf;
	int fd, rc;

	if (err != NULL && errlen > 0)
		err[0] = '\0';
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		rc = -errno;
		report(err, errlen, path, 0, "cannot open: %s", strerror(-rc));
		return rc;
	}
	/* One byte more than the cap tells a file at the cap from a larger one. */
	buf = malloc(PC_CONFIG_FILE_MAX + 1);
	if (buf == NULL) {
		rc = -ENOMEM;
		report(err, errlen, path, 0, "%s", strerror(-rc));
		goto out_close;
	}
	while (len < PC_CONFIG_FILE_MAX + 1) {
		ssize_t got = read(fd, buf + len, PC_CONFIG_FILE_MAX + 1 - len);

		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			rc = -errno;
			report(err, errlen, path, 0, "cannot read: %s", strerror(-rc));
			goto out_free_buf;
		}
		if (got == 0)
			break;
		len += (size_t)got;
	}
	if (len > PC_CONFIG_FILE_MAX) {
		rc = -EFBIG;
		report(err, errlen, path, 0, "larger than %u bytes", PC_CONFIG_FILE_MAX);
		goto out_free_buf;
	}
	rc = pc_config_load_buf(cfg, path, buf, len, err, errlen);
out_free_buf:
	free(buf);
out_close:
	close(fd);
	return rc;
}

int pc_config_set(struct pc_config *cfg, const char *key, const char *value, char *err,
		  size_t errlen)
{
	static const char *const name = "command line";
	struct pc_cfg_line l = { .key = key, .klen = strlen(key), .val = value };
	char show[80];
	size_t c;
	int rc, slot;

	if (err != NULL && errlen > 0)
		err[0] = '\0';
	if (!key_ok(l.key, l.klen) || l.klen > PC_CONFIG_LINE_MAX) {
		shown(show, sizeof(show), l.key, l.klen, 64);
		report(err, errlen, name, 0, "bad key '%s' (a key is letters, digits, '_' and '.')",
		       show);
		return -EBADMSG;
	}
	l.vlen = strnlen(value, PC_CONFIG_LINE_MAX + 1);
	shown(show, sizeof(show), l.key, l.klen, 64);
	if (l.vlen > PC_CONFIG_LINE_MAX) {
		report(err, errlen, name, 0, "%s: value longer than %u bytes", show,
		       PC_CONFIG_LINE_MAX);
		return -EBADMSG;
	}
	c = control_at(l.val, l.vlen);
	if (c < l.vlen) {
		report(err, errlen, name, 0, "%s: control byte 0x%02x in the value", show,
		       (unsigned char)l.val[c]);
		return -EBADMSG;
	}
	rc = check_assignment(cfg, name, 0, &l, &slot, err, errlen);
	if (rc != 0)
		return rc < 0 ? rc : 0;
	rc = apply(cfg, name, 0, &l, slot, PC_CFG_SRC_CMDLINE);
	if (rc < 0)
		report(err, errlen, name, 0, "%s", strerror(-rc));
	return rc;
}

/* --- the getters ----------------------------------------------------------------------------- */

/* The effective text of @key and its table entry (NULL: unknown key); NULL: no such key. */
static const char *lookup(const struct pc_config *cfg, const char *key, const struct pc_cfg_key **k)
{
	size_t len = strlen(key);
	struct pc_cfg_slot s;
	int slot = known_slot(key, len), i;

	if (slot >= 0) {
		slot_decode((unsigned)slot, &s);
		*k = s.k;
		return cfg->known[slot].text != NULL ? cfg->known[slot].text : slot_default(&s);
	}
	*k = NULL;
	i = find_unknown(cfg, key, len);
	return i >= 0 ? cfg->unknown[i].v.text : NULL;
}

int pc_config_get_str(const struct pc_config *cfg, const char *key, const char **out)
{
	const struct pc_cfg_key *k;
	const char *v = lookup(cfg, key, &k);

	if (v == NULL)
		return -ENOENT;
	*out = v;
	return 0;
}

#define PC_CFG_T(t) (1u << (t))

/* The text of @key for a getter of the types @mask: 0, -ENOENT, -EINVAL or -ENODATA. */
static int typed_lookup(const struct pc_config *cfg, const char *key, unsigned mask,
			const struct pc_cfg_key **k, const char **v)
{
	*v = lookup(cfg, key, k);
	if (*v == NULL)
		return -ENOENT;
	if (*k != NULL && (mask & PC_CFG_T((*k)->type)) == 0)
		return -EINVAL;
	if ((*v)[0] == '\0')
		return -ENODATA;
	return 0;
}

int pc_config_get_int(const struct pc_config *cfg, const char *key, int64_t *out)
{
	const unsigned mask = PC_CFG_T(PC_CFG_INT) | PC_CFG_T(PC_CFG_ONEOF) |
			      PC_CFG_T(PC_CFG_BOOL) | PC_CFG_T(PC_CFG_WORD);
	const struct pc_cfg_key *k;
	const char *v;
	int64_t x;
	int rc = typed_lookup(cfg, key, mask, &k, &v);

	if (rc < 0)
		return rc;
	if (k != NULL && k->type == PC_CFG_WORD) {
		rc = word_index(k->words, v, strlen(v));
		if (rc < 0)
			return -EINVAL;
		*out = rc;
		return 0;
	}
	if (parse_int(v, strlen(v), &x) < 0)
		return -EINVAL;
	*out = x;
	return 0;
}

int pc_config_get_bool(const struct pc_config *cfg, const char *key, bool *out)
{
	const struct pc_cfg_key *k;
	const char *v;
	int rc = typed_lookup(cfg, key, PC_CFG_T(PC_CFG_BOOL), &k, &v);

	if (rc < 0)
		return rc;
	if ((v[0] != '0' && v[0] != '1') || v[1] != '\0')
		return -EINVAL;
	*out = v[0] == '1';
	return 0;
}

int pc_config_get_double(const struct pc_config *cfg, const char *key, double *out)
{
	const unsigned mask = PC_CFG_T(PC_CFG_SECS) | PC_CFG_T(PC_CFG_INT) | PC_CFG_T(PC_CFG_ONEOF);
	const struct pc_cfg_key *k;
	const char *v;
	int64_t x;
	int rc = typed_lookup(cfg, key, mask, &k, &v);

	if (rc < 0)
		return rc;
	if (parse_int(v, strlen(v), &x) == 0) {
		*out = (double)x;
		return 0;
	}
	return parse_secs(v, strlen(v), out) == 0 ? 0 : -EINVAL;
}

/* --- walking and printing -------------------------------------------------------------------- */

static void item_source(const struct pc_config *cfg, const struct pc_cfg_val *v,
			struct pc_config_item *it)
{
	it->set = v->text != NULL;
	it->line = it->set ? v->line : 0;
	if (!it->set)
		it->source = "default";
	else if (v->src == PC_CFG_SRC_CMDLINE)
		it->source = "command line";
	else
		it->source = cfg->files[v->src - 1];
}

int pc_config_foreach(const struct pc_config *cfg, unsigned flags, pc_config_item_h fn, void *arg)
{
	char name[PC_CFG_KEY_NAME_MAX];
	struct pc_config_item it;
	struct pc_cfg_slot s;
	int rc;

	for (unsigned i = 0; i < PC_CFG_NKNOWN; i++) {
		const struct pc_cfg_val *v = &cfg->known[i];

		if ((flags & PC_CONFIG_SET_ONLY) && v->text == NULL)
			continue;
		slot_decode(i, &s);
		slot_name(&s, name, sizeof(name));
		it.key = name;
		it.value = v->text != NULL ? v->text : slot_default(&s);
		it.known = true;
		item_source(cfg, v, &it);
		rc = fn(&it, arg);
		if (rc != 0)
			return rc;
	}
	for (unsigned i = 0; i < cfg->nunknown; i++) {
		it.key = cfg->unknown[i].key;
		it.value = cfg->unknown[i].v.text;
		it.known = false;
		item_source(cfg, &cfg->unknown[i].v, &it);
		rc = fn(&it, arg);
		if (rc != 0)
			return rc;
	}
	return 0;
}

/* Whether @v must be quoted to read back as itself. */
static int needs_quotes(const char *v)
{
	size_t n = strlen(v);

	if (n == 0)
		return 0;
	if (is_blank(v[0]) || is_blank(v[n - 1]) || v[0] == '"')
		return 1;
	for (size_t i = 0; i < n; i++)
		if (v[i] == '#' && (i == 0 || is_blank(v[i - 1])))
			return 1;
	return 0;
}

static int dump_item(const struct pc_config_item *it, void *arg)
{
	FILE *f = arg;
	const char *q = needs_quotes(it->value) ? "\"" : "";
	int n = fprintf(f, "%s = %s%s%s", it->key, q, it->value, q);

	if (n < 0)
		return -EIO;
	/* Sources line up at column 56 where the value leaves room. */
	fprintf(f, "%*s# %s", n < 54 ? 56 - n : 2, "", it->source);
	if (it->line > 0)
		fprintf(f, ":%u", it->line);
	fprintf(f, "%s\n", it->known ? "" : " (unknown key)");
	return 0;
}

int pc_config_dump(const struct pc_config *cfg, FILE *f, unsigned flags)
{
	fprintf(f, "%s\n", PC_CONFIG_HEADER);
	if (pc_config_foreach(cfg, flags, dump_item, f) != 0 || ferror(f))
		return -EIO;
	return 0;
}
