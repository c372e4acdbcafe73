/* SPDX-License-Identifier: MIT */
/*
 * config_fuzz.c - libFuzzer target for the configuration parser of phone/pc_config.h:
 * pc_config_load_buf() on one buffer, then the getters on every key it holds, then a dump that
 * must load back to the same values.
 *
 * Notes on running it:
 *   - It needs phone/config.c only:
 *     clang -g -O1 -fsanitize=fuzzer,address,undefined -Iphone tests/fuzz/config_fuzz.c \
 *         phone/config.c -o /tmp/config_fuzz && /tmp/config_fuzz -max_total_time=30
 *   - With tests/fuzz/fuzz.cmake: pc_add_fuzz_target(config SOURCES <dir>/config_fuzz.c
 *     <root>/phone/config.c INCLUDES <root>/phone).
 *   - Inputs that pass the first-line check are the interesting ones: seed a corpus with files
 *     that start with "#!version:1.0.0.1\n" (`phonecore config show > corpus/all.cfg`).
 *   - Longer, keeping what it finds: `./config_fuzz -max_total_time=600 corpus/`; a crash
 *     leaves crash-<sha1> to replay with `./config_fuzz crash-<sha1>`.
 *
 * The input is copied into a buffer of exactly its length, without a NUL, so that
 * AddressSanitizer catches any read past it. Checked (abort on any difference):
 *   - load_buf returns 0, -EBADMSG, -EINVAL, -ERANGE or -ENOSPC (never -ENOMEM here); the error
 *     is one NUL-terminated line starting "fuzz:" when it fails, "" when it succeeds;
 *   - a failed load changes nothing: the configuration still equals a fresh one's;
 *   - every walked key: get_str gives the walked value; get_int / get_bool / get_double return
 *     0, -EINVAL or -ENODATA, and a typed value they accept is what the text says;
 *   - the dump of what loaded loads back (into a fresh configuration) to the same values;
 *   - the input is not written to.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pc_config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int cond)
{
	if (!cond)
		abort();
}

static void no_warn(const char *msg, void *arg)
{
	unsigned *n = arg;

	check(strchr(msg, '\n') == NULL);
	(*n)++;
}

/* The getters on one walked item of the loaded configuration. */
static int check_item(const struct pc_config_item *it, void *arg)
{
	const struct pc_config *cfg = arg;
	const char *s = NULL;
	int64_t i;
	double d;
	bool b;
	int rc;

	check(pc_config_get_str(cfg, it->key, &s) == 0);
	check(strcmp(s, it->value) == 0);
	check(strchr(it->value, '\n') == NULL && strchr(it->value, '\r') == NULL);
	check(it->set ? strcmp(it->source, "default") != 0 : strcmp(it->source, "default") == 0);
	check(it->known || it->set);

	rc = pc_config_get_int(cfg, it->key, &i);
	check(rc == 0 || rc == -EINVAL || rc == -ENODATA);
	check((rc == -ENODATA) == (it->value[0] == '\0') || rc == -EINVAL);
	if (rc == 0 &&
	    (!it->known || it->value[0] == '-' || (it->value[0] >= '0' && it->value[0] <= '9')))
		check(strtoll(it->value, NULL, 10) == i); /* the text's integer */
	rc = pc_config_get_bool(cfg, it->key, &b);
	check(rc == 0 || rc == -EINVAL || rc == -ENODATA);
	if (rc == 0)
		check(strcmp(it->value, b ? "1" : "0") == 0);
	rc = pc_config_get_double(cfg, it->key, &d);
	check(rc == 0 || rc == -EINVAL || rc == -ENODATA);
	if (rc == 0)
		check(d == d && d > -1e19 && d < 1e19);
	return 0;
}

/* Compares each item with the same key of another configuration. */
static int same_value(const struct pc_config_item *it, void *arg)
{
	const struct pc_config *other = arg;
	const char *s = NULL;

	check(pc_config_get_str(other, it->key, &s) == 0);
	check(strcmp(s, it->value) == 0);
	return 0;
}

static int count_item(const struct pc_config_item *it, void *arg)
{
	unsigned *n = arg;

	(void)it;
	(*n)++;
	return 0;
}

static void round_trip(const struct pc_config *cfg)
{
	struct pc_config *back = NULL;
	char err[PC_CONFIG_ERR_MAX];
	char *text = NULL;
	unsigned warns = 0;
	size_t len = 0;
	FILE *f;

	f = open_memstream(&text, &len);
	if (f == NULL)
		return;
	check(pc_config_dump(cfg, f, PC_CONFIG_SET_ONLY) == 0);
	check(fclose(f) == 0);
	check(pc_config_create(&back, no_warn, &warns) == 0);
	check(pc_config_load_buf(back, "dump", text, len, err, sizeof(err)) == 0);
	check(pc_config_foreach(cfg, PC_CONFIG_ALL, same_value, back) == 0);
	check(pc_config_foreach(back, PC_CONFIG_ALL, same_value, (void *)cfg) == 0);
	pc_config_destroy(back);
	free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *b = malloc(size ? size : 1);
	struct pc_config *cfg = NULL;
	char err[PC_CONFIG_ERR_MAX];
	unsigned warns = 0, set = 0;
	int rc;

	if (b == NULL)
		return 0;
	if (size)
		memcpy(b, data, size);
	check(pc_config_create(&cfg, no_warn, &warns) == 0);

	memset(err, 'x', sizeof(err));
	rc = pc_config_load_buf(cfg, "fuzz", b, size, err, sizeof(err));
	check(rc == 0 || rc == -EBADMSG || rc == -EINVAL || rc == -ERANGE);
	check(memchr(err, '\0', sizeof(err)) != NULL);
	check(strchr(err, '\n') == NULL);
	if (rc == 0)
		check(err[0] == '\0');
	else
		check(strncmp(err, "fuzz:", 5) == 0);
	check(warns == pc_config_warning_count(cfg));

	/* A failed load leaves nothing set; what a good one set passes the getters and loads back
	 * from its dump. */
	check(pc_config_foreach(cfg, PC_CONFIG_SET_ONLY, count_item, &set) == 0);
	if (rc != 0) {
		check(set == 0);
	} else {
		check(pc_config_foreach(cfg, PC_CONFIG_ALL, check_item, cfg) == 0);
		round_trip(cfg);
	}

	/* Nothing may write to the input. */
	check(size == 0 || memcmp(b, data, size) == 0);
	pc_config_destroy(cfg);
	free(b);
	return 0;
}
