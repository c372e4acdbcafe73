/* SPDX-License-Identifier: MIT */
/*
 * pc_rtp.h - RTP (RFC 3550) for the fast path: parse, build, header extensions, receive
 * statistics; and the RTCP framing check that the relay runs on every RTCP datagram.
 *
 * Parsing. pc_rtp_parse() reads the fixed header, the CSRC list, the header extension and the
 * padding length of one RTP packet in place and says where the payload is; pc_rtcp_check()
 * validates the framing of an RTCP compound packet (RFC 3550 A.2: version, first packet SR/RR
 * or reduced size RTCP per RFC 5506, lengths that add up). Both take a length and never read
 * past it; both reject with -EBADMSG. pc_rtp_is_rtcp() tells RTP from RTCP on a shared
 * (rtcp-mux) port by the payload type byte (RFC 5761 4: 192-223 are RTCP). The full RTCP
 * parser and builder are in pc_rtcp.h.
 *
 * Header extensions (RFC 8285). pc_rtp_ext_iter_*() walk the elements of a one-byte (0xBEDE)
 * or two-byte (0x100X) extension, bounded by its length; pc_rtp_ext_writer_*() write
 * elements into a block that pc_rtp_write() puts into a header.
 *
 * Building. pc_rtp_write() writes a header (fixed part, CSRCs, extension block) into a buffer
 * with a length; pc_rtp_pkt_prepend() writes it into a pc_pkt's headroom, in front of the
 * payload already there; pc_rtp_add_padding() / pc_rtp_pkt_add_padding() pad the end.
 *
 * Receive statistics. struct pc_rtp_source keeps, per remote source, the state of RFC 3550
 * A.1 (validation by probation, MAX_DROPOUT, MAX_MISORDER, resynchronisation after a big jump,
 * sequence number cycles), A.8 (interarrival jitter) and counts duplicates (a 128-bit window
 * of recent sequence numbers) and reordered packets; pc_rtp_source_report() computes A.3
 * (expected, cumulative lost, fraction lost since the last report).
 *
 * Thread context: any; a struct pc_rtp_source, an iterator or a writer belongs to the thread
 * that uses it (the media thread of its stream), with no locking. Allocates: never; every
 * struct is the caller's memory (stack, or a stream's table sized at setup).
 * Errors: -EBADMSG bad input, -EINVAL bad arguments, -ENOSPC the output does not fit.
 */
#ifndef PC_RTP_H
#define PC_RTP_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#ifdef __cplusplus
extern "C" {
#endif

#define PC_RTP_HDR_MIN 12u
#define PC_RTCP_HDR_MIN 4u
#define PC_RTP_CSRC_MAX 15u

/* RFC 8285: the "defined by profile" values of the two extension forms. */
#define PC_RTP_EXT_ONE_BYTE 0xbedeu
#define PC_RTP_EXT_TWO_BYTE 0x1000u /* 0x100X: the low 4 bits are "appbits" */
#define PC_RTP_EXT_TWO_BYTE_MASK 0xfff0u
#define PC_RTP_EXT_ONE_BYTE_ID_MAX 14u /* id 15 is reserved: stop processing */
#define PC_RTP_EXT_ONE_BYTE_LEN_MAX 16u
#define PC_RTP_EXT_TWO_BYTE_LEN_MAX 255u

struct pc_rtp_hdr_view {
	uint8_t version;
	uint8_t padding;   /* P bit */
	uint8_t extension; /* X bit */
	uint8_t cc;	   /* CSRC count */
	uint8_t marker;
	uint8_t pt;
	uint16_t seq;
	uint32_t ts;
	uint32_t ssrc;
	uint16_t ext_profile; /* when extension */
	uint16_t ext_len;     /* extension length in bytes (without its 4-byte header) */
	uint16_t hdr_len;     /* fixed header + CSRCs + extension: where the payload starts */
	uint16_t payload_len; /* without padding */
	uint8_t pad_len;      /* padding bytes at the end (0 when no P bit) */
};

static inline uint16_t pc_rtp__be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline uint32_t pc_rtp__be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* pc_rtp_is_rtcp - on a muxed port, whether @len bytes at @buf look like RTCP (RFC 5761 4). */
static inline bool pc_rtp_is_rtcp(const uint8_t *buf, size_t len)
{
	return len >= 2 && buf[1] >= 192 && buf[1] <= 223;
}

/*
 * pc_rtp_parse - check one RTP packet of @len bytes at @buf (borrowed) and describe it in *@v.
 * Returns 0, or -EBADMSG: shorter than its header, version not 2, CSRCs or extension running
 * past the end, padding longer than what follows the header (or zero with the P bit set).
 */
static inline int pc_rtp_parse(const uint8_t *buf, size_t len, struct pc_rtp_hdr_view *v)
{
	size_t hdr, ext;

	if (len < PC_RTP_HDR_MIN || len > UINT16_MAX)
		return -EBADMSG;
	v->version = buf[0] >> 6;
	if (v->version != 2)
		return -EBADMSG;
	v->padding = (buf[0] >> 5) & 1;
	v->extension = (buf[0] >> 4) & 1;
	v->cc = buf[0] & 0x0f;
	v->marker = buf[1] >> 7;
	v->pt = buf[1] & 0x7f;
	v->seq = pc_rtp__be16(buf + 2);
	v->ts = pc_rtp__be32(buf + 4);
	v->ssrc = pc_rtp__be32(buf + 8);
	hdr = PC_RTP_HDR_MIN + 4u * v->cc;
	v->ext_profile = 0;
	v->ext_len = 0;
	if (v->extension) {
		/* RFC 3550 5.3.1: 16-bit profile, 16-bit length in 32-bit words. */
		if (len < hdr + 4)
			return -EBADMSG;
		v->ext_profile = pc_rtp__be16(buf + hdr);
		/* Sized in size_t: up to 4 * 65535 bytes, more than a uint16_t holds; the check
		 * below bounds it by len (<= 65535) before it is stored. */
		ext = 4u * (size_t)pc_rtp__be16(buf + hdr + 2);
		hdr += 4u + ext;
		if (len < hdr)
			return -EBADMSG;
		v->ext_len = (uint16_t)ext;
	}
	if (len < hdr)
		return -EBADMSG;
	v->pad_len = 0;
	if (v->padding) {
		/* RFC 3550 5.1: the last octet counts the padding, itself included. */
		v->pad_len = buf[len - 1];
		if (v->pad_len == 0 || v->pad_len > len - hdr)
			return -EBADMSG;
	}
	v->hdr_len = (uint16_t)hdr;
	v->payload_len = (uint16_t)(len - hdr - v->pad_len);
	return 0;
}

/*
 * pc_rtcp_check - validate the framing of an RTCP compound packet of @len bytes at @buf.
 * Every packet: version 2, length field inside the datagram, packet type 192-223 (RFC 5761);
 * lengths add up to @len exactly; padding only on the last packet (RFC 3550 A.2). The first
 * packet is SR or RR, unless @reduced_size allows any type first (RFC 5506 3.1).
 * Returns the number of packets in the compound, or -EBADMSG.
 */
static inline int pc_rtcp_check(const uint8_t *buf, size_t len, bool reduced_size)
{
	size_t off = 0;
	int count = 0;

	if (len < PC_RTCP_HDR_MIN || len % 4 != 0)
		return -EBADMSG;
	if (!reduced_size && buf[1] != 200 && buf[1] != 201)
		return -EBADMSG;
	while (off < len) {
		size_t plen;

		if (len - off < PC_RTCP_HDR_MIN || (buf[off] >> 6) != 2 || buf[off + 1] < 192 ||
		    buf[off + 1] > 223)
			return -EBADMSG;
		plen = 4u * ((size_t)pc_rtp__be16(buf + off + 2) + 1);
		if (plen > len - off)
			return -EBADMSG;
		/* Padding is allowed only in the last packet of the compound. */
		if (((buf[off] >> 5) & 1) && off + plen != len)
			return -EBADMSG;
		off += plen;
		count++;
	}
	return count;
}

static inline void pc_rtp__put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline void pc_rtp__put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/* --- sequence numbers ------------------------------------------------------------------------ */

/* pc_rtp_seq_lt - whether 16-bit sequence number @a comes before @b (serial arithmetic, RFC
 * 1982: the shorter way round the circle of 65536). */
static inline bool pc_rtp_seq_lt(uint16_t a, uint16_t b)
{
	return a != b && (uint16_t)(b - a) < 0x8000u;
}

/*
 * pc_rtp_seq_extend - the 32-bit extended sequence number of @seq that lies nearest to the
 * extended number @ref (the highest seen, say): across a wrap 65535 -> 0 it counts one more
 * cycle, for a packet from just before a wrap one cycle less.
 */
static inline uint32_t pc_rtp_seq_extend(uint32_t ref, uint16_t seq)
{
	uint16_t fwd = (uint16_t)(seq - (uint16_t)ref);

	/* Distance forward modulo 2^16; 0x8000 and above is read as behind. */
	if (fwd < 0x8000u)
		return ref + fwd;
	return ref - (uint32_t)(0x10000u - fwd);
}

/* --- header extensions (RFC 8285) ------------------------------------------------------------ */

/* One element of a header extension: @data (borrowed, inside the packet) holds @len bytes. */
struct pc_rtp_ext_elem {
	const uint8_t *data;
	uint8_t id;  /* 1-14 (one-byte form) or 1-255 (two-byte form) */
	uint8_t len; /* 1-16 (one-byte form) or 0-255 (two-byte form) */
};

/* Iterator over the elements of one extension block. Fill it with an init function. */
struct pc_rtp_ext_iter {
	const uint8_t *p; /* the element data: after the 4-byte extension header */
	uint32_t len;	  /* bytes at p */
	uint32_t off;	  /* next byte to read */
	uint8_t two_byte; /* 0: one-byte form (0xBEDE); 1: two-byte form (0x100X) */
	uint8_t done;	  /* the end, id 15 or an error was met: next returns it again */
	uint8_t err;	  /* done through a malformed element */
	uint8_t pad0;
};

/* pc_rtp_ext_is_rfc8285 - whether an extension's profile field names an RFC 8285 form. */
static inline bool pc_rtp_ext_is_rfc8285(uint16_t profile)
{
	return profile == PC_RTP_EXT_ONE_BYTE ||
	       (profile & PC_RTP_EXT_TWO_BYTE_MASK) == PC_RTP_EXT_TWO_BYTE;
}

/*
 * pc_rtp_ext_iter_init_raw - iterate the @len bytes of element data at @data (borrowed: must
 * outlive the iterator), in the form named by @profile.
 * Returns 0, or -ENOTSUP when @profile is neither 0xBEDE nor 0x100X.
 */
static inline int pc_rtp_ext_iter_init_raw(struct pc_rtp_ext_iter *it, uint16_t profile,
					   const uint8_t *data, size_t len)
{
	if (!pc_rtp_ext_is_rfc8285(profile))
		return -ENOTSUP;
	it->p = data;
	it->len = (uint32_t)len;
	it->off = 0;
	it->two_byte = profile != PC_RTP_EXT_ONE_BYTE;
	it->done = 0;
	it->err = 0;
	it->pad0 = 0;
	return 0;
}

/*
 * pc_rtp_ext_iter_init - iterate the header extension of the packet at @buf (borrowed) that
 * pc_rtp_parse() described in @v.
 * Returns 0, -ENOENT (no X bit) or -ENOTSUP (the extension is not in an RFC 8285 form).
 */
static inline int pc_rtp_ext_iter_init(struct pc_rtp_ext_iter *it, const uint8_t *buf,
				       const struct pc_rtp_hdr_view *v)
{
	if (!v->extension)
		return -ENOENT;
	return pc_rtp_ext_iter_init_raw(it, v->ext_profile, buf + v->hdr_len - v->ext_len,
					v->ext_len);
}

/*
 * pc_rtp_ext_next - the next element into *@e.
 * Returns 1 (an element), 0 (no more: the end of the data, or id 15 in the one-byte form,
 * which RFC 8285 4.2 says ends processing), or -EBADMSG (an element runs past the end; the
 * elements returned before it were whole). Padding bytes (id 0) are skipped, so elements
 * have ids 1-14 (one-byte form) or 1-255 (two-byte form). Never reads outside the data given
 * at init.
 */
static inline int pc_rtp_ext_next(struct pc_rtp_ext_iter *it, struct pc_rtp_ext_elem *e)
{
	while (!it->done && it->off < it->len) {
		uint32_t id, elen, hdr;

		/* RFC 8285 4.1: padding between and after elements: a zero byte; in the one-byte
		 * form any byte with id 0 (reserved for padding) is skipped alone, its length
		 * nibble ignored. */
		if (it->p[it->off] == 0 || (!it->two_byte && it->p[it->off] >> 4 == 0)) {
			it->off++;
			continue;
		}
		if (!it->two_byte) {
			/* RFC 8285 4.2: 4-bit id, 4-bit length-1. */
			id = it->p[it->off] >> 4;
			elen = (uint32_t)(it->p[it->off] & 0x0f) + 1;
			hdr = 1;
			if (id == 15)
				break;
		} else {
			/* RFC 8285 4.3: 8-bit id, 8-bit length (0 allowed). */
			if (it->len - it->off < 2)
				goto bad;
			id = it->p[it->off];
			elen = it->p[it->off + 1];
			hdr = 2;
		}
		if (elen > it->len - it->off - hdr)
			goto bad;
		e->id = (uint8_t)id;
		e->len = (uint8_t)elen;
		e->data = it->p + it->off + hdr;
		it->off += hdr + elen;
		return 1;
	}
	it->done = 1;
	return it->err ? -EBADMSG : 0;
bad:
	it->done = 1;
	it->err = 1;
	return -EBADMSG;
}

/*
 * pc_rtp_ext_find - the first element with id @id in the packet at @buf described by @v.
 * Returns 0 with *@e filled, -ENOENT (no such element, or no RFC 8285 extension), or -EBADMSG
 * (a malformed element came before it).
 */
static inline int pc_rtp_ext_find(const uint8_t *buf, const struct pc_rtp_hdr_view *v, uint8_t id,
				  struct pc_rtp_ext_elem *e)
{
	struct pc_rtp_ext_iter it;
	int rc;

	if (pc_rtp_ext_iter_init(&it, buf, v) < 0)
		return -ENOENT;
	while ((rc = pc_rtp_ext_next(&it, e)) > 0)
		if (e->id == id)
			return 0;
	return rc < 0 ? rc : -ENOENT;
}

/*
 * Writer of one extension block: the 4-byte extension header (profile, length in words)
 * then the elements, padded to a 32-bit boundary with zeros by pc_rtp_ext_writer_finish().
 * The block can be written anywhere, including in place in the packet where pc_rtp_write()
 * will put it (right after the CSRCs).
 */
struct pc_rtp_ext_writer {
	uint8_t *buf;	  /* the block (borrowed): its extension header first */
	uint32_t cap;	  /* bytes at buf */
	uint32_t len;	  /* bytes written, the 4-byte header included */
	uint16_t profile; /* 0xBEDE or 0x100X */
	uint16_t pad0;
};

/*
 * pc_rtp_ext_writer_init - start a block at @buf (@cap bytes, borrowed) in the form named by
 * @profile: PC_RTP_EXT_ONE_BYTE, or PC_RTP_EXT_TWO_BYTE | appbits (0-15).
 * Returns 0, -EINVAL (another profile) or -ENOSPC (@cap below 4).
 */
static inline int pc_rtp_ext_writer_init(struct pc_rtp_ext_writer *w, uint8_t *buf, size_t cap,
					 uint16_t profile)
{
	if (!pc_rtp_ext_is_rfc8285(profile))
		return -EINVAL;
	if (cap < 4)
		return -ENOSPC;
	w->buf = buf;
	w->cap = cap > 4u + 4u * 0xffffu ? 4u + 4u * 0xffffu : (uint32_t)cap;
	w->len = 4;
	w->profile = profile;
	w->pad0 = 0;
	pc_rtp__put16(buf, profile);
	pc_rtp__put16(buf + 2, 0);
	return 0;
}

/*
 * pc_rtp_ext_write - append element @id with @len bytes from @data (borrowed; may be NULL when
 * @len is 0). One-byte form: id 1-14, len 1-16; two-byte form: id 1-255, len 0-255.
 * Returns 0, -EINVAL (id or len outside the form), or -ENOSPC (the element and the padding
 * to 32 bits would not fit; nothing written).
 */
static inline int pc_rtp_ext_write(struct pc_rtp_ext_writer *w, uint8_t id, const void *data,
				   size_t len)
{
	bool two = w->profile != PC_RTP_EXT_ONE_BYTE;
	size_t need = (two ? 2u : 1u) + len;

	if (id == 0 ||
	    (!two &&
	     (id > PC_RTP_EXT_ONE_BYTE_ID_MAX || len == 0 || len > PC_RTP_EXT_ONE_BYTE_LEN_MAX)) ||
	    (two && len > PC_RTP_EXT_TWO_BYTE_LEN_MAX))
		return -EINVAL;
	/* Room for the element and for the padding that finish adds to the next word. */
	if (((w->len + need + 3u) & ~3u) > w->cap)
		return -ENOSPC;
	if (two) {
		w->buf[w->len] = id;
		w->buf[w->len + 1] = (uint8_t)len;
	} else {
		w->buf[w->len] = (uint8_t)(id << 4 | (len - 1));
	}
	if (len)
		memcpy(w->buf + w->len + (two ? 2u : 1u), data, len);
	w->len += (uint32_t)need;
	return 0;
}

/*
 * pc_rtp_ext_writer_finish - pad the block with zeros to 32 bits and write its length field.
 * Returns the block's length in bytes (4 + 4 * words), to pass as ext_len to pc_rtp_write().
 * The writer may be finished again after more elements.
 */
static inline size_t pc_rtp_ext_writer_finish(struct pc_rtp_ext_writer *w)
{
	while (w->len & 3u)
		w->buf[w->len++] = 0; /* room checked by pc_rtp_ext_write */
	pc_rtp__put16(w->buf + 2, (uint16_t)((w->len - 4u) / 4u));
	return w->len;
}

/* --- building a header ----------------------------------------------------------------------- */

/* What pc_rtp_write() puts into a header. */
struct pc_rtp_hdr_params {
	uint32_t ssrc;
	uint32_t ts;
	uint16_t seq;
	uint8_t pt;	/* 0-127 */
	uint8_t marker; /* 0 or 1 */
	uint8_t cc;	/* CSRCs at csrc, 0-15 */
	uint8_t pad0;
	uint16_t ext_len;     /* bytes of the block at ext, its 4-byte header included; 0: no X */
	const uint32_t *csrc; /* borrowed: cc CSRCs, host order; may be NULL when cc is 0 */
	const uint8_t *ext;   /* borrowed: an extension block (pc_rtp_ext_writer_finish()); it may
			       * already sit where the header puts it: it is moved, not copied */
};

/* pc_rtp_hdr_size - the bytes pc_rtp_write() writes for @h. */
static inline size_t pc_rtp_hdr_size(const struct pc_rtp_hdr_params *h)
{
	return PC_RTP_HDR_MIN + 4u * (size_t)h->cc + h->ext_len;
}

/*
 * pc_rtp_write - write the RTP header described by @h (borrowed) at @buf (@cap bytes): V=2,
 * P=0 (pc_rtp_add_padding() sets it), X when ext_len, CC, M, PT, sequence number, timestamp,
 * SSRC, the CSRCs and the extension block.
 * Returns the header length in bytes, -EINVAL (pt above 127, cc above 15, an extension block
 * shorter than 4 bytes, not a multiple of 4, or whose length field disagrees with ext_len) or
 * -ENOSPC (@cap too small; nothing written).
 */
static inline int pc_rtp_write(uint8_t *buf, size_t cap, const struct pc_rtp_hdr_params *h)
{
	size_t at = PC_RTP_HDR_MIN + 4u * (size_t)h->cc;

	if (h->pt > 127 || h->cc > PC_RTP_CSRC_MAX || h->marker > 1)
		return -EINVAL;
	if (h->ext_len && (h->ext_len < 4 || (h->ext_len & 3u) || h->ext == NULL ||
			   4u + 4u * (size_t)pc_rtp__be16(h->ext + 2) != h->ext_len))
		return -EINVAL;
	if (pc_rtp_hdr_size(h) > cap)
		return -ENOSPC;
	/* The extension first: it may lie where the CSRCs go when built in place. */
	if (h->ext_len)
		memmove(buf + at, h->ext, h->ext_len);
	buf[0] = (uint8_t)(2u << 6 | (h->ext_len ? 0x10u : 0u) | h->cc);
	buf[1] = (uint8_t)(h->marker << 7 | h->pt);
	pc_rtp__put16(buf + 2, h->seq);
	pc_rtp__put32(buf + 4, h->ts);
	pc_rtp__put32(buf + 8, h->ssrc);
	for (unsigned i = 0; i < h->cc; i++)
		pc_rtp__put32(buf + PC_RTP_HDR_MIN + 4u * i, h->csrc[i]);
	return (int)(at + h->ext_len);
}

/*
 * pc_rtp_add_padding - pad the RTP packet of @len bytes at @buf (room for @cap) with @pad
 * bytes (1-255) at its end: zeros, then the count itself (RFC 3550 5.1), and set the P bit.
 * Returns the new length, -EINVAL (@pad 0 or above 255, @len below 12, the P bit already set)
 * or -ENOSPC (nothing changed).
 */
static inline int pc_rtp_add_padding(uint8_t *buf, size_t len, size_t cap, unsigned pad)
{
	if (pad == 0 || pad > 255 || len < PC_RTP_HDR_MIN || (buf[0] & 0x20))
		return -EINVAL;
	if (cap < len || cap - len < pad || len + pad > UINT16_MAX)
		return -ENOSPC;
	memset(buf + len, 0, pad - 1);
	buf[len + pad - 1] = (uint8_t)pad;
	buf[0] |= 0x20;
	return (int)(len + pad);
}

struct pc_pkt;

/*
 * pc_rtp_pkt_prepend - write the header @h in front of the data of @pkt (the payload), into
 * its headroom (pc_pkt_prepend). @pkt: borrowed, held by the caller and not shared.
 * Returns the header length, -EINVAL (as pc_rtp_write) or -ENOSPC (headroom short; nothing
 * changed). Media thread (the packet's holder).
 */
int pc_rtp_pkt_prepend(struct pc_pkt *pkt, const struct pc_rtp_hdr_params *h);

/*
 * pc_rtp_pkt_add_padding - pad the RTP packet held in @pkt (borrowed, not shared) with @pad
 * bytes taken from its tailroom. Returns 0, -EINVAL or -ENOSPC as pc_rtp_add_padding().
 */
int pc_rtp_pkt_add_padding(struct pc_pkt *pkt, unsigned pad);

/* --- receive statistics (RFC 3550 A.1, A.3, A.8) --------------------------------------------- */

#define PC_RTP_SEQ_MOD 0x10000u
#define PC_RTP_MAX_DROPOUT 3000u /* A.1: a forward jump up to this is a gap */
#define PC_RTP_MAX_MISORDER 100u /* A.1: a backward step up to this is reordering */
#define PC_RTP_MIN_SEQUENTIAL 2u /* A.1: packets in sequence before a source is valid */
#define PC_RTP_DUP_WINDOW 128u	 /* sequence numbers behind the highest whose arrival is kept */

/* What one packet was to the statistics (pc_rtp_source_update). */
enum pc_rtp_seq_verdict {
	PC_RTP_SEQ_OK = 0,    /* the highest so far (in order, or after a gap): counted */
	PC_RTP_SEQ_REORDERED, /* older than the highest and not seen before: counted */
	PC_RTP_SEQ_DUPLICATE, /* seen before (within the window): counted as received, as RFC
			       * 3550 6.4.1 asks; the caller drops it from playout */
	PC_RTP_SEQ_PROBATION, /* the source is not valid yet (A.1): not counted */
	PC_RTP_SEQ_BAD,	      /* a big jump, held until the next packet confirms it: not counted */
	PC_RTP_SEQ_RESTART,   /* the jump was confirmed: statistics restart here (A.1 resync) */
};

/*
 * Per-source receive state. Fill with pc_rtp_source_init(); owned by the stream's media
 * thread. Fields are read-only to callers (the names are those of RFC 3550 A.1).
 */
struct pc_rtp_source {
	uint32_t ssrc;
	uint16_t max_seq;	 /* highest sequence number seen */
	uint8_t started;	 /* a packet was seen */
	uint8_t have_transit;	 /* transit holds the previous packet's */
	uint32_t cycles;	 /* shifted count of sequence number cycles (multiples of 2^16) */
	uint32_t base_seq;	 /* first sequence number counted */
	uint32_t bad_seq;	 /* last 'bad' sequence number + 1 (above 2^16: none) */
	uint32_t probation;	 /* sequential packets still needed before the source is valid */
	uint32_t min_sequential; /* the probation a new source (or a restart) starts with */
	uint32_t received;	 /* packets received since base_seq (duplicates included) */
	uint32_t expected_prior; /* at the last report */
	uint32_t received_prior; /* at the last report */
	uint32_t transit;	 /* A.8: relative transit time of the previous packet */
	uint32_t jitter_q4;	 /* A.8: interarrival jitter, timestamp units times 16 */
	uint64_t seen[2];	 /* bit i: max_seq - i arrived (i < 128); bit 0 is word 0's */
	/* Counters since init (they survive a restart). */
	uint32_t duplicates;
	uint32_t reordered;
	uint32_t bad;	   /* packets dropped as a big jump */
	uint32_t restarts; /* resynchronisations (A.1: the other side restarted) */
	/* The last SR received from the source, for LSR/DLSR (pc_rtcp_note_sr, pc_rtcp.h). */
	uint32_t lsr;	      /* middle 32 bits of its NTP timestamp; 0: none yet */
	uint32_t lsr_arrival; /* when it arrived, compact NTP (middle 32 bits) */
};

/* A.3 figures at one report (pc_rtp_source_report). */
struct pc_rtp_source_report {
	uint32_t ext_max_seq;	    /* extended highest sequence number received */
	uint32_t expected;	    /* ext_max_seq - base_seq + 1 */
	uint32_t received;	    /* packets received (duplicates and late ones included) */
	int32_t lost;		    /* expected - received, clamped to 24 bits signed */
	uint32_t expected_interval; /* since the previous report */
	uint32_t received_interval;
	uint32_t jitter;       /* A.8, timestamp units */
	uint8_t fraction_lost; /* lost in the interval / expected in it, times 256 */
	uint8_t pad0[3];
};

/*
 * pc_rtp_source_init - reset @s (caller's memory) for the source @ssrc. The first packet
 * given to pc_rtp_source_update() starts it. @min_sequential: packets in sequence before the
 * source counts as valid (A.1 probation); 0 takes PC_RTP_MIN_SEQUENTIAL, 1 trusts the first
 * packet. No allocation.
 */
void pc_rtp_source_init(struct pc_rtp_source *s, uint32_t ssrc, unsigned min_sequential);

/*
 * pc_rtp_source_update - account one packet with sequence number @seq and RTP timestamp
 * @rtp_ts that arrived at @arrival (the receiver's clock in the same timestamp units, e.g.
 * pc_rtp_ts_from_ns(rx_ns, clock rate); any origin). Runs A.1 update_seq() and, for the
 * packets counted (OK, REORDERED, RESTART), the A.8 jitter. Returns the verdict.
 */
enum pc_rtp_seq_verdict pc_rtp_source_update(struct pc_rtp_source *s, uint16_t seq, uint32_t rtp_ts,
					     uint32_t arrival);

/* pc_rtp_source_valid - whether the source passed probation (A.1) and has a packet counted. */
static inline bool pc_rtp_source_valid(const struct pc_rtp_source *s)
{
	return s->started && s->probation == 0;
}

/* pc_rtp_source_ext_max - the extended highest sequence number (cycles + max_seq). */
static inline uint32_t pc_rtp_source_ext_max(const struct pc_rtp_source *s)
{
	return s->cycles + s->max_seq;
}

/* pc_rtp_source_jitter - the interarrival jitter (A.8) in timestamp units. */
static inline uint32_t pc_rtp_source_jitter(const struct pc_rtp_source *s)
{
	return s->jitter_q4 >> 4;
}

/*
 * pc_rtp_source_report - the A.3 figures into *@r, and start a new interval (the fraction
 * lost of the next report counts from here). Returns 0, or -EAGAIN (not valid yet: no report
 * block is due for this source; nothing changed).
 */
int pc_rtp_source_report(struct pc_rtp_source *s, struct pc_rtp_source_report *r);

/*
 * pc_rtp_ts_from_ns - @ns nanoseconds (e.g. a pc_pkt's rx_ns, CLOCK_MONOTONIC) in units of
 * a @clock_rate Hz RTP clock, modulo 2^32: the arrival time for pc_rtp_source_update().
 */
static inline uint32_t pc_rtp_ts_from_ns(uint64_t ns, uint32_t clock_rate)
{
	/* Split so that the product never overflows 64 bits. */
	return (uint32_t)((ns / 1000000000u) * clock_rate +
			  (ns % 1000000000u) * clock_rate / 1000000000u);
}

#ifdef __cplusplus
}
#endif

#endif /* PC_RTP_H */
