/* SPDX-License-Identifier: MIT */
/*
 * config_test.c - the VP530-style configuration of pc_config.h: the header line (required; BOM
 * and CR LF tolerated), comments, quoting, trimming, empty values, later files winning, every
 * error with its line number (and nothing applied from a buffer with an error), the range of
 * each type of key, unknown keys (warned, kept, bounded), command-line overrides, the getters
 * and their defaults, the walk and the dump (which loads back to the same values), buffers read
 * only within their length (the text ends at a PROT_NONE page), and the limits (line length,
 * file size, unknown keys, file names).
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pc_config.h"

#define PC_TEST_HDR PC_CONFIG_HEADER "\n"

/* The warnings a configuration reported. */
struct pc_test_warns {
	unsigned n;
	char last[PC_CONFIG_ERR_MAX];
};

static void pc_test_warn(const char *msg, void *arg)
{
	struct pc_test_warns *w = arg;

	cr_assert_null(strchr(msg, '\n'), "a warning is one line: %s", msg);
	w->n++;
	snprintf(w->last, sizeof(w->last), "%s", msg);
}

static struct pc_config *pc_test_cfg(struct pc_test_warns *w)
{
	struct pc_config *cfg = NULL;

	memset(w, 0, sizeof(*w));
	cr_assert_eq(pc_config_create(&cfg, pc_test_warn, w), 0);
	cr_assert_not_null(cfg);
	return cfg;
}

/* Loads the NUL-terminated @text as "t.cfg"; the error line in @err. */
static int pc_test_load(struct pc_config *cfg, const char *text, char *err)
{
	int rc = pc_config_load_buf(cfg, "t.cfg", text, strlen(text), err, PC_CONFIG_ERR_MAX);

	cr_assert_null(strchr(err, '\n'), "an error is one line: %s", err);
	cr_assert_eq(rc == 0, err[0] == '\0', "rc %d, error '%s'", rc, err);
	return rc;
}

static void pc_test_ok(struct pc_config *cfg, const char *text)
{
	char err[PC_CONFIG_ERR_MAX];
	int rc = pc_test_load(cfg, text, err);

	cr_assert_eq(rc, 0, "load failed (%d): %s\n--\n%s", rc, err, text);
}

/* Loads @text into a fresh configuration, expects @want_rc and @want_err (exactly). */
static void pc_test_fails(const char *text, int want_rc, const char *want_err)
{
	struct pc_test_warns w;
	struct pc_config *cfg = pc_test_cfg(&w);
	char err[PC_CONFIG_ERR_MAX];
	int rc = pc_test_load(cfg, text, err);

	cr_assert_eq(rc, want_rc, "rc %d (want %d) for\n%s", rc, want_rc, text);
	cr_assert_str_eq(err, want_err);
	pc_config_destroy(cfg);
}

static const char *pc_test_str(const struct pc_config *cfg, const char *key)
{
	const char *v = NULL;
	int rc = pc_config_get_str(cfg, key, &v);

	cr_assert_eq(rc, 0, "get_str(%s) = %d", key, rc);
	cr_assert_not_null(v);
	return v;
}

static int64_t pc_test_int(const struct pc_config *cfg, const char *key)
{
	int64_t v = 0;
	int rc = pc_config_get_int(cfg, key, &v);

	cr_assert_eq(rc, 0, "get_int(%s) = %d", key, rc);
	return v;
}

/* The walk: the item of @key, copied. */
struct pc_test_find {
	const char *key;
	int found;
	char value[PC_CONFIG_LINE_MAX + 1];
	char source[256];
	unsigned line;
	bool known, set;
};

static int pc_test_find_cb(const struct pc_config_item *it, void *arg)
{
	struct pc_test_find *f = arg;

	if (strcmp(it->key, f->key) != 0)
		return 0;
	f->found++;
	snprintf(f->value, sizeof(f->value), "%s", it->value);
	snprintf(f->source, sizeof(f->source), "%s", it->source);
	f->line = it->line;
	f->known = it->known;
	f->set = it->set;
	return 0;
}

static struct pc_test_find pc_test_item(const struct pc_config *cfg, const char *key)
{
	struct pc_test_find f = { .key = key };

	cr_assert_eq(pc_config_foreach(cfg, PC_CONFIG_ALL, pc_test_find_cb, &f), 0);
	cr_assert_eq(f.found, 1, "%s walked %d times", key, f.found);
	return f;
}

/* --- the header line ------------------------------------------------------------------------- */

Test(config, header_line_is_required)
{
	const char *want = "t.cfg:1: the first line must be '#!version:1.0.0.1'";

	/* Given texts without the exact first line / When loaded / Then -EBADMSG at line 1 */
	pc_test_fails("", -EBADMSG, want);
	pc_test_fails("\n", -EBADMSG, want);
	pc_test_fails("account.1.enable = 1\n", -EBADMSG, want);
	pc_test_fails("#!version:1.0.0.2\n", -EBADMSG, want);
	pc_test_fails("#!version:1.0.0.1x\n", -EBADMSG, want);
	pc_test_fails(" #!version:1.0.0.1\n", -EBADMSG, want);
	pc_test_fails("\n#!version:1.0.0.1\n", -EBADMSG, want);
	pc_test_fails("#!VERSION:1.0.0.1\n", -EBADMSG, want);
}

Test(config, header_line_alone_or_with_blanks_is_fine)
{
	struct pc_test_warns w;
	struct pc_config *cfg = pc_test_cfg(&w);

	/* Given the header with no line end, with trailing blanks, or with CR LF / Then 0 */
	pc_test_ok(cfg, "#!version:1.0.0.1");
	pc_test_ok(cfg, "#!version:1.0.0.1 \t\n");
	pc_test_ok(cfg, "#!version:1.0.0.1\r\n");
	pc_test_ok(cfg, "#!version:1.0.0.1\r");
	cr_assert_eq(pc_config_load_buf(cfg, "null", NULL, 0, NULL, 0), -EBADMSG);
	cr_assert_eq(w.n, 0);
	pc_config_destroy(cfg);
}

Test(config, bom_and_crlf_are_tolerated)
{
	struct pc_test_warns w;
	struct pc_config *cfg = pc_test_cfg(&w);

	/* Given a file with a UTF-8 BOM and CR LF line ends, with LF lines mixed in */
	pc_test_ok(cfg, "\xef\xbb\xbf#!version:1.0.0.1\r\n"
			"account.1.label = a b\r\n"
			"account.1.user_name = 1001\n"
			"account.1.enable = 1\r\n");
	/* Then the values hold no CR, and the typed one passed its check */
	cr_assert_str_eq(pc_test_str(cfg, "account.1.label"), "a b");
	cr_assert_str_eq(pc_test_str(cfg, "account.1.user_name"), "1001");
	cr_assert_eq(pc_test_int(cfg, "account.1.enable"), 1);
	pc_config_destroy(cfg);

	/* A BOM anywhere but before the first line is not skipped */
	pc_test_fails(PC_TEST_HDR "\xef\xbb\xbf"
				  "account.1.enable = 1\n",
		      -EBADMSG,
		      "t.cfg:2: bad key '???account.1.enable' (a key is letters, digits, '_' and "
		      "'.')");
	/* Two BOMs: the second is part of the first line */
	pc_test_fails("\xef\xbb\xbf\xef\xbb\xbf" PC_TEST_HDR, -EBADMSG,
		      "t.cfg:1: the first line must be '#!version:1.0.0.1'");
}

/* --- lines and values ------------------------------------------------------------------------ */

Test(config, comments_blank_lines_and_trimming)
{
	struct pc_test_warns w;
	struct pc_config *cfg = pc_test_cfg(&w);

	pc_test_ok(cfg, PC_TEST_HDR "# a comment = with an equals sign\n"
				    "   \t# an indented comment\n"
				    "\n"
				    "   \t  \n"
				    "  account.1.label\t=\t  two  words \t\n"
				    "account.1.display_name = Alice # who she is\n"
				    "account.1.user_name = a#b\n"
				    "account.1.auth_name = x\t# after a tab\n"
				    "account.1.password =# all comment\n"
				    "account.1.sip_server_host=pbx.example.com\n"
				    "account.2.label = #\n"
				    "account.3.label = a = b\n");
	cr_assert_str_eq(pc_test_str(cfg, "account.1.label"), "two  words");
	cr_assert_str_eq(pc_test_str(cfg, "account.1.display_name"), "Alice");
	cr_assert_str_eq(pc_test_str(cfg, "account.1.user_name"), "a#b");
	cr_assert_str_eq(pc_test_str(cfg, "account.1.auth_name"), "x");
	cr_assert_str_eq(pc_test_str(cfg, "account.1.password"), "");
	cr_assert_str_eq(pc_test_str(cfg, "account.1.sip_server_host"), "pbx.example.com");
	cr_assert_str_eq(pc_test_str(cfg, "account.2.label"), "");
	cr_assert_str_eq(pc_test_str(cfg, "account.3.label"), "a = b");
	cr_assert_eq(pc_test_item(cfg, "account.1.display_name").line, 7);
	cr_assert_eq(w.n, 0);
	pc_config_destroy(cfg);
}

Test(config, quoted_values)
{
	struct pc_test_warns w;
	struct pc_config *cfg = pc_test_cfg(&w);

	/* Given quoted values: blanks and '#' kept inside, a comment after the closing quote */
	pc_test_ok(cfg, PC_TEST_HDR "account.1.label = \"  My # phone \"\n"
				    "account.1.display_name = \"\"\n"
				    "account.1.user_name = \"x\" # a comment\n"
				    "account.1.auth_name =\"y\"\t\n"
				    "account.1.password = a\"b\"c\n"
				    "account.2.label = \"it's = fine\"\n");
	cr_assert_str_eq(pc_test_str(cfg, "account.1.label"), "  My # phone ");
	cr_assert_str_eq(pc_test_str(cfg, "account.1.display_name"), "");
	cr_assert_str_eq(pc_test_str(cfg, "account.1.user_name"), "x");
	cr_assert_str_eq(pc_test_str(cfg, "account.1.auth_name"), "y");
	/* A quote inside an unquoted value is an ordinary byte */
	cr_assert_str_eq(pc_test_str(cfg, "account.1.password"), "a\"b\"c");
	cr_assert_str_eq(pc_test_str(cfg, "account.2.label"), "it's = fine");
	/* A quoted typed value is checked like an unquoted one */
	pc_test_ok(cfg, PC_TEST_HDR "account.1.ptime = \"30\"\n");
	cr_assert_eq(pc_test_int(cfg, "account.1.ptime"), 30);
	pc_config_destroy(cfg);
}

Test(config, empty_values)
{
	struct pc_test_warns w;
	struct pc_config *cfg = pc_test_cfg(&w);

	/* Given earlier values */
	pc_test_ok(cfg, PC_TEST_HDR "account.1.label = desk\naccount.1.ptime = 30\n");
	/* When a later file has them empty (as Yealink templates do) */
	pc_test_ok(cfg, PC_TEST_HDR "account.1.label =\naccount.1.ptime =\n"
				    "account.1.expires = \"\"\n");
	/* Then a string becomes empty; a typed key keeps its value or default */
	cr_assert_str_eq(pc_test_str(cfg, "account.1.label"), "");
	cr_assert_str_eq(pc_test_item(cfg, "account.1.label").source, "t.cfg");
	cr_assert_eq(pc_test_item(cfg, "account.1.label").line, 2);
	cr_assert_eq(pc_test_int(cfg, "account.1.ptime"), 30);
	cr_assert_eq(pc_test_item(cfg, "account.1.ptime").line, 3);
	cr_assert_eq(pc_test_int(cfg, "account.1.expires"), 3600);
	cr_assert_not(pc_test_item(cfg, "account.1.expires").set);
	pc_config_destroy(cfg);
}

Test(config, later_files_win)
{
	struct pc_test_warns w;
	struct pc_config *cfg = pc_test_cfg(&w);
	char err[PC_CONFIG_ERR_MAX];
	const char *common = PC_TEST_HDR "account.1.enable = 1\n"
					 "account.1.sip_server_host = pbx.example.com\n"
					 "account.1.ptime = 20\n";
	const char *mine = PC_TEST_HDR "# this phone\n"
				       "account.1.ptime = 40\n"
				       "account.1.ptime = 60\n";
	struct pc_test_find f;

	/* Given the common file, then the per-phone file */
	cr_assert_eq(pc_config_load_buf(cfg, "y000000000023.cfg", common, strlen(common), err,
					sizeof(err)),
		     0, "%s", err);
	cr_assert_eq(pc_config_load_buf(cfg, "001565000000.cfg", mine, strlen(mine), err,
					sizeof(err)),
		     0, "%s", err);
	/* Then the last value wins (also within a file), each with where it came from */
	cr_assert_eq(pc_test_int(cfg, "account.1.ptime"), 60);
	f = pc_test_item(cfg, "account.1.ptime");
	cr_assert_str_eq(f.source, "001565000000.cfg");
	cr_assert_eq(f.line, 4);
	cr_assert(f.set && f.known);
	f = pc_test_item(cfg, "account.1.sip_server_host");
	cr_assert_str_eq(f.source, "y000000000023.cfg");
	cr_assert_eq(f.line, 3);
	f = pc_test_item(cfg, "account.2.ptime");
	cr_assert_str_eq(f.source, "default");
	cr_assert_eq(f.line, 0);
	cr_assert_not(f.set);
	cr_assert_str_eq(f.value, "20");
	/* And the command line wins over both */
	cr_assert_eq(pc_config_set(cfg, "account.1.ptime", "10", err, sizeof(err)), 0, "%s", err);
	f = pc_test_item(cfg, "account.1.ptime");
	cr_assert_str_eq(f.source, "command line");
	cr_assert_eq(f.line, 0);
	cr_assert_eq(pc_test_int(cfg, "account.1.ptime"), 10);
	pc_config_destroy(cfg);
}

/* --- errors ---------------------------------------------------------------------------------- */

Test(config, syntax_errors_name_their_line)
{
	char line[PC_CONFIG_LINE_MAX + 64];
	char text[sizeof(line) + 64];

	pc_test_fails(PC_TEST_HDR "# fine\naccount.1.enable\n", -EBADMSG,
		      "t.cfg:3: missing '=' (expected key = value)");
	pc_test_fails(PC_TEST_HDR "account 1 = x\n", -EBADMSG,
		      "t.cfg:2: bad key 'account 1' (a key is letters, digits, '_' and '.')");
	pc_test_fails(PC_TEST_HDR "\n\naccount-1 = x\n", -EBADMSG,
		      "t.cfg:4: bad key 'account-1' (a key is letters, digits, '_' and '.')");
	pc_test_fails(PC_TEST_HDR " = x\n", -EBADMSG,
		      "t.cfg:2: bad key '' (a key is letters, digits, '_' and '.')");
	pc_test_fails(PC_TEST_HDR "k\xc3\xa9y = x\n", -EBADMSG,
		      "t.cfg:2: bad key 'k??y' (a key is letters, digits, '_' and '.')");
	pc_test_fails(PC_TEST_HDR "[section]\n", -EBADMSG,
		      "t.cfg:2: missing '=' (expected key = value)");
	pc_test_fails(PC_TEST_HDR "a = 1\nb = \"open\n", -EBADMSG,
		      "t.cfg:3: bad quoted value: no closing '\"'");
	pc_test_fails(PC_TEST_HDR "a = \"x\"y\n", -EBADMSG,
		      "t.cfg:2: bad quoted value: text after the closing '\"'");
	pc_test_fails(PC_TEST_HDR "a = \"x\" y\n", -EBADMSG,
		      "t.cfg:2: bad quoted value: text after the closing '\"'");
	pc_test_fails(PC_TEST_HDR "a = x\x01y\n", -EBADMSG,
		      "t.cfg:2: control byte 0x01 in the value");
	pc_test_fails(PC_TEST_HDR "a = x\ry\n", -EBADMSG,
		      "t.cfg:2: control byte 0x0d in the value");
	pc_test_fails(PC_TEST_HDR "a = \"x\x7f\"\n", -EBADMSG,
		      "t.cfg:2: control byte 0x7f in the value");

	/* A line of PC_CONFIG_LINE_MAX bytes (without CR LF) passes, one more fails */
	memset(line, 'v', sizeof(line));
	memcpy(line, "account.1.label = ", 18);
	snprintf(text, sizeof(text), PC_TEST_HDR "%.*s\r\n", (int)PC_CONFIG_LINE_MAX, line);
	{
		struct pc_test_warns w;
		struct pc_config *cfg = pc_test_cfg(&w);

		pc_test_ok(cfg, text);
		cr_assert_eq(strlen(pc_test_str(cfg, "account.1.label")), PC_CONFIG_LINE_MAX - 18);
		pc_config_destroy(cfg);
	}
	snprintf(text, sizeof(text), PC_TEST_HDR "\n%.*s\n", (int)PC_CONFIG_LINE_MAX + 1, line);
	pc_test_fails(text, -EBADMSG, "t.cfg:3: line longer than 1024 bytes");
	/* An over-long comment is an error too */
	memset(line, '#', sizeof(line));
	snprintf(text, sizeof(text), PC_TEST_HDR "%.*s\n", (int)PC_CONFIG_LINE_MAX + 1, line);
	pc_test_fails(text, -EBADMSG, "t.cfg:2: line longer than 1024 bytes");
}

Test(config, nul_bytes_are_errors)
{
	static const char text[] = PC_TEST_HDR "a = 1\n# comment \0 with a NUL\n";
	struct pc_test_warns w;
	struct pc_config *cfg = pc_test_cfg(&w);
	char err[PC_CONFIG_ERR_MAX];

	/* Given a NUL byte on line 3 (in a comment) / Then the error names line 3 */
	cr_assert_eq(pc_config_load_buf(cfg, "n.cfg", text, sizeof(text) - 1, err, sizeof(err)),
		     -EBADMSG);
	cr_assert_str_eq(err, "n.cfg:3: NUL byte in the line");
	/* And in the value of line 2 */
	cr_assert_eq(pc_config_load_buf(cfg, "n.cfg", PC_TEST_HDR "a = 1\0\n", 24, err,
					sizeof(err)),
		     -EBADMSG);
	cr_assert_str_eq(err, "n.cfg:2: NUL byte in the line");
	/* And in the header line */
	cr_assert_eq(pc_config_load_buf(cfg, "n.cfg", "#!version:1.0.0.1\0\n", 19, err,
					sizeof(err)),
		     -EBADMSG);
	cr_assert_str_eq(err, "n.cfg:1: the first line must be '#!version:1.0.0.1'");
	pc_config_destroy(cfg);
}

Test(config, value_errors_name_line_key_and_range)
{
	pc_test_fails(PC_TEST_HDR "account.1.enable = 1\naccount.2.transport = 4\n", -ERANGE,
		      "t.cfg:3: account.2.transport = '4': out of range, expected an integer in "
		      "0..3");
	pc_test_fails(PC_TEST_HDR "account.1.transport = udp\n", -EINVAL,
		      "t.cfg:2: account.1.transport = 'udp': not valid, expected an integer in "
		      "0..3");
	pc_test_fails(PC_TEST_HDR "account.4.ptime = 25\n", -ERANGE,
		      "t.cfg:2: account.4.ptime = '25': out of range, expected one of 10, 20, 30, "
		      "40, 50, 60");
	pc_test_fails(PC_TEST_HDR "account.1.enable = yes\n", -EINVAL,
		      "t.cfg:2: account.1.enable = 'yes': not valid, expected 0 or 1");
	pc_test_fails(PC_TEST_HDR "account.1.advanced.timer_t1 = 0.4\n", -ERANGE,
		      "t.cfg:2: account.1.advanced.timer_t1 = '0.4': out of range, expected "
		      "decimal seconds in 0.5..10");
	pc_test_fails(PC_TEST_HDR "phonecore.media.io = netmap\n", -EINVAL,
		      "t.cfg:2: phonecore.media.io = 'netmap': not valid, expected one of "
		      "sockets, uring, dpdk");
	pc_test_fails(PC_TEST_HDR "phonecore.media.dpdk.ipv4 = 10.0.0.256\n", -EINVAL,
		      "t.cfg:2: phonecore.media.dpdk.ipv4 = '10.0.0.256': not valid, expected a "
		      "dotted IPv4 address");
	pc_test_fails(PC_TEST_HDR "features.dnd_refuse_code = 500\n", -ERANGE,
		      "t.cfg:2: features.dnd_refuse_code = '500': out of range, expected one of "
		      "404, 480, 486, 603");
	/* A long value is cut short in the message */
	pc_test_fails(PC_TEST_HDR "account.1.expires = 12345678901234567890123456789012345\n",
		      -ERANGE,
		      "t.cfg:2: account.1.expires = '12345678901234567890123456789012...': out of "
		      "range, expected an integer in 30..2147483647");
}

Test(config, an_error_changes_nothing)
{
	struct pc_test_warns w;
	struct pc_config *cfg = pc_test_cfg(&w);
	char err[PC_CONFIG_ERR_MAX];

	/* Given a configuration with a value */
	pc_test_ok(cfg, PC_TEST_HDR "account.1.label = before\n");
	/* When a file sets keys, then has an error on a later line */
	cr_assert_eq(pc_test_load(cfg,
				  PC_TEST_HDR "account.1.label = after\n"
					      "account.1.enable = 1\n"
					      "new.key = 1\n"
					      "account.1.ptime = 15\n",
				  err),
		     -ERANGE);
	cr_assert_str_eq(err, "t.cfg:5: account.1.ptime = '15': out of range, expected one of 10, "
			      "20, 30, 40, 50, 60");
	/* Then none of it applies (the unknown key was still reported) */
	cr_assert_str_eq(pc_test_str(cfg, "account.1.label"), "before");
	cr_assert_eq(pc_test_int(cfg, "account.1.enable"), 0);
	cr_assert_eq(pc_config_get_str(cfg, "new.key", &(const char *){ NULL }), -ENOENT);
	cr_assert_eq(w.n, 1);
	cr_assert_eq(pc_config_warning_count(cfg), 1);
	pc_config_destroy(cfg);
}

/* --- the types and their ranges -------------------------------------------------------------- */

/* Values of a key: accepted, refused as out of range (-ERANGE), refused as not its type. */
struct pc_test_range {
	const char *key;
	const char *good[12];
	const char *out[12];
	const char *junk[12];
};

static const struct pc_test_range pc_test_ranges[] = {
	/* integers */
	{ "account.1.transport",
	  { "0", "3", "+2", "-0" },
	  { "-1", "4" },
	  { "1.0", "0x1", "1 2", "udp", "-", "++1", "1e0" } },
	{ "account.2.dtmf.dtmf_payload", { "96", "101", "255" }, { "95", "256", "0" }, { "x" } },
	{ "account.3.sip_server_port", { "1", "5060", "65535" }, { "0", "65536" }, { "5060a" } },
	{ "account.4.expires",
	  { "30", "2147483647" },
	  { "29", "2147483648", "9999999999999999999999" },
	  { "1h" } },
	{ "account.1.reg_fail_retry_interval", { "0", "1800" }, { "1801" }, { "-x" } },
	{ "account.1.timeout_fwd.timeout", { "0", "20" }, { "21", "-1" }, { "two" } },
	{ "account.1.session_timer.expires", { "90", "7200" }, { "89", "7201" }, { "a" } },
	{ "account.1.session_timer.refresher", { "0", "1" }, { "2" }, { "uac" } },
	{ "account.1.srtp_encryption", { "0", "2" }, { "3" }, { "on" } },
	{ "account.1.dtmf.type", { "0", "3" }, { "4" }, { "rfc2833" } },
	{ "account.1.nat.udp_update_enable", { "0", "2" }, { "3" }, { "crlf" } },
	{ "account.1.nat.udp_update_time", { "15", "30" }, { "14" }, { "30s" } },
	{ "account.1.codec.1.payload_type", { "0", "127" }, { "128", "-1" }, { "PCMU" } },
	{ "account.1.codec.8.priority", { "0", "10" }, { "11" }, { "high" } },
	{ "voice.jib.max", { "0", "1000" }, { "1001" }, { "300ms" } },
	{ "network.port.min_rtpport", { "1", "65535" }, { "0", "65536" }, { "x" } },
	{ "network.qos.rtptos", { "0", "63" }, { "64" }, { "ef" } },
	{ "phonecore.media.pool_pkts", { "1024", "1048576" }, { "1023", "1048577" }, { "16k" } },
	{ "phonecore.media.burst", { "1", "64" }, { "0", "65" }, { "x" } },
	{ "phonecore.media.cpu", { "-1", "0", "1023" }, { "-2", "1024" }, { "any" } },
	{ "phonecore.media.max_streams", { "1", "100000" }, { "0", "100001" }, { "x" } },
	/* one of a list of integers */
	{ "account.1.ptime",
	  { "10", "20", "30", "40", "50", "60" },
	  { "0", "15", "70", "-20" },
	  { "20ms" } },
	{ "features.normal_refuse_code",
	  { "404", "480", "486", "603" },
	  { "403", "500" },
	  { "busy" } },
	/* booleans */
	{ "account.1.enable", { "0", "1" }, { NULL }, { "2", "01", "-1", "true", "on", "1.0" } },
	{ "voice.vad", { "0", "1" }, { NULL }, { "yes" } },
	{ "account.1.codec.5.enable", { "0", "1" }, { NULL }, { "y" } },
	/* decimal seconds */
	{ "account.1.advanced.timer_t1",
	  { "0.5", "10", "1.25", "0.50", "10.000", "007" },
	  { "0.4", "0.499999", "10.001", "11", "0" },
	  { ".5", "1.", "1e3", "-1", "0x1", "1,5", "1.2.3", "+1", "inf", "nan" } },
	{ "account.1.advanced.timer_t2", { "2", "40" }, { "1.9", "40.1" }, { "x" } },
	{ "account.1.advanced.timer_t4", { "2.5", "60" }, { "2.4", "60.5" }, { "x" } },
	/* words */
	{ "phonecore.media.io",
	  { "sockets", "uring", "dpdk" },
	  { NULL },
	  { "URING", "uring2", "ur", "netmap", "0" } },
	{ "phonecore.media.idle", { "poll", "sleep" }, { NULL }, { "spin", "1" } },
	/* IPv4 */
	{ "phonecore.media.dpdk.ipv4",
	  { "10.0.0.1", "0.0.0.0", "255.255.255.255", "192.168.1.254" },
	  { NULL },
	  { "256.1.1.1", "1.2.3", "1.2.3.4.5", "01.2.3.4", "1..2.3", "a.b.c.d", "1.2.3.4x",
	    "1.2.3.", ".1.2.3", "1234.1.1.1", "::1" } },
	/* strings take anything */
	{ "phonecore.media.dpdk.eal_args",
	  { "--no-huge --vdev=net_tap0,iface=x", "-l 2-3", "\xc3\xa9t\xc3\xa9" },
	  { NULL },
	  { NULL } },
};

static void pc_test_values(struct pc_config *cfg, const char *key, const char *const *values,
			   int rc, struct pc_test_warns *w)
{
	char text[256], err[PC_CONFIG_ERR_MAX];

	for (size_t i = 0; i < 12 && values[i] != NULL; i++) {
		const char *v = values[i];

		/* From a file */
		snprintf(text, sizeof(text), PC_TEST_HDR "# first\n%s = %s\n", key, v);
		cr_assert_eq(pc_test_load(cfg, text, err), rc, "%s = '%s': %s", key, v, err);
		if (rc == 0) {
			cr_assert_str_eq(pc_test_str(cfg, key), v);
		} else {
			/* FILE:LINE, the key, the value, the range */
			snprintf(text, sizeof(text), "t.cfg:3: %s = '%s': ", key, v);
			cr_assert_eq(strncmp(err, text, strlen(text)), 0, "%s", err);
			cr_assert_not_null(strstr(err, ", expected "), "%s", err);
		}
		/* From the command line: the same checks */
		cr_assert_eq(pc_config_set(cfg, key, v, err, sizeof(err)), rc, "--set %s=%s", key,
			     v);
		if (rc != 0) {
			snprintf(text, sizeof(text), "command line: %s = '%s': ", key, v);
			cr_assert_eq(strncmp(err, text, strlen(text)), 0, "%s", err);
		}
	}
	cr_assert_eq(w->n, 0);
}

Test(config, every_type_checks_its_range)
{
	for (size_t i = 0; i < sizeof(pc_test_ranges) / sizeof(pc_test_ranges[0]); i++) {
		const struct pc_test_range *r = &pc_test_ranges[i];
		struct pc_test_warns w;
		struct pc_config *cfg = pc_test_cfg(&w);

		pc_test_values(cfg, r->key, r->good, 0, &w);
		pc_test_values(cfg, r->key, r->out, -ERANGE, &w);
		pc_test_values(cfg, r->key, r->junk, -EINVAL, &w);
		pc_config_destroy(cfg);
	}
}

/* Sets each item's value on the command line of another configuration. */
static int pc_test_set_again(const struct pc_config_item *it, void *arg)
{
	struct pc_config *copy = arg;
	char err[PC_CONFIG_ERR_MAX];

	cr_assert(it->known && !it->set);
	cr_assert_str_eq(it->source, "default");
	cr_assert_eq(pc_config_set(copy, it->key, it->value, err, sizeof(err)), 0, "%s = %s: %s",
		     it->key, it->value, err);
	return 0;
}

Test(config, every_default_passes_its_own_check)
{
	struct pc_test_warns w, w2;
	struct pc_config *cfg = pc_test_cfg(&w), *copy = pc_test_cfg(&w2);

	/* Given the defaults / When each is set again / Then each passes its key's check */
	cr_assert_eq(pc_config_foreach(cfg, PC_CONFIG_ALL, pc_test_set_again, copy), 0);
	cr_assert_eq(w2.n, 0, "%s", w2.last);
	pc_config_destroy(copy);
	pc_config_destroy(cfg);
}

/* --- the table of keys ----------------------------------------------------------------------- */

/* The VP530 table (../shared/VP530.md, "Configuration"), with X for the account. */
static const char *const pc_test_vp530_keys[] = {
	"account.X.enable",
	"account.X.label",
	"account.X.display_name",
	"account.X.user_name",
	"account.X.auth_name",
	"account.X.password",
	"account.X.sip_server_host",
	"account.X.sip_server_port",
	"account.X.sip_listen_port",
	"account.X.transport",
	"account.X.outbound_proxy_enable",
	"account.X.outbound_host",
	"account.X.outbound_port",
	"account.X.expires",
	"account.X.sip_server.1.expires",
	"account.X.sip_server.2.expires",
	"account.X.reg_fail_retry_interval",
	"account.X.codec.1.enable",
	"account.X.codec.1.payload_type",
	"account.X.codec.1.priority",
	"account.X.codec.1.rtpmap",
	"account.X.codec.8.enable",
	"account.X.codec.8.payload_type",
	"account.X.codec.8.priority",
	"account.X.codec.8.rtpmap",
	"account.X.ptime",
	"account.X.srtp_encryption",
	"account.X.dtmf.type",
	"account.X.dtmf.dtmf_payload",
	"account.X.auto_answer",
	"account.X.always_fwd.enable",
	"account.X.always_fwd.target",
	"account.X.busy_fwd.enable",
	"account.X.busy_fwd.target",
	"account.X.timeout_fwd.enable",
	"account.X.timeout_fwd.target",
	"account.X.timeout_fwd.timeout",
	"account.X.dnd.enable",
	"account.X.session_timer.enable",
	"account.X.session_timer.expires",
	"account.X.session_timer.refresher",
	"account.X.advanced.timer_t1",
	"account.X.advanced.timer_t2",
	"account.X.advanced.timer_t4",
	"account.X.nat.rport",
	"account.X.nat.udp_update_enable",
	"account.X.nat.udp_update_time",
	"account.X.conf_type",
	"features.normal_refuse_code",
	"features.dnd_refuse_code",
	"call_waiting.enable",
	"call_waiting.tone",
	"transfer.semi_attend_tran_enable",
	"features.conference_enable",
	"sip.rfc2543_hold",
	"voice.echo_cancellation",
	"voice.vad",
	"voice.cng",
	"voice.jib.adaptive",
	"voice.jib.min",
	"voice.jib.max",
	"voice.jib.normal",
	"network.port.min_rtpport",
	"network.port.max_rtpport",
	"network.qos.rtptos",
	"network.qos.signaltos",
};

/* Key and default, as the VP530 table and the brief give them. */
static const char *const pc_test_defaults[][2] = {
	{ "account.1.enable", "0" },
	{ "account.4.sip_server_port", "5060" },
	{ "account.2.sip_listen_port", "5060" },
	{ "account.1.transport", "0" },
	{ "account.1.expires", "3600" },
	{ "account.1.sip_server.2.expires", "3600" },
	{ "account.1.reg_fail_retry_interval", "30" },
	{ "account.1.ptime", "20" },
	{ "account.1.srtp_encryption", "0" },
	{ "account.1.dtmf.type", "1" },
	{ "account.1.dtmf.dtmf_payload", "101" },
	{ "account.1.timeout_fwd.timeout", "2" },
	{ "account.1.session_timer.expires", "1800" },
	{ "account.1.session_timer.refresher", "0" },
	{ "account.1.advanced.timer_t1", "0.5" },
	{ "account.1.advanced.timer_t2", "4" },
	{ "account.1.advanced.timer_t4", "5" },
	{ "account.1.nat.rport", "0" },
	{ "account.1.nat.udp_update_enable", "1" },
	{ "account.1.nat.udp_update_time", "30" },
	{ "account.3.codec.1.rtpmap", "PCMU" },
	{ "account.3.codec.1.payload_type", "0" },
	{ "account.3.codec.2.rtpmap", "PCMA" },
	{ "account.3.codec.2.payload_type", "8" },
	{ "account.3.codec.3.rtpmap", "G729" },
	{ "account.3.codec.3.payload_type", "18" },
	{ "account.3.codec.4.rtpmap", "G722" },
	{ "account.3.codec.4.payload_type", "9" },
	{ "account.3.codec.4.enable", "1" },
	{ "account.3.codec.5.enable", "0" },
	{ "account.3.codec.5.payload_type", "" },
	{ "features.normal_refuse_code", "486" },
	{ "features.dnd_refuse_code", "480" },
	{ "call_waiting.enable", "1" },
	{ "call_waiting.tone", "1" },
	{ "transfer.semi_attend_tran_enable", "1" },
	{ "features.conference_enable", "1" },
	{ "sip.rfc2543_hold", "0" },
	{ "voice.echo_cancellation", "1" },
	{ "voice.vad", "0" },
	{ "voice.cng", "1" },
	{ "voice.jib.adaptive", "1" },
	{ "voice.jib.min", "0" },
	{ "voice.jib.max", "300" },
	{ "voice.jib.normal", "120" },
	{ "network.port.min_rtpport", "11780" },
	{ "network.port.max_rtpport", "11800" },
	{ "network.qos.rtptos", "40" },
	{ "network.qos.signaltos", "26" },
	{ "phonecore.media.io", "uring" },
	{ "phonecore.media.dpdk.eal_args", "--no-huge --no-pci --vdev=net_ring0" },
	{ "phonecore.media.dpdk.ipv4", "10.0.0.1" },
	{ "phonecore.media.pool_pkts", "16384" },
	{ "phonecore.media.burst", "32" },
	{ "phonecore.media.cpu", "-1" },
	{ "phonecore.media.idle", "sleep" },
	{ "phonecore.media.max_streams", "1024" },
};

Test(config, every_vp530_key_is_known_for_every_account)
{
	struct pc_test_warns w;
	struct pc_config *cfg = pc_test_cfg(&w);
	char key[128];

	for (size_t i = 0; i < sizeof(pc_test_vp530_keys) / sizeof(pc_test_vp530_keys[0]); i++) {
		for (unsigned x = 1; x <= PC_CONFIG_ACCOUNTS; x++) {
			const char *k = pc_test_vp530_keys[i], *at = strstr(k, ".X.");

			if (at == NULL)
				snprintf(key, sizeof(key), "%s", k);
			else
				snprintf(key, sizeof(key), "%.*s.%u.%s", (int)(at - k), k, x,
					 at + 3);
			cr_assert(pc_test_item(cfg, key).known, "%s", key);
		}
	}
	for (size_t i = 0; i < sizeof(pc_test_defaults) / sizeof(pc_test_defaults[0]); i++)
		cr_assert_str_eq(pc_test_str(cfg, pc_test_defaults[i][0]), pc_test_defaults[i][1],
				 "default of %s", pc_test_defaults[i][0]);
	pc_config_destroy(cfg);
}

Test(config, indices_outside_the_table_are_unknown_keys)
{
	static const char *const keys[] = {
		"account.0.enable",
		"account.5.enable",
		"account.01.enable",
		"account.1.codec.0.enable",
		"account.1.codec.9.enable",
		"account.1.codec.01.enable",
		"account.1.sip_server.3.expires",
		"account.1.sip_server.1.address",
		"account.1",
		"account.1.",
		"account..enable",
		"account.1.codec.1",
		"account.1.codec.1.",
		"account.1.Enable",
		"accounts.1.enable",
		"account.11111.enable",
		"phonecore.media",
		"phonecore.media.io.x",
	};
	char text[128];

	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		struct pc_test_warns w;
		struct pc_config *cfg = pc_test_cfg(&w);

		snprintf(text, sizeof(text), PC_TEST_HDR "%s = 7\n", keys[i]);
		pc_test_ok(cfg, text);
		cr_assert_eq(w.n, 1, "%s", keys[i]);
		cr_assert_not(pc_test_item(cfg, keys[i]).known, "%s", keys[i]);
		pc_config_destroy(cfg);
	}
}

/* --- unknown keys ---------------------------------------------------------------------------- */

Test(config, unknown_keys_warn_and_are_kept)
{
	struct pc_test_warns w;
	struct pc_config *cfg = pc_test_cfg(&w);
	const char *v = NULL;
	struct pc_test_find f;
	int64_t i;
	bool b;
	double d;

	/* Given keys the VP530 table does not have */
	pc_test_ok(cfg, PC_TEST_HDR "account.1.enable = 1\n"
				    "lang.gui = English\n"
				    "local_time.ntp_server1 = pool.ntp.org\n"
				    "lang.gui = French\n");
	/* Then each line that sets one is a warning naming FILE:LINE and the key */
	cr_assert_eq(w.n, 3);
	cr_assert_str_eq(
		w.last,
		"t.cfg:5: warning: unknown key 'lang.gui' (kept; phonecore does not use it)");
	cr_assert_eq(pc_config_warning_count(cfg), 3);
	/* And they are kept, the last value winning */
	cr_assert_str_eq(pc_test_str(cfg, "lang.gui"), "French");
	f = pc_test_item(cfg, "lang.gui");
	cr_assert_not(f.known);
	cr_assert(f.set);
	cr_assert_eq(f.line, 5);
	/* The typed getters parse an unknown key's text */
	pc_test_ok(cfg, PC_TEST_HDR "x.int = -42\nx.bool = 1\nx.secs = 2.5\nx.empty =\n");
	cr_assert_eq(pc_config_get_int(cfg, "x.int", &i), 0);
	cr_assert_eq(i, -42);
	cr_assert_eq(pc_config_get_double(cfg, "x.int", &d), 0);
	cr_assert_float_eq(d, -42.0, 1e-9);
	cr_assert_eq(pc_config_get_bool(cfg, "x.bool", &b), 0);
	cr_assert(b);
	cr_assert_eq(pc_config_get_double(cfg, "x.secs", &d), 0);
	cr_assert_float_eq(d, 2.5, 1e-9);
	cr_assert_eq(pc_config_get_int(cfg, "x.secs", &i), -EINVAL);
	cr_assert_eq(pc_config_get_bool(cfg, "x.int", &b), -EINVAL);
	cr_assert_eq(pc_config_get_int(cfg, "lang.gui", &i), -EINVAL);
	cr_assert_eq(pc_config_get_str(cfg, "x.empty", &v), 0);
	cr_assert_str_eq(v, "");
	cr_assert_eq(pc_config_get_int(cfg, "x.empty", &i), -ENODATA);
	/* A key nobody set is not there */
	cr_assert_eq(pc_config_get_str(cfg, "no.such.key", &v), -ENOENT);
	cr_assert_eq(pc_config_get_int(cfg, "no.such.key", &i), -ENOENT);
	cr_assert_eq(pc_config_get_bool(cfg, "no.such.key", &b), -ENOENT);
	cr_assert_eq(pc_config_get_double(cfg, "no.such.key", &d), -ENOENT);
	pc_config_destroy(cfg);
}

/* --- getters --------------------------------------------------------------------------------- */

Test(config, typed_getters_and_defaults)
{
	struct pc_test_warns w;
	struct pc_config *cfg = pc_test_cfg(&w);
	int64_t i = 0;
	bool b = true;
	double d = 0;

	/* Given defaults only */
	cr_assert_eq(pc_config_get_int(cfg, "phonecore.media.pool_pkts", &i), 0);
	cr_assert_eq(i, 16384);
	cr_assert_eq(pc_config_get_int(cfg, "phonecore.media.cpu", &i), 0);
	cr_assert_eq(i, -1);
	cr_assert_eq(pc_config_get_int(cfg, "phonecore.media.io", &i), 0);
	cr_assert_eq(i, 1, "uring is word 1 of sockets, uring, dpdk");
	cr_assert_eq(pc_config_get_int(cfg, "phonecore.media.idle", &i), 0);
	cr_assert_eq(i, 1, "sleep is word 1 of poll, sleep");
	cr_assert_eq(pc_config_get_bool(cfg, "account.1.enable", &b), 0);
	cr_assert_not(b);
	cr_assert_eq(pc_config_get_bool(cfg, "call_waiting.enable", &b), 0);
	cr_assert(b);
	cr_assert_eq(pc_config_get_int(cfg, "call_waiting.enable", &i), 0);
	cr_assert_eq(i, 1);
	cr_assert_eq(pc_config_get_double(cfg, "account.1.advanced.timer_t1", &d), 0);
	cr_assert_float_eq(d, 0.5, 1e-12);
	cr_assert_eq(pc_config_get_double(cfg, "account.1.ptime", &d), 0);
	cr_assert_float_eq(d, 20.0, 1e-12);
	cr_assert_str_eq(pc_test_str(cfg, "phonecore.media.dpdk.ipv4"), "10.0.0.1");

	/* When values are set / Then the getters return them */
	pc_test_ok(cfg, PC_TEST_HDR "phonecore.media.io = dpdk\n"
				    "phonecore.media.idle = poll\n"
				    "account.2.advanced.timer_t2 = 2.25\n"
				    "account.2.enable = 1\n"
				    "account.1.codec.5.payload_type = 97\n");
	cr_assert_eq(pc_test_int(cfg, "phonecore.media.io"), 2);
	cr_assert_eq(pc_test_int(cfg, "phonecore.media.idle"), 0);
	cr_assert_eq(pc_config_get_double(cfg, "account.2.advanced.timer_t2", &d), 0);
	cr_assert_float_eq(d, 2.25, 1e-12);
	cr_assert_eq(pc_config_get_bool(cfg, "account.2.enable", &b), 0);
	cr_assert(b);
	cr_assert_eq(pc_test_int(cfg, "account.1.codec.5.payload_type"), 97);

	/* A getter of the wrong type is -EINVAL; an empty typed value is -ENODATA */
	cr_assert_eq(pc_config_get_int(cfg, "account.1.label", &i), -EINVAL);
	cr_assert_eq(pc_config_get_int(cfg, "account.1.advanced.timer_t1", &i), -EINVAL);
	cr_assert_eq(pc_config_get_int(cfg, "phonecore.media.dpdk.ipv4", &i), -EINVAL);
	cr_assert_eq(pc_config_get_bool(cfg, "account.1.ptime", &b), -EINVAL);
	cr_assert_eq(pc_config_get_bool(cfg, "phonecore.media.io", &b), -EINVAL);
	cr_assert_eq(pc_config_get_double(cfg, "account.1.enable", &d), -EINVAL);
	cr_assert_eq(pc_config_get_double(cfg, "phonecore.media.io", &d), -EINVAL);
	cr_assert_eq(pc_config_get_int(cfg, "account.2.codec.5.payload_type", &i), -ENODATA);
	cr_assert_eq(pc_config_get_double(cfg, "account.2.codec.5.payload_type", &d), -ENODATA);
	cr_assert_eq(pc_config_get_bool(cfg, "account.1.label", &b), -EINVAL);
	cr_assert_eq(pc_config_get_int(cfg, "account.1.label", &i), -EINVAL);
	pc_config_destroy(cfg);
}

/* --- the command line ------------------------------------------------------------------------ */

Test(config, set_checks_like_a_file_line)
{
	struct pc_test_warns w;
	struct pc_config *cfg = pc_test_cfg(&w);
	char err[PC_CONFIG_ERR_MAX], big[PC_CONFIG_LINE_MAX + 2];

	/* Values are taken literally: no trimming, quotes or comments */
	cr_assert_eq(pc_config_set(cfg, "account.1.label", " \"a\" # b ", err, sizeof(err)), 0);
	cr_assert_str_eq(pc_test_str(cfg, "account.1.label"), " \"a\" # b ");
	/* Bad keys, control bytes, over-long values */
	cr_assert_eq(pc_config_set(cfg, "account 1", "x", err, sizeof(err)), -EBADMSG);
	cr_assert_str_eq(err,
			 "command line: bad key 'account 1' (a key is letters, digits, '_' and "
			 "'.')");
	cr_assert_eq(pc_config_set(cfg, "", "x", err, sizeof(err)), -EBADMSG);
	cr_assert_eq(pc_config_set(cfg, "account.1.label", "a\nb", err, sizeof(err)), -EBADMSG);
	cr_assert_str_eq(err, "command line: account.1.label: control byte 0x0a in the value");
	memset(big, 'v', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	cr_assert_eq(pc_config_set(cfg, "account.1.label", big, err, sizeof(err)), -EBADMSG);
	cr_assert_str_eq(err, "command line: account.1.label: value longer than 1024 bytes");
	big[PC_CONFIG_LINE_MAX] = '\0';
	cr_assert_eq(pc_config_set(cfg, "account.1.label", big, err, sizeof(err)), 0);
	/* Type and range */
	cr_assert_eq(pc_config_set(cfg, "phonecore.media.burst", "65", err, sizeof(err)), -ERANGE);
	cr_assert_str_eq(err, "command line: phonecore.media.burst = '65': out of range, expected "
			      "an integer in 1..64");
	/* An empty typed value sets nothing; an unknown key warns and is kept */
	cr_assert_eq(pc_config_set(cfg, "phonecore.media.burst", "", err, sizeof(err)), 0);
	cr_assert_eq(pc_test_int(cfg, "phonecore.media.burst"), 32);
	cr_assert_not(pc_test_item(cfg, "phonecore.media.burst").set);
	cr_assert_eq(w.n, 0);
	cr_assert_eq(pc_config_set(cfg, "my.key", "v", err, sizeof(err)), 0);
	cr_assert_eq(w.n, 1);
	cr_assert_str_eq(
		w.last,
		"command line: warning: unknown key 'my.key' (kept; phonecore does not use it)");
	cr_assert_str_eq(pc_test_item(cfg, "my.key").source, "command line");
	/* Errors into no buffer at all are fine */
	cr_assert_eq(pc_config_set(cfg, "phonecore.media.burst", "0", NULL, 0), -ERANGE);
	pc_config_destroy(cfg);
}

/* --- walk and dump --------------------------------------------------------------------------- */

static int pc_test_count(const struct pc_config_item *it, void *arg)
{
	unsigned *n = arg;

	cr_assert_not_null(it->key);
	cr_assert_not_null(it->value);
	cr_assert_not_null(it->source);
	(*n)++;
	return *n == 1000 ? 7 : 0;
}

Test(config, foreach_walks_all_or_only_what_was_set)
{
	struct pc_test_warns w;
	struct pc_config *cfg = pc_test_cfg(&w);
	unsigned all = 0, set = 0;

	cr_assert_eq(pc_config_foreach(cfg, PC_CONFIG_ALL, pc_test_count, &all), 0);
	cr_assert_gt(all, 300);
	cr_assert_eq(pc_config_foreach(cfg, PC_CONFIG_SET_ONLY, pc_test_count, &set), 0);
	cr_assert_eq(set, 0);
	pc_test_ok(cfg, PC_TEST_HDR "account.1.enable = 1\nu.k = 1\naccount.1.enable = 0\n");
	cr_assert_eq(pc_config_foreach(cfg, PC_CONFIG_SET_ONLY, pc_test_count, &set), 0);
	cr_assert_eq(set, 2);
	set = 0;
	cr_assert_eq(pc_config_foreach(cfg, PC_CONFIG_ALL, pc_test_count, &set), 0);
	cr_assert_eq(set, all + 1);
	/* A nonzero return stops the walk and is returned */
	set = 999;
	cr_assert_eq(pc_config_foreach(cfg, PC_CONFIG_ALL, pc_test_count, &set), 7);
	pc_config_destroy(cfg);
}

/* Compares each item with the same key of another configuration. */
static int pc_test_same(const struct pc_config_item *it, void *arg)
{
	const struct pc_config *other = arg;
	const char *v = NULL;

	cr_assert_eq(pc_config_get_str(other, it->key, &v), 0, "%s", it->key);
	cr_assert_str_eq(v, it->value, "%s", it->key);
	return 0;
}

static char *pc_test_dump(const struct pc_config *cfg, unsigned flags, size_t *len)
{
	char *text = NULL;
	FILE *f = open_memstream(&text, len);

	cr_assert_not_null(f);
	cr_assert_eq(pc_config_dump(cfg, f, flags), 0);
	cr_assert_eq(fclose(f), 0);
	return text;
}

Test(config, dump_loads_back_to_the_same_values)
{
	struct pc_test_warns w, w2;
	struct pc_config *cfg = pc_test_cfg(&w), *back = pc_test_cfg(&w2);
	char err[PC_CONFIG_ERR_MAX];
	size_t len;
	char *text;

	/* Given values that need quotes, comments in values, unknown keys, a command line */
	pc_test_ok(cfg, PC_TEST_HDR "account.1.label = \" lead and trail \"\n"
				    "account.1.display_name = \"#hash\"\n"
				    "account.1.user_name = a #b\n"
				    "account.1.password = \"p #w\"\n"
				    "account.1.auth_name = x#y\n"
				    "account.2.label = a\"b\n"
				    "account.2.display_name = \"\t\"\n"
				    "unknown.one = \"  \"\n"
				    "account.1.ptime = 40\n");
	cr_assert_eq(pc_config_set(cfg, "account.3.label", "it's \"quoted\"", err, sizeof(err)), 0);
	cr_assert_eq(pc_config_set(cfg, "account.3.display_name", "", err, sizeof(err)), 0);

	/* When the dump is loaded into a fresh configuration */
	text = pc_test_dump(cfg, PC_CONFIG_ALL, &len);
	cr_assert_eq(strncmp(text, PC_TEST_HDR, strlen(PC_TEST_HDR)), 0);
	cr_assert_not_null(strstr(text, "\naccount.1.ptime = 40"));
	cr_assert_not_null(strstr(text, "# t.cfg:10\n"));
	cr_assert_not_null(strstr(text, "# command line\n"));
	cr_assert_not_null(strstr(text, "# default\n"));
	cr_assert_not_null(strstr(text, "(unknown key)\n"));
	cr_assert_eq(pc_config_load_buf(back, "dump", text, len, err, sizeof(err)), 0, "%s\n%s",
		     err, text);
	/* Then every key has the same value both ways */
	cr_assert_eq(pc_config_foreach(cfg, PC_CONFIG_ALL, pc_test_same, back), 0);
	cr_assert_eq(pc_config_foreach(back, PC_CONFIG_ALL, pc_test_same, cfg), 0);
	free(text);

	/* And the dump of what was set lists only that */
	text = pc_test_dump(cfg, PC_CONFIG_SET_ONLY, &len);
	cr_assert_null(strstr(text, "# default"));
	cr_assert_not_null(strstr(text, "account.3.label = "));
	free(text);
	pc_config_destroy(back);
	pc_config_destroy(cfg);
}

/* --- reads stay inside the buffer ------------------------------------------------------------ */

/* @text placed at the very end of a page that a PROT_NONE page follows. */
struct pc_test_guard {
	char *map;
	size_t page;
};

static const char *pc_test_guarded(struct pc_test_guard *g, const char *text, size_t n)
{
	g->page = (size_t)sysconf(_SC_PAGESIZE);
	cr_assert_leq(n, g->page);
	g->map =
		mmap(NULL, 2 * g->page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	cr_assert_neq(g->map, MAP_FAILED);
	cr_assert_eq(mprotect(g->map + g->page, g->page, PROT_NONE), 0);
	memcpy(g->map + g->page - n, text, n);
	return g->map + g->page - n;
}

static void pc_test_unguard(struct pc_test_guard *g)
{
	munmap(g->map, 2 * g->page);
}

#ifndef PC_SANITIZED /* the sanitizers catch SIGSEGV themselves and exit */
Test(config, guard_page_faults_on_a_read_past_the_end, .signal = SIGSEGV)
{
	struct pc_test_guard g;
	const volatile char *p = pc_test_guarded(&g, "x", 1);

	/* The guard works: a read one byte past the text faults */
	(void)p[1];
}
#endif

Test(config, buffers_are_read_only_within_their_length)
{
	static const struct {
		const char *text;
		int rc;
	} cases[] = {
		{ "", -EBADMSG },
		{ "\xef", -EBADMSG },
		{ "\xef\xbb", -EBADMSG },
		{ "\xef\xbb\xbf", -EBADMSG },
		{ "#!vers", -EBADMSG },
		{ "#!version:1.0.0.1", 0 },
		{ "\xef\xbb\xbf#!version:1.0.0.1", 0 },
		{ "#!version:1.0.0.1\r", 0 },
		{ "#!version:1.0.0.1\n", 0 },
		{ "#!version:1.0.0.1\n\r", 0 },
		{ "#!version:1.0.0.1\n ", 0 },
		{ "#!version:1.0.0.1\n#", 0 },
		{ "#!version:1.0.0.1\naccount.1.label = end", 0 },
		{ "#!version:1.0.0.1\naccount.1.label =", 0 },
		{ "#!version:1.0.0.1\naccount.1.label = \"end", -EBADMSG },
		{ "#!version:1.0.0.1\naccount.1.label = \"end\"", 0 },
		{ "#!version:1.0.0.1\naccount.1.label = \"", -EBADMSG },
		{ "#!version:1.0.0.1\naccount.1.label = \"x\" ", 0 },
		{ "#!version:1.0.0.1\naccount.1.label = x #", 0 },
		{ "#!version:1.0.0.1\naccount.1.label", -EBADMSG },
		{ "#!version:1.0.0.1\naccount.1.codec.", -EBADMSG },
		{ "#!version:1.0.0.1\naccount.1.codec.1.enable = 1", 0 },
		{ "#!version:1.0.0.1\naccount.1.codec.1 = 1", 0 },
		{ "#!version:1.0.0.1\naccount.1 = 1", 0 },
		{ "#!version:1.0.0.1\naccount.4. = 1", 0 },
		{ "#!version:1.0.0.1\naccount.1.ptime = 2", -ERANGE },
		{ "#!version:1.0.0.1\naccount.1.ptime = -", -EINVAL },
		{ "#!version:1.0.0.1\naccount.1.enable = 1", 0 },
		{ "#!version:1.0.0.1\naccount.1.advanced.timer_t1 = 1.", -EINVAL },
		{ "#!version:1.0.0.1\naccount.1.advanced.timer_t1 = 1.5", 0 },
		{ "#!version:1.0.0.1\nphonecore.media.dpdk.ipv4 = 10.0.0.", -EINVAL },
		{ "#!version:1.0.0.1\nphonecore.media.dpdk.ipv4 = 10.0.0.1", 0 },
		{ "#!version:1.0.0.1\nphonecore.media.io = urin", -EINVAL },
		{ "#!version:1.0.0.1\nphonecore.media.io = uring", 0 },
		{ "#!version:1.0.0.1\nunknown.key = v", 0 },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct pc_test_warns w;
		struct pc_config *cfg = pc_test_cfg(&w);
		struct pc_test_guard g;
		size_t n = strlen(cases[i].text);
		const char *buf = pc_test_guarded(&g, cases[i].text, n);
		char err[PC_CONFIG_ERR_MAX];

		cr_assert_eq(pc_config_load_buf(cfg, "g.cfg", buf, n, err, sizeof(err)),
			     cases[i].rc, "'%s': %s", cases[i].text, err);
		pc_test_unguard(&g);
		pc_config_destroy(cfg);
	}
}

Test(config, a_full_line_at_the_very_end)
{
	struct pc_test_warns w;
	struct pc_config *cfg = pc_test_cfg(&w);
	char text[PC_CONFIG_LINE_MAX + 64];
	size_t hdr = strlen(PC_TEST_HDR);
	struct pc_test_guard g;
	const char *buf;
	char err[PC_CONFIG_ERR_MAX];

	/* Given a last line of exactly PC_CONFIG_LINE_MAX bytes, no line end, at the guard */
	memcpy(text, PC_TEST_HDR "account.1.label = ", hdr + 18);
	memset(text + hdr + 18, 'z', PC_CONFIG_LINE_MAX - 18);
	buf = pc_test_guarded(&g, text, hdr + PC_CONFIG_LINE_MAX);
	/* Then it loads; and one byte more is an error, still without reading past */
	cr_assert_eq(pc_config_load_buf(cfg, "g.cfg", buf, hdr + PC_CONFIG_LINE_MAX, err,
					sizeof(err)),
		     0, "%s", err);
	cr_assert_eq(strlen(pc_test_str(cfg, "account.1.label")), PC_CONFIG_LINE_MAX - 18);
	pc_test_unguard(&g);
	text[hdr + PC_CONFIG_LINE_MAX] = 'z';
	buf = pc_test_guarded(&g, text, hdr + PC_CONFIG_LINE_MAX + 1);
	cr_assert_eq(pc_config_load_buf(cfg, "g.cfg", buf, hdr + PC_CONFIG_LINE_MAX + 1, err,
					sizeof(err)),
		     -EBADMSG);
	cr_assert_str_eq(err, "g.cfg:2: line longer than 1024 bytes");
	pc_test_unguard(&g);
	pc_config_destroy(cfg);
}

/* --- limits ---------------------------------------------------------------------------------- */

Test(config, unknown_keys_are_bounded)
{
	struct pc_test_warns w;
	struct pc_config *cfg = pc_test_cfg(&w);
	size_t cap = 64 * (PC_CONFIG_MAX_UNKNOWN + 8), at;
	char *text = malloc(cap);
	const char *v;

	/* Given PC_CONFIG_MAX_UNKNOWN + 2 distinct unknown keys, then the first one again */
	cr_assert_not_null(text);
	at = (size_t)snprintf(text, cap, PC_TEST_HDR);
	for (unsigned i = 0; i < PC_CONFIG_MAX_UNKNOWN + 2; i++)
		at += (size_t)snprintf(text + at, cap - at, "u.k%u = %u\n", i, i);
	at += (size_t)snprintf(text + at, cap - at, "u.k0 = again\n");
	pc_test_ok(cfg, text);
	/* Then the first PC_CONFIG_MAX_UNKNOWN are kept, the others dropped with a warning */
	cr_assert_str_eq(pc_test_str(cfg, "u.k0"), "again");
	cr_assert_str_eq(pc_test_str(cfg, "u.k255"), "255");
	cr_assert_eq(pc_config_get_str(cfg, "u.k256", &v), -ENOENT);
	cr_assert_eq(pc_config_get_str(cfg, "u.k257", &v), -ENOENT);
	cr_assert_eq(w.n, PC_CONFIG_MAX_UNKNOWN + 3 + 2);
	cr_assert_str_eq(w.last, "t.cfg:259: warning: unknown key 'u.k257' dropped: already 256 "
				 "unknown keys");
	/* Known keys still take values */
	pc_test_ok(cfg, PC_TEST_HDR "account.4.codec.8.rtpmap = opus\n");
	cr_assert_str_eq(pc_test_str(cfg, "account.4.codec.8.rtpmap"), "opus");
	free(text);
	pc_config_destroy(cfg);
}

Test(config, file_names_are_bounded)
{
	struct pc_test_warns w;
	struct pc_config *cfg = pc_test_cfg(&w);
	const char *text = PC_TEST_HDR "account.1.label = x\n";
	char name[32], err[PC_CONFIG_ERR_MAX];

	/* Given PC_CONFIG_MAX_FILES distinct names loaded */
	for (unsigned i = 0; i < PC_CONFIG_MAX_FILES; i++) {
		snprintf(name, sizeof(name), "f%u.cfg", i);
		cr_assert_eq(pc_config_load_buf(cfg, name, text, strlen(text), err, sizeof(err)),
			     0);
	}
	/* When one more name sets something / Then -ENOSPC and nothing changes */
	cr_assert_eq(pc_config_load_buf(cfg, "more.cfg", PC_TEST_HDR "account.1.label = y\n",
					strlen(text), err, sizeof(err)),
		     -ENOSPC);
	cr_assert_str_eq(err, "more.cfg: too many configuration files");
	cr_assert_str_eq(pc_test_str(cfg, "account.1.label"), "x");
	/* A name already known, a file that sets nothing, and the command line still work */
	cr_assert_eq(pc_config_load_buf(cfg, "f0.cfg", text, strlen(text), err, sizeof(err)), 0);
	cr_assert_str_eq(pc_test_item(cfg, "account.1.label").source, "f0.cfg");
	cr_assert_eq(pc_config_load_buf(cfg, "empty.cfg", PC_TEST_HDR "# nothing\n",
					strlen(PC_TEST_HDR "# nothing\n"), err, sizeof(err)),
		     0);
	cr_assert_eq(pc_config_set(cfg, "account.1.label", "z", err, sizeof(err)), 0);
	pc_config_destroy(cfg);
}

/* A file of @len bytes (header, then comment lines) in a fresh temporary directory. */
static void pc_test_write(char *path, size_t pathlen, const char *name, size_t len)
{
	char dir[] = "/tmp/pc_config_test.XXXXXX";
	char *text = malloc(len);
	size_t at;
	FILE *f;

	cr_assert_not_null(text);
	cr_assert_not_null(mkdtemp(dir));
	snprintf(path, pathlen, "%s/%s", dir, name);
	memset(text, '#', len);
	memcpy(text, PC_TEST_HDR, strlen(PC_TEST_HDR));
	for (at = strlen(PC_TEST_HDR) + 100; at < len; at += 101)
		text[at] = '\n';
	f = fopen(path, "w");
	cr_assert_not_null(f);
	cr_assert_eq(fwrite(text, 1, len, f), len);
	cr_assert_eq(fclose(f), 0);
	free(text);
}

static void pc_test_unlink(const char *path)
{
	char dir[256];

	snprintf(dir, sizeof(dir), "%s", path);
	*strrchr(dir, '/') = '\0';
	unlink(path);
	rmdir(dir);
}

Test(config, load_file_reads_at_most_a_mebibyte)
{
	struct pc_test_warns w;
	struct pc_config *cfg = pc_test_cfg(&w);
	char path[256], err[PC_CONFIG_ERR_MAX], want[300];

	/* A file of exactly PC_CONFIG_FILE_MAX bytes loads */
	pc_test_write(path, sizeof(path), "max.cfg", PC_CONFIG_FILE_MAX);
	cr_assert_eq(pc_config_load_file(cfg, path, err, sizeof(err)), 0, "%s", err);
	pc_test_unlink(path);
	/* One byte more is -EFBIG */
	pc_test_write(path, sizeof(path), "big.cfg", PC_CONFIG_FILE_MAX + 1);
	cr_assert_eq(pc_config_load_file(cfg, path, err, sizeof(err)), -EFBIG);
	snprintf(want, sizeof(want), "%s: larger than 1048576 bytes", path);
	cr_assert_str_eq(err, want);
	pc_test_unlink(path);
	pc_config_destroy(cfg);
}

Test(config, load_file_errors_and_sources)
{
	struct pc_test_warns w;
	struct pc_config *cfg = pc_test_cfg(&w);
	char dir[] = "/tmp/pc_config_test.XXXXXX", path[256], err[PC_CONFIG_ERR_MAX];
	FILE *f;

	cr_assert_not_null(mkdtemp(dir));
	/* A missing file, a directory */
	snprintf(path, sizeof(path), "%s/none.cfg", dir);
	cr_assert_eq(pc_config_load_file(cfg, path, err, sizeof(err)), -ENOENT);
	cr_assert_not_null(strstr(err, "none.cfg: cannot open: "), "%s", err);
	cr_assert_eq(pc_config_load_file(cfg, dir, err, sizeof(err)), -EISDIR);
	cr_assert_not_null(strstr(err, ": cannot read: "), "%s", err);
	/* A file with an error names its path and line; a good one is the source of its values */
	f = fopen(path, "w");
	cr_assert_not_null(f);
	fputs(PC_TEST_HDR "account.1.label = from file\naccount.1.ptime = 7\n", f);
	cr_assert_eq(fclose(f), 0);
	cr_assert_eq(pc_config_load_file(cfg, path, err, sizeof(err)), -ERANGE);
	cr_assert_not_null(strstr(err, "none.cfg:3: account.1.ptime = '7'"), "%s", err);
	f = fopen(path, "w");
	cr_assert_not_null(f);
	fputs(PC_TEST_HDR "account.1.label = from file\n", f);
	cr_assert_eq(fclose(f), 0);
	cr_assert_eq(pc_config_load_file(cfg, path, err, sizeof(err)), 0, "%s", err);
	cr_assert_str_eq(err, "");
	cr_assert_str_eq(pc_test_item(cfg, "account.1.label").source, path);
	unlink(path);
	rmdir(dir);
	pc_config_destroy(cfg);
	pc_config_destroy(NULL);
}
