/* SPDX-License-Identifier: MIT */
/* cli_sip.c - `phonecore sip check [--uas] FILE...`: parse each file as one SIP datagram, and
 * with --uas say what a UAS would do with it (pc_sip_uas_verdict). */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli_pvt.h"
#include "pc_sip_msg.h"

void pc_cli_sip_help(FILE *f)
{
	fprintf(f,
		"usage: phonecore sip check [--uas] FILE...\n"
		"       phonecore sip ua ...   (the user agent: phonecore sip ua --help)\n\n"
		"Parses each file as one SIP datagram (read as binary, up to %d bytes) and\n"
		"prints 'FILE: ok' or 'FILE: error: <reason>'. Exit 1 if any file does not\n"
		"parse.\n\n"
		"With --uas, adds what a user agent acting as UAS does with it:\n"
		"  FILE: ok CODE | ok process | ok -        parsed: answer CODE, handle it,\n"
		"                                           or nothing (a response)\n"
		"  FILE: error CODE: <reason>               rejected: answer CODE (400, 501, 505)\n"
		"  FILE: error -: <reason>                  rejected response: discarded\n"
		"  FILE: drop: <reason>                     nothing sent (no request line, ACK)\n"
		"A parsed request dropped (an ACK) prints 'FILE: ok drop: <why>'.\n\n"
		"options:\n"
		"  --uas       add the UAS verdict\n"
		"  -h, --help  this text\n",
		PC_SIP_MAX_MSG);
}

/* Reads up to PC_SIP_MAX_MSG + 1 bytes (one more, so that too large is seen as such). */
static int read_file(const char *path, char *buf, size_t cap, size_t *len)
{
	FILE *f = fopen(path, "rb");
	size_t n;
	int rc = 0;

	if (!f)
		return -errno;
	n = fread(buf, 1, cap, f);
	if (ferror(f))
		rc = -EIO;
	fclose(f);
	*len = n;
	return rc;
}

/* One line per file in --uas mode (formats in pc_cli_sip_help()). */
static void print_uas(const char *file, const struct pc_sip_msg *msg, int rc, const char *err)
{
	struct pc_sip_uas_verdict v;

	pc_sip_uas_verdict(msg, rc, &v);
	if (rc == 0) {
		switch (v.action) {
		case PC_SIP_UAS_RESPOND:
			printf("%s: ok %u\n", file, v.status);
			break;
		case PC_SIP_UAS_PROCESS:
			printf("%s: ok process\n", file);
			break;
		case PC_SIP_UAS_DROP:
			printf("%s: ok drop: %s\n", file, v.why);
			break;
		case PC_SIP_UAS_NOT_REQUEST:
			printf("%s: ok -\n", file);
			break;
		}
		return;
	}
	switch (v.action) {
	case PC_SIP_UAS_RESPOND:
		printf("%s: error %u: %s\n", file, v.status, err);
		break;
	case PC_SIP_UAS_NOT_REQUEST:
		printf("%s: error -: %s\n", file, err);
		break;
	default:
		printf("%s: drop: %s (%s)\n", file, err, v.why);
		break;
	}
}

static int sip_check(int argc, char **argv, bool uas)
{
	static char buf[PC_SIP_MAX_MSG + 1];
	static struct pc_sip_msg msg;
	char err[PC_SIP_ERR_MAX];
	int status = PC_EXIT_OK;
	size_t len = 0;
	int rc;

	if (argc < 1) {
		fprintf(stderr, "phonecore sip check: name one or more files "
				"(see 'phonecore sip --help')\n");
		return PC_EXIT_USAGE;
	}
	for (int i = 0; i < argc; i++) {
		rc = read_file(argv[i], buf, sizeof(buf), &len);
		if (rc < 0) {
			printf("%s: error: cannot read: %s\n", argv[i], strerror(-rc));
			status = PC_EXIT_FAIL;
			continue;
		}
		rc = pc_sip_msg_parse(&msg, buf, len, err, sizeof(err));
		if (uas) {
			print_uas(argv[i], &msg, rc, err);
			if (rc < 0)
				status = PC_EXIT_FAIL;
			continue;
		}
		if (rc < 0) {
			printf("%s: error: %s\n", argv[i], err);
			status = PC_EXIT_FAIL;
			continue;
		}
		printf("%s: ok\n", argv[i]);
	}
	return status;
}

int pc_cli_sip_main(int argc, char **argv)
{
	int first = 2; /* the files, after 'check' */
	bool uas = false;

	if (argc < 2) {
		fprintf(stderr, "phonecore sip: name a subcommand (see 'phonecore sip --help')\n");
		return PC_EXIT_USAGE;
	}
	if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
		pc_cli_sip_help(stdout);
		return PC_EXIT_OK;
	}
	if (argv[1][0] == '-') {
		fprintf(stderr, "phonecore sip: unknown option '%s'\n", argv[1]);
		return PC_EXIT_USAGE;
	}
	if (strcmp(argv[1], "ua") == 0)
		return pc_cli_sip_ua_main(argc - 1, argv + 1);
	if (strcmp(argv[1], "check") != 0) {
		fprintf(stderr, "phonecore sip: unknown subcommand '%s'\n", argv[1]);
		return PC_EXIT_USAGE;
	}
	for (int i = first; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0) {
			/* Everything after -- is a file; drop the marker. */
			memmove(&argv[i], &argv[i + 1], (size_t)(argc - i - 1) * sizeof(*argv));
			argc--;
			break;
		}
		if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
			pc_cli_sip_help(stdout);
			return PC_EXIT_OK;
		}
		if (strcmp(argv[i], "--uas") == 0) {
			uas = true;
			memmove(&argv[i], &argv[i + 1], (size_t)(argc - i - 1) * sizeof(*argv));
			argc--;
			i--;
			continue;
		}
		if (argv[i][0] == '-' && argv[i][1] != '\0') {
			fprintf(stderr, "phonecore sip check: unknown option '%s'\n", argv[i]);
			return PC_EXIT_USAGE;
		}
	}
	return sip_check(argc - first, argv + first, uas);
}
