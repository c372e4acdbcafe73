/* SPDX-License-Identifier: MIT */
/*
 * pc_sip_txn.h - SIP transactions (RFC 3261 section 17, with the "Accepted" states of RFC 6026):
 * INVITE and non-INVITE, client and server, their timers A B D E F G H I J K L M from configured
 * T1/T2/T4, retransmission on unreliable transports, absorption of retransmitted requests and
 * responses, the ACK of a non-2xx final response, and matching (17.1.3, 17.2.3).
 *
 * The layer sits between the transport and the transaction user (TU: the dialog/UA core):
 *   transport ──pc_sip_txn_receive()──► layer ──ops.on_request / ops.on_response──► TU
 *   TU ──pc_sip_txn_client_start() / pc_sip_txn_respond()──► layer ──ops.send──► transport
 * It never reads a clock: every call takes the current time in milliseconds (any monotonic
 * origin), and pc_sip_txn_tick() fires what is due, so tests drive time by hand and the
 * signaling thread drives it from CLOCK_MONOTONIC. pc_sip_txn_next_due() says when to call next.
 *
 * Peers: the layer keeps, per transaction, an opaque copy of the caller's description of where
 * to send (conf.peer_size octets: an address, a transport, a connection handle, whatever the
 * transport layer wants) and hands it back to ops.send. Server transactions answer to the peer
 * the request came from.
 *
 * Messages are bytes the TU built (the printer makes them); the layer parses them itself with
 * pc_sip_msg_parse() to learn the method, the CSeq and the top Via. A client request's top Via
 * must carry a branch starting with the RFC 3261 magic cookie "z9hG4bK".
 *
 * Ownership: the layer copies what it must keep (a request to retransmit, the last response to
 * resend, the peer); the caller's buffers are borrowed for the call only. Transactions are
 * handles owned by the layer: valid from their creation until ops.on_terminated returns for them.
 *
 * Thread context: one thread (the signaling thread) owns a layer; no locks. Creating the layer
 * allocates its table; each transaction allocates one copy of the message it keeps (this is
 * signaling, not the fast path).
 */
#ifndef PC_SIP_TXN_H
#define PC_SIP_TXN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pc_sip_msg.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The largest peer description the layer copies. */
#define PC_SIP_TXN_PEER_MAX 160
/* The longest transaction key kept: branch + sent-by + method kind (RFC 3261 17.2.3). */
#define PC_SIP_TXN_KEY_MAX 1024

struct pc_sip_txn_layer;
struct pc_sip_txn;

enum pc_sip_txn_kind {
	PC_SIP_TXN_CLIENT_INVITE,
	PC_SIP_TXN_CLIENT_NON_INVITE,
	PC_SIP_TXN_SERVER_INVITE,
	PC_SIP_TXN_SERVER_NON_INVITE,
};

/* States of Figures 5-8 of RFC 3261, with RFC 6026's Accepted for both INVITE machines. */
enum pc_sip_txn_state {
	PC_SIP_TXN_CALLING,    /* client INVITE, nothing heard yet */
	PC_SIP_TXN_TRYING,     /* client or server non-INVITE, no provisional yet */
	PC_SIP_TXN_PROCEEDING, /* a provisional response was received (client) or sent (server) */
	PC_SIP_TXN_ACCEPTED,   /* INVITE with a 2xx (RFC 6026): Timer M (client) or L (server) */
	PC_SIP_TXN_COMPLETED,  /* a final response: absorbing retransmissions until D, K, H, J */
	PC_SIP_TXN_CONFIRMED,  /* server INVITE: the ACK of a non-2xx came, Timer I absorbs ACKs */
	PC_SIP_TXN_TERMINATED,
};

/* Why a transaction ended (ops.on_terminated). */
enum pc_sip_txn_end {
	PC_SIP_TXN_END_NORMAL,	  /* its timers ran out after a final response (or ACK) */
	PC_SIP_TXN_END_TIMEOUT,	  /* Timer B or F (no final response), or H (no ACK) */
	PC_SIP_TXN_END_TRANSPORT, /* the transport could not send (RFC 3261 17.1.4, 17.2.4) */
	PC_SIP_TXN_END_ABORTED,	  /* pc_sip_txn_layer_destroy() with the transaction alive */
};

struct pc_sip_txn_conf {
	/* RFC 3261 17.1.1.1 and table 4: T1 (RTT estimate, default 500 ms), T2 (largest
	 * retransmit interval of non-INVITE requests and INVITE responses, 4000 ms), T4 (how long
	 * the network holds a message, 5000 ms). 0 means the default. */
	uint32_t t1_ms;
	uint32_t t2_ms;
	uint32_t t4_ms;
	/* Timer D on unreliable transports: at least 32 s (17.1.1.2); 0 means 32000. */
	uint32_t timer_d_ms;
	/* Server INVITE: send "100 Trying" on our own if the TU has not answered within this
	 * many ms (17.2.1 says 200 ms); 0: at once, on receipt. */
	uint32_t trying_after_ms;
	/* Client INVITE in Proceeding: end it (TIMEOUT) when no final comes this long after the
	 * last provisional (RFC 3261 16.6 Timer C, used as a UA's safety net); 0: 180000. */
	uint32_t timer_c_ms;
	/* How many transactions may live at once (default 4096); a new one beyond is -ENOSPC
	 * (client) or answered 503 by the caller (server: ops.on_request is not called). */
	unsigned max_txns;
	/* Octets of each peer description (1..PC_SIP_TXN_PEER_MAX). */
	size_t peer_size;
};

/* Where the layer talks to the transport and the TU. Every callback gets the layer's ctx. */
struct pc_sip_txn_ops {
	/* Send @len octets of @buf to @peer (both borrowed for the call). Return 0, or a
	 * negative errno: the transaction then ends with PC_SIP_TXN_END_TRANSPORT. */
	int (*send)(void *ctx, const void *peer, const void *buf, size_t len);
	/* A request that starts a new server transaction @txn (not a retransmission), or an ACK
	 * that matched no transaction (the ACK of a 2xx, for the dialog: @txn is NULL). @msg,
	 * @buf and @peer are borrowed for the call. The TU answers with pc_sip_txn_respond(),
	 * now or later. */
	void (*on_request)(void *ctx, struct pc_sip_txn *txn, const struct pc_sip_msg *msg,
			   const void *buf, size_t len, const void *peer);
	/* A response for the client transaction @txn (NULL: a response that matched none, such
	 * as a 2xx retransmitted after the INVITE transaction ended: the TU acknowledges it
	 * again). Retransmitted non-2xx finals are absorbed and never reach here. */
	void (*on_response)(void *ctx, struct pc_sip_txn *txn, void *user,
			    const struct pc_sip_msg *msg, const void *buf, size_t len);
	/* @txn ended (its handle dies after this returns). @user as given at creation (client)
	 * or set by pc_sip_txn_set_user() (server). Optional (NULL). */
	void (*on_terminated)(void *ctx, struct pc_sip_txn *txn, void *user,
			      enum pc_sip_txn_end why);
};

/*
 * pc_sip_txn_layer_create() - a transaction layer.
 * @out: out, written on success only. @conf, @ops: copied. @ctx: retained, passed to the ops.
 * Return: 0, -EINVAL (peer_size out of range, a missing op, T1 > T2), -ENOMEM.
 */
int pc_sip_txn_layer_create(struct pc_sip_txn_layer **out, const struct pc_sip_txn_conf *conf,
			    const struct pc_sip_txn_ops *ops, void *ctx);
/* pc_sip_txn_layer_destroy() - ends every live transaction (on_terminated with ABORTED) and
 * frees the layer. NULL is fine. */
void pc_sip_txn_layer_destroy(struct pc_sip_txn_layer *layer);

/*
 * pc_sip_txn_receive() - a message from the transport.
 * @buf, @len: one complete message (borrowed). @peer: where it came from (borrowed,
 * conf.peer_size octets). @reliable: it came over TCP/TLS (no retransmissions on that flow).
 * @now_ms: the current time.
 * Return: 0 when it was handled (passed up, absorbed, or answered), -EBADMSG when it does not
 * parse (the caller answers 400 per pc_sip_uas_verdict or drops it), -ENOSPC when a new server
 * transaction cannot be made (the caller answers 503).
 */
int pc_sip_txn_receive(struct pc_sip_txn_layer *layer, const void *buf, size_t len,
		       const void *peer, bool reliable, uint64_t now_ms);

/* pc_sip_txn_receive_msg() - the same for a message the caller parsed already (@msg, borrowed,
 * a successful pc_sip_msg_parse() of @buf/@len): no second parse. */
int pc_sip_txn_receive_msg(struct pc_sip_txn_layer *layer, const struct pc_sip_msg *msg,
			   const void *buf, size_t len, const void *peer, bool reliable,
			   uint64_t now_ms);

/*
 * pc_sip_txn_client_start() - send a request in a new client transaction.
 * @out: out, optional: the transaction's handle. @buf, @len: the request (borrowed; copied),
 * INVITE or any non-INVITE but ACK (an ACK for a 2xx is no transaction: send it directly).
 * @peer: the next hop (borrowed; copied). @reliable: the transport is TCP/TLS. @user: retained,
 * handed back in the callbacks.
 * Return: 0; -EBADMSG the request does not parse or its top Via has no RFC 3261 branch;
 * -EINVAL an ACK or a response; -EEXIST a live client transaction has the same branch and
 * method; -ENOSPC max_txns live; -ENOMEM; or the send's error (the transaction is then gone).
 */
int pc_sip_txn_client_start(struct pc_sip_txn_layer *layer, struct pc_sip_txn **out,
			    const void *buf, size_t len, const void *peer, bool reliable,
			    void *user, uint64_t now_ms);

/*
 * pc_sip_txn_respond() - send a response in server transaction @txn.
 * @buf, @len: the response (borrowed; copied to be resent on a retransmitted request).
 * Return: 0; -EBADMSG not a response that parses; -EPROTO a final response was sent already,
 * or a 100-699 status that this state cannot take (a 1xx after a 2xx); -ESRCH the transaction
 * ended; or the send's error (the transaction then ends with END_TRANSPORT).
 * A 2xx to an INVITE moves to Accepted (RFC 6026): the TU retransmits its 2xx itself until the
 * ACK (pc_sip_txn_respond() again in Accepted is allowed for exactly that).
 */
int pc_sip_txn_respond(struct pc_sip_txn *txn, const void *buf, size_t len, uint64_t now_ms);

/*
 * pc_sip_txn_tick() - fire every timer due at or before @now_ms: retransmissions, timeouts,
 * the ends of the absorbing states. Return: the number of timers fired.
 */
unsigned pc_sip_txn_tick(struct pc_sip_txn_layer *layer, uint64_t now_ms);

/* pc_sip_txn_next_due() - when the next timer is due (ms, same origin), UINT64_MAX for none. */
uint64_t pc_sip_txn_next_due(const struct pc_sip_txn_layer *layer);

/*
 * pc_sip_txn_find_cancelled() - the server INVITE transaction that a CANCEL request @msg (as
 * received, with its buffer) refers to (RFC 3261 9.2: same branch and sent-by, method INVITE),
 * or NULL.
 */
struct pc_sip_txn *pc_sip_txn_find_cancelled(struct pc_sip_txn_layer *layer,
					     const struct pc_sip_msg *msg);

/* pc_sip_txn_transport_error() - the transport lost the flow of @txn (a TCP reset): it ends at
 * once with END_TRANSPORT (17.1.4). */
void pc_sip_txn_transport_error(struct pc_sip_txn *txn);

/*
 * pc_sip_txn_abandon() - the TU cancelled client INVITE @txn (or gave up on it): RFC 3261 9.1,
 * if no final response comes within 64*T1 the transaction ends (TIMEOUT). Return: 0, -ESRCH
 * (ended), -EPROTO (not a client INVITE waiting for its final).
 */
int pc_sip_txn_abandon(struct pc_sip_txn *txn, uint64_t now_ms);

/*
 * pc_sip_txn_fail_peer() - a flow went away (a TCP/TLS connection closed, a connect or TLS
 * handshake failed): every live transaction whose peer @match says is on it ends at once with
 * END_TRANSPORT (17.1.4, 17.2.4). @match(peer, @arg) is called per live transaction (peer
 * borrowed). Return: how many ended.
 */
unsigned pc_sip_txn_fail_peer(struct pc_sip_txn_layer *layer,
			      bool (*match)(const void *peer, void *arg), void *arg);

/* Accessors. */
enum pc_sip_txn_kind pc_sip_txn_kind(const struct pc_sip_txn *txn);
enum pc_sip_txn_state pc_sip_txn_state(const struct pc_sip_txn *txn);
/* The last status sent (server) or received (client), 0 for none yet. */
unsigned pc_sip_txn_status(const struct pc_sip_txn *txn);
void *pc_sip_txn_user(const struct pc_sip_txn *txn);
void pc_sip_txn_set_user(struct pc_sip_txn *txn, void *user);
/* The request that made the transaction, as kept by the layer (borrowed; lives as long as
 * the transaction). */
const void *pc_sip_txn_request(const struct pc_sip_txn *txn, size_t *len);
unsigned pc_sip_txn_count(const struct pc_sip_txn_layer *layer);
const char *pc_sip_txn_state_name(enum pc_sip_txn_state s);

/* Counters of a layer (monotonic). */
struct pc_sip_txn_stats {
	uint64_t created, terminated, timeouts, transport_errors;
	uint64_t retransmits; /* requests (A, E) and responses (G, and on request retransmits) */
	uint64_t absorbed;    /* retransmitted requests and responses not passed to the TU */
	uint64_t acks_sent;   /* ACKs of non-2xx finals, generated by the layer */
	uint64_t trying_sent; /* "100 Trying" sent by the layer on its own */
	uint64_t stray_responses; /* passed to the TU with no transaction */
	uint64_t dropped;	  /* did not parse, or no room */
};
void pc_sip_txn_stats(const struct pc_sip_txn_layer *layer, struct pc_sip_txn_stats *out);

#ifdef __cplusplus
}
#endif

#endif /* PC_SIP_TXN_H */
