/* SPDX-License-Identifier: MIT */
/* cli_config.c - `phonecore config`: check configuration files, show the configuration. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli_pvt.h"
#include "pc_config.h"

#define PC_CLI_CONFIG_MAX_SETS 256

void pc_cli_config_help(FILE *f)
{
	fprintf(f,
		"usage: phonecore config check FILE...\n"
		"       phonecore config show [FILE...] [--set KEY=VALUE]... [--changed]\n\n"
		"Reads VP530-style configuration files ('%s' on the first line, then\n"
		"'key = value' lines), in order: later values win.\n\n"
		"  check   load the files; print 'FILE: ok' or the error (FILE:LINE: reason) and\n"
		"          the warnings (unknown keys) of each. Exit 1 if any file has an error.\n"
		"  show    print the effective configuration (every known key, then the unknown\n"
		"          keys) as a configuration file, each line with where its value came\n"
		"          from: default, FILE:LINE or command line.\n\n"
		"options:\n"
		"  --set KEY=VALUE  (show) override a key after the files; may be repeated\n"
		"  --changed        (show) only the keys the files or --set gave a value\n"
		"  -h, --help       this text\n",
		PC_CONFIG_HEADER);
}

static void print_warning(const char *msg, void *arg)
{
	(void)arg;
	fprintf(stderr, "%s\n", msg);
}

static int config_check(int argc, char **argv)
{
	char err[PC_CONFIG_ERR_MAX];
	struct pc_config *cfg;
	int status = PC_EXIT_OK;

	if (argc < 1) {
		fprintf(stderr, "phonecore config check: name one or more files "
				"(see 'phonecore config --help')\n");
		return PC_EXIT_USAGE;
	}
	if (pc_config_create(&cfg, print_warning, NULL) < 0) {
		fprintf(stderr, "phonecore config check: %s\n", strerror(ENOMEM));
		return PC_EXIT_FAIL;
	}
	for (int i = 0; i < argc; i++) {
		if (pc_config_load_file(cfg, argv[i], err, sizeof(err)) < 0) {
			fprintf(stderr, "%s\n", err);
			status = PC_EXIT_FAIL;
			continue;
		}
		printf("%s: ok\n", argv[i]);
	}
	pc_config_destroy(cfg);
	return status;
}

static int config_show(int nfiles, char **files, int nsets, char **sets, unsigned flags)
{
	char err[PC_CONFIG_ERR_MAX];
	struct pc_config *cfg;
	int status = PC_EXIT_OK;

	if (pc_config_create(&cfg, print_warning, NULL) < 0) {
		fprintf(stderr, "phonecore config show: %s\n", strerror(ENOMEM));
		return PC_EXIT_FAIL;
	}
	for (int i = 0; i < nfiles && status == PC_EXIT_OK; i++) {
		if (pc_config_load_file(cfg, files[i], err, sizeof(err)) < 0) {
			fprintf(stderr, "%s\n", err);
			status = PC_EXIT_FAIL;
		}
	}
	for (int i = 0; i < nsets && status == PC_EXIT_OK; i++) {
		char *eq = strchr(sets[i], '=');
		int rc;

		*eq = '\0';
		rc = pc_config_set(cfg, sets[i], eq + 1, err, sizeof(err));
		*eq = '=';
		if (rc < 0) {
			fprintf(stderr, "%s\n", err);
			status = PC_EXIT_USAGE;
		}
	}
	if (status == PC_EXIT_OK && pc_config_dump(cfg, stdout, flags) < 0) {
		fprintf(stderr, "phonecore config show: cannot write the configuration\n");
		status = PC_EXIT_FAIL;
	}
	pc_config_destroy(cfg);
	return status;
}

int pc_cli_config_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "set", required_argument, NULL, 's' },
		{ "changed", no_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	char *sets[PC_CLI_CONFIG_MAX_SETS];
	unsigned flags = PC_CONFIG_ALL;
	const char *action;
	int nsets = 0, show, c;

	if (argc < 2) {
		fprintf(stderr, "phonecore config: name a subcommand, check or show "
				"(see 'phonecore config --help')\n");
		return PC_EXIT_USAGE;
	}
	action = argv[1];
	if (strcmp(action, "--help") == 0 || strcmp(action, "-h") == 0 ||
	    strcmp(action, "help") == 0) {
		pc_cli_config_help(stdout);
		return PC_EXIT_OK;
	}
	if (action[0] == '-') {
		fprintf(stderr,
			"phonecore config: unknown option '%s' (see 'phonecore config --help')\n",
			action);
		return PC_EXIT_USAGE;
	}
	if (strcmp(action, "check") != 0 && strcmp(action, "show") != 0) {
		fprintf(stderr,
			"phonecore config: unknown subcommand '%s' (check or show; see 'phonecore "
			"config --help')\n",
			action);
		return PC_EXIT_USAGE;
	}
	show = strcmp(action, "show") == 0;

	/* Options may come before, between or after the files (getopt permutes argv). */
	argc--;
	argv++;
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (c) {
		case 's':
			if (!show) {
				fprintf(stderr, "phonecore config check: --set is for 'show'\n");
				return PC_EXIT_USAGE;
			}
			if (strchr(optarg, '=') == NULL) {
				fprintf(stderr,
					"phonecore config show: --set wants KEY=VALUE, not '%s'\n",
					optarg);
				return PC_EXIT_USAGE;
			}
			if (nsets == PC_CLI_CONFIG_MAX_SETS) {
				fprintf(stderr, "phonecore config show: more than %d --set\n",
					PC_CLI_CONFIG_MAX_SETS);
				return PC_EXIT_USAGE;
			}
			sets[nsets++] = optarg;
			break;
		case 'c':
			if (!show) {
				fprintf(stderr,
					"phonecore config check: --changed is for 'show'\n");
				return PC_EXIT_USAGE;
			}
			flags = PC_CONFIG_SET_ONLY;
			break;
		case 'h':
			pc_cli_config_help(stdout);
			return PC_EXIT_OK;
		case ':':
			fprintf(stderr, "phonecore config %s: option '%s' needs a value\n", action,
				argv[optind - 1]);
			return PC_EXIT_USAGE;
		default:
			fprintf(stderr,
				"phonecore config %s: unknown option '%s' (see 'phonecore config "
				"--help')\n",
				action, argv[optind - 1]);
			return PC_EXIT_USAGE;
		}
	}
	if (!show)
		return config_check(argc - optind, argv + optind);
	return config_show(argc - optind, argv + optind, nsets, sets, flags);
}
