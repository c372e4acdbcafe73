/* SPDX-License-Identifier: MIT */
/*
 * pc_h264_rtp.h - RFC 6184 H.264 RTP payload: the packetizer (mode 0: single NAL unit; mode 1,
 * non-interleaved: single NAL, STAP-A aggregation of small NAL units, FU-A fragmentation of large
 * ones) and the depacketizer (reorder-safe within a window; a missing packet drops its access
 * unit and raises a key-frame request).
 *
 * Depacketizer model. Packets are held by extended sequence number (RFC 3550 A.1 style, from the
 * highest seen). An access unit (AU) is the run of consecutive sequence numbers sharing one RTP
 * timestamp. It ends at the packet with the marker bit, or, as RFC 6184 5.1 says a receiver
 * must not rely on the marker, at the packet before the next timestamp (when that one is here
 * with no gap before it, and the last is not an FU-A without E), or on a flush at the last
 * packet held. It becomes available once every packet of the run is present and its first
 * packet is known to start it: the packet before it ended the previous AU (marker, or another
 * timestamp), or that packet is missing but the one before it shows what it was (an unmarked
 * packet of another timestamp, when the sender sets markers: the missing one is its AU's end),
 * or the first NAL unit of the run is an access unit delimiter (H.264 7.4.1.2.3: nothing comes
 * before it). An AU led by an SPS or by a non-IDR slice with first_mb_in_slice 0 after a missing
 * packet waits until that packet is declared lost (an AUD, an SPS, a PPS or an SEI of its own
 * may be in it): it is not counted as a later complete AU, and is taken once the loss is
 * declared; one led by an IDR slice or an SEI after a missing packet goes with the loss. With
 * nothing before it to go by (the stream's start, a sequence jump, or after an AU dropped
 * unfinished), an AU led by an AUD, an SPS or a first non-IDR slice is taken when complete (so
 * at the stream's start only, a packet of the first AU that comes after a later one of it is
 * late: the AU comes out without it, no key-frame request). The stream's first AU led by
 * anything else (an IDR slice or an SEI, as when the parameter sets come in
 * sprop-parameter-sets) comes out once a later AU is complete, or on a flush: its SPS and PPS may
 * still be on their way. AUs come out in sequence order.
 * A missing packet is declared lost when reorder_frames later AUs are complete, when it is
 * window packets behind the highest one, when the ring or the payload buffer is full, or on
 * pc_h264_depack_flush(): the AUs it touches are dropped (aus_dropped) and a key-frame request is
 * raised. Reordering inside an AU (but for the first AU at the stream's start, as said), and
 * across AUs as long as no later AU completes first, costs nothing. Without markers an AU
 * completes only when the next AU's first packet is here, the stream's last AU comes out on a
 * flush, and a packet lost at an AU boundary costs both AUs (nothing shows whose it was).
 *
 * Memory (depacketizer, fixed at create): a ring of slots (max_packets, rounded up to a power of
 * two, about 36 bytes each), the held payloads (2 * max_au_bytes, compacted when full) and the
 * output AU (max_au_bytes). Limits: everything from the oldest AU not taken to the highest
 * packet must fit both. A missing packet holds what follows it until reorder_frames later AUs
 * are complete (so does the stream's first AU led by an IDR slice or an SEI; an AU led by a first
 * slice after a missing packet is not counted), so with reorder_frames N up to N + 2 AUs are
 * held: when they need more than 2 * max_au_bytes, or more packets than the ring, the oldest
 * is dropped (aus_dropped, key-frame request). The default ring holds window + max_au_bytes / 64
 * packets (an AU of max_au_bytes in packets of 64 bytes on average, and the window): a sender of
 * smaller packets (FU-A of a few bytes), or reorder_frames above 1 with AUs near max_au_bytes,
 * needs a larger max_packets and max_au_bytes.
 *
 * Thread context: an instance belongs to one thread (the media thread).
 * Allocates: pc_h264_depack_create only.
 */
#ifndef PC_H264_RTP_H
#define PC_H264_RTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* RFC 6184 5.4 / SDP packetization-mode. */
enum pc_h264_mode {
	PC_H264_MODE_SINGLE = 0,	 /* one NAL unit per packet; a larger NAL is an error */
	PC_H264_MODE_NON_INTERLEAVED = 1 /* single NAL, STAP-A and FU-A */
};

struct pc_h264_pack_conf {
	enum pc_h264_mode mode;
	uint32_t max_payload; /* bytes of RTP payload per packet at most (e.g. 1200) */
	bool stap_a;	      /* mode 1: aggregate NAL units that fit together (SPS+PPS+...) */
};

/* The packetizer over one access unit; a plain struct so it lives on the caller's stack. The
 * fields are private. */
struct pc_h264_pack {
	struct pc_h264_pack_conf conf;
	const uint8_t *au; /* borrowed: the access unit (Annex B) until the last packet */
	size_t au_len;
	size_t pos;	  /* where the start code after the current NAL unit is looked for */
	size_t frag_off;  /* FU-A: body bytes of the current NAL already sent (0: none) */
	size_t nal_start; /* the current NAL unit's first byte (its header) in au */
	size_t nal_len;	  /* its length, zero bytes at its end dropped (0: all sent) */
};

/* pc_h264_pack_init - prepares packetizing the access unit @au (@len bytes, an Annex B byte stream:
 * NAL units each after a 00 00 01 or 00 00 00 01 start code; borrowed until the last packet).
 * Bytes before the first start code and zero bytes ending a NAL unit (trailing_zero_8bits) are
 * not sent; emulation prevention bytes are sent as they are. @conf is copied. max_payload must
 * be at least 1 (mode 0) or 3 (mode 1: FU-A needs two header bytes); a NAL unit goes into a
 * STAP-A only when it is at most 65535 bytes. Does not allocate.
 * Returns 0, -EINVAL for a bad conf, -EBADMSG when @au holds no NAL unit. */
int pc_h264_pack_init(struct pc_h264_pack *p, const struct pc_h264_pack_conf *conf,
		      const uint8_t *au, size_t len);

/* pc_h264_pack_next - writes the next RTP payload into @out (@cap bytes), its length in *@out_len,
 * and *@marker true on the access unit's last packet (RFC 6184 5.1: the RTP marker bit).
 * Mode 1: consecutive NAL units that fit max_payload together go into one STAP-A (5.7.1) when
 * conf.stap_a is set, a NAL unit larger than max_payload into FU-A fragments (5.8) of
 * max_payload bytes (the last one shorter), anything else as a single NAL unit packet.
 * Returns 1 when a payload was written, 0 when the access unit is done, -EMSGSIZE when a NAL unit
 * does not fit one packet in mode 0 (or @cap is below max_payload), -EBADMSG for a bad NAL (type
 * 0 or 24-31, which a receiver would read as an aggregation or fragment). An error leaves the
 * packetizer where it was (the same call fails again). Does not allocate. */
int pc_h264_pack_next(struct pc_h264_pack *p, uint8_t *out, size_t cap, size_t *out_len,
		      bool *marker);

struct pc_h264_depack_conf {
	/* largest access unit reassembled (larger: dropped); 0: 1 MiB; at most 1 GiB */
	uint32_t max_au_bytes;
	/* how far (in packets) one may arrive after a missing one before the missing one is
	 * declared lost; 0: 64 */
	uint16_t window;
	/* a missing packet is declared lost once this many later AUs are complete; 0: 1 (the
	 * lowest latency; more tolerates reordering across AUs, up to window) */
	uint16_t reorder_frames;
	/* packets held at most (the ring's slots, rounded up to a power of two, at least
	 * 2 * window); 0: window + max_au_bytes / 64, at most 2^20; at most 2^24 */
	uint32_t max_packets;
};

/* A reassembled access unit: Annex B (each NAL unit after a 00 00 00 01 start code). */
struct pc_h264_au {
	const uint8_t *data; /* owned by the depacketizer; valid until its next call */
	size_t len;
	uint32_t rtp_ts;
	bool idr; /* holds an IDR slice (NAL type 5) */
};

/* packets: put calls; bad: -EBADMSG from put, and AUs dropped as malformed in get; duplicates
 * and late: -EALREADY from put; aus: AUs returned by get; aus_dropped: AUs dropped (lost
 * packets, malformed, larger than max_au_bytes, or pushed out by a full buffer; an AU lost
 * whole counts one when the gap shows it); keyframe_requests: drop events and sequence jumps
 * (a packet max(4096, 2 * window) or more ahead of the highest or behind the oldest unresolved
 * one, or as far as the ring holds when that is less: what is held is resolved as on a flush,
 * what was not taken is dropped, and the stream starts over from it). */
struct pc_h264_depack_stats {
	uint64_t packets, bad, duplicates, late, aus, aus_dropped, keyframe_requests;
};

struct pc_h264_depack;

/* pc_h264_depack_create - a depacketizer; @conf borrowed (NULL: defaults). Allocates everything
 * the instance will use (see Memory above). Control thread. 0, -EINVAL (max_au_bytes or
 * max_packets out of range), -ENOMEM. */
int pc_h264_depack_create(struct pc_h264_depack **out, const struct pc_h264_depack_conf *conf);

/* pc_h264_depack_destroy - frees @d. NULL ok. */
void pc_h264_depack_destroy(struct pc_h264_depack *d);

/* pc_h264_depack_put - takes one RTP packet's payload (@payload, @len borrowed: copied) with its
 * sequence number, timestamp and marker. Call pc_h264_depack_get() until it returns 0 after
 * each put: AUs not taken are dropped when the buffer needs their room. Malformed: an empty
 * payload, NAL type 0, 25-27, 29-31 (STAP-B, MTAP, FU-B), a STAP-A whose sizes do not tile it or
 * that holds an aggregation or fragment type, an FU-A with S and E both set or no data, the
 * marker on an FU-A that does not end its NAL unit, an FU-A continuation not after an open
 * FU-A of the same NAL unit type and timestamp, or a packet other than that continuation after
 * an open FU-A (as far as the neighbours held show). A payload larger than max_au_bytes is kept
 * as a marker only: its AU is dropped. Does not allocate.
 * Returns 0, -EBADMSG for a malformed payload (counted in bad, nothing kept), -EALREADY for a
 * duplicate or a packet of an AU already emitted or dropped (counted in duplicates or late). */
int pc_h264_depack_put(struct pc_h264_depack *d, uint16_t seq, uint32_t ts, bool marker,
		       const uint8_t *payload, size_t len);

/* pc_h264_depack_get - the next complete access unit in order, into *@au (its data owned by the
 * depacketizer, valid until the next call on it). Returns 1 when one was written, 0 when none
 * is ready. A frame with a missing packet is dropped (once the window or a later complete frame
 * shows the packet is lost) and raises a key-frame request. Does not allocate. */
int pc_h264_depack_get(struct pc_h264_depack *d, struct pc_h264_au *au);

/* pc_h264_depack_flush - declares everything held so far final: incomplete frames are dropped
 * (with a key-frame request), complete ones become available to pc_h264_depack_get; the last
 * run held is complete without a marker when it does not end inside an FU-A. */
void pc_h264_depack_flush(struct pc_h264_depack *d);

/* pc_h264_depack_keyframe_needed - true once after a drop (the caller sends PLI/FIR); clears it. */
bool pc_h264_depack_keyframe_needed(struct pc_h264_depack *d);

/* pc_h264_depack_stats - copies the counters into *@st. */
void pc_h264_depack_stats(const struct pc_h264_depack *d, struct pc_h264_depack_stats *st);

#ifdef __cplusplus
}
#endif

#endif /* PC_H264_RTP_H */
