/* SPDX-License-Identifier: MIT */
/*
 * pc_jb.h - the adaptive jitter buffer of one received audio stream.
 *
 * The media thread hands each received RTP packet to pc_jb_put() (the packet, and its sequence
 * number, timestamp, marker, SSRC, payload type and arrival time, so that this module does not
 * depend on the RTP parser) and asks pc_jb_get() for one frame per playout tick: the packet to
 * decode, a LOSS (conceal), or SILENCE (comfort noise or nothing), with a time-scale hint.
 *
 * How the delay is chosen (and why)
 *   Each packet's transit r = arrival - timestamp / clock_rate is measured on arrival. A floor
 *   (the smallest r of the last 2 s, kept as the minima of 8 buckets of 250 ms) follows the
 *   fastest path and a drifting sender clock. The excess r - floor of every packet goes into a
 *   histogram of 1 ms bins whose weights decay with a time constant of 4 s (NetEq's
 *   DelayManager keeps relative arrival delays the same way). The target delay over the floor
 *   is the one of least cost "delay + late_cost for each 1 % of recent packets later than it"
 *   (pc_jb_params.late_cost_us, 10 ms by default: the one knob of the trade-off between delay
 *   and late loss), weighed only at the offsets the playout ticks can reach, within [min, max].
 *   Why a cost and not a p95 with fast attack and slow decay: on a real (FIFO) path a stall
 *   delays every packet queued behind it, which inflates any quantile, and rounding a quantile
 *   up to the tick grid wastes half a frame on average. The cost covers compact jitter whole,
 *   lets rare long stalls go, and picks among the reachable offsets directly (Speex weighs its
 *   delay the same way, over 3 windows of its 40 latest packets).
 *   A packet that comes after its slot while only concealment was played since is still played
 *   if that keeps the delay within 120 ms over the target, as NetEq plays a packet that arrives
 *   during an expand: a delay step or a slowly draining stall then costs delay for a while,
 *   shed by ACCELERATE, rather than a run of late losses. Not when packets held behind it are
 *   on time again (a stall that ends in a burst): playing the stale frame would only have the
 *   next tick drop every frame up to those, as many frames lost and two seams instead of one,
 *   so the stale ones are late and playout goes on from the first on time.
 *   Adaptive playout starts with the first packet, at the first tick after it comes (the
 *   callee's first word is neither held for a warm-up nor dropped as a probe): the target is
 *   min until 5 packets have been measured, then the cost above; a late packet meanwhile is
 *   played by the wait above (an expansion), so starting low costs no packet. Fixed mode
 *   starts at normal. Should the first get come only after 5 packets are held, playout starts
 *   at the held packet whose delay is nearest the target from above, the ones before it
 *   dropped (accelerated) at once rather than by a run of ACCELERATE at a higher delay. After
 *   a resync (a resumed hold, a jump) playout starts with the first packet at the target.
 *
 * Playout
 *   Frames are played by timestamp, not by arrival: the frame due at a tick is the one whose
 *   timestamp is the playout pointer, which advances by one frame (clock_rate * ptime) per
 *   tick. A sequence gap is a loss; a timestamp gap with consecutive sequence numbers is a
 *   silence (DTX) gap and is never counted as loss; the first packet after such a gap starts a
 *   talkspurt, whose playout is re-anchored on the target (the delay adapts during silence at
 *   no audible cost). During speech the delay moves by whole frames: ACCELERATE drops the due
 *   frame and plays the next one in its tick (one frame when the offset stays a frame or more
 *   over the target, at most every other tick; from two frames over, as when a delay spike
 *   has passed, all of the excess in one tick: those frames are dropped either way, and
 *   shedding one a tick would only play the ones in between late); EXPAND inserts a
 *   concealed frame (when under the target, or while the buffer is empty below it). A late
 *   packet let in by the wait above is played in its tick, never dropped in it (that would
 *   count a late packet as accelerated). Fixed mode keeps the delay at normal with the same
 *   moves, for drift only.
 *
 *   Duplicates are freed and counted. A packet that arrives after its playout (and cannot be
 *   played as above) is freed and counted as late. A sequence jump (more than 3000 ahead or 100
 *   behind, RFC 3550 A.1) or a timestamp jump (a packet whose transit is more than max(1 s,
 *   2 * max delay) away from the floor) resynchronises: the held packets are flushed and
 *   playout restarts from that packet at the current target. A new SSRC resets the buffer as
 *   pc_jb_reset() does (the network estimate too: it may be another sender on another path).
 *
 * Telephone-events and other payloads routed elsewhere
 *   RFC 4733 events share the audio source's sequence numbers (and a sender usually stops
 *   its audio while it sends one); the caller routes them to the DTMF receiver and tells the
 *   buffer with pc_jb_put_other(): their numbers are then neither loss nor a reason to
 *   conceal. While every number since the last frame played went to such packets, an empty
 *   buffer plays SILENCE (not LOSS, not an underrun), and the audio that resumes after them
 *   with a timestamp jump starts a talkspurt, as after DTX. Without that call, their numbers
 *   are lost packets (counted, concealed). A DTX gap without comfort noise cannot be told
 *   from a stall while it lasts (LOSS frames: the decoder conceals, then fades); once the next
 *   packet shows it was silence, the underrun counted for it is taken back, and no packet was
 *   counted lost.
 *
 * Memory: fixed at create: a ring of slots indexed by sequence number, a power of two of at
 * least 2 * max / ptime + 4 (64 for 300 ms of 20 ms frames), the delay histogram and the
 * statistics' added-delay histogram (about 14 KiB in all with the defaults). put/get never
 * allocate and never block.
 *
 * Thread context: pc_jb_create() and pc_jb_destroy() run on the control thread, while no other
 * thread uses the buffer; everything else runs on the one thread that owns the buffer (the
 * media thread). Not thread-safe otherwise.
 */
#ifndef PC_JB_H
#define PC_JB_H

#include <stdint.h>

#include "pc_pkt.h"

#ifdef __cplusplus
extern "C" {
#endif

#define PC_JB_PTIME_MIN_MS 10u
#define PC_JB_PTIME_MAX_MS 60u
#define PC_JB_DELAY_LIMIT_MS 2000u /* the largest max_delay_ms accepted */
#define PC_JB_CN_PT 13		   /* RFC 3551 comfort noise payload type */

/* Defaults of the VP530's voice.jib.adaptive / .min / .normal / .max. */
#define PC_JB_MIN_DELAY_MS_DEFAULT 0u
#define PC_JB_NORMAL_DELAY_MS_DEFAULT 120u
#define PC_JB_MAX_DELAY_MS_DEFAULT 300u

#define PC_JB_LATE_COST_US_DEFAULT 10000u /* 1 % late weighs as much as 10 ms of delay */
#define PC_JB_LATE_COST_US_MAX 1000000u

#define PC_JB_F_FIXED 0x1u /* voice.jib.adaptive = 0: keep the delay at normal */

struct pc_jb;

struct pc_jb_params {
	uint32_t clock_rate;	  /* RTP clock rate in Hz: 8000 for G.711; 1000..384000 */
	uint32_t ptime_ms;	  /* frame (packet) duration, PC_JB_PTIME_MIN_MS..MAX_MS */
	uint32_t min_delay_ms;	  /* lowest target delay (voice.jib.min) */
	uint32_t normal_delay_ms; /* the delay of fixed mode (voice.jib.normal) */
	uint32_t max_delay_ms;	  /* highest delay ever held (voice.jib.max) */
	uint32_t flags;		  /* PC_JB_F_* */
	int32_t cn_pt;		  /* comfort noise payload type (PC_JB_CN_PT), or -1: none */
	/* The trade-off of the adaptive target: microseconds of added delay that 1 % of packets
	 * arriving too late is worth (phonecore.voice.jib.late_cost). Higher: more delay, fewer
	 * late packets. 0: PC_JB_LATE_COST_US_DEFAULT. At most PC_JB_LATE_COST_US_MAX. */
	uint32_t late_cost_us;
	struct pc_pkt_cache *cache; /* borrowed: the owner thread's cache, where put/get/reset
				     * free packets; NULL: the pool's shared ring */
};

/* What the caller knows about a packet it hands in (from pc_rtp_parse() and the receive). */
struct pc_jb_pkt_info {
	uint64_t arrival_ns; /* CLOCK_MONOTONIC receive time (pkt->rx_ns) */
	uint32_t ts;	     /* RTP timestamp */
	uint32_t ssrc;
	uint16_t seq; /* RTP sequence number */
	uint8_t pt;   /* payload type */
	uint8_t marker;
};

enum pc_jb_kind {
	PC_JB_FRAME_PKT = 0, /* decode frame.pkt */
	PC_JB_FRAME_LOSS,    /* conceal (packet loss concealment) */
	PC_JB_FRAME_SILENCE, /* comfort noise, or nothing: no stream yet, DTX, after CN */
};

enum pc_jb_hint {
	PC_JB_HINT_NONE = 0,
	/* The buffer dropped the frame due before this one to cut its delay (its packet is freed
	 * and counted in accelerated): smooth the seam (e.g. a short cross-fade). */
	PC_JB_HINT_ACCELERATE,
	/* This frame is inserted to add delay: no media time is consumed. Stretch the previous
	 * audio (LOSS) or play comfort noise (SILENCE). */
	PC_JB_HINT_EXPAND,
};

struct pc_jb_frame {
	struct pc_pkt *pkt;   /* PKT: the packet, transferred to the caller; NULL otherwise */
	uint32_t ts;	      /* RTP timestamp of the frame played or concealed */
	uint16_t seq;	      /* PKT: its sequence number */
	uint8_t pt;	      /* PKT: its payload type */
	uint8_t marker;	      /* PKT: its marker bit */
	enum pc_jb_kind kind; /* what to play */
	enum pc_jb_hint hint; /* time scaling */
};

struct pc_jb_stats {
	uint64_t packets_in;	 /* handed to pc_jb_put() */
	uint64_t played;	 /* returned by pc_jb_get() */
	uint64_t late;		 /* arrived after their playout time: freed (late loss) */
	uint64_t lost;		 /* sequence numbers skipped and not (yet) arrived: concealed */
	uint64_t duplicates;	 /* freed: already held or played */
	uint64_t reordered;	 /* arrived after a higher sequence number, yet in time */
	uint64_t overflow;	 /* freed: no room (more than the ring holds) */
	uint64_t accelerated;	 /* freed: dropped to cut delay (ACCELERATE) */
	uint64_t flushed;	 /* freed by a resync, a reset or destroy */
	uint64_t expanded;	 /* frames of delay added (EXPAND, or a wait for a late packet) */
	uint64_t frames_loss;	 /* LOSS frames returned */
	uint64_t frames_silence; /* SILENCE frames returned */
	uint64_t underruns;	 /* runs of ticks with nothing to play while speech was due */
	uint64_t resyncs;	 /* sequence or timestamp jumps */
	uint64_t resets;	 /* SSRC changes and pc_jb_reset() calls */
	uint32_t buffered;	 /* packets held now */
	uint32_t pad0;
	/* packets_in = played + late + duplicates + overflow + accelerated + flushed + buffered */
	int64_t target_delay_ns; /* playout delay aimed at, over the fastest recent packet */
	int64_t buffer_delay_ns; /* playout delay now, over the fastest recent packet */
	/* Added delay of the played packets: playout (the tick that returned it) - arrival. */
	uint64_t added_delay_mean_ns;
	uint64_t added_delay_p99_ns;
	uint64_t others; /* sequence numbers accounted by pc_jb_put_other() (not in packets_in) */
};

/* pc_jb_params_default - the VP530 defaults: 8000 Hz, 20 ms, adaptive, 0/120/300 ms, CN 13,
 * no cache. */
void pc_jb_params_default(struct pc_jb_params *p);

/*
 * pc_jb_create - a jitter buffer for one stream; writes *@out on success.
 * @p: borrowed (copied; p->cache is retained, borrowed, until destroy).
 * Returns 0, -EINVAL (rate or ptime out of range, a frame that is not a whole number of
 * samples, not min <= normal <= max <= PC_JB_DELAY_LIMIT_MS) or -ENOMEM.
 * Control thread. Allocates.
 */
int pc_jb_create(struct pc_jb **out, const struct pc_jb_params *p);

/*
 * pc_jb_destroy - free the packets still held (to the pool's shared ring, not to the cache,
 * which belongs to the media thread) and the buffer. NULL is ignored. Control thread, once the
 * media thread has let go of the buffer.
 */
void pc_jb_destroy(struct pc_jb *jb);

/*
 * pc_jb_reset - free the held packets (counted in flushed) and start over as after create:
 * the next packet starts a stream at the normal delay. Statistics are kept. Owner thread.
 */
void pc_jb_reset(struct pc_jb *jb);

/*
 * pc_jb_put - hand in one received packet.
 * @pkt: transferred: held until pc_jb_get() returns it, or freed (into params.cache).
 * @info: borrowed.
 * Returns 0 when the packet is held (it may still be freed later: late, accelerate,
 * overflow), or, when it was freed at once: -EALREADY (duplicate) or -ETIME (too late).
 * Owner thread; never allocates, never blocks.
 */
int pc_jb_put(struct pc_jb *jb, struct pc_pkt *pkt, const struct pc_jb_pkt_info *info);

/*
 * pc_jb_put_other - account for a packet of the stream that does not go into the buffer: an RFC
 * 4733 telephone-event (or any payload the caller routes elsewhere) that takes a sequence
 * number of the audio's source. Its number is then not a loss, and while the audio pauses for
 * such packets the buffer plays SILENCE, not concealment.
 * @info: borrowed; seq and ssrc are used (ts and arrival are not: an event's timestamp is its
 * start, not the media time, and says nothing of the audio's transit).
 * Returns 0; -ENOENT no stream of that SSRC yet (nothing to account against: ignored);
 * -ERANGE a sequence jump (ignored; the next audio packet resyncs if it jumps too);
 * -EALREADY its number was seen already (a copy, or audio played or held there).
 * Owner thread; never allocates, never blocks.
 */
int pc_jb_put_other(struct pc_jb *jb, const struct pc_jb_pkt_info *info);

/*
 * pc_jb_get - the frame of the playout tick at @now_ns (CLOCK_MONOTONIC, the clock of the
 * arrival times), written to *@out. Call once per frame duration.
 * Returns 0. Owner thread; never allocates, never blocks.
 */
int pc_jb_get(struct pc_jb *jb, uint64_t now_ns, struct pc_jb_frame *out);

/* pc_jb_stats - a snapshot of the counters and the current delays. Owner thread. */
void pc_jb_stats(const struct pc_jb *jb, struct pc_jb_stats *st);

/*
 * pc_jb_added_delay_quantile_ns - quantile @q in [0, 1] of the added delay (playout - arrival)
 * of the packets played so far, to 1 ms (the upper edge of its bin); 0 when none was played.
 * Owner thread.
 */
uint64_t pc_jb_added_delay_quantile_ns(const struct pc_jb *jb, double q);

#ifdef __cplusplus
}
#endif

#endif /* PC_JB_H */
