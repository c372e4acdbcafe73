/* SPDX-License-Identifier: MIT */
/*
 * pc_sip_ua.h - the SIP user agent: accounts that register (digest, refresh, retry), calls with
 * their dialogs (INVITE/ACK/BYE/CANCEL, early and confirmed), SDP offer/answer for each call,
 * hold and resume by re-INVITE, call waiting, blind and attended transfer (REFER, NOTIFY with
 * message/sipfrag, Replaces), call forward (302, and following a 302), DND, auto-answer,
 * session timers, OPTIONS answered - the VP530's call flows.
 *
 * Layers: transport (pc_sip_transport.h) -> transactions (pc_sip_txn.h) -> this UA core. The UA
 * owns all three; one thread drives it with pc_sip_ua_poll() (the signaling thread; see
 * pc_sip_thread.h for running it on its own thread behind rings). The phone drives it through
 * the calls below and hears back through one event callback. Media is not touched here: an
 * event carries each negotiated stream (addresses, codecs, keys, direction) for the media side.
 *
 * Calls are named by numbers 1, 2, 3... in the order they are created (outgoing or incoming),
 * never reused in the life of a UA.
 *
 * Thread context: one thread owns a UA (every function below, and the callback runs on it).
 * Allocation: at create (tables sized by the configuration) and per message copy kept by a
 * transaction; none per call beyond its slot.
 */
#ifndef PC_SIP_UA_H
#define PC_SIP_UA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pc_sdp.h"
#include "pc_sip_transport.h"

#ifdef __cplusplus
extern "C" {
#endif

#define PC_SIP_UA_MAX_ACCOUNTS 4
#define PC_SIP_UA_STR 256 /* room for one URI or name, NUL included */

struct pc_sip_ua;

struct pc_sip_ua_account_conf {
	bool enable;
	char user[64];	    /* SIP user (account.X.user_name) */
	char auth_user[64]; /* digest user, "" = user */
	char password[128]; /* digest password */
	char display[64];   /* display name, may be "" */
	char domain[128];   /* registrar / proxy host (account.X.sip_server_host) */
	uint16_t port;	    /* its port, 0: 5060 */
	enum pc_sip_tp tp;  /* UDP, TCP or TLS to the proxy */
	char outbound[128]; /* outbound proxy host, "" = the domain */
	uint16_t outbound_port;
	bool do_register;   /* send REGISTER (else calls go straight out) */
	uint32_t expires_s; /* registration lifetime asked, 0: 3600 */
	uint32_t retry_s;   /* retry after a failed registration, 0: 30 */
	bool auto_answer;
	uint32_t auto_answer_ms;	  /* delay before auto-answer */
	char always_fwd[PC_SIP_UA_STR];	  /* forward every call to this (user or URI), "" off */
	char busy_fwd[PC_SIP_UA_STR];	  /* forward when busy, "" off */
	char noanswer_fwd[PC_SIP_UA_STR]; /* forward after noanswer_ms of ringing, "" off */
	uint32_t noanswer_ms;
	bool dnd;
	unsigned dnd_code;  /* 480 by default */
	unsigned busy_code; /* 486 by default */
	bool session_timer;
	uint32_t session_expires_s; /* 1800 by default */
	bool refresher_uas; /* we ask the UAS to refresh (account.X.session_timer.refresher) */
	uint32_t min_se_s;  /* RFC 4028 Min-SE: shorter intervals get 422; 0: 90 */
	/* NAT keep-alive of the flow to the proxy once registered (account.X.nat.udp_update_*):
	 * every keepalive_s seconds (0: off), a CRLF ping or, with keepalive_options, OPTIONS. */
	uint32_t keepalive_s;
	bool keepalive_options;
	/* Media capabilities offered and accepted (pc_sdp.h); caps.port[] and keys are filled
	 * per call by the UA from the RTP port range and fresh random keys. */
	struct pc_sdp_caps caps;
};

/* What happened, for the phone. */
enum pc_sip_ua_ev_type {
	PC_SIP_UA_EV_REGISTERED,   /* account registered (or refreshed): code 200, expires */
	PC_SIP_UA_EV_REG_FAILED,   /* code: the final status (408 timeout), retry follows */
	PC_SIP_UA_EV_INCOMING,	   /* a new incoming call is ringing here: peer */
	PC_SIP_UA_EV_RINGING,	   /* our outgoing call rings (180/183): code */
	PC_SIP_UA_EV_ESTABLISHED,  /* the call is confirmed (2xx sent/received and ACKed) */
	PC_SIP_UA_EV_MEDIA,	   /* negotiated media changed: media points to the result */
	PC_SIP_UA_EV_HELD,	   /* the remote put us on hold */
	PC_SIP_UA_EV_RESUMED,	   /* the remote took us off hold */
	PC_SIP_UA_EV_HOLD_OK,	   /* our hold was accepted (200 to our re-INVITE) */
	PC_SIP_UA_EV_RESUME_OK,	   /* our resume was accepted */
	PC_SIP_UA_EV_REDIRECTED,   /* our call followed a 3xx: peer is the new target */
	PC_SIP_UA_EV_FORWARDED,	   /* we forwarded an incoming call (302): peer is the target */
	PC_SIP_UA_EV_TRANSFER_REQ, /* the remote asked us to transfer (REFER): other_call new */
	PC_SIP_UA_EV_NOTIFY,	   /* progress of our transfer: code from the sipfrag */
	PC_SIP_UA_EV_TRANSFERRED,  /* the transfer this call was part of completed */
	PC_SIP_UA_EV_REPLACED,	   /* this call was replaced (RFC 3891) by other_call */
	PC_SIP_UA_EV_ENDED,	   /* the call is over: code (200 hung up normally, 486, 487...) */
};

struct pc_sip_ua_event {
	enum pc_sip_ua_ev_type type;
	unsigned call;	     /* 0 for account events */
	unsigned account;    /* 1-based */
	unsigned code;	     /* a SIP status where it means something */
	unsigned other_call; /* TRANSFER_REQ, REPLACED */
	uint32_t expires;    /* REGISTERED */
	const char *peer;    /* the remote party's URI or a target (borrowed for the call) */
	const char *reason;  /* short text (borrowed for the call) */
	const struct pc_sdp_result *media; /* MEDIA (borrowed for the call) */
	/* MEDIA: our side of the call's media: local RTP port per media type (port[]), address,
	 * and our SRTP keys (crypto[]); borrowed for the call. */
	const struct pc_sdp_caps *local;
};

typedef void (*pc_sip_ua_event_h)(void *arg, const struct pc_sip_ua_event *ev);

struct pc_sip_ua_conf {
	char local_ip[64]; /* address we listen on and advertise, "127.0.0.1" */
	uint16_t port;	   /* SIP port (UDP and TCP), 0: ephemeral */
	bool listen_tcp;   /* also listen on TCP (same port) */
	/* TLS (OpenSSL): with a certificate and key, a TLS listener on tls_port (0: port + 1);
	 * outgoing TLS verifies the server against tls_ca_file (NULL: the system's CAs) unless
	 * tls_verify is false. Paths borrowed during create only. */
	const char *tls_cert_file, *tls_key_file, *tls_ca_file;
	bool tls_verify;
	uint16_t tls_port;
	uint32_t t1_ms, t2_ms, t4_ms; /* transaction timers, 0: RFC defaults */
	unsigned naccounts;
	struct pc_sip_ua_account_conf account[PC_SIP_UA_MAX_ACCOUNTS];
	bool call_waiting;  /* accept a second call during a call (call_waiting.enable) */
	unsigned max_calls; /* 0: 8 */
	unsigned max_txns;  /* transactions alive at once, 0: 16384 (a UAS keeps each call's
			     * INVITE and BYE transactions 32 s: size it 64 x the call rate) */
	uint16_t rtp_port_min, rtp_port_max; /* RTP ports handed to calls (even ones) */
	const char *user_agent;		     /* User-Agent value (borrowed), NULL: "phonecore" */
	pc_sip_ua_event_h on_event;
	void *arg;
	/* Log one line per message sent and received to this stream (borrowed), NULL: quiet. */
	void *trace; /* FILE * */
};

/*
 * pc_sip_ua_create() - a UA listening on conf->local_ip:port (UDP, and TCP when asked).
 * @out: written on success. @conf: copied (strings included).
 * Return: 0, -EINVAL (no account enabled, a bad address), -ENOMEM, or the transport's error.
 */
int pc_sip_ua_create(struct pc_sip_ua **out, const struct pc_sip_ua_conf *conf);
/* pc_sip_ua_destroy() - drop everything (no BYE sent: end calls first). NULL is fine. */
void pc_sip_ua_destroy(struct pc_sip_ua *ua);
/* The port the UA listens on (after create with port 0). */
uint16_t pc_sip_ua_port(const struct pc_sip_ua *ua);

/* pc_sip_ua_watch_wake - an eventfd (borrowed) whose writes by other threads end a
 * pc_sip_ua_poll() wait at once (pc_sip_transport_watch_wake). 0 or -errno. */
int pc_sip_ua_watch_wake(struct pc_sip_ua *ua, int fd);

/*
 * pc_sip_ua_poll() - run the UA for at most @max_wait_ms: receive and handle messages, fire the
 * transaction and UA timers. Return: messages handled (>= 0), or a negative errno.
 */
int pc_sip_ua_poll(struct pc_sip_ua *ua, int max_wait_ms);

/* Actions. Each returns 0 or a negative errno (-ENOENT no such call, -EPROTO not possible in
 * the call's state, -ENOSPC too many calls, -EINVAL bad target). */
int pc_sip_ua_register(struct pc_sip_ua *ua, unsigned account);
int pc_sip_ua_unregister(struct pc_sip_ua *ua, unsigned account);
/* @target: "user", "user@host", or a sip:/sips: URI. *@call: the new call's number. */
int pc_sip_ua_call(struct pc_sip_ua *ua, unsigned account, const char *target, unsigned *call);
int pc_sip_ua_answer(struct pc_sip_ua *ua, unsigned call);
int pc_sip_ua_reject(struct pc_sip_ua *ua, unsigned call, unsigned code);
/* Hang up whatever the state: CANCEL, reject with 486 or BYE. A call we answered whose ACK has
 * not come yet sends its BYE when the ACK comes, or when the 2xx retransmissions give up
 * (RFC 3261 15). */
int pc_sip_ua_hangup(struct pc_sip_ua *ua, unsigned call);
int pc_sip_ua_hold(struct pc_sip_ua *ua, unsigned call);
int pc_sip_ua_resume(struct pc_sip_ua *ua, unsigned call);
/* Blind transfer of @call to @target (REFER); the call ends (BYE) when the target answers. */
int pc_sip_ua_transfer(struct pc_sip_ua *ua, unsigned call, const char *target);
/* Attended transfer: REFER @call's peer to @other's peer with Replaces of @other's dialog. */
int pc_sip_ua_transfer_replace(struct pc_sip_ua *ua, unsigned call, unsigned other);

/* States of a call, for the phone's display and the tests. */
enum pc_sip_ua_call_state {
	PC_SIP_UA_CALL_NONE = 0, /* no such call (or long gone) */
	PC_SIP_UA_CALL_CALLING,	 /* outgoing, no answer yet */
	PC_SIP_UA_CALL_RINGING,	 /* outgoing, ringing at the far end */
	PC_SIP_UA_CALL_INCOMING, /* incoming, ringing here */
	PC_SIP_UA_CALL_ACTIVE,	 /* confirmed */
	PC_SIP_UA_CALL_ENDING,	 /* BYE or CANCEL sent */
	PC_SIP_UA_CALL_ENDED,
};
enum pc_sip_ua_call_state pc_sip_ua_call_state(const struct pc_sip_ua *ua, unsigned call);
const char *pc_sip_ua_ev_name(enum pc_sip_ua_ev_type t);

struct pc_sip_ua_stats {
	uint64_t rx_msgs, tx_msgs, rx_bad, stateless_replies;
	uint64_t calls_in, calls_out, calls_answered;
	uint64_t rtp_ports_exhausted; /* calls refused: no free RTP port pair in the range */
};
void pc_sip_ua_stats(const struct pc_sip_ua *ua, struct pc_sip_ua_stats *out);

#ifdef __cplusplus
}
#endif

#endif /* PC_SIP_UA_H */
