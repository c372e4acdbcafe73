/* SPDX-License-Identifier: MIT */
/*
 * media_conf_test.c - the media settings of the configuration (pc_media_conf.h): the VP530
 * voice.jib.* keys, read from a configuration file the test writes, mapped onto the jitter
 * buffer's parameters (ms as ms, adaptive 0 as fixed mode at normal), the defaults, what the
 * mapping leaves alone, and the combinations the buffer would refuse (one-line reason, nothing
 * written).
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pc_config.h"
#include "phone_test_pvt.h"
#include "pc_jb.h"
#include "pc_media_conf.h"

static struct pc_jb_params pc_test_params(void)
{
	struct pc_jb_params p;

	pc_jb_params_default(&p);
	return p;
}

Test(media_conf, defaults_are_the_vp530s_and_make_a_buffer)
{
	/* Given a configuration file that sets nothing of the buffer */
	struct pc_config *cfg = pc_test_cfg_file("voice.vad = 0\n");
	struct pc_jb_params p = pc_test_params();
	struct pc_jb *jb = NULL;
	char err[128];

	p.flags = PC_JB_F_FIXED; /* to be cleared: adaptive is on by default */
	/* When it is mapped */
	cr_assert_eq(pc_media_conf_jb(cfg, &p, err, sizeof(err)), 0, "%s", err);
	/* Then the VP530 defaults, adaptive, and the buffer takes them */
	cr_assert_str_empty(err);
	cr_assert_eq(p.min_delay_ms, PC_JB_MIN_DELAY_MS_DEFAULT);
	cr_assert_eq(p.normal_delay_ms, PC_JB_NORMAL_DELAY_MS_DEFAULT);
	cr_assert_eq(p.max_delay_ms, PC_JB_MAX_DELAY_MS_DEFAULT);
	cr_assert_eq(p.late_cost_us, PC_JB_LATE_COST_US_DEFAULT);
	cr_assert_eq(p.flags & PC_JB_F_FIXED, 0u);
	cr_assert_eq(pc_jb_create(&jb, &p), 0);
	pc_jb_destroy(jb);
	pc_config_destroy(cfg);
}

Test(media_conf, keys_map_in_ms_and_the_stream_fields_are_kept)
{
	/* Given min/normal/max of 20/60/400 ms, adaptive, with a trailing comment and blanks */
	struct pc_config *cfg = pc_test_cfg_file("voice.jib.adaptive = 1\n"
						 "voice.jib.min = 20\n"
						 "voice.jib.normal =   60   # start\n"
						 "voice.jib.max = 400\n"
						 "phonecore.voice.jib.late_cost_ms = 25\n");
	struct pc_jb_params p = pc_test_params();
	struct pc_jb_stats st;
	struct pc_jb *jb = NULL;

	p.clock_rate = 16000;
	p.ptime_ms = 30;
	p.cn_pt = -1;
	/* When it is mapped onto parameters set for a 16 kHz, 30 ms call */
	cr_assert_eq(pc_media_conf_jb(cfg, &p, NULL, 0), 0);
	/* Then the delays are the keys' and the call's fields are untouched */
	cr_assert_eq(p.min_delay_ms, 20);
	cr_assert_eq(p.normal_delay_ms, 60);
	cr_assert_eq(p.max_delay_ms, 400);
	cr_assert_eq(p.late_cost_us, 25000);
	cr_assert_eq(p.flags, 0u);
	cr_assert_eq(p.clock_rate, 16000);
	cr_assert_eq(p.ptime_ms, 30);
	cr_assert_eq(p.cn_pt, -1);
	/* And an adaptive buffer built from them starts at min (the first packet plays at
	 * once) */
	cr_assert_eq(pc_jb_create(&jb, &p), 0);
	pc_jb_stats(jb, &st);
	cr_assert_eq(st.target_delay_ns, 20 * 1000000ll);
	pc_jb_destroy(jb);
	pc_config_destroy(cfg);
}

Test(media_conf, adaptive_off_is_fixed_mode_at_normal)
{
	/* Given adaptive = 0 and normal = 80 ms */
	struct pc_config *cfg = pc_test_cfg_file("voice.jib.adaptive = 0\n"
						 "voice.jib.normal = 80\n");
	struct pc_jb_params p = pc_test_params();

	p.flags = 0x100u; /* some other flag, to be kept */
	/* When it is mapped */
	cr_assert_eq(pc_media_conf_jb(cfg, &p, NULL, 0), 0);
	/* Then fixed mode, at normal, the other flag kept */
	cr_assert_eq(p.flags, 0x100u | PC_JB_F_FIXED);
	cr_assert_eq(p.normal_delay_ms, 80);
	cr_assert_eq(p.min_delay_ms, PC_JB_MIN_DELAY_MS_DEFAULT);
	cr_assert_eq(p.max_delay_ms, PC_JB_MAX_DELAY_MS_DEFAULT);
	pc_config_destroy(cfg);
}

Test(media_conf, later_files_and_the_command_line_win)
{
	/* Given a file with max = 200, then the command line setting max = 250 */
	struct pc_config *cfg = pc_test_cfg_file("voice.jib.max = 200\n");
	struct pc_jb_params p = pc_test_params();
	char err[PC_CONFIG_ERR_MAX];

	cr_assert_eq(pc_media_conf_jb(cfg, &p, NULL, 0), 0);
	cr_assert_eq(p.max_delay_ms, 200);
	cr_assert_eq(pc_config_set(cfg, "voice.jib.max", "250", err, sizeof(err)), 0, "%s", err);
	/* When it is mapped again */
	cr_assert_eq(pc_media_conf_jb(cfg, &p, NULL, 0), 0);
	/* Then the command line's value */
	cr_assert_eq(p.max_delay_ms, 250);
	pc_config_destroy(cfg);
}

/* Maps @body, expecting -EINVAL with a one-line reason that holds @needle, @p untouched. */
static void pc_test_refused(const char *body, const char *needle)
{
	struct pc_config *cfg = pc_test_cfg_file(body);
	struct pc_jb_params p = pc_test_params(), before;
	char err[128];

	before = p;
	cr_assert_eq(pc_media_conf_jb(cfg, &p, err, sizeof(err)), -EINVAL);
	cr_assert_null(strchr(err, '\n'), "one line: %s", err);
	cr_assert_not_null(strstr(err, needle), "reason '%s' lacks '%s'", err, needle);
	cr_assert_eq(memcmp(&p, &before, sizeof(p)), 0, "parameters written on error");
	/* and no room for the reason is fine too */
	cr_assert_eq(pc_media_conf_jb(cfg, &p, NULL, 0), -EINVAL);
	pc_config_destroy(cfg);
}

Test(media_conf, min_over_normal_is_refused)
{
	pc_test_refused("voice.jib.min = 150\n", "min <= normal <= max");
}

Test(media_conf, normal_over_max_is_refused)
{
	pc_test_refused("voice.jib.normal = 500\n", "500/300");
}

Test(media_conf, a_short_error_buffer_is_terminated)
{
	struct pc_config *cfg = pc_test_cfg_file("voice.jib.max = 10\n");
	struct pc_jb_params p = pc_test_params();
	char err[8];

	memset(err, 'x', sizeof(err));
	cr_assert_eq(pc_media_conf_jb(cfg, &p, err, sizeof(err)), -EINVAL);
	cr_assert_eq(strlen(err), sizeof(err) - 1);
	pc_config_destroy(cfg);
}
