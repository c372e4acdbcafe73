/* SPDX-License-Identifier: MIT */
/*
 * pc_media_conf.h - the media settings of the phone's configuration (pc_config.h), mapped onto
 * the parameters of the fast-path modules that use them.
 *
 * Jitter buffer (pc_jb.h), from the VP530 keys (../shared/VP530.md):
 *   voice.jib.adaptive  1: adaptive (the delay follows the network between min and max);
 *                       0: fixed, the delay held at normal (PC_JB_F_FIXED)
 *   voice.jib.min       lowest target delay, ms      -> pc_jb_params.min_delay_ms
 *   voice.jib.normal    fixed delay, ms               -> pc_jb_params.normal_delay_ms
 *   voice.jib.max       highest delay held, ms        -> pc_jb_params.max_delay_ms
 *   phonecore.voice.jib.late_cost_ms  adaptive: the delay that 1 % of packets arriving too
 *                       late is worth (default 10; higher: more delay, fewer late packets)
 *                                                     -> pc_jb_params.late_cost_us
 * The configuration checks each key's range (0..1000 ms) but not how they relate: that is
 * checked here, as pc_jb_create() would (min <= normal <= max), with a one-line reason.
 *
 * Thread context: reads the configuration with its getters (not while it is being loaded or
 * set). No allocation.
 */
#ifndef PC_MEDIA_CONF_H
#define PC_MEDIA_CONF_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

struct pc_config;
struct pc_jb_params;

/*
 * pc_media_conf_jb - set the fields of *@p that the configuration decides: min_delay_ms,
 * normal_delay_ms, max_delay_ms, late_cost_us, and PC_JB_F_FIXED in flags (set when voice.jib.adaptive is 0,
 * cleared when 1; the other flags kept). The stream's fields (clock rate, ptime, comfort noise
 * payload type, cache) are left as they are: start from pc_jb_params_default() and set those
 * for the call.
 * @cfg: borrowed. @p: borrowed, written only on success.
 * @err: @errlen bytes (may be NULL when @errlen is 0): on error one line, the key(s) and the
 * reason; on success "".
 * Returns 0; -EINVAL when a key is not of its type or when not min <= normal <= max (the
 * buffer would refuse them); or what the getter returned for a key it could not read
 * (-ENODATA: the value is empty).
 */
int pc_media_conf_jb(const struct pc_config *cfg, struct pc_jb_params *p, char *err, size_t errlen);

#ifdef __cplusplus
}
#endif

#endif /* PC_MEDIA_CONF_H */
