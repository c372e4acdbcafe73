/* SPDX-License-Identifier: MIT */
/*
 * main.c - the `phonecore` command: a table of subcommands, each with its own --help.
 * Later subcommands (demo, call, answer, sip, profile) are one line each in pc_cli_cmds.
 */
#include <stdio.h>
#include <string.h>

#include "cli_pvt.h"

static const struct pc_cli_cmd pc_cli_cmds[] = {
	{ "bench", "run benchmarks against same-run references (rings, packet pool, ...)",
	  pc_cli_bench_main, pc_cli_bench_help },
	{ "config", "check configuration files, show the effective configuration",
	  pc_cli_config_main, pc_cli_config_help },
	{ "relay", "relay RTP between pairs of UDP ports (the media gateway, static legs)",
	  pc_cli_relay_main, pc_cli_relay_help },
	{ "sip", "check SIP messages (one datagram per file)", pc_cli_sip_main, pc_cli_sip_help },
};

#define PC_CLI_NCMDS (sizeof(pc_cli_cmds) / sizeof(pc_cli_cmds[0]))

static void usage(FILE *f)
{
	fprintf(f, "usage: phonecore [--version] [--help] <command> [options]\n\n"
		   "phonecore is the core of an IP video phone and a zero-copy media gateway.\n\n"
		   "commands:\n");
	for (size_t i = 0; i < PC_CLI_NCMDS; i++)
		fprintf(f, "  %-10s %s\n", pc_cli_cmds[i].name, pc_cli_cmds[i].summary);
	fprintf(f, "\n'phonecore <command> --help' describes a command.\n");
}

static const struct pc_cli_cmd *find_cmd(const char *name)
{
	for (size_t i = 0; i < PC_CLI_NCMDS; i++)
		if (strcmp(pc_cli_cmds[i].name, name) == 0)
			return &pc_cli_cmds[i];
	return NULL;
}

int main(int argc, char **argv)
{
	const struct pc_cli_cmd *cmd;

	if (argc < 2) {
		usage(stderr);
		return PC_EXIT_USAGE;
	}
	if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "version") == 0) {
		printf("phonecore %s (%s)\n", PC_VERSION, PC_GIT_DESCRIBE);
		return PC_EXIT_OK;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		if (argc > 2 && (cmd = find_cmd(argv[2])) != NULL) {
			cmd->help(stdout);
			return PC_EXIT_OK;
		}
		usage(stdout);
		return PC_EXIT_OK;
	}
	if (argv[1][0] == '-') {
		fprintf(stderr, "phonecore: unknown option '%s' (see 'phonecore --help')\n",
			argv[1]);
		return PC_EXIT_USAGE;
	}
	cmd = find_cmd(argv[1]);
	if (cmd == NULL) {
		fprintf(stderr, "phonecore: unknown command '%s' (see 'phonecore --help')\n",
			argv[1]);
		return PC_EXIT_USAGE;
	}
	return cmd->main(argc - 1, argv + 1);
}
