/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Helpers of sluicectl's commands: error reporting, arguments, JSON documents and aligned
 * tables.
 */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "ctl.h"
#include "dp_proto.h"

int
ctl_fail(const struct ctl_ctx *ctx, int exit_code, const char *code, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (ctx != NULL && ctx->cmd != NULL)
		fprintf(stderr, "sluicectl: %s: %s\n", ctx->cmd->words, msg);
	else
		fprintf(stderr, "sluicectl: %s\n", msg);
	if (ctx != NULL && ctx->json) {
		json_t *doc = json_pack("{s:{s:s,s:s}}", "error", "code", code, "message", msg);

		/* msg may hold bytes that are not UTF-8 (a path): say so rather than nothing */
		if (doc == NULL)
			doc = json_pack("{s:{s:s,s:s}}", "error", "code", code, "message",
					"(message not representable)");
		if (doc != NULL)
			ctl_json_print(doc, true);
	}
	return exit_code;
}

/* ---- arguments ---- */

int
ctl_usage_fail(const struct ctl_ctx *ctx, const char *fmt, ...)
{
	char msg[384];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return ctl_fail(ctx, CTL_EXIT_USAGE, CTL_CODE_USAGE, "%s (see: sluicectl %s --help)",
			msg, ctx->cmd->words);
}

int
ctl_protocol_fail(const struct ctl_ctx *ctx, const char *what)
{
	return ctl_fail(ctx, CTL_EXIT_CONN, CTL_CODE_PROTOCOL, "malformed reply: %s", what);
}

void
ctl_getopt_reset(void)
{
	optind = 0;                   /* glibc: start over, argv[0] is the command word */
	opterr = 0;
}

int
ctl_getopt_fail(const struct ctl_ctx *ctx, int o, char **argv)
{
	const char *arg = argv[optind - 1];

	if (o == ':')
		return ctl_usage_fail(ctx, "%s needs a value", arg);
	return ctl_usage_fail(ctx, "unknown option %s", arg);
}

int
ctl_no_options(const struct ctl_ctx *ctx, int argc, char **argv)
{
	static const struct option none[] = {
		{ NULL, 0, NULL, 0 },
	};
	int o;

	ctl_getopt_reset();
	o = getopt_long(argc, argv, ":", none, NULL);
	return o == -1 ? 0 : ctl_getopt_fail(ctx, o, argv);
}

int
ctl_operands(const struct ctl_ctx *ctx, int argc, char **argv, int n, const char *const *names,
	     bool quiet)
{
	int have = argc - optind;

	if (have < n)
		return ctl_usage_fail(ctx, "%s is missing", names[have]);
	if (have > n) {
		if (quiet)
			return ctl_usage_fail(ctx, "unexpected argument after %s", names[n - 1]);
		return ctl_usage_fail(ctx, "unexpected argument \"%s\"", argv[optind + n]);
	}
	return 0;
}

int
ctl_parse_u32(const char *s, bool hex, uint32_t min, uint32_t max, uint32_t *out)
{
	unsigned long long v;
	char *end;
	int base = 10;

	if (hex && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		s += 2;
		base = 16;
		if (!((s[0] >= '0' && s[0] <= '9') || (s[0] >= 'a' && s[0] <= 'f') ||
		      (s[0] >= 'A' && s[0] <= 'F')))
			return -1;
	} else if (s[0] < '0' || s[0] > '9') {
		return -1;
	}
	errno = 0;
	v = strtoull(s, &end, base);
	if (errno != 0 || *end != '\0' || v < min || v > max)
		return -1;
	*out = (uint32_t)v;
	return 0;
}

int
ctl_parse_id(const struct ctl_ctx *ctx, const char *what, const char *s, uint32_t *out)
{
	if (ctl_parse_u32(s, false, 1, UINT32_MAX, out) == 0)
		return 0;
	return ctl_usage_fail(ctx, "%s must be a number from 1 to 4294967295, not \"%s\"", what,
			      s);
}

const char *
ctl_suite_list(void)
{
	static char list[160];

	if (list[0] == '\0')
		for (uint8_t s = DP_SUITE_NONE + 1; s < DP_SUITE_MAX; s++)
			snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s%s",
				 s > 1 ? ", " : "", dp_suite_name(s));
	return list;
}

/* ---- output ---- */

void
ctl_json_print(json_t *doc, bool one_line)
{
	size_t flags = one_line ? JSON_COMPACT : JSON_INDENT(2);

	if (doc == NULL) {
		fprintf(stderr, "sluicectl: cannot build the JSON output\n");
		return;
	}
	json_dumpf(doc, stdout, flags | JSON_PRESERVE_ORDER);
	fputc('\n', stdout);
	fflush(stdout);
	json_decref(doc);
}

json_t *
ctl_json_u64(uint64_t v)
{
	return json_integer(v > INT64_MAX ? INT64_MAX : (json_int_t)v);
}

void
ctl_sanitize(char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s >= 0x7f)
			*s = '?';
}

void *
ctl_xcalloc(size_t n, size_t size)
{
	void *p = calloc(n > 0 ? n : 1, size > 0 ? size : 1);

	if (p == NULL) {
		fprintf(stderr, "sluicectl: out of memory\n");
		exit(CTL_EXIT_CONN);
	}
	return p;
}

void *
ctl_xrealloc(void *p, size_t n, size_t size)
{
	void *q;

	if (size != 0 && n > SIZE_MAX / size)
		q = NULL;
	else
		q = realloc(p, n * size > 0 ? n * size : 1);
	if (q == NULL) {
		fprintf(stderr, "sluicectl: out of memory\n");
		exit(CTL_EXIT_CONN);
	}
	return q;
}

/* ---- tables ---- */

struct ctl_table {
	unsigned int ncols;
	unsigned int nrows;           /* the header row included */
	unsigned int cap_rows;
	char **cells;                 /* nrows * ncols, NULL for empty */
	bool *right;
};

struct ctl_table *
ctl_table_new(unsigned int ncols)
{
	struct ctl_table *t = ctl_xcalloc(1, sizeof(*t));

	t->ncols = ncols;
	t->right = ctl_xcalloc(ncols, sizeof(*t->right));
	ctl_table_row(t);
	return t;
}

void
ctl_table_row(struct ctl_table *t)
{
	if (t->nrows == t->cap_rows) {
		unsigned int cap = t->cap_rows > 0 ? t->cap_rows * 2 : 16;

		t->cells = ctl_xrealloc(t->cells, (size_t)cap * t->ncols, sizeof(*t->cells));
		memset(t->cells + (size_t)t->cap_rows * t->ncols, 0,
		       (size_t)(cap - t->cap_rows) * t->ncols * sizeof(*t->cells));
		t->cap_rows = cap;
	}
	t->nrows++;
}

static void
table_put(struct ctl_table *t, unsigned int row, unsigned int col, char *s)
{
	char **cell;

	if (col >= t->ncols) {
		free(s);
		return;
	}
	cell = &t->cells[(size_t)row * t->ncols + col];
	free(*cell);
	*cell = s;
}

void
ctl_table_head(struct ctl_table *t, unsigned int col, const char *name, bool right)
{
	if (col < t->ncols)
		t->right[col] = right;
	table_put(t, 0, col, strdup(name));
}

void
ctl_table_set(struct ctl_table *t, unsigned int col, const char *fmt, ...)
{
	char *s = NULL;
	va_list ap;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		s = NULL;
	va_end(ap);
	if (s == NULL) {
		fprintf(stderr, "sluicectl: out of memory\n");
		exit(CTL_EXIT_CONN);
	}
	table_put(t, t->nrows - 1, col, s);
}

void
ctl_table_print(const struct ctl_table *t, FILE *f)
{
	size_t *width = ctl_xcalloc(t->ncols, sizeof(*width));

	for (unsigned int r = 0; r < t->nrows; r++)
		for (unsigned int c = 0; c < t->ncols; c++) {
			const char *s = t->cells[(size_t)r * t->ncols + c];
			size_t len = s != NULL ? strlen(s) : 0;

			if (len > width[c])
				width[c] = len;
		}
	for (unsigned int r = 0; r < t->nrows; r++) {
		for (unsigned int c = 0; c < t->ncols; c++) {
			const char *s = t->cells[(size_t)r * t->ncols + c];
			int w = (int)width[c];

			if (s == NULL)
				s = "";
			if (c + 1 == t->ncols && !t->right[c])
				fprintf(f, "%s", s);  /* no trailing blanks */
			else if (t->right[c])
				fprintf(f, "%*s", w, s);
			else
				fprintf(f, "%-*s", w, s);
			if (c + 1 < t->ncols)
				fputs("  ", f);
		}
		fputc('\n', f);
	}
	free(width);
}

void
ctl_table_free(struct ctl_table *t)
{
	if (t == NULL)
		return;
	for (size_t i = 0; i < (size_t)t->nrows * t->ncols; i++)
		free(t->cells[i]);
	free(t->cells);
	free(t->right);
	free(t);
}
