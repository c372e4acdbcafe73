/* SPDX-License-Identifier: MIT */
/*
 * pc_sip_transport.h - SIP transports (RFC 3261 section 18): UDP, TCP and TLS listeners and
 * connections of the signaling thread, on one epoll set.
 *
 * A transport instance belongs to one thread (the SIP thread); nothing here is thread-safe and
 * nothing blocks. Its sockets are non-blocking and sit on one epoll set: either call
 * pc_sip_transport_poll() in a loop, or put pc_sip_transport_fd() into the signaling loop's own
 * poll set next to its timers and call pc_sip_transport_poll(t, 0) when it is readable or when
 * pc_sip_transport_timeout() has passed.
 *
 * Received messages go up through the recv handler, one complete message at a time: a datagram,
 * or one frame cut from a TCP/TLS stream by pc_sip_stream_frame() (RFC 3261 18.3). The bytes are
 * borrowed for the call only (they live in the transport's receive buffers).
 *
 * Connections (TCP and TLS) are named by a handle (uint32_t, never 0, not reused for a long
 * time: a slot number and a generation), valid until the close handler reports it closed.
 * Sending to (transport, address) reuses an open connection to that peer address, inbound or
 * outbound (RFC 3261 18.1.1, 18.2.2), and opens one otherwise (non-blocking connect; the message
 * waits in the connection's output queue meanwhile). A response goes back over the connection
 * its request came on with pc_sip_transport_send_conn(), or for UDP from the listener it came
 * to with pc_sip_transport_send_from(). Output queues are bounded: a message that does not fit
 * is refused whole with -ENOBUFS, never cut.
 *
 * A malformed frame on a stream, a failed TLS handshake, a peer that closes or an error closes
 * that connection only, with one line on stderr, a count in the statistics and the close
 * handler; the rest carries on.
 *
 * Keep-alive: on TCP/TLS, a double CRLF "ping" from the peer is answered with a single CRLF
 * "pong" (RFC 5626 4.4.1) and CRLFs before a start line are skipped; a datagram holding only
 * CRLFs is ignored. Every connection this side opened can send a ping every keepalive_ms
 * (pc_sip_transport_conf), and pc_sip_transport_keepalive() adds a keep-alive for any flow
 * (UDP too): each time it falls due the keepalive handler is asked first (the UA may send an
 * OPTIONS instead); if there is none or it declines, the transport sends "\r\n\r\n".
 *
 * rport (RFC 3581) and received (RFC 3261 18.2.1): pc_sip_via_received() decides, from the top
 * Via of an incoming request and its source address, which parameters to add, formats them,
 * and can write the rewritten Via value.
 *
 * Thread context: the owning thread only (the pure helpers at the end: any). Allocates: create
 * (the connection table, a datagram buffer, the TLS contexts) and each connection on open (its
 * receive buffer of PC_SIP_MAX_MSG octets, its output queue, its SSL object); sending and
 * receiving on open connections do not.
 */
#ifndef PC_SIP_TRANSPORT_H
#define PC_SIP_TRANSPORT_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#ifdef __cplusplus
extern "C" {
#endif

enum pc_sip_tp { PC_SIP_TP_UDP = 0, PC_SIP_TP_TCP, PC_SIP_TP_TLS, PC_SIP_TP__COUNT };

/* An IPv4 or IPv6 socket address (family AF_INET or AF_INET6, network byte order). */
union pc_sip_addr {
	struct sockaddr sa;
	struct sockaddr_in in4;
	struct sockaddr_in6 in6;
};

#define PC_SIP_TP_MAX_LISTENERS 8
/* Room for pc_sip_addr_format(): "[v6]:port", NUL included. */
#define PC_SIP_ADDR_STRLEN (INET6_ADDRSTRLEN + 8)

/* One received message (borrowed by the handler for the call only). */
struct pc_sip_rx {
	const char *buf; /* the message: start line to the end of the body (streams), or the
			  * whole datagram (UDP: the parser finds the body's end) */
	size_t len;
	enum pc_sip_tp tp;
	union pc_sip_addr src;	 /* the peer (for UDP and for an inbound connection: the source
				  * address, what received/rport describe) */
	union pc_sip_addr local; /* the local address it arrived on (UDP: the listener's bound
				  * address, a wildcard if it was bound to one) */
	uint32_t conn;		 /* TCP/TLS: the connection; UDP: 0 */
	int listener;		 /* UDP and accepted connections: the listener id it came
				  * through; an outbound connection: -1 */
};

/* The recv handler: one message. It may send (pc_sip_transport_send*) and close connections,
 * but not poll or destroy the transport. */
typedef void (*pc_sip_transport_recv_h)(void *arg, const struct pc_sip_rx *rx);
/* The close handler: connection @conn to @peer over @tp is gone; @reason 0 (closed by us: idle
 * or pc_sip_transport_close), -ECONNRESET (peer closed or reset), -ECONNREFUSED / -ETIMEDOUT /
 * -EHOSTUNREACH (connect failed), -EBADMSG / -E2BIG / -EPROTO (malformed frame), -EACCES (TLS
 * certificate verification failed), -EPROTO (other TLS failure). Messages still queued on it
 * are dropped. It may send (a new connection is opened) but not destroy the transport. */
typedef void (*pc_sip_transport_close_h)(void *arg, uint32_t conn, enum pc_sip_tp tp,
					 const union pc_sip_addr *peer, int reason);
/* The keepalive handler: a keep-alive on (@tp, @peer) is due. Return 0 when the UA took care of
 * it (e.g. sent an OPTIONS), -ENOSYS to have the transport send "\r\n\r\n". */
typedef int (*pc_sip_transport_keepalive_h)(void *arg, enum pc_sip_tp tp,
					    const union pc_sip_addr *peer);

struct pc_sip_transport_conf {
	/* TCP + TLS connections at once; 0: 256, at most 65535. */
	uint32_t max_conns;
	/* Octets queued per connection; 0: 256 KiB; at least PC_SIP_MAX_MSG (a message never
	 * waits cut). */
	uint32_t out_queue_max;
	/* Close a connection with no traffic this long; 0: 600 s; UINT32_MAX: never. */
	uint32_t idle_timeout_ms;
	/* Ping (CRLF CRLF) every connection this side opened this often; 0: off. */
	uint32_t keepalive_ms;
	/* Connect plus TLS handshake; 0: 32 s (64*T1, as timer B). */
	uint32_t connect_timeout_ms;
	/* Flows pc_sip_transport_keepalive() can hold; 0: 32. */
	uint32_t max_keepalives;

	/* TLS (all paths borrowed during create only). A TLS listener needs cert + key. */
	const char *tls_cert_file; /* PEM certificate (chain) shown by listeners and, when the
				    * peer asks, by outbound connections */
	const char *tls_key_file;  /* PEM private key of that certificate */
	const char *tls_ca_file;   /* PEM CAs trusted to verify peers; NULL: the system's */
	bool tls_verify_server;	   /* outbound: verify the server's certificate, and that it
				    * names the send's host (or the destination address) */
	bool tls_verify_client;	   /* listeners: ask for a client certificate and require one
				    * that verifies */

	pc_sip_transport_recv_h on_recv; /* required */
	pc_sip_transport_close_h on_close;
	pc_sip_transport_keepalive_h on_keepalive;
	void *arg; /* passed to the handlers (retained, not owned) */
};

struct pc_sip_transport_stats {
	uint64_t rx_msgs, rx_bytes; /* messages delivered and their octets */
	uint64_t rx_dgram_dropped;  /* datagrams dropped: truncated (> PC_SIP_MAX_MSG) or empty */
	uint64_t rx_keepalives;	    /* CRLF-only datagrams and double-CRLF pings received */
	uint64_t rx_pongs;	    /* lone CRLFs received on streams */
	uint64_t tx_msgs, tx_bytes; /* messages accepted for sending */
	uint64_t tx_errors;	    /* datagrams the kernel refused */
	uint64_t tx_nobufs;	    /* messages refused with -ENOBUFS (queue or table full) */
	uint64_t tx_keepalives;	    /* pings sent (and pongs answered) */
	uint64_t conns_accepted, conns_opened, conns_closed;
	uint64_t conns_idle;	/* closed for being idle */
	uint64_t conns_refused; /* inbound refused: the table was full */
	uint64_t frame_errors;	/* connections closed for a malformed frame */
	uint64_t wake_errors;	/* reads of the wake eventfd that failed (not EAGAIN) */
	uint64_t tls_failures;	/* handshakes that failed (verification included) */
	uint64_t conns_open;	/* open now */
};

struct pc_sip_transport;

/*
 * pc_sip_transport_create - an empty transport (no listener); writes *@out on success.
 * @conf: borrowed (its handlers and arg are kept). TLS files are loaded here.
 * Returns 0, -EINVAL (no on_recv, bad sizes, tls_verify_client without a certificate), -ENOMEM,
 * -EIO (a TLS file could not be loaded or the key does not match: one line on stderr names the
 * file), or the -errno of epoll_create1.
 */
int pc_sip_transport_create(struct pc_sip_transport **out,
			    const struct pc_sip_transport_conf *conf);

/* pc_sip_transport_destroy - close every socket and connection (no close handler calls) and
 * free everything. NULL is ignored. */
void pc_sip_transport_destroy(struct pc_sip_transport *t);

/*
 * pc_sip_transport_listen - open a listener: a UDP socket, or a TCP/TLS listening socket.
 * @local: borrowed; address and port to bind (port 0: an ephemeral port). IPv6 listeners are
 *         IPv6-only, so v4 and v6 can share a port number.
 * @bound: out (may be NULL): the address actually bound (the port chosen).
 * The first UDP listener of a family is the source of datagrams sent to that family.
 * Returns a listener id >= 0, or -EINVAL (TLS without a certificate, bad family), -EMFILE
 * (PC_SIP_TP_MAX_LISTENERS reached), -EADDRINUSE or another -errno of socket/bind/listen.
 */
int pc_sip_transport_listen(struct pc_sip_transport *t, enum pc_sip_tp tp,
			    const union pc_sip_addr *local, union pc_sip_addr *bound);

/*
 * pc_sip_transport_send - send one message to @dst over @tp.
 * @dst: borrowed. @buf: borrowed, copied (into the kernel or the connection's queue).
 * @host: TLS only (else ignored), may be NULL: the server's name, sent as SNI and checked
 *        against its certificate when tls_verify_server is on; NULL checks @dst's address.
 * @conn_out: out (may be NULL): the connection used (0 for UDP).
 * UDP: one datagram from the first UDP listener of @dst's family. TCP/TLS: over an open
 * connection to @dst (the first found, inbound or outbound, whatever its host), else over a new
 * one (queued until connected and, for TLS, the handshake is done).
 * Returns 0; -EINVAL (bad address or @len 0 or > PC_SIP_MAX_MSG); -EADDRNOTAVAIL (UDP: no
 * listener of that family); -ENOBUFS (the queue is full, or the connection table is); -errno of
 * socket/connect/sendto (the close handler is not called for a connection that failed here).
 * A connection that fails later (refused, TLS verification) is reported by the close handler
 * with what was queued on it.
 */
int pc_sip_transport_send(struct pc_sip_transport *t, enum pc_sip_tp tp,
			  const union pc_sip_addr *dst, const char *host, const void *buf,
			  size_t len, uint32_t *conn_out);

/*
 * pc_sip_transport_send_conn - send one message over connection @conn (a response over the
 * connection its request came on, RFC 3261 18.2.2). @buf borrowed, copied.
 * Returns 0, -ENOTCONN (the connection is gone: the caller falls back to sending to the
 * address, 18.2.2), -ENOBUFS (queue full), -EINVAL.
 */
int pc_sip_transport_send_conn(struct pc_sip_transport *t, uint32_t conn, const void *buf,
			       size_t len);

/*
 * pc_sip_transport_send_from - send one datagram from UDP listener @listener (a response to a
 * request that came in on it, so that it leaves from the address the request was sent to:
 * what a NAT expects with rport, RFC 3581 4). @dst, @buf borrowed; @buf copied.
 * Returns 0, -EINVAL (not a UDP listener, bad address or family, bad length), -errno of
 * sendto.
 */
int pc_sip_transport_send_from(struct pc_sip_transport *t, int listener,
			       const union pc_sip_addr *dst, const void *buf, size_t len);

/* pc_sip_transport_close - close connection @conn (its queue is dropped; the close handler runs
 * with reason 0 from the next poll). Returns 0 or -ENOTCONN. */
int pc_sip_transport_close(struct pc_sip_transport *t, uint32_t conn);

/* pc_sip_transport_conn_peer - the peer address and transport of @conn. Returns 0 or -ENOTCONN.
 * @peer, @tp: out (either may be NULL). */
int pc_sip_transport_conn_peer(const struct pc_sip_transport *t, uint32_t conn,
			       union pc_sip_addr *peer, enum pc_sip_tp *tp);

/* pc_sip_transport_conn_find - the open connection (tp, @dst) would be sent over, or 0. */
uint32_t pc_sip_transport_conn_find(const struct pc_sip_transport *t, enum pc_sip_tp tp,
				    const union pc_sip_addr *dst);

/*
 * pc_sip_transport_keepalive - keep flow (@tp, @dst) alive: every @interval_ms the keepalive
 * handler is asked, then (if it declines) "\r\n\r\n" goes to @dst: a datagram from the UDP
 * listener, or over the open TCP/TLS connection to @dst (none is opened for it: a flow whose
 * connection closed was reported by the close handler, and the UA registers again, RFC 5626).
 * Adding a flow that is there changes its interval. @interval_ms 0 removes the flow.
 * @dst: borrowed. Returns 0, -ENOBUFS (max_keepalives flows already), -ENOENT (removing a flow
 * that is not there), -EINVAL.
 */
int pc_sip_transport_keepalive(struct pc_sip_transport *t, enum pc_sip_tp tp,
			       const union pc_sip_addr *dst, uint32_t interval_ms);

/* pc_sip_transport_fd - the epoll descriptor: readable when pc_sip_transport_poll() has work. */
int pc_sip_transport_fd(const struct pc_sip_transport *t);

/*
 * pc_sip_transport_watch_wake - adds @fd, an eventfd (borrowed: the caller closes it after
 * destroying the transport), to the poll set: when another thread writes to it (the one write
 * that is thread-safe here: it only touches the eventfd), a pc_sip_transport_poll() waiting on
 * the SIP thread returns at once, having read the count back (nothing is delivered). That is how
 * commands from other threads wake the SIP thread. One such descriptor per transport.
 * Returns 0, -EBUSY when one is watched already, -EINVAL, or -errno of epoll_ctl.
 */
int pc_sip_transport_watch_wake(struct pc_sip_transport *t, int fd);

/* pc_sip_transport_timeout - milliseconds until the next internal timer (idle, keep-alive,
 * connect timeout) is due: 0 when one is due now, -1 when none is armed. */
int pc_sip_transport_timeout(const struct pc_sip_transport *t);

/*
 * pc_sip_transport_poll - wait up to @timeout_ms (0: do not wait, -1: until something happens;
 * cut short to the next internal timer) for socket events, handle them (accept, connect,
 * handshake, receive and deliver, flush queues), then run the timers that are due, then report
 * the connections closed (close handler).
 * Returns the number of messages delivered, -EINVAL, or -errno of epoll_wait (-EINTR
 * included).
 */
int pc_sip_transport_poll(struct pc_sip_transport *t, int timeout_ms);

/* pc_sip_transport_stats - a copy of the counters. */
void pc_sip_transport_stats(const struct pc_sip_transport *t, struct pc_sip_transport_stats *st);

const char *pc_sip_tp_name(enum pc_sip_tp tp); /* "UDP", "TCP", "TLS" (Via spelling), "?" */

/* --- pure helpers (any thread, no allocation) ------------------------------------------------ */

/* pc_sip_addr_parse - @ip (an IPv4 or IPv6 literal, no brackets) and @port into @out.
 * Returns 0 or -EINVAL. */
int pc_sip_addr_parse(union pc_sip_addr *out, const char *ip, uint16_t port);
/* pc_sip_addr_format - "1.2.3.4:5060" or "[::1]:5060" into @buf (PC_SIP_ADDR_STRLEN is
 * enough); returns @buf. */
char *pc_sip_addr_format(const union pc_sip_addr *a, char *buf, size_t len);
/* pc_sip_addr_equal - same family, address and port (IPv6: scope too). */
bool pc_sip_addr_equal(const union pc_sip_addr *a, const union pc_sip_addr *b);
/* pc_sip_addr_len - sizeof the family's sockaddr, 0 for another family. */
socklen_t pc_sip_addr_len(const union pc_sip_addr *a);

/*
 * pc_sip_stream_frame - cut the next message from the start of a TCP/TLS receive buffer
 * (RFC 3261 18.3). Pure: reads @buf[0 .. @len) only, keeps no state.
 * Leading CRLF pairs (keep-alives, RFC 5626 4.4.1; RFC 3261 7.5 says to ignore CRLFs before a
 * start line) are counted in *@skip: the caller discards them (and counts pings: two pairs in a
 * row) whatever is returned. After them the message is the headers up to and including the
 * empty line (CRLF CRLF), then exactly Content-Length octets of body (the header is required on
 * a stream; compact form 'l' too; one only, or all equal).
 * @max: largest message accepted (0, or more than PC_SIP_MAX_MSG: PC_SIP_MAX_MSG).
 * @scan: in/out, may be NULL: octets after the skip already searched for the end of headers by
 *        an earlier call on the same buffer (set it to 0 whenever the buffer's start moves);
 *        saves rescanning when a message arrives in many small reads.
 * @msg_len: out: on 1, the message's length (it starts at @buf + *@skip).
 * @err: optional; on failure a one-line reason, NUL-terminated, cut to @errlen.
 * Only the framing is checked (a line that is not "name: value" is left to pc_sip_msg_parse).
 * Returns 1 a message is complete; 0 more octets are needed; -EBADMSG bad syntax (a
 * Content-Length that is not 1*DIGIT, a stray CR or LF before the start line); -EPROTO no
 * Content-Length, or several that differ; -E2BIG over @max; -EINVAL @skip or @msg_len NULL.
 * On an error the stream cannot be resynchronised: close it.
 */
int pc_sip_stream_frame(const void *buf, size_t len, size_t max, size_t *skip, size_t *scan,
			size_t *msg_len, char *err, size_t errlen);

/*
 * pc_sip_via_received - what a server adds to the top Via of a request received from @src
 * (RFC 3261 18.2.1 received, RFC 3581 rport).
 * @via: the value of the first Via header (a slice, borrowed; only its first via-parm is read).
 * received is added when the sent-by host is not @src's address (a name, or another address),
 * and always when the request asked for rport (RFC 3581 4); rport gets @src's port when the
 * via-parm has an rport parameter without a value.
 * @params: out (may be NULL): ";received=1.2.3.4;rport=5060" or a part of it (IPv6 without
 *          brackets, RFC 5118 4.5), NUL-terminated; @plen its room.
 * @via_out: out (may be NULL): the whole Via value rewritten: received and rport set at the end
 *           of the first via-parm's parameters (an existing received replaced, an empty rport
 *           given its value), the rest copied as is; NUL-terminated; @vlen its room.
 * Returns the length of @params' text (0: nothing to add), -EBADMSG (no sent-protocol or
 * sent-by), -ENOSPC (an output too small), -EINVAL.
 */
int pc_sip_via_received(const char *via, size_t via_len, const union pc_sip_addr *src, char *params,
			size_t plen, char *via_out, size_t vlen);

#ifdef __cplusplus
}
#endif

#endif /* PC_SIP_TRANSPORT_H */
