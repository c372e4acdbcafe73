/* SPDX-License-Identifier: MIT */
/* phone_test_pvt.h - what the suites of phone/ share: a configuration loaded from a file. */
#ifndef PC_PHONE_TEST_PVT_H
#define PC_PHONE_TEST_PVT_H

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "pc_config.h"

/* A configuration loaded from a temporary file holding @body after the header line. */
static inline struct pc_config *pc_test_cfg_file(const char *body)
{
	char path[] = "/tmp/pc_phone_test_XXXXXX";
	char err[PC_CONFIG_ERR_MAX];
	struct pc_config *cfg = NULL;
	int fd = mkstemp(path);
	FILE *f;

	cr_assert_geq(fd, 0, "mkstemp");
	f = fdopen(fd, "w");
	cr_assert_not_null(f);
	fprintf(f, "%s\n%s", PC_CONFIG_HEADER, body);
	cr_assert_eq(fclose(f), 0);
	cr_assert_eq(pc_config_create(&cfg, NULL, NULL), 0);
	cr_assert_eq(pc_config_load_file(cfg, path, err, sizeof(err)), 0, "%s", err);
	unlink(path);
	return cfg;
}

#endif /* PC_PHONE_TEST_PVT_H */
