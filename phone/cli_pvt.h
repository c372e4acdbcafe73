/* SPDX-License-Identifier: MIT */
/* cli_pvt.h - the `phonecore` command's subcommands, each in its own file. */
#ifndef PC_CLI_PVT_H
#define PC_CLI_PVT_H

#include <stdio.h>

/* Exit statuses of the command. */
#define PC_EXIT_OK 0
#define PC_EXIT_FAIL 1	/* the job ran and failed */
#define PC_EXIT_USAGE 2 /* bad command line */

struct pc_cli_cmd {
	const char *name;
	const char *summary;
	/* argv[0] is the subcommand's name; returns a PC_EXIT_* status. */
	int (*main)(int argc, char **argv);
	void (*help)(FILE *f);
};

int pc_cli_bench_main(int argc, char **argv);
void pc_cli_bench_help(FILE *f);
int pc_cli_config_main(int argc, char **argv);
void pc_cli_config_help(FILE *f);
int pc_cli_relay_main(int argc, char **argv);
void pc_cli_relay_help(FILE *f);
int pc_cli_sip_main(int argc, char **argv);
void pc_cli_sip_help(FILE *f);
int pc_cli_sip_ua_main(int argc, char **argv);
void pc_cli_sip_ua_help(FILE *f);

#endif /* PC_CLI_PVT_H */
