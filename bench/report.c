/* SPDX-License-Identifier: MIT */
/*
 * report.c - the rows a benchmark measured, printed as an aligned table, written as JSON
 * ({"bench", "rows": [{"case", "metric", "unit", "phonecore", "reference", "reference_value",
 * "speedup"}], ...}) and drawn as an SVG bar chart of the speedups.
 *
 * A figure that was not measured is NAN here and null in the JSON, never a made-up number.
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "bench_pvt.h"

#ifndef PC_GIT_DESCRIBE
#define PC_GIT_DESCRIBE "unknown"
#endif

/* Involuntary switches per second of a run above which other work shared the CPUs: on an
 * idle 2-CPU VM here, kernel workers preempt the two spinning threads about 90 times a
 * second; a busy neighbour process takes a time slice every few milliseconds. */
#define SWITCHES_PER_S_QUIET 200.0

struct report_row {
	char *case_name;
	char *metric;
	char *unit;
	char *ref_name; /* NULL: no reference exists for this row */
	double ours;
	double ref;
	double speedup; /* NAN when either figure is missing */
};

struct pc_bench_report {
	char *bench;
	const struct pc_bench_opts *o;
	uint64_t start_ns;
	long start_nivcsw; /* involuntary context switches of the process when it began */
	double start_load; /* 1-minute load average when it began */
	struct report_row *rows;
	size_t nrows, cap_rows;
	char **notes;
	size_t nnotes, cap_notes;
};

/* Involuntary context switches of this process so far, joined threads included. A spinning
 * benchmark thread on an otherwise idle CPU is almost never switched out, so the count during a
 * run says how much other work shared the CPUs. */
static long nivcsw(void)
{
	struct rusage ru;

	return getrusage(RUSAGE_SELF, &ru) == 0 ? ru.ru_nivcsw : 0;
}

static double load_average(void)
{
	double l = NAN;
	FILE *f = fopen("/proc/loadavg", "r");

	if (f != NULL) {
		if (fscanf(f, "%lf", &l) != 1)
			l = NAN;
		fclose(f);
	}
	return l;
}

/* --- collecting ------------------------------------------------------------------------------- */

int pc_bench_report_create(struct pc_bench_report **out, const char *bench,
			   const struct pc_bench_opts *o)
{
	struct pc_bench_report *r = calloc(1, sizeof(*r));

	if (r == NULL)
		return -ENOMEM;
	r->bench = strdup(bench);
	if (r->bench == NULL)
		goto out_free;
	r->o = o;
	r->start_ns = pc_bench_now_ns();
	r->start_nivcsw = nivcsw();
	r->start_load = load_average();
	if (pc_bench_isolate_summary() != NULL &&
	    pc_bench_report_note(r, "%s", pc_bench_isolate_summary()) < 0) {
		pc_bench_report_destroy(r);
		return -ENOMEM;
	}
	*out = r;
	return 0;

out_free:
	free(r);
	return -ENOMEM;
}

void pc_bench_report_destroy(struct pc_bench_report *r)
{
	if (r == NULL)
		return;
	for (size_t i = 0; i < r->nrows; i++) {
		free(r->rows[i].case_name);
		free(r->rows[i].metric);
		free(r->rows[i].unit);
		free(r->rows[i].ref_name);
	}
	for (size_t i = 0; i < r->nnotes; i++)
		free(r->notes[i]);
	free(r->rows);
	free(r->notes);
	free(r->bench);
	free(r);
}

/* Make room for one more element of @size bytes in *@arr (holding *@n of *@cap). */
static int grow(void **arr, size_t *cap, size_t n, size_t size)
{
	size_t ncap;
	void *m;

	if (n < *cap)
		return 0;
	ncap = *cap ? 2 * *cap : 16;
	m = realloc(*arr, ncap * size);
	if (m == NULL)
		return -ENOMEM;
	*arr = m;
	*cap = ncap;
	return 0;
}

int pc_bench_report_note(struct pc_bench_report *r, const char *fmt, ...)
{
	va_list ap;
	char *s;
	int rc;

	if (grow((void **)&r->notes, &r->cap_notes, r->nnotes, sizeof(*r->notes)) < 0)
		return -ENOMEM;
	va_start(ap, fmt);
	rc = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (rc < 0)
		return -ENOMEM;
	r->notes[r->nnotes++] = s;
	return 0;
}

int pc_bench_report_row(struct pc_bench_report *r, const char *case_name, const char *metric,
			const char *unit, enum pc_bench_better better, double ours,
			const char *ref_name, double ref_value)
{
	struct report_row row = {
		.ours = ours,
		.ref = ref_value,
		.speedup = NAN,
	};

	if (grow((void **)&r->rows, &r->cap_rows, r->nrows, sizeof(*r->rows)) < 0)
		return -ENOMEM;
	if (better == PC_BENCH_HIGHER_BETTER_DB && isfinite(ours) && isfinite(ref_value))
		row.speedup = pow(10.0, (ours - ref_value) / 10.0);
	else if (isfinite(ours) && isfinite(ref_value) && ours > 0 && ref_value > 0)
		row.speedup = better == PC_BENCH_HIGHER_BETTER ? ours / ref_value :
								 ref_value / ours;
	row.case_name = strdup(case_name);
	row.metric = strdup(metric);
	row.unit = strdup(unit);
	row.ref_name = ref_name ? strdup(ref_name) : NULL;
	if (row.case_name == NULL || row.metric == NULL || row.unit == NULL ||
	    (ref_name != NULL && row.ref_name == NULL))
		goto out_free;
	r->rows[r->nrows++] = row;
	return 0;

out_free:
	free(row.case_name);
	free(row.metric);
	free(row.unit);
	free(row.ref_name);
	return -ENOMEM;
}

/* --- the machine ------------------------------------------------------------------------------ */

struct machine {
	char cpu[128];
	long cpus_online;
	char kernel[2 * sizeof(((struct utsname *)0)->release) + 2];
	unsigned long long mem_kib;
};

static void machine_read(struct machine *m)
{
	char line[256];
	struct utsname u;
	FILE *f;

	memset(m, 0, sizeof(*m));
	snprintf(m->cpu, sizeof(m->cpu), "unknown");
	f = fopen("/proc/cpuinfo", "r");
	if (f != NULL) {
		while (fgets(line, sizeof(line), f) != NULL) {
			char *colon = strchr(line, ':');

			if (strncmp(line, "model name", 10) != 0 || colon == NULL)
				continue;
			colon += strspn(colon + 1, " \t") + 1;
			colon[strcspn(colon, "\n")] = '\0';
			snprintf(m->cpu, sizeof(m->cpu), "%s", colon);
			break;
		}
		fclose(f);
	}
	m->cpus_online = sysconf(_SC_NPROCESSORS_ONLN);
	if (uname(&u) == 0)
		snprintf(m->kernel, sizeof(m->kernel), "%s %s", u.sysname, u.release);
	m->mem_kib = (unsigned long long)sysconf(_SC_PHYS_PAGES) *
		     (unsigned long long)sysconf(_SC_PAGESIZE) / 1024u;
}

static long peak_rss_kib(void)
{
	struct rusage ru;

	/* Linux reports ru_maxrss in KiB. */
	return getrusage(RUSAGE_SELF, &ru) == 0 ? ru.ru_maxrss : -1;
}

/* --- the table -------------------------------------------------------------------------------- */

/* A figure with about four significant digits, or "n/a". */
static void fmt_value(char *buf, size_t len, double v)
{
	if (!isfinite(v))
		snprintf(buf, len, "n/a");
	else if (fabs(v) >= 1000)
		snprintf(buf, len, "%.0f", v);
	else if (fabs(v) >= 100)
		snprintf(buf, len, "%.1f", v);
	else if (fabs(v) >= 10)
		snprintf(buf, len, "%.2f", v);
	else
		snprintf(buf, len, "%.3f", v);
}

static void fmt_speedup(char *buf, size_t len, double s)
{
	if (isfinite(s))
		snprintf(buf, len, "%.2fx", s);
	else
		snprintf(buf, len, "n/a");
}

static int max_int(int a, size_t b)
{
	return (size_t)a > b ? a : (int)b;
}

static void print_table(const struct pc_bench_report *r, FILE *out, long rss, long switches)
{
	double seconds = (double)(pc_bench_now_ns() - r->start_ns) / 1e9;
	int w_case = 4, w_metric = 6, w_unit = 4, w_ref = 9;
	char ours[32], ref[32], sp[32];

	fprintf(out, "bench %s%s\n", r->bench,
		r->o->quick ? " (quick: figures indicative only)" : "");
	for (size_t i = 0; i < r->nnotes; i++)
		fprintf(out, "  %s\n", r->notes[i]);
	for (size_t i = 0; i < r->nrows; i++) {
		const struct report_row *row = &r->rows[i];

		w_case = max_int(w_case, strlen(row->case_name));
		w_metric = max_int(w_metric, strlen(row->metric));
		w_unit = max_int(w_unit, strlen(row->unit));
		w_ref = max_int(w_ref, strlen(row->ref_name ? row->ref_name : "-"));
	}
	fprintf(out, "  %-*s  %-*s  %-*s  %10s  %-*s  %10s  %8s\n", w_case, "case", w_metric,
		"metric", w_unit, "unit", "phonecore", w_ref, "reference", "ref value", "speedup");
	for (size_t i = 0; i < r->nrows; i++) {
		const struct report_row *row = &r->rows[i];

		fmt_value(ours, sizeof(ours), row->ours);
		fmt_value(ref, sizeof(ref), row->ref);
		fmt_speedup(sp, sizeof(sp), row->speedup);
		fprintf(out, "  %-*s  %-*s  %-*s  %10s  %-*s  %10s  %8s\n", w_case, row->case_name,
			w_metric, row->metric, w_unit, row->unit, ours, w_ref,
			row->ref_name ? row->ref_name : "-", row->ref_name ? ref : "-", sp);
	}
	fprintf(out, "  speedup > 1: phonecore better (reference/ours for times, ours/reference "
		     "for rates)\n");
	fprintf(out, "  peak resident memory of the process: %ld KiB\n", rss);
	fprintf(out,
		"  load average at start %.2f; involuntary context switches during the run %ld"
		"%s\n",
		r->start_load, switches,
		switches > SWITCHES_PER_S_QUIET * seconds ?
			" (other work shared the CPUs: figures are noisy)" :
			"");
	fflush(out);
}

/* --- files ------------------------------------------------------------------------------------ */

/* mkdir -p of the directories above @path, so that bench/results/x.json just works. */
static void make_parents(const char *path)
{
	char *p = strdup(path);

	if (p == NULL)
		return;
	for (char *s = strchr(p + 1, '/'); s != NULL; s = strchr(s + 1, '/')) {
		*s = '\0';
		(void)mkdir(p, 0777); /* EEXIST is fine; any real failure shows at fopen */
		*s = '/';
	}
	free(p);
}

static int open_out(FILE **out, const char *path)
{
	FILE *f;
	int err;

	make_parents(path);
	f = fopen(path, "w");
	if (f == NULL) {
		err = errno;
		fprintf(stderr, "phonecore bench: cannot write %s: %s\n", path, strerror(err));
		return -err;
	}
	*out = f;
	return 0;
}

static int close_out(FILE *f, const char *path)
{
	int bad = ferror(f);

	errno = 0;
	if (fclose(f) != 0 || bad) {
		int err = errno ? errno : EIO;

		fprintf(stderr, "phonecore bench: error writing %s: %s\n", path, strerror(err));
		return -err;
	}
	return 0;
}

static void json_string(FILE *f, const char *s)
{
	if (s == NULL) {
		fputs("null", f);
		return;
	}
	fputc('"', f);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '"' || *p == '\\')
			fprintf(f, "\\%c", *p);
		else if (*p == '\n')
			fputs("\\n", f);
		else if (*p < 0x20)
			fprintf(f, "\\u%04x", *p);
		else
			fputc(*p, f);
	}
	fputc('"', f);
}

/* A finite number with 6 significant digits (JSON has no NaN: those are null). */
static void json_number(FILE *f, double v)
{
	if (isfinite(v))
		fprintf(f, "%.6g", v);
	else
		fputs("null", f);
}

static int write_json(const struct pc_bench_report *r, const char *path, long rss, long switches)
{
	struct machine m;
	char stamp[32];
	time_t now = time(NULL);
	struct tm tm;
	FILE *f;
	int rc;

	rc = open_out(&f, path);
	if (rc < 0)
		return rc;
	machine_read(&m);
	gmtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%SZ", &tm);

	fputs("{\n  \"bench\": ", f);
	json_string(f, r->bench);
	fputs(",\n  \"rows\": [", f);
	for (size_t i = 0; i < r->nrows; i++) {
		const struct report_row *row = &r->rows[i];

		fputs(i ? ",\n    {" : "\n    {", f);
		fputs("\"case\": ", f);
		json_string(f, row->case_name);
		fputs(", \"metric\": ", f);
		json_string(f, row->metric);
		fputs(", \"unit\": ", f);
		json_string(f, row->unit);
		fputs(", \"phonecore\": ", f);
		json_number(f, row->ours);
		fputs(", \"reference\": ", f);
		json_string(f, row->ref_name);
		fputs(", \"reference_value\": ", f);
		json_number(f, row->ref_name ? row->ref : NAN);
		fputs(", \"speedup\": ", f);
		json_number(f, row->speedup);
		fputc('}', f);
	}
	fputs("\n  ],\n  \"quick\": ", f);
	fputs(r->o->quick ? "true" : "false", f);
	fprintf(f, ",\n  \"peak_rss_kib\": %ld", rss);
	fputs(",\n  \"duration_s\": ", f);
	json_number(f, (double)(pc_bench_now_ns() - r->start_ns) / 1e9);
	fputs(",\n  \"timestamp\": ", f);
	json_string(f, stamp);
	fputs(",\n  \"phonecore_version\": ", f);
	json_string(f, PC_GIT_DESCRIBE);
	fputs(",\n  \"dpdk_version\": ", f);
	json_string(f, pc_bench_dpdk_version());
	fputs(",\n  \"eal_args\": ", f);
	json_string(f, pc_bench_eal_args()[0] ? pc_bench_eal_args() : NULL);
	fputs(",\n  \"eal_error\": ", f);
	json_string(f, pc_bench_eal_error()[0] ? pc_bench_eal_error() : NULL);
	fputs(",\n  \"machine\": {\"cpu\": ", f);
	json_string(f, m.cpu);
	fprintf(f, ", \"cpus_online\": %ld, \"kernel\": ", m.cpus_online);
	json_string(f, m.kernel);
	fprintf(f, ", \"mem_total_kib\": %llu, \"loadavg_start\": ", m.mem_kib);
	json_number(f, r->start_load);
	fprintf(f, ", \"involuntary_switches\": %ld}", switches);
	fputs(",\n  \"notes\": [", f);
	for (size_t i = 0; i < r->nnotes; i++) {
		fputs(i ? ",\n    " : "\n    ", f);
		json_string(f, r->notes[i]);
	}
	fputs(r->nnotes ? "\n  ]\n}\n" : "]\n}\n", f);
	return close_out(f, path);
}

static void svg_text(FILE *f, const char *s)
{
	for (; *s; s++) {
		if (*s == '&')
			fputs("&amp;", f);
		else if (*s == '<')
			fputs("&lt;", f);
		else if (*s == '>')
			fputs("&gt;", f);
		else
			fputc(*s, f);
	}
}

/*
 * One horizontal bar per row, its length the speedup, on a linear axis from 0 that always
 * shows 2.0; a dashed line marks 1.0 (parity with the reference). Green bars: phonecore is
 * better; red: the reference is. Rows without a reference figure say so instead of a bar.
 */
static int write_svg(const struct pc_bench_report *r, const char *path)
{
	const int label_w = 330, plot_w = 460, row_h = 22, top = 48, right = 70;
	double xmax = 2.0, step;
	int width, height, rc;
	FILE *f;

	for (size_t i = 0; i < r->nrows; i++)
		if (isfinite(r->rows[i].speedup) && r->rows[i].speedup * 1.1 > xmax)
			xmax = r->rows[i].speedup * 1.1;
	/* Ticks every 0.5 up to 4x, then every 1, 2 or 5: about 4 to 10 of them. */
	step = xmax <= 4.0 ? 0.5 : xmax <= 10.0 ? 1.0 : xmax <= 20.0 ? 2.0 : 5.0;
	xmax = ceil(xmax / step) * step;
	width = label_w + plot_w + right;
	height = top + (int)r->nrows * row_h + 40;

	rc = open_out(&f, path);
	if (rc < 0)
		return rc;
	fprintf(f,
		"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
		"font-family=\"monospace\" font-size=\"12\">\n",
		width, height);
	fprintf(f, "<rect width=\"%d\" height=\"%d\" fill=\"white\"/>\n", width, height);
	fputs("<text x=\"10\" y=\"20\" font-size=\"14\" font-weight=\"bold\">", f);
	svg_text(f, r->bench);
	fprintf(f,
		": speedup of phonecore over the reference (&gt; 1: phonecore better)%s</text>\n",
		r->o->quick ? " [quick]" : "");
	for (double t = 0; t <= xmax + 1e-9; t += step) {
		double x = label_w + t / xmax * plot_w;

		fprintf(f, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#ddd\"/>\n",
			x, top - 6, x, top + (int)r->nrows * row_h);
		fprintf(f, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%.1f</text>\n", x,
			top + (int)r->nrows * row_h + 16, t);
	}
	for (size_t i = 0; i < r->nrows; i++) {
		const struct report_row *row = &r->rows[i];
		int y = top + (int)i * row_h;

		fprintf(f, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">", label_w - 8, y + 15);
		svg_text(f, row->case_name);
		fputc(' ', f);
		svg_text(f, row->metric);
		fputs("</text>\n", f);
		if (!isfinite(row->speedup)) {
			fprintf(f,
				"<text x=\"%d\" y=\"%d\" fill=\"#888\">n/a (no reference figure)"
				"</text>\n",
				label_w + 4, y + 15);
			continue;
		}
		fprintf(f, "<rect x=\"%d\" y=\"%d\" width=\"%.1f\" height=\"%d\" fill=\"%s\"/>\n",
			label_w, y + 3, row->speedup / xmax * plot_w, row_h - 6,
			row->speedup >= 1.0 ? "#4a9a4a" : "#c04040");
		fprintf(f, "<text x=\"%.1f\" y=\"%d\">%.2fx</text>\n",
			label_w + row->speedup / xmax * plot_w + 4, y + 15, row->speedup);
	}
	fprintf(f,
		"<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"black\" "
		"stroke-dasharray=\"4 3\"/>\n",
		label_w + 1.0 / xmax * plot_w, top - 10, label_w + 1.0 / xmax * plot_w,
		top + (int)r->nrows * row_h + 4);
	fputs("</svg>\n", f);
	return close_out(f, path);
}

int pc_bench_report_finish(struct pc_bench_report *r)
{
	long rss = peak_rss_kib(), switches = nivcsw() - r->start_nivcsw;
	int rc = 0, rc2;

	print_table(r, r->o->out ? r->o->out : stdout, rss, switches);
	if (r->o->json_path != NULL)
		rc = write_json(r, r->o->json_path, rss, switches);
	if (r->o->svg_path != NULL) {
		rc2 = write_svg(r, r->o->svg_path);
		if (rc == 0)
			rc = rc2;
	}
	return rc;
}
