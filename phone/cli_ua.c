/* SPDX-License-Identifier: MIT */
/*
 * cli_ua.c - `phonecore sip ua`: run the SIP user agent from a VP530-style configuration and play
 * a script of phone actions (register, call, answer, hold, transfer, hang up...), printing one
 * line per event. The integration tests drive the VP530 call flows through it against Kamailio
 * and SIPp; a person can use it as a scriptable softphone (signaling only: media is negotiated
 * and reported, not sent, until the phone layer joins the media loop).
 */
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "cli_pvt.h"
#include "pc_config.h"
#include "pc_sip_ua.h"

#define MAX_EVENTS 256
#define MAX_STEPS 128

struct seen {
	enum pc_sip_ua_ev_type type;
	unsigned call, code, other;
	bool used;
};

struct run {
	struct pc_sip_ua *ua;
	struct seen ev[MAX_EVENTS];
	unsigned nev;
	unsigned last_call; /* the call steps act on by default */
	bool quiet_media;
};

static volatile sig_atomic_t g_stop;

static void on_signal(int sig)
{
	(void)sig;
	g_stop = 1;
}

void pc_cli_sip_ua_help(FILE *f)
{
	fprintf(f,
		"usage: phonecore sip ua [--config FILE]... [--set KEY=VALUE]... [--account N]\n"
		"                        [--trace] (-e 'STEP; STEP...' | --script FILE)\n\n"
		"Runs the SIP user agent with the VP530-style configuration (account.N.* keys:\n"
		"user_name, password, sip_server_host/port, sip_listen_port, transport,\n"
		"auto_answer, always_fwd/busy_fwd/timeout_fwd, dnd, session_timer;\n"
		"call_waiting.enable, sip.rfc2543_hold, network.port.min/max_rtpport;\n"
		"phonecore.sip.listen_ip, .ring_ms, .tls_cert/.tls_key/.tls_ca/.tls_verify/.tls_port)\n"
		"and plays the steps in order,\n"
		"printing one line per event ('established call=1', 'ended call=1 code=486').\n\n"
		"steps (CALL is a call number, 1 for the first call made or received; default:\n"
		"the last one):\n"
		"  register                  register the account, wait for the 200\n"
		"  call TARGET               call a user, user@host or sip: URI\n"
		"  wait EVENT [CALL] [SECS]  wait for an event (default 10 s): registered,\n"
		"                            incoming, ringing, established, media, held,\n"
		"                            resumed, hold-ok, resume-ok, redirected, forwarded,\n"
		"                            transfer-req, notify, transferred, replaced, ended\n"
		"  answer [CALL]    reject [CALL] [CODE]    hangup [CALL]\n"
		"  hold [CALL]      resume [CALL]\n"
		"  transfer CALL TARGET      blind transfer (REFER)\n"
		"  transfer CALL OTHER       attended: REFER CALL's peer to OTHER's, Replaces\n"
		"  sleep MS                  keep running for MS milliseconds\n"
		"  serve SECS                keep answering per the configuration for SECS\n\n"
		"Exit status 0 when every step ran, 1 when one failed (a wait timed out).\n");
}

static const char *ev_str(enum pc_sip_ua_ev_type t)
{
	return pc_sip_ua_ev_name(t);
}

static const char *dir_str(const struct pc_sdp_stream *s)
{
	if (s->send && s->recv)
		return "sendrecv";
	if (s->send)
		return "sendonly";
	if (s->recv)
		return "recvonly";
	return "inactive";
}

static void on_event(void *arg, const struct pc_sip_ua_event *ev)
{
	struct run *r = arg;

	if (r->nev < MAX_EVENTS)
		r->ev[r->nev++] = (struct seen){ .type = ev->type,
						 .call = ev->call,
						 .code = ev->code,
						 .other = ev->other_call };
	if (ev->type == PC_SIP_UA_EV_MEDIA && ev->media) {
		for (unsigned i = 0; i < ev->media->nstreams; i++) {
			const struct pc_sdp_stream *s = &ev->media->s[i];

			if (!s->active) {
				printf("media call=%u stream=%u rejected\n", ev->call, i);
				continue;
			}
			printf("media call=%u stream=%u %s port=%u pt=%u %s%s\n", ev->call, i,
			       s->type == PC_SDP_MEDIA_VIDEO ? "video" : "audio",
			       (unsigned)s->remote_port, s->ncodecs ? (unsigned)s->pt[0] : 0,
			       dir_str(s), s->srtp_suite ? " srtp" : "");
		}
		fflush(stdout);
		return;
	}
	printf("%s", ev_str(ev->type));
	if (ev->call)
		printf(" call=%u", ev->call);
	else
		printf(" account=%u", ev->account);
	if (ev->code)
		printf(" code=%u", ev->code);
	if (ev->other_call)
		printf(" other=%u", ev->other_call);
	if (ev->type == PC_SIP_UA_EV_REGISTERED)
		printf(" expires=%u", (unsigned)ev->expires);
	if (ev->peer && ev->peer[0])
		printf(" peer=%s", ev->peer);
	if (ev->reason && ev->reason[0])
		printf(" (%s)", ev->reason);
	printf("\n");
	fflush(stdout);
	if (ev->call &&
	    (ev->type == PC_SIP_UA_EV_INCOMING || ev->type == PC_SIP_UA_EV_TRANSFER_REQ))
		r->last_call = ev->type == PC_SIP_UA_EV_TRANSFER_REQ ? r->last_call : ev->call;
}

static bool ev_named(const char *name, enum pc_sip_ua_ev_type *out)
{
	for (unsigned t = 0; t <= PC_SIP_UA_EV_ENDED; t++)
		if (!strcmp(name, pc_sip_ua_ev_name((enum pc_sip_ua_ev_type)t))) {
			*out = (enum pc_sip_ua_ev_type)t;
			return true;
		}
	return false;
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* Runs the UA until @until (ms) or until a @type event for @call (0: any) shows up. */
static bool run_until(struct run *r, uint64_t until, bool want, enum pc_sip_ua_ev_type type,
		      unsigned call)
{
	for (;;) {
		uint64_t now;

		if (want) {
			for (unsigned i = 0; i < r->nev; i++) {
				struct seen *s = &r->ev[i];

				if (s->used || s->type != type || (call && s->call != call))
					continue;
				s->used = true;
				if (type == PC_SIP_UA_EV_INCOMING ||
				    type == PC_SIP_UA_EV_TRANSFER_REQ)
					r->last_call = type == PC_SIP_UA_EV_TRANSFER_REQ ?
							       s->other :
							       s->call;
				return true;
			}
		}
		now = now_ms();
		if (now >= until || g_stop)
			return !want;
		pc_sip_ua_poll(r->ua, (int)(until - now > 50 ? 50 : until - now));
	}
}

static unsigned call_arg(struct run *r, const char *s)
{
	return s && *s ? (unsigned)strtoul(s, NULL, 10) : r->last_call;
}

static bool is_number(const char *s)
{
	if (!s || !*s)
		return false;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return false;
	return true;
}

/* One step; returns 0, or prints why and returns -1. */
static int step(struct run *r, unsigned account, char **w, unsigned nw)
{
	const char *cmd = w[0];
	int rc = 0;

	if (!strcmp(cmd, "register")) {
		rc = pc_sip_ua_register(r->ua, account);
		if (rc == 0 && !run_until(r, now_ms() + 10000, true, PC_SIP_UA_EV_REGISTERED, 0)) {
			fprintf(stderr, "step 'register': no 200 within 10 s\n");
			return -1;
		}
	} else if (!strcmp(cmd, "call") && nw >= 2) {
		unsigned num;

		rc = pc_sip_ua_call(r->ua, account, w[1], &num);
		if (rc == 0) {
			r->last_call = num;
			printf("calling call=%u target=%s\n", num, w[1]);
		}
	} else if (!strcmp(cmd, "wait") && nw >= 2) {
		enum pc_sip_ua_ev_type t;
		unsigned call = 0;
		double secs = 10;

		if (!ev_named(w[1], &t)) {
			fprintf(stderr, "step 'wait': unknown event '%s'\n", w[1]);
			return -1;
		}
		if (nw >= 3)
			call = (unsigned)strtoul(w[2], NULL, 10);
		if (nw >= 4)
			secs = strtod(w[3], NULL);
		if (!run_until(r, now_ms() + (uint64_t)(secs * 1000), true, t, call)) {
			fprintf(stderr, "step 'wait %s': not seen within %.1f s\n", w[1], secs);
			return -1;
		}
	} else if (!strcmp(cmd, "answer")) {
		rc = pc_sip_ua_answer(r->ua, call_arg(r, nw > 1 ? w[1] : NULL));
	} else if (!strcmp(cmd, "reject")) {
		rc = pc_sip_ua_reject(r->ua, call_arg(r, nw > 1 ? w[1] : NULL),
				      nw > 2 ? (unsigned)strtoul(w[2], NULL, 10) : 486);
	} else if (!strcmp(cmd, "hangup")) {
		rc = pc_sip_ua_hangup(r->ua, call_arg(r, nw > 1 ? w[1] : NULL));
	} else if (!strcmp(cmd, "hold")) {
		rc = pc_sip_ua_hold(r->ua, call_arg(r, nw > 1 ? w[1] : NULL));
	} else if (!strcmp(cmd, "resume")) {
		rc = pc_sip_ua_resume(r->ua, call_arg(r, nw > 1 ? w[1] : NULL));
	} else if (!strcmp(cmd, "transfer") && nw >= 3) {
		unsigned call = call_arg(r, w[1]);

		if (is_number(w[2]))
			rc = pc_sip_ua_transfer_replace(r->ua, call,
							(unsigned)strtoul(w[2], NULL, 10));
		else
			rc = pc_sip_ua_transfer(r->ua, call, w[2]);
	} else if (!strcmp(cmd, "sleep") && nw >= 2) {
		run_until(r, now_ms() + strtoull(w[1], NULL, 10), false, 0, 0);
	} else if (!strcmp(cmd, "serve") && nw >= 2) {
		run_until(r, now_ms() + (uint64_t)(strtod(w[1], NULL) * 1000), false, 0, 0);
	} else {
		fprintf(stderr, "unknown or incomplete step '%s'\n", cmd);
		return -1;
	}
	if (rc < 0) {
		fprintf(stderr, "step '%s': %s\n", cmd, strerror(-rc));
		return -1;
	}
	return 0;
}

/* Splits @script into steps at ';' and newlines, words at blanks; runs them. */
static int play(struct run *r, unsigned account, char *script)
{
	char *save = NULL;

	for (char *s = strtok_r(script, ";\n", &save); s; s = strtok_r(NULL, ";\n", &save)) {
		char *w[8], *ws = NULL;
		unsigned nw = 0;

		for (char *t = strtok_r(s, " \t\r", &ws); t && nw < 8;
		     t = strtok_r(NULL, " \t\r", &ws))
			w[nw++] = t;
		if (nw == 0 || w[0][0] == '#')
			continue;
		if (step(r, account, w, nw) < 0)
			return -1;
	}
	return 0;
}

static void cfg_str(const struct pc_config *cfg, const char *key, char *out, size_t size)
{
	const char *v = "";

	pc_config_get_str(cfg, key, &v);
	snprintf(out, size, "%s", v ? v : "");
}

static int64_t cfg_int(const struct pc_config *cfg, const char *key)
{
	int64_t v = 0;

	pc_config_get_int(cfg, key, &v);
	return v;
}

static bool cfg_bool(const struct pc_config *cfg, const char *key)
{
	bool v = false;

	pc_config_get_bool(cfg, key, &v);
	return v;
}

static double cfg_double(const struct pc_config *cfg, const char *key)
{
	double v = 0;

	pc_config_get_double(cfg, key, &v);
	return v;
}

/* Fills the media capabilities of account @x from its codec list (priority order). */
static void caps_from_config(const struct pc_config *cfg, unsigned x, struct pc_sip_ua_conf *uc,
			     struct pc_sdp_caps *caps)
{
	static char names[PC_SIP_UA_MAX_ACCOUNTS][8][16];
	static const char te_fmtp[] = "0-16";
	unsigned order[8], n = 0;
	char key[96];
	int64_t prio[8];

	caps->addr = uc->local_ip;
	caps->port[PC_SDP_MEDIA_AUDIO] = 1; /* placeholder: each call gets its own port */
	for (unsigned i = 1; i <= 8; i++) {
		snprintf(key, sizeof(key), "account.%u.codec.%u.enable", x, i);
		if (!cfg_bool(cfg, key))
			continue;
		snprintf(key, sizeof(key), "account.%u.codec.%u.priority", x, i);
		prio[n] = cfg_int(cfg, key);
		order[n++] = i;
	}
	for (unsigned i = 1; i < n; i++) /* insertion sort on priority */
		for (unsigned j = i; j > 0 && prio[j] < prio[j - 1]; j--) {
			int64_t tp = prio[j];
			unsigned to = order[j];

			prio[j] = prio[j - 1];
			order[j] = order[j - 1];
			prio[j - 1] = tp;
			order[j - 1] = to;
		}
	for (unsigned k = 0; k < n && caps->ncodecs + 1 < PC_SDP_CAPS_MAX_CODECS; k++) {
		struct pc_sdp_codec *c = &caps->codecs[caps->ncodecs];

		snprintf(key, sizeof(key), "account.%u.codec.%u.rtpmap", x, order[k]);
		cfg_str(cfg, key, names[x - 1][k], sizeof(names[x - 1][k]));
		snprintf(key, sizeof(key), "account.%u.codec.%u.payload_type", x, order[k]);
		c->type = PC_SDP_MEDIA_AUDIO;
		c->pt = (uint8_t)cfg_int(cfg, key);
		c->name = names[x - 1][k];
		/* RFC 3551: G722's RTP clock is 8000 though it samples at 16 kHz. */
		c->clock = !strcasecmp(c->name, "opus") ? 48000 : 8000;
		c->channels = !strcasecmp(c->name, "opus") ? 2 : 0;
		if (c->name[0])
			caps->ncodecs++;
	}
	snprintf(key, sizeof(key), "account.%u.dtmf.type", x);
	if (cfg_int(cfg, key) == 1 || cfg_int(cfg, key) == 3) {
		struct pc_sdp_codec *c = &caps->codecs[caps->ncodecs++];

		snprintf(key, sizeof(key), "account.%u.dtmf.dtmf_payload", x);
		c->type = PC_SDP_MEDIA_AUDIO;
		c->pt = (uint8_t)cfg_int(cfg, key);
		c->name = "telephone-event";
		c->clock = 8000;
		c->fmtp = te_fmtp;
	}
	snprintf(key, sizeof(key), "account.%u.ptime", x);
	caps->ptime = (uint32_t)cfg_int(cfg, key);
	snprintf(key, sizeof(key), "account.%u.srtp_encryption", x);
	switch (cfg_int(cfg, key)) {
	case 1:
		caps->srtp = PC_SDP_SRTP_OPTIONAL;
		break;
	case 2:
		caps->srtp = PC_SDP_SRTP_MANDATORY;
		break;
	default:
		caps->srtp = PC_SDP_SRTP_OFF;
	}
	if (caps->srtp != PC_SDP_SRTP_OFF) {
		caps->ncrypto = 2;
		caps->crypto[0].suite = PC_SDP_CRYPTO_AES_CM_128_HMAC_SHA1_80;
		caps->crypto[1].suite = PC_SDP_CRYPTO_AES_CM_128_HMAC_SHA1_32;
	}
	caps->hold_c0 = cfg_bool(cfg, "sip.rfc2543_hold");
	caps->dir = PC_SDP_DIR_SENDRECV;
}

static int conf_from_config(const struct pc_config *cfg, struct pc_sip_ua_conf *uc)
{
	char key[96];
	int64_t ring_ms = cfg_int(cfg, "phonecore.sip.ring_ms");

	cfg_str(cfg, "phonecore.sip.listen_ip", uc->local_ip, sizeof(uc->local_ip));
	uc->naccounts = PC_SIP_UA_MAX_ACCOUNTS;
	uc->call_waiting = cfg_bool(cfg, "call_waiting.enable");
	uc->rtp_port_min = (uint16_t)cfg_int(cfg, "network.port.min_rtpport");
	uc->rtp_port_max = (uint16_t)cfg_int(cfg, "network.port.max_rtpport");
	uc->t1_ms = (uint32_t)(cfg_double(cfg, "account.1.advanced.timer_t1") * 1000);
	uc->t2_ms = (uint32_t)(cfg_double(cfg, "account.1.advanced.timer_t2") * 1000);
	uc->t4_ms = (uint32_t)(cfg_double(cfg, "account.1.advanced.timer_t4") * 1000);
	uc->port = (uint16_t)cfg_int(cfg, "account.1.sip_listen_port");
	uc->listen_tcp = true;
	{
		static char cert[256], pkey[256], ca[256];

		cfg_str(cfg, "phonecore.sip.tls_cert", cert, sizeof(cert));
		cfg_str(cfg, "phonecore.sip.tls_key", pkey, sizeof(pkey));
		cfg_str(cfg, "phonecore.sip.tls_ca", ca, sizeof(ca));
		uc->tls_cert_file = cert[0] ? cert : NULL;
		uc->tls_key_file = pkey[0] ? pkey : NULL;
		uc->tls_ca_file = ca[0] ? ca : NULL;
		uc->tls_verify = cfg_bool(cfg, "phonecore.sip.tls_verify");
		uc->tls_port = (uint16_t)cfg_int(cfg, "phonecore.sip.tls_port");
	}
	for (unsigned x = 1; x <= PC_SIP_UA_MAX_ACCOUNTS; x++) {
		struct pc_sip_ua_account_conf *a = &uc->account[x - 1];

#define KEY(name) (snprintf(key, sizeof(key), "account.%u." name, x), key)
		a->enable = cfg_bool(cfg, KEY("enable"));
		cfg_str(cfg, KEY("user_name"), a->user, sizeof(a->user));
		cfg_str(cfg, KEY("auth_name"), a->auth_user, sizeof(a->auth_user));
		cfg_str(cfg, KEY("password"), a->password, sizeof(a->password));
		cfg_str(cfg, KEY("display_name"), a->display, sizeof(a->display));
		cfg_str(cfg, KEY("sip_server_host"), a->domain, sizeof(a->domain));
		a->port = (uint16_t)cfg_int(cfg, KEY("sip_server_port"));
		a->tp = cfg_int(cfg, KEY("transport")) == 1 ? PC_SIP_TP_TCP :
			cfg_int(cfg, KEY("transport")) == 2 ? PC_SIP_TP_TLS :
							      PC_SIP_TP_UDP;
		if (cfg_bool(cfg, KEY("outbound_proxy_enable"))) {
			cfg_str(cfg, KEY("outbound_host"), a->outbound, sizeof(a->outbound));
			a->outbound_port = (uint16_t)cfg_int(cfg, KEY("outbound_port"));
		}
		a->do_register = true;
		a->expires_s = (uint32_t)cfg_int(cfg, KEY("expires"));
		a->retry_s = (uint32_t)cfg_int(cfg, KEY("reg_fail_retry_interval"));
		a->auto_answer = cfg_bool(cfg, KEY("auto_answer"));
		a->auto_answer_ms = 200;
		if (cfg_bool(cfg, KEY("always_fwd.enable")))
			cfg_str(cfg, KEY("always_fwd.target"), a->always_fwd,
				sizeof(a->always_fwd));
		if (cfg_bool(cfg, KEY("busy_fwd.enable")))
			cfg_str(cfg, KEY("busy_fwd.target"), a->busy_fwd, sizeof(a->busy_fwd));
		if (cfg_bool(cfg, KEY("timeout_fwd.enable"))) {
			cfg_str(cfg, KEY("timeout_fwd.target"), a->noanswer_fwd,
				sizeof(a->noanswer_fwd));
			a->noanswer_ms =
				(uint32_t)(cfg_int(cfg, KEY("timeout_fwd.timeout")) * ring_ms);
		}
		a->dnd = cfg_bool(cfg, KEY("dnd.enable"));
		a->dnd_code = (unsigned)cfg_int(cfg, "features.dnd_refuse_code");
		a->busy_code = (unsigned)cfg_int(cfg, "features.normal_refuse_code");
		a->session_timer = cfg_bool(cfg, KEY("session_timer.enable"));
		a->session_expires_s = (uint32_t)cfg_int(cfg, KEY("session_timer.expires"));
		a->refresher_uas = cfg_int(cfg, KEY("session_timer.refresher")) == 1;
		/* nat.udp_update_enable: 0 off, 1 CRLF, 2 OPTIONS; every udp_update_time s */
		if (cfg_int(cfg, KEY("nat.udp_update_enable")) > 0) {
			a->keepalive_s = (uint32_t)cfg_int(cfg, KEY("nat.udp_update_time"));
			a->keepalive_options = cfg_int(cfg, KEY("nat.udp_update_enable")) == 2;
		}
		caps_from_config(cfg, x, uc, &a->caps);
#undef KEY
	}
	return 0;
}

int pc_cli_sip_ua_main(int argc, char **argv)
{
	struct pc_config *cfg = NULL;
	static struct pc_sip_ua_conf uc;
	static struct run r;
	char err[256], *script = NULL;
	unsigned account = 1;
	bool trace = false;
	int rc, status = PC_EXIT_FAIL;

	if (pc_config_create(&cfg, NULL, NULL) < 0)
		return PC_EXIT_FAIL;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			pc_cli_sip_ua_help(stdout);
			status = PC_EXIT_OK;
			goto out;
		}
		if (!strcmp(a, "--trace")) {
			trace = true;
			continue;
		}
		if (i + 1 >= argc) {
			fprintf(stderr, "phonecore sip ua: '%s' needs a value (or unknown)\n", a);
			status = PC_EXIT_USAGE;
			goto out;
		}
		if (!strcmp(a, "--config")) {
			if (pc_config_load_file(cfg, argv[++i], err, sizeof(err)) < 0) {
				fprintf(stderr, "phonecore sip ua: %s\n", err);
				status = PC_EXIT_USAGE;
				goto out;
			}
		} else if (!strcmp(a, "--set")) {
			char *kv = argv[++i], *eq = strchr(kv, '=');

			if (!eq) {
				fprintf(stderr, "phonecore sip ua: --set wants KEY=VALUE\n");
				status = PC_EXIT_USAGE;
				goto out;
			}
			*eq = 0;
			if (pc_config_set(cfg, kv, eq + 1, err, sizeof(err)) < 0) {
				fprintf(stderr, "phonecore sip ua: %s\n", err);
				status = PC_EXIT_USAGE;
				goto out;
			}
		} else if (!strcmp(a, "--account")) {
			account = (unsigned)strtoul(argv[++i], NULL, 10);
		} else if (!strcmp(a, "-e")) {
			script = strdup(argv[++i]);
		} else if (!strcmp(a, "--script")) {
			FILE *f = fopen(argv[++i], "r");
			long n;

			if (!f) {
				fprintf(stderr, "phonecore sip ua: %s: %s\n", argv[i],
					strerror(errno));
				status = PC_EXIT_USAGE;
				goto out;
			}
			fseek(f, 0, SEEK_END);
			n = ftell(f);
			fseek(f, 0, SEEK_SET);
			script = calloc(1, (size_t)(n > 0 ? n : 0) + 1);
			if (script && n > 0 && fread(script, 1, (size_t)n, f) != (size_t)n)
				n = 0;
			fclose(f);
		} else {
			fprintf(stderr, "phonecore sip ua: unknown option '%s'\n", a);
			status = PC_EXIT_USAGE;
			goto out;
		}
	}
	if (!script) {
		fprintf(stderr, "phonecore sip ua: give the steps with -e or --script\n");
		status = PC_EXIT_USAGE;
		goto out;
	}
	conf_from_config(cfg, &uc);
	if (account < 1 || account > PC_SIP_UA_MAX_ACCOUNTS || !uc.account[account - 1].enable) {
		fprintf(stderr, "phonecore sip ua: account %u is not enabled (account.%u.enable)\n",
			account, account);
		status = PC_EXIT_USAGE;
		goto out;
	}
	uc.on_event = on_event;
	uc.arg = &r;
	uc.trace = trace ? stderr : NULL;
	rc = pc_sip_ua_create(&r.ua, &uc);
	if (rc < 0) {
		fprintf(stderr, "phonecore sip ua: cannot start the user agent on %s:%u: %s\n",
			uc.local_ip, uc.port, strerror(-rc));
		goto out;
	}
	printf("listening %s:%u\n", uc.local_ip, pc_sip_ua_port(r.ua));
	fflush(stdout);
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	if (play(&r, account, script) == 0)
		status = PC_EXIT_OK;
	/* Let the last messages (ACK, 200 to BYE, NOTIFY) go out and be retransmitted if lost. */
	run_until(&r, now_ms() + 300, false, 0, 0);
out:
	pc_sip_ua_destroy(r.ua);
	pc_config_destroy(cfg);
	free(script);
	return status;
}
