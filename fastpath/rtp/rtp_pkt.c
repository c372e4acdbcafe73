/* SPDX-License-Identifier: MIT */
/*
 * rtp_pkt.c - RTP headers and padding written in place in a pc_pkt: the header into the
 * headroom in front of the payload, the padding into the tailroom.
 */
#include <errno.h>
#include <stdint.h>

#include "pc_pkt.h"
#include "pc_rtp.h"

int pc_rtp_pkt_prepend(struct pc_pkt *pkt, const struct pc_rtp_hdr_params *h)
{
	size_t n = pc_rtp_hdr_size(h);
	uint8_t *at;
	int rc;

	if (h->pt > 127 || h->cc > PC_RTP_CSRC_MAX || h->marker > 1)
		return -EINVAL;
	if (n > pc_pkt_headroom(pkt) || n + pc_pkt_len(pkt) > UINT16_MAX)
		return -ENOSPC;
	at = pc_pkt_prepend(pkt, (uint16_t)n);
	if (at == NULL)
		return -ENOSPC;
	rc = pc_rtp_write(at, n, h);
	if (rc < 0)
		pc_pkt_trim_front(pkt, (uint16_t)n); /* undo: nothing changed */
	return rc;
}

int pc_rtp_pkt_add_padding(struct pc_pkt *pkt, unsigned pad)
{
	size_t len = pc_pkt_len(pkt);
	int rc = pc_rtp_add_padding(pc_pkt_data(pkt), len, len + pc_pkt_tailroom(pkt), pad);

	if (rc < 0)
		return rc;
	pc_pkt_append(pkt, (uint16_t)pad);
	return 0;
}
