/* SPDX-License-Identifier: MIT */
/* cli_bench.c - `phonecore bench`: run one benchmark, or all of them, and write the results. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli_pvt.h"
#include "pc_bench.h"
#include "pc_io.h"

void pc_cli_bench_help(FILE *f)
{
	size_t n;
	const struct pc_bench_desc *b = pc_bench_list(&n);

	fprintf(f, "usage: phonecore bench [options] NAME|all|list\n\n"
		   "Runs a benchmark: phonecore's component and, where one exists, a reference\n"
		   "measured in the same run. speedup > 1 means phonecore is better.\n\n"
		   "options:\n"
		   "  --json FILE   write the results as JSON (one benchmark)\n"
		   "  --svg FILE    write a bar chart of the speedups (one benchmark)\n"
		   "  --dir DIR     with 'all': write DIR/NAME.json and DIR/NAME.svg\n"
		   "                (default bench/results)\n"
		   "  --quick       short runs: checks that it works; figures are indicative only\n"
		   "  --cpus A,B    CPUs for the two benchmark threads (default 0,1)\n"
		   "  --io LIST     relay, io: the I/O backends to measure, comma-separated\n"
		   "                from sockets,uring,dpdk (default all)\n"
		   "  --isolate     give the second CPU (the media core) to the benchmark alone\n"
		   "                for the run: other processes' tasks, movable IRQs and unbound\n"
		   "                workqueues leave it, and are put back after (needs root)\n"
		   "  -h, --help    this text\n\n"
		   "benchmarks:\n");
	for (size_t i = 0; i < n; i++)
		fprintf(f, "  %-8s %s\n", b[i].name, b[i].summary);
}

static int parse_cpus(const char *s, int *a, int *b)
{
	char *end;
	long x = strtol(s, &end, 10), y;

	if (end == s || *end != ',' || x < 0 || x > 4095)
		return -EINVAL;
	s = end + 1;
	y = strtol(s, &end, 10);
	if (end == s || *end != '\0' || y < 0 || y > 4095)
		return -EINVAL;
	*a = (int)x;
	*b = (int)y;
	return 0;
}

/* "sockets,uring" into a mask of (1 << enum pc_io_backend). */
static int parse_io(const char *s, uint32_t *mask)
{
	char buf[64], *save, *tok;

	if (strlen(s) >= sizeof(buf))
		return -EINVAL;
	strcpy(buf, s);
	*mask = 0;
	for (tok = strtok_r(buf, ",", &save); tok != NULL; tok = strtok_r(NULL, ",", &save)) {
		enum pc_io_backend b;

		if (pc_io_backend_parse(tok, &b) < 0)
			return -EINVAL;
		*mask |= 1u << b;
	}
	return *mask ? 0 : -EINVAL;
}

static int mkdir_p(const char *dir)
{
	char path[4096];
	size_t len = strlen(dir);

	if (len == 0 || len >= sizeof(path))
		return -EINVAL;
	memcpy(path, dir, len + 1);
	for (char *p = path + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(path, 0755) < 0 && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(path, 0755) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

static int run_one(const struct pc_bench_desc *b, struct pc_bench_opts *o, const char *dir)
{
	char json[4096], svg[4096];
	int rc;

	if (dir != NULL) {
		snprintf(json, sizeof(json), "%s/%s.json", dir, b->name);
		snprintf(svg, sizeof(svg), "%s/%s.svg", dir, b->name);
		o->json_path = json;
		o->svg_path = svg;
	}
	rc = b->run(o);
	if (rc < 0) {
		fprintf(stderr, "phonecore bench %s: failed: %s\n", b->name, strerror(-rc));
		return PC_EXIT_FAIL;
	}
	if (o->json_path != NULL)
		printf("phonecore bench %s: results in %s\n", b->name, o->json_path);
	return PC_EXIT_OK;
}

int pc_cli_bench_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", required_argument, NULL, 'j' },
		{ "svg", required_argument, NULL, 's' },
		{ "dir", required_argument, NULL, 'd' },
		{ "quick", no_argument, NULL, 'q' },
		{ "cpus", required_argument, NULL, 'c' },
		{ "io", required_argument, NULL, 'i' },
		{ "isolate", no_argument, NULL, 'I' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct pc_bench_opts o = { .cpu_producer = 0, .cpu_consumer = 1, .out = stdout };
	const char *dir = NULL;
	const struct pc_bench_desc *b, *one;
	bool isolate = false;
	size_t n;
	int c, status;

	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (c) {
		case 'j':
			o.json_path = optarg;
			break;
		case 's':
			o.svg_path = optarg;
			break;
		case 'd':
			dir = optarg;
			break;
		case 'q':
			o.quick = true;
			break;
		case 'c':
			if (parse_cpus(optarg, &o.cpu_producer, &o.cpu_consumer) < 0) {
				fprintf(stderr,
					"phonecore bench: --cpus wants A,B (two CPU numbers), "
					"not '%s'\n",
					optarg);
				return PC_EXIT_USAGE;
			}
			break;
		case 'i':
			if (parse_io(optarg, &o.io_mask) < 0) {
				fprintf(stderr,
					"phonecore bench: --io wants backends from "
					"sockets,uring,dpdk, not '%s'\n",
					optarg);
				return PC_EXIT_USAGE;
			}
			break;
		case 'I':
			isolate = true;
			break;
		case 'h':
			pc_cli_bench_help(stdout);
			return PC_EXIT_OK;
		case ':':
			fprintf(stderr, "phonecore bench: option '%s' needs a value\n",
				argv[optind - 1]);
			return PC_EXIT_USAGE;
		default:
			fprintf(stderr,
				"phonecore bench: unknown option '%s' (see 'phonecore bench "
				"--help')\n",
				argv[optind - 1]);
			return PC_EXIT_USAGE;
		}
	}
	if (optind != argc - 1) {
		fprintf(stderr, "phonecore bench: name one benchmark, 'all' or 'list' "
				"(see 'phonecore bench --help')\n");
		return PC_EXIT_USAGE;
	}

	b = pc_bench_list(&n);
	if (strcmp(argv[optind], "list") == 0) {
		for (size_t i = 0; i < n; i++)
			printf("%-8s %s\n", b[i].name, b[i].summary);
		return PC_EXIT_OK;
	}
	if (strcmp(argv[optind], "all") == 0) {
		if (o.json_path != NULL || o.svg_path != NULL) {
			fprintf(stderr, "phonecore bench all: use --dir DIR, not --json/--svg\n");
			return PC_EXIT_USAGE;
		}
		if (dir == NULL)
			dir = "bench/results";
		one = NULL;
	} else {
		one = pc_bench_find(argv[optind]);
		if (one == NULL) {
			fprintf(stderr,
				"phonecore bench: unknown benchmark '%s' (try 'phonecore bench "
				"list')\n",
				argv[optind]);
			return PC_EXIT_USAGE;
		}
	}
	if (dir != NULL) {
		int rc = mkdir_p(dir);

		if (rc < 0) {
			fprintf(stderr, "phonecore bench: cannot create %s: %s\n", dir,
				strerror(-rc));
			return PC_EXIT_FAIL;
		}
	}
	if (isolate) {
		int rc = pc_bench_isolate(o.cpu_consumer);

		if (rc < 0) {
			fprintf(stderr, "phonecore bench: --isolate: cannot isolate CPU %d: %s\n",
				o.cpu_consumer,
				rc == -EPERM ? "not allowed to move other tasks (run as root)" :
					       strerror(-rc));
			return PC_EXIT_FAIL;
		}
		fprintf(stderr, "phonecore bench: %s\n", pc_bench_isolate_summary());
	}
	if (one != NULL) {
		status = run_one(one, &o, dir);
	} else {
		status = PC_EXIT_OK;
		for (size_t i = 0; i < n; i++)
			if (run_one(&b[i], &o, dir) != PC_EXIT_OK)
				status = PC_EXIT_FAIL;
	}
	pc_bench_isolate_end();
	return status;
}
