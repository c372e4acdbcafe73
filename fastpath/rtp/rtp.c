/* SPDX-License-Identifier: MIT */
/*
 * rtp.c - per-source RTP receive statistics: RFC 3550 A.1 (sequence number validation and
 * cycles), A.3 (expected, lost, fraction lost) and A.8 (interarrival jitter), with a window
 * of recent sequence numbers to tell duplicates from reordered packets.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "pc_rtp.h"

/* A.1 init_seq(): statistics start (or restart) at @seq. */
static void source_init_seq(struct pc_rtp_source *s, uint16_t seq)
{
	s->base_seq = seq;
	s->max_seq = seq;
	s->bad_seq = PC_RTP_SEQ_MOD + 1; /* so that seq == bad_seq is false */
	s->cycles = 0;
	s->received = 0;
	s->received_prior = 0;
	s->expected_prior = 0;
	s->seen[0] = 1; /* max_seq itself */
	s->seen[1] = 0;
}

void pc_rtp_source_init(struct pc_rtp_source *s, uint32_t ssrc, unsigned min_sequential)
{
	memset(s, 0, sizeof(*s));
	s->ssrc = ssrc;
	s->min_sequential = min_sequential ? min_sequential : PC_RTP_MIN_SEQUENTIAL;
	s->bad_seq = PC_RTP_SEQ_MOD + 1;
}

/* Slide the window of seen sequence numbers forward by @d (the new highest is @d ahead). */
static void seen_advance(struct pc_rtp_source *s, uint32_t d)
{
	if (d >= 128) {
		s->seen[1] = 0;
		s->seen[0] = 0;
	} else if (d >= 64) {
		s->seen[1] = s->seen[0] << (d - 64);
		s->seen[0] = 0;
	} else if (d > 0) {
		s->seen[1] = s->seen[1] << d | s->seen[0] >> (64 - d);
		s->seen[0] <<= d;
	}
	s->seen[0] |= 1;
}

/* Mark the sequence number @back behind the highest as seen; whether it was already. */
static bool seen_test_and_set(struct pc_rtp_source *s, uint32_t back)
{
	uint64_t *w = &s->seen[back / 64];
	uint64_t bit = (uint64_t)1 << (back % 64);
	bool was = (*w & bit) != 0;

	*w |= bit;
	return was;
}

/* A.8: J(i) = J(i-1) + (|D(i-1,i)| - J(i-1)) / 16, kept times 16 in integers as the RFC's
 * own integer version does (jitter += d - ((jitter + 8) >> 4)). */
static void source_jitter(struct pc_rtp_source *s, uint32_t rtp_ts, uint32_t arrival)
{
	uint32_t transit = arrival - rtp_ts; /* modulo 2^32: only differences matter */
	int32_t d;

	if (s->have_transit) {
		d = (int32_t)(transit - s->transit);
		if (d < 0)
			d = -d;
		s->jitter_q4 += (uint32_t)d - ((s->jitter_q4 + 8) >> 4);
	}
	s->transit = transit;
	s->have_transit = 1;
}

enum pc_rtp_seq_verdict pc_rtp_source_update(struct pc_rtp_source *s, uint16_t seq, uint32_t rtp_ts,
					     uint32_t arrival)
{
	enum pc_rtp_seq_verdict verdict = PC_RTP_SEQ_OK;
	uint16_t udelta;

	if (!s->started) {
		/* A.1: a source heard for the first time. */
		source_init_seq(s, seq);
		s->max_seq = (uint16_t)(seq - 1);
		s->probation = s->min_sequential;
		s->started = 1;
	}
	udelta = (uint16_t)(seq - s->max_seq);

	if (s->probation) {
		/* A.1: the source is valid after min_sequential packets in sequence. */
		if (seq == (uint16_t)(s->max_seq + 1)) {
			s->probation--;
			s->max_seq = seq;
			if (s->probation == 0) {
				source_init_seq(s, seq);
				s->received++;
				s->have_transit = 0;
				source_jitter(s, rtp_ts, arrival);
				return PC_RTP_SEQ_OK;
			}
		} else {
			s->probation = s->min_sequential - 1;
			s->max_seq = seq;
		}
		return PC_RTP_SEQ_PROBATION;
	} else if (udelta == 0) {
		/* The highest again. In A.1 this falls in the next branch: counted. */
		s->duplicates++;
		s->received++;
		return PC_RTP_SEQ_DUPLICATE;
	} else if (udelta < PC_RTP_MAX_DROPOUT) {
		/* In order, with a permissible gap. */
		if (seq < s->max_seq)
			s->cycles += PC_RTP_SEQ_MOD; /* wrapped: another 64K cycle */
		s->max_seq = seq;
		seen_advance(s, udelta);
	} else if (udelta <= PC_RTP_SEQ_MOD - PC_RTP_MAX_MISORDER) {
		/* A very large jump. */
		if (seq != s->bad_seq) {
			s->bad_seq = (seq + 1u) & (PC_RTP_SEQ_MOD - 1);
			s->bad++;
			return PC_RTP_SEQ_BAD;
		}
		/* Two sequential packets: assume the other side restarted without telling us,
		 * and resynchronise. */
		source_init_seq(s, seq);
		s->restarts++;
		s->have_transit = 0;
		verdict = PC_RTP_SEQ_RESTART;
	} else {
		/* Duplicate or reordered: behind the highest by fewer than MAX_MISORDER. */
		uint32_t back = PC_RTP_SEQ_MOD - udelta;

		if (back < PC_RTP_DUP_WINDOW && seen_test_and_set(s, back)) {
			s->duplicates++;
			s->received++; /* RFC 3550 6.4.1: duplicates count as received */
			return PC_RTP_SEQ_DUPLICATE;
		}
		s->reordered++;
		verdict = PC_RTP_SEQ_REORDERED;
	}
	s->received++;
	source_jitter(s, rtp_ts, arrival);
	return verdict;
}

int pc_rtp_source_report(struct pc_rtp_source *s, struct pc_rtp_source_report *r)
{
	uint32_t ext_max, expected, exp_int, rcv_int;
	int64_t lost, lost_int;

	if (!pc_rtp_source_valid(s))
		return -EAGAIN;
	/* A.3 */
	ext_max = s->cycles + s->max_seq;
	expected = ext_max - s->base_seq + 1;
	lost = (int64_t)expected - (int64_t)s->received;
	/* The report block field is 24 bits signed: clamp rather than wrap. */
	if (lost > 0x7fffff)
		lost = 0x7fffff;
	else if (lost < -0x800000)
		lost = -0x800000;
	exp_int = expected - s->expected_prior;
	s->expected_prior = expected;
	rcv_int = s->received - s->received_prior;
	s->received_prior = s->received;
	lost_int = (int64_t)exp_int - (int64_t)rcv_int;

	r->ext_max_seq = ext_max;
	r->expected = expected;
	r->received = s->received;
	r->lost = (int32_t)lost;
	r->expected_interval = exp_int;
	r->received_interval = rcv_int;
	r->jitter = pc_rtp_source_jitter(s);
	if (exp_int == 0 || lost_int <= 0)
		r->fraction_lost = 0;
	else
		r->fraction_lost = (uint8_t)(((uint64_t)lost_int << 8) / exp_int);
	memset(r->pad0, 0, sizeof(r->pad0));
	return 0;
}
