/* SPDX-License-Identifier: MIT */
/*
 * media_conf.c - the media settings of the configuration: see pc_media_conf.h.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "pc_config.h"
#include "pc_jb.h"
#include "pc_media_conf.h"

/* The reason a getter failed, in one line. */
static void media_conf_get_err(char *err, size_t errlen, const char *key, int rc)
{
	if (errlen > 0)
		snprintf(err, errlen, "%s: %s", key, rc == -ENODATA ? "no value" : strerror(-rc));
}

/* One delay key in ms, within what pc_jb accepts. */
static int media_conf_ms(const struct pc_config *cfg, const char *key, uint32_t *out, char *err,
			 size_t errlen)
{
	int64_t v;
	int rc = pc_config_get_int(cfg, key, &v);

	if (rc < 0) {
		media_conf_get_err(err, errlen, key, rc);
		return rc;
	}
	if (v < 0 || v > (int64_t)PC_JB_DELAY_LIMIT_MS) {
		if (errlen > 0)
			snprintf(err, errlen, "%s = %" PRId64 ": out of range 0..%u ms", key, v,
				 PC_JB_DELAY_LIMIT_MS);
		return -EINVAL;
	}
	*out = (uint32_t)v;
	return 0;
}

int pc_media_conf_jb(const struct pc_config *cfg, struct pc_jb_params *p, char *err, size_t errlen)
{
	uint32_t min_ms, normal_ms, max_ms, late_cost_ms;
	bool adaptive;
	int rc;

	if (errlen > 0)
		err[0] = '\0';
	rc = pc_config_get_bool(cfg, "voice.jib.adaptive", &adaptive);
	if (rc < 0) {
		media_conf_get_err(err, errlen, "voice.jib.adaptive", rc);
		return rc;
	}
	rc = media_conf_ms(cfg, "voice.jib.min", &min_ms, err, errlen);
	if (rc == 0)
		rc = media_conf_ms(cfg, "voice.jib.normal", &normal_ms, err, errlen);
	if (rc == 0)
		rc = media_conf_ms(cfg, "voice.jib.max", &max_ms, err, errlen);
	if (rc == 0)
		rc = media_conf_ms(cfg, "phonecore.voice.jib.late_cost_ms", &late_cost_ms, err,
				   errlen);
	if (rc < 0)
		return rc;
	if (min_ms > normal_ms || normal_ms > max_ms) {
		if (errlen > 0)
			snprintf(
				err, errlen,
				"voice.jib.min/normal/max = %u/%u/%u ms: need min <= normal <= max",
				min_ms, normal_ms, max_ms);
		return -EINVAL;
	}
	p->min_delay_ms = min_ms;
	p->normal_delay_ms = normal_ms;
	p->max_delay_ms = max_ms;
	/* 0 ms: the buffer's default (PC_JB_LATE_COST_US_DEFAULT); 1000 ms at most, which is
	 * PC_JB_LATE_COST_US_MAX. */
	p->late_cost_us = late_cost_ms * 1000u;
	if (adaptive)
		p->flags &= ~PC_JB_F_FIXED;
	else
		p->flags |= PC_JB_F_FIXED;
	return 0;
}
