/* SPDX-License-Identifier: MIT */
/*
 * pc_loop.h - the media loop: one per media thread, run to completion.
 *
 * Each iteration: receive a burst from the I/O backend, classify each packet by the port it
 * came in on to its stream (a relay leg's RTP or RTCP port, or an RTP endpoint's: pc_media.h),
 * hand it to the stream, take the frames the endpoints' producers queued, send what the
 * streams produced in bursts, run the timers that are due (a timer wheel on CLOCK_MONOTONIC,
 * 1 ms ticks: media timeouts, the endpoints' playout ticks and RTCP), flush the backend, and
 * take a few commands. Nothing in an iteration allocates, locks or blocks. A stream's ports are
 * made on the control thread: pc_loop_cmd_commit() (or pc_loop_cmd_send()) of a create command
 * prepares them (socket(), bind(): pc_io_port_prepare) before posting it, and the loop only
 * adopts them into its I/O instance (pc_io_port_adopt: no socket call but one epoll_ctl MOD per
 * port in the sockets backend); an iteration still takes at most one create.
 *
 * Control: another thread (the SIP thread, a test, the benchmark) talks to the loop only
 * through two SPSC channels of fixed-size messages: commands down (create, update, destroy a
 * stream, ask for its statistics, stop) and events up (created, destroyed, statistics, media
 * timeout). A message is reserved, filled in place and committed; the receiver releases it.
 * Neither side ever waits: a full channel makes reserve return NULL (events: dropped and
 * counted). Create, destroy and stats commands are answered by one event each; the others
 * only when they fail (ERROR). A control thread that keeps no more of them unanswered than
 * the event channel holds, and drains it, loses no answer (media events, timeouts and DTMF
 * share the channel: size it for them too).
 *
 * Thread context: pc_loop_create/destroy, the cmd_* and evt_* calls: the one control thread;
 * pc_loop_poll/run: the loop thread. Allocates: pc_loop_create() on the heap; the commit or
 * send of a create command makes its sockets (kernel memory), on the control thread.
 */
#ifndef PC_LOOP_H
#define PC_LOOP_H

#include <stdbool.h>
#include <stdint.h>

#include "pc_io.h"
#include "pc_media.h"
#include "pc_relay.h"

#ifdef __cplusplus
extern "C" {
#endif

enum pc_loop_msg_type {
	/* commands */
	PC_LOOP_CMD_RELAY_CREATE = 1, /* u.relay: the legs' ports (made at commit), relay */
	PC_LOOP_CMD_RELAY_REMOTE,     /* u.remote: set a leg's remote address (an endpoint's:
				       * leg 0) */
	PC_LOOP_CMD_STREAM_DESTROY,   /* close the stream's ports; final stats in the event
				       * (an endpoint sends an RTCP BYE first) */
	PC_LOOP_CMD_STREAM_STATS,     /* ask for the stream's counters */
	PC_LOOP_CMD_STOP,	      /* pc_loop_run() returns */
	PC_LOOP_CMD_MEDIA_CREATE,     /* u.media: the ports (made at commit), an RTP endpoint */
	PC_LOOP_CMD_MEDIA_DIRECTION,  /* u.direction: hold (sendonly, inactive), resume */
	PC_LOOP_CMD_MEDIA_DTMF,	      /* u.dtmf: send a key (RFC 4733) */
	/* events */
	PC_LOOP_EVT_CREATED = 64, /* rc; u.created: the bound local addresses */
	PC_LOOP_EVT_DESTROYED,	  /* rc; u.stats: the final counters */
	PC_LOOP_EVT_STATS,	  /* rc; u.stats */
	PC_LOOP_EVT_TIMEOUT,	  /* u.timeout: a leg received nothing for timeout_ms */
	PC_LOOP_EVT_ERROR,	  /* rc: a command failed (bad stream id, bad type) */
	PC_LOOP_EVT_MEDIA,	  /* u.media_evt: DTMF received, an RTCP report, a key-frame
				   * request, a BYE (pc_media.h) */
};

struct pc_loop_relay_create {
	/* leg[].srtp (may be NULL) is lent to the loop from this command until the stream's
	 * DESTROYED event, or a CREATED event with rc < 0: the control thread made it, and
	 * destroys it after that event (pc_srtp_destroy). */
	struct pc_relay_leg_conf leg[2];
	union pc_pkt_addr local_rtp[2];	 /* where to bind each leg's RTP port (port 0: any) */
	union pc_pkt_addr local_rtcp[2]; /* RTCP port; family 0: RTP port + 1 when free, or any */
	uint32_t timeout_ms;		 /* media timeout per leg; 0: none */
};

/* An RTP endpoint (pc_media.h). conf.srtp, conf.jb, conf.tx_frames and conf.rx_frames are lent
 * to the loop from this command until the stream's DESTROYED event, or a CREATED event with
 * rc < 0; the control thread destroys them after that event. */
struct pc_loop_media_create {
	struct pc_media_conf conf;
	union pc_pkt_addr local_rtp;   /* where to bind (port 0: any) */
	union pc_pkt_addr local_rtcp;  /* family 0: RTP port + 1 when free, or any */
	union pc_pkt_addr remote_rtp;  /* family 0: learn from the first packet */
	union pc_pkt_addr remote_rtcp; /* family 0: learn, or the RTP remote's port + 1 */
	uint32_t rtcp_mux;	       /* RTCP on the RTP port (RFC 5761) */
	uint32_t timeout_ms;	       /* media timeout; 0: none */
};

struct pc_loop_msg {
	uint32_t type;	 /* enum pc_loop_msg_type */
	uint32_t stream; /* stream id, chosen by the control thread, < max_streams */
	int32_t rc;	 /* events: 0 or -errno */
	uint32_t pad;
	union {
		struct pc_loop_relay_create relay;
		struct pc_loop_media_create media;
		uint32_t direction; /* enum pc_media_dir */
		struct {
			char key;
			uint8_t pad[3];
			uint32_t duration_ms;
		} dtmf;
		struct pc_media_stats media_stats; /* STATS, DESTROYED of an endpoint */
		struct pc_media_evt media_evt;
		struct {
			uint32_t leg;
			uint32_t kind; /* enum pc_relay_kind */
			union pc_pkt_addr addr;
		} remote;
		struct {
			union pc_pkt_addr rtp[2];
			union pc_pkt_addr rtcp[2];
		} created;
		struct pc_relay_leg_stats stats[2]; /* STATS, DESTROYED of a relay */
		struct {
			uint32_t leg;
		} timeout;
	} u;
};

/* What an iteration that found nothing to do leads to (pc_loop_run). */
enum pc_loop_idle {
	PC_LOOP_IDLE_POLL = 0, /* spin: the lowest latency, one core always busy (a gateway) */
	PC_LOOP_IDLE_SLEEP,    /* after idle_polls empty iterations in a row, sleep in the
				* backend (pc_io_wait) until a packet comes or one timer tick
				* (1 ms) passes; commands are then taken within 1 ms (a phone) */
};

struct pc_loop_conf {
	struct pc_io *io;	/* borrowed; the loop thread's once running (the control thread
				 * only prepares ports on it: pc_io_port_prepare) */
	uint32_t max_streams;	/* 0: 1024 */
	uint32_t channel_msgs;	/* messages per channel; a power of two; 0: 256 */
	uint32_t cmds_per_iter; /* commands taken per iteration; 0: 8 */
	uint32_t burst;		/* 0: 32 */
	uint32_t idle;		/* enum pc_loop_idle */
	uint32_t idle_polls;	/* PC_LOOP_IDLE_SLEEP: empty iterations before sleeping; 0: 64 */
};

struct pc_loop_stats {
	uint64_t iterations;
	uint64_t rx_pkts;
	uint64_t tx_pkts;      /* handed to the backend */
	uint64_t unknown_port; /* dropped: no stream on the port */
	uint64_t cmds;
	uint64_t evts_dropped; /* the event channel was full */
	uint64_t timers_fired;
	uint64_t sleeps;     /* PC_LOOP_IDLE_SLEEP: times the loop slept in pc_io_wait */
	uint64_t tx_dropped; /* packets the backend did not take */
};

struct pc_loop;

int pc_loop_create(struct pc_loop **out, const struct pc_loop_conf *conf);
/* pc_loop_destroy - close every stream's ports, and the sockets prepared for creates the loop
 * never took (the I/O instance stays the caller's). After the loop thread has stopped. */
void pc_loop_destroy(struct pc_loop *l);

/* pc_loop_cmd_reserve - control thread: a zeroed command message (the caller's until commit or
 * send), or NULL when the channel is full. Allocates nothing. */
struct pc_loop_msg *pc_loop_cmd_reserve(struct pc_loop *l);

/*
 * pc_loop_cmd_commit - control thread: send @m (transferred to the loop). A create command's
 * ports are prepared here, on the calling thread, from its local_* addresses (socket(),
 * setsockopt(), bind(): pc_io_port_prepare; RTCP on the RTP port + 1 when free, else any,
 * unless given or muxed); the loop adopts them. When they cannot be made, the command is
 * sent all the same and the loop answers CREATED with that -errno (what it lent comes back
 * as for any failed create). Never blocks. Allocates: a create's sockets (kernel memory).
 */
void pc_loop_cmd_commit(struct pc_loop *l, struct pc_loop_msg *m);

/*
 * pc_loop_cmd_send - pc_loop_cmd_commit(), but a create whose ports cannot be prepared (or with
 * a stream id >= max_streams) is not sent: returns that -errno, nothing it lends is
 * transferred, no socket stays open, and @m goes back to the channel (the next
 * pc_loop_cmd_reserve() returns it). Returns 0 once sent (@m transferred). Never blocks.
 * Thread context: the control thread. Allocates: a create's sockets (kernel memory).
 */
int pc_loop_cmd_send(struct pc_loop *l, struct pc_loop_msg *m);

/* Control thread: events. poll returns the next event (borrowed until released) or NULL. */
struct pc_loop_msg *pc_loop_evt_poll(struct pc_loop *l);
void pc_loop_evt_release(struct pc_loop *l, struct pc_loop_msg *m);

/* Loop thread: one iteration at CLOCK_MONOTONIC @now_ns (0: read the clock). Returns the
 * packets received, or -ECANCELED once a STOP command was taken. */
int pc_loop_poll(struct pc_loop *l, uint64_t now_ns);

/* Loop thread: iterate until a STOP command; when idle, spin or sleep as conf.idle says. */
void pc_loop_run(struct pc_loop *l);

/* Loop thread (or after it stopped): counters. */
void pc_loop_get_stats(const struct pc_loop *l, struct pc_loop_stats *st);

/* pc_loop_now_ns - CLOCK_MONOTONIC in nanoseconds (vDSO: no system call). */
uint64_t pc_loop_now_ns(void);

#ifdef __cplusplus
}
#endif

#endif /* PC_LOOP_H */
