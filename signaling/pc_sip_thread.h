/* SPDX-License-Identifier: MIT */
/*
 * pc_sip_thread.h - the SIP thread: a pthread that owns a SIP user agent (pc_sip_ua.h) and, when
 * given one, acts as the control thread of a media loop (pc_loop.h); the phone talks to it only
 * through two SPSC channels of fixed-size messages.
 *
 *   phone thread                     SIP thread                            media thread
 *   pc_sip_thread_call() ... --cmd--> pc_sip_ua_call() ...
 *                                     pc_sip_ua_poll(): SIP in/out, timers
 *                                     UA MEDIA event -> stream create/ --cmd--> pc_loop
 *                                       direction/remote/destroy
 *   pc_sip_thread_events() <--evt--- call events, stream up/down,    <--evt--- created, stats,
 *                                     media events, results                   DTMF, PLI, timeout
 *
 * Ownership: the SIP thread owns the UA (created by pc_sip_thread_create() on the caller's
 * thread, then handed over by pthread_create), the loop's control side while it runs, and every
 * per-stream object it lends the loop (SRTP session, jitter buffer). Nothing is shared between
 * the threads but the lock-free rings (pc_ring.h) of the two channels and of the frame rings
 * below; no lock is taken anywhere.
 *
 * Media glue (inside the SIP thread): for each active audio or video m-line of a UA MEDIA event
 * the call gets an RTP endpoint in the loop (PC_LOOP_CMD_MEDIA_CREATE): local port from the
 * UA's `local` caps, remote RTP/RTCP address from the SDP result, the primary payload type and
 * its clock, ptime, the telephone-event payload type, SRTP keys when negotiated (out: our key,
 * in: the peer's), a jitter buffer for audio, and the direction from send/recv (RFC 3264: a
 * held party answering recvonly sends nothing). A later offer/answer updates the direction
 * (PC_LOOP_CMD_MEDIA_DIRECTION) and the remote address (PC_LOOP_CMD_RELAY_REMOTE); a change of
 * codec, clock or keys replaces the stream; a rejected m-line and the end of the call destroy
 * it. Loop stream ids 0..conf.streams-1 are this thread's, one per stream slot.
 *
 * Frame rings: with conf.frame_msgs, each stream slot has two SPSC rings of struct pc_pkt *
 * made at create: tx (the phone's encoder produces, the loop consumes) and rx (the loop's
 * playout produces, the phone's decoder consumes). PC_SIP_THREAD_EV_STREAM_UP lends them to the
 * phone; after PC_SIP_THREAD_EV_STREAM_DOWN the loop no longer touches them, the phone drains
 * rx (and any tx frames it queued after the loop's last look) with pc_pkt_free(), then calls
 * pc_sip_thread_release(): only then is the slot used again. Frames are struct pc_pkt of the
 * loop's I/O pool (pc_io_pool()), taken and freed through the phone thread's own cache; their
 * layout is pc_media.h's. Without frame rings nothing is sent (there is no producer), and no
 * release is needed.
 *
 * Thread context: pc_sip_thread_create/destroy and every other function below: the one phone
 * thread (the producer of the command channel and the consumer of the event channel); the
 * SIP thread runs everything else. Allocates: create (channels, rings, the UA), and on the SIP
 * thread at each stream set-up (SRTP session, jitter buffer); never on the phone's calls.
 */
#ifndef PC_SIP_THREAD_H
#define PC_SIP_THREAD_H

#include <stdbool.h>
#include <stdint.h>

#include "pc_loop.h"
#include "pc_media.h"
#include "pc_ring.h"
#include "pc_sdp.h"
#include "pc_sip_ua.h"

#ifdef __cplusplus
extern "C" {
#endif

#define PC_SIP_THREAD_MEDIA_MAX 4  /* m-lines summarised in an event (and given streams) */
#define PC_SIP_THREAD_CODEC_MAX 16 /* codec name room, NUL included */

struct pc_sip_thread;

struct pc_sip_thread_conf {
	/* The UA's configuration (copied). on_event and arg are ignored: the thread takes the
	 * UA's events. Give each UA of a process its own rtp_port_min..max: the UA hands out
	 * ports from its range without asking the system. */
	struct pc_sip_ua_conf ua;
	/* The media loop to drive, or NULL (signaling only). Retained: from create until destroy
	 * returns, the SIP thread is its one control thread; its streams 0..streams-1 are ours
	 * (its max_streams must be at least that). Someone runs it (pc_loop_run on its thread). */
	struct pc_loop *loop;
	uint32_t cmd_msgs;	   /* commands in flight, a power of two; 0: 64 */
	uint32_t evt_msgs;	   /* events in flight, a power of two; 0: 256 */
	uint32_t streams;	   /* stream slots (loop stream ids); 0: 16 */
	uint32_t frame_msgs;	   /* frames per frame ring, a power of two; 0: no frame rings */
	uint32_t poll_ms;	   /* longest the SIP thread sleeps in pc_sip_ua_poll; 0: 2 */
	uint32_t media_timeout_ms; /* the loop's media timeout per stream; 0: none */
	uint32_t jb_delay_ms;	   /* audio jitter buffer starting delay; 0: the defaults */
	bool no_jb;		   /* audio frames are played as they come */
};

enum pc_sip_thread_cmd_type {
	PC_SIP_THREAD_CMD_CALL = 1,
	PC_SIP_THREAD_CMD_ANSWER,
	PC_SIP_THREAD_CMD_REJECT,
	PC_SIP_THREAD_CMD_HANGUP,
	PC_SIP_THREAD_CMD_HOLD,
	PC_SIP_THREAD_CMD_RESUME,
	PC_SIP_THREAD_CMD_TRANSFER,
	PC_SIP_THREAD_CMD_TRANSFER_REPLACE,
	PC_SIP_THREAD_CMD_DTMF,
	PC_SIP_THREAD_CMD_STATS,
	PC_SIP_THREAD_CMD_RELEASE,
	PC_SIP_THREAD_CMD_REGISTER,
	PC_SIP_THREAD_CMD_PING, /* nothing: answered by RESULT (a latency probe) */
};

enum pc_sip_thread_ev_type {
	/* u.ua: a UA event (pc_sip_ua.h) of call @call (0: an account event) */
	PC_SIP_THREAD_EV_UA = 1,
	/* Command @req was carried out: rc (0 or -errno from the UA or the glue), call (the new
	 * call's number for CALL: that call's first events may come before this), t_cmd_ns/t_ns
	 * (latency). Every command gets exactly one, in the order the commands were sent. */
	PC_SIP_THREAD_EV_RESULT,
	/* u.stream: stream @stream of @call runs in the loop (rc 0) or could not be made (rc <
	 * 0: then no STREAM_DOWN follows, release it when it has frame rings) */
	PC_SIP_THREAD_EV_STREAM_UP,
	PC_SIP_THREAD_EV_STREAM_UPDATE, /* u.stream: a new direction or remote address */
	PC_SIP_THREAD_EV_STREAM_DOWN,	/* u.stats: destroyed, its last counters */
	PC_SIP_THREAD_EV_STATS,		/* u.stats: answer to pc_sip_thread_stats (@req) */
	PC_SIP_THREAD_EV_MEDIA,		/* u.media: DTMF received, key-frame request, BYE, RTCP */
	PC_SIP_THREAD_EV_MEDIA_TIMEOUT, /* nothing received for conf.media_timeout_ms */
	PC_SIP_THREAD_EV_MEDIA_ERROR,	/* rc: a loop command failed (DTMF busy, ...) */
};

/* One m-line of a negotiation, from our side. */
struct pc_sip_thread_media {
	uint8_t type;	/* enum pc_sdp_media_type */
	uint8_t active; /* 0: rejected; nothing else is set */
	uint8_t send, recv;
	uint8_t pt;
	int8_t te_pt; /* telephone-event, -1 none */
	uint8_t srtp; /* enum pc_sdp_crypto_suite, 0: plain RTP */
	uint8_t rtcp_mux;
	uint32_t clock, ptime;
	char codec[PC_SIP_THREAD_CODEC_MAX];
	union pc_pkt_addr remote_rtp, remote_rtcp; /* family 0: unknown (hold, FQDN) */
	uint16_t local_port;
	int16_t stream; /* our stream slot, -1 none */
};

/* A stream in the loop (STREAM_UP / STREAM_UPDATE). */
struct pc_sip_thread_stream {
	uint32_t mline;	    /* its m-line index */
	uint32_t type;	    /* enum pc_sdp_media_type */
	uint32_t direction; /* enum pc_media_dir */
	uint32_t pt, clock, ptime_ms;
	union pc_pkt_addr local_rtp; /* bound (STREAM_UP) */
	union pc_pkt_addr remote_rtp;
	/* Lent to the phone until it releases the stream (NULL without frame rings): tx, the
	 * phone produces frames for the loop to send; rx, the loop's playout for the phone. */
	struct pc_ring *tx_frames, *rx_frames;
};

struct pc_sip_thread_event {
	uint32_t type;	/* enum pc_sip_thread_ev_type */
	uint32_t call;	/* 0: none */
	uint32_t req;	/* RESULT, STATS: the request id */
	int32_t rc;	/* 0 or -errno */
	int32_t stream; /* stream slot of STREAM_*, STATS, MEDIA*: -1 none */
	uint32_t pad;
	uint64_t t_cmd_ns; /* RESULT: when the phone enqueued the command (CLOCK_MONOTONIC) */
	uint64_t t_ns;	   /* when the SIP thread produced the event */
	union {
		struct {
			uint32_t type; /* enum pc_sip_ua_ev_type */
			uint32_t account, code, other_call, expires;
			char peer[PC_SIP_UA_STR];
			char reason[64];
			/* PC_SIP_UA_EV_MEDIA: the m-lines negotiated */
			uint32_t nmedia;
			struct pc_sip_thread_media media[PC_SIP_THREAD_MEDIA_MAX];
		} ua;
		struct pc_sip_thread_stream stream;
		struct pc_media_stats stats;
		struct pc_media_evt media;
	} u;
};

struct pc_sip_thread_stats {
	uint64_t cmds;		 /* commands carried out */
	uint64_t evts_dropped;	 /* events lost: the event channel was full */
	uint64_t loop_cmds_full; /* loop commands not sent: its channel was full */
	uint64_t streams_created, streams_destroyed, stream_failures;
	uint64_t polls; /* iterations of the SIP thread */
};

/*
 * pc_sip_thread_create() - make the UA (on the calling thread), the channels and frame rings,
 * then start the SIP thread.
 * @out: written on success. @conf: borrowed, copied. conf->loop is retained (see above).
 * Return: 0, -EINVAL (bad sizes), -ENOMEM, the UA's error, or pthread_create's (negated).
 */
int pc_sip_thread_create(struct pc_sip_thread **out, const struct pc_sip_thread_conf *conf);

/*
 * pc_sip_thread_destroy() - stop the SIP thread: it hangs up the calls still up, destroys its
 * streams in the loop (waiting at most a second for the loop's answers), destroys the UA and
 * returns; then the channels and rings are freed. The loop's control side is the caller's again.
 * Frames still on a frame ring are freed (pc_pkt_free(NULL, ...)). NULL is fine.
 */
void pc_sip_thread_destroy(struct pc_sip_thread *t);

/* The UA's SIP port (known from create on). */
uint16_t pc_sip_thread_port(const struct pc_sip_thread *t);

/*
 * Actions: each enqueues one command and returns its request id (> 0), answered later by one
 * PC_SIP_THREAD_EV_RESULT with that id; or -EAGAIN (the command channel is full), -EINVAL (a
 * target longer than PC_SIP_UA_STR - 1, a bad key). Never blocks, never allocates.
 */
int pc_sip_thread_call(struct pc_sip_thread *t, unsigned account, const char *target);
int pc_sip_thread_answer(struct pc_sip_thread *t, unsigned call);
int pc_sip_thread_reject(struct pc_sip_thread *t, unsigned call, unsigned code);
int pc_sip_thread_hangup(struct pc_sip_thread *t, unsigned call);
int pc_sip_thread_hold(struct pc_sip_thread *t, unsigned call);
int pc_sip_thread_resume(struct pc_sip_thread *t, unsigned call);
int pc_sip_thread_transfer(struct pc_sip_thread *t, unsigned call, const char *target);
int pc_sip_thread_transfer_replace(struct pc_sip_thread *t, unsigned call, unsigned other);
int pc_sip_thread_register(struct pc_sip_thread *t, unsigned account);
/* RFC 4733 key on the call's audio stream ('0'-'9', '*', '#', 'A'-'D'), @duration_ms >= 40.
 * RESULT rc -ENOENT: no audio stream; a refusal by the loop (-EBUSY) comes as MEDIA_ERROR. */
int pc_sip_thread_dtmf(struct pc_sip_thread *t, unsigned call, char key, uint32_t duration_ms);
/* The counters of each stream of @call: the RESULT's rc is how many streams were asked (or
 * -ENOENT: none), then one PC_SIP_THREAD_EV_STATS per stream follows (req = this id; with
 * several requests outstanding for a stream, its answers carry the latest id). */
int pc_sip_thread_stats(struct pc_sip_thread *t, unsigned call);
/* Give stream slot @stream back after its STREAM_DOWN (or failed STREAM_UP), frame rings
 * drained (see above). */
int pc_sip_thread_release(struct pc_sip_thread *t, unsigned stream);
/* A command that does nothing: its RESULT measures the channel's round trip. */
int pc_sip_thread_ping(struct pc_sip_thread *t);

/*
 * pc_sip_thread_events() - take up to @n events into @evs (copied; borrowed array).
 * Return: how many. Never blocks.
 */
unsigned pc_sip_thread_events(struct pc_sip_thread *t, struct pc_sip_thread_event *evs, unsigned n);

/* Counters (written by the SIP thread, read here with relaxed loads: each is exact, the set is
 * not a snapshot). */
void pc_sip_thread_get_stats(const struct pc_sip_thread *t, struct pc_sip_thread_stats *st);

#ifdef __cplusplus
}
#endif

#endif /* PC_SIP_THREAD_H */
