/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Shared configuration file machinery: the pre-scan, libconfig, error collection and the
 * typed readers both loaders build on.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libconfig.h>

#include "dp_cfgfile.h"

#define SCAN_MAX_DEPTH 64

static const config_setting_t *
node_in(const struct dp_cfgfile_node *s)
{
	return (const config_setting_t *)(const void *)s;
}

static struct dp_cfgfile_node *
node_out(config_setting_t *s)
{
	return (struct dp_cfgfile_node *)(void *)s;
}

/* ---- errors ---- */

void
dp_cfgfile_errs_init(struct dp_cfgfile_errs *e, const char *name, unsigned int max_msgs)
{
	e->name = name;
	e->max_msgs = max_msgs < DP_CFGFILE_MAX_MSGS ? max_msgs : DP_CFGFILE_MAX_MSGS;
	e->n_errors = 0;
	e->n_msgs = 0;
}

void
dp_cfgfile_err(struct dp_cfgfile_errs *e, int line, const char *fmt, ...)
{
	struct dp_cfgfile_msg *m;
	va_list ap;

	e->n_errors++;
	if (e->n_msgs >= e->max_msgs)
		return;
	m = &e->msgs[e->n_msgs++];
	m->line = line;
	va_start(ap, fmt);
	vsnprintf(m->text, sizeof(m->text), fmt, ap);
	va_end(ap);
}

/* Sort key: messages without a line go last. */
static unsigned int
msg_key(const struct dp_cfgfile_msg *m)
{
	return m->line > 0 ? (unsigned int)m->line : UINT_MAX;
}

void
dp_cfgfile_flush(const struct dp_cfgfile_errs *e, char *err, size_t errlen)
{
	unsigned int order[DP_CFGFILE_MAX_MSGS];
	char line[PATH_MAX + DP_CFGFILE_MSG_LEN + 16];   /* the file name may be long */
	unsigned int shown = 0;
	size_t used = 0;

	if (err == NULL || errlen == 0)
		return;
	err[0] = '\0';
	/* insertion sort, stable: one line's messages keep the order they were found in */
	for (unsigned int i = 0; i < e->n_msgs; i++) {
		unsigned int j = i;

		while (j > 0 && msg_key(&e->msgs[order[j - 1]]) > msg_key(&e->msgs[i])) {
			order[j] = order[j - 1];
			j--;
		}
		order[j] = i;
	}
	for (unsigned int i = 0; i < e->n_msgs; i++) {
		const struct dp_cfgfile_msg *m = &e->msgs[order[i]];
		int n;

		if (m->line > 0)
			n = snprintf(line, sizeof(line), "%s:%d: %s", e->name, m->line, m->text);
		else
			n = snprintf(line, sizeof(line), "%s: %s", e->name, m->text);
		if (n < 0)
			break;
		if ((size_t)n >= sizeof(line))
			n = (int)sizeof(line) - 1;
		if (i == 0) {
			snprintf(err, errlen, "%s", line);
			used = strlen(err);
		} else if (used + 1 + (size_t)n < errlen) {
			err[used++] = '\n';
			memcpy(err + used, line, (size_t)n + 1);
			used += (size_t)n;
		} else {
			break;
		}
		shown++;
	}
	if (shown < e->n_errors) {
		int n = snprintf(line, sizeof(line), "%s: %u more errors not shown", e->name,
				 e->n_errors - shown);

		if (n > 0 && used > 0 && used + 1 + (size_t)n < errlen) {
			err[used++] = '\n';
			memcpy(err + used, line, (size_t)n + 1);
		}
	}
}

/* ---- the file ---- */

char *
dp_cfgfile_read(const char *path, char *err, size_t errlen)
{
	size_t got = 0;
	struct stat st;
	char *text;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		if (err != NULL && errlen > 0)
			snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
		return NULL;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) ||
	    st.st_size > (off_t)DP_CFGFILE_MAX_FILE) {
		if (err != NULL && errlen > 0)
			snprintf(err, errlen, "%s: not a regular file of at most %u bytes", path,
				 DP_CFGFILE_MAX_FILE);
		close(fd);
		return NULL;
	}
	text = malloc((size_t)st.st_size + 1);
	if (text == NULL) {
		if (err != NULL && errlen > 0)
			snprintf(err, errlen, "%s: out of memory", path);
		close(fd);
		return NULL;
	}
	while (got < (size_t)st.st_size) {
		ssize_t n = read(fd, text + got, (size_t)st.st_size - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	close(fd);
	text[got] = '\0';
	if (got != (size_t)st.st_size || strlen(text) != got) {
		if (err != NULL && errlen > 0)
			snprintf(err, errlen, "%s: %s", path, got != (size_t)st.st_size ?
				 "short read" : "contains a NUL byte");
		free(text);
		return NULL;
	}
	return text;
}

/*
 * ---- pre-scan ----
 *
 * libconfig mishandles some input before it reports anything:
 * - a plain integer beyond 32 bits is wrapped silently;
 * - @include reads other files;
 * - a string anywhere but after '=', ':', an opening bracket of a list or array, another
 *   string, or a comma inside a list or array leaks memory on its error path: `cut` is set at
 *   the first one, and libconfig is run over the text before it only;
 * - deep nesting can exhaust its parser stack.
 */
enum scan_tok {
	T_OTHER,
	T_ASSIGN,                     /* = or : */
	T_COMMA,
	T_OPEN_SEQ,                   /* ( or [ */
	T_STRING,
};

struct scan {
	const struct dp_cfgfile_syntax *syn;
	const char *cut;              /* the first string libconfig would stop at, or NULL */
	int cut_line;
	bool seq[SCAN_MAX_DEPTH];     /* per open bracket: a list or array (not a group) */
	unsigned int depth;
	bool too_deep;
};

static bool
is_dec(char c)
{
	return c >= '0' && c <= '9';
}

static bool
is_hex(char c)
{
	return is_dec(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static unsigned int
hex_val(char c)
{
	return is_dec(c) ? (unsigned int)(c - '0') :
	       (unsigned int)((c | 0x20) - 'a' + 10);
}

static bool
is_exp(const char *p)
{
	return (*p == 'e' || *p == 'E') &&
	       (is_dec(p[1]) || ((p[1] == '+' || p[1] == '-') && is_dec(p[2])));
}

/*
 * The number at p (a sign, digits or 0x digits, a fraction or an exponent, an L suffix):
 * returns its end, and reports a plain integer outside the 32 bits libconfig keeps.
 */
static const char *
scan_number(struct dp_cfgfile_errs *e, const struct scan *sc, const char *p, int line)
{
	const char *start = p;
	bool neg = *p == '-', over = false;
	unsigned long long v = 0;
	size_t digits = 0;

	if (*p == '-' || *p == '+')
		p++;
	if (p == start && p[0] == '0' && (p[1] == 'x' || p[1] == 'X') && is_hex(p[2])) {
		for (p += 2; is_hex(*p); p++) {
			v = v * 16 + hex_val(*p);
			over = over || v > 0xffffffffull;
		}
	} else {
		for (; is_dec(*p); p++, digits++) {
			v = v * 10 + (unsigned long long)(*p - '0');
			over = over || v > 0xffffffffull;
		}
		if (*p == '.' || (digits > 0 && is_exp(p))) {
			/* a float: libconfig reads it in full, no range to check */
			if (*p == '.')
				for (p++; is_dec(*p); p++)
					;
			if (is_exp(p))
				for (p += 2; is_dec(*p); p++)
					;
			return p;
		}
		if (digits == 0)
			return p;
	}
	if (*p == 'L')
		return p[1] == 'L' ? p + 2 : p + 1;
	if (over || v > (neg ? 0x80000000ull : 0x7fffffffull))
		dp_cfgfile_err(e, line, "%.*s: integer out of 32-bit range%s (write it with an L "
			       "suffix if it is meant)", (int)(p - start > 24 ? 24 : p - start),
			       start, sc->syn->range_note != NULL ? sc->syn->range_note : "");
	return p;
}

/* Skips a string from its opening quote; returns the position after it. */
static const char *
skip_string(const char *p, int *line)
{
	for (p++; *p != '\0' && *p != '"'; p++) {
		if (*p == '\\' && p[1] != '\0')
			p++;
		*line += *p == '\n';
	}
	return *p == '"' ? p + 1 : p;
}

static bool
string_allowed(const struct scan *sc, enum scan_tok prev)
{
	unsigned int max = sc->syn->max_depth;
	bool in_seq = sc->depth > 0 && sc->depth <= max && sc->seq[sc->depth - 1];

	return prev == T_ASSIGN || prev == T_OPEN_SEQ || prev == T_STRING ||
	       (prev == T_COMMA && in_seq);
}

static void
prescan(struct dp_cfgfile_errs *e, const char *text, struct scan *sc)
{
	static const char name_chars[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
					 "0123456789_-*";
	unsigned int max = sc->syn->max_depth;
	enum scan_tok prev = T_OTHER;
	const char *p = text;
	int line = 1;

	while (*p != '\0') {
		char c = *p;

		if (c == '\n') {
			line++;
			p++;
		} else if (c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v') {
			p++;
		} else if (c == '#' || (c == '/' && p[1] == '/')) {
			p += strcspn(p, "\n");
		} else if (c == '/' && p[1] == '*') {
			for (p += 2; *p != '\0' && !(p[0] == '*' && p[1] == '/'); p++)
				line += *p == '\n';
			if (*p != '\0')
				p += 2;
		} else if (c == '"') {
			if (sc->cut == NULL && !string_allowed(sc, prev)) {
				sc->cut = p;
				sc->cut_line = line;
			}
			p = skip_string(p, &line);
			prev = T_STRING;
		} else if (c == '@') {
			dp_cfgfile_err(e, line, "@ directives (@include) are not supported: keep "
				       "the configuration in one file");
			p++;
			prev = T_OTHER;
		} else if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '*') {
			p += strspn(p, name_chars);
			prev = T_OTHER;
		} else if (is_dec(c) || (c == '.' && is_dec(p[1])) ||
			   ((c == '-' || c == '+') && (is_dec(p[1]) || p[1] == '.'))) {
			const char *end = scan_number(e, sc, p, line);

			p = end > p ? end : p + 1;
			prev = T_OTHER;
		} else if (c == '{' || c == '(' || c == '[') {
			if (sc->depth == max && !sc->too_deep) {
				dp_cfgfile_err(e, line, "nested deeper than %u levels", max);
				sc->too_deep = true;
			}
			if (sc->depth < max)
				sc->seq[sc->depth] = c != '{';
			sc->depth++;
			prev = c == '{' ? T_OTHER : T_OPEN_SEQ;
			p++;
		} else if (c == '}' || c == ')' || c == ']') {
			if (sc->depth > 0)
				sc->depth--;
			prev = T_OTHER;
			p++;
		} else {
			prev = c == '=' || c == ':' ? T_ASSIGN : c == ',' ? T_COMMA : T_OTHER;
			p++;
		}
	}
}

/*
 * Runs libconfig over the text before the first misplaced string: its first error there is
 * the file's first error; if there is none, the string itself is.
 */
static void
error_before(struct dp_cfgfile_errs *e, const char *text, const struct scan *sc)
{
	size_t n = (size_t)(sc->cut - text);
	char *head = malloc(n + 1);
	config_t lc;

	if (head == NULL) {
		dp_cfgfile_err(e, sc->cut_line, "syntax error");
		return;
	}
	memcpy(head, text, n);
	head[n] = '\0';
	config_init(&lc);
	if (config_read_string(&lc, head) != CONFIG_TRUE && config_error_text(&lc) != NULL)
		dp_cfgfile_err(e, config_error_line(&lc), "%s", config_error_text(&lc));
	else
		dp_cfgfile_err(e, sc->cut_line, "syntax error");
	config_destroy(&lc);
	free(head);
}

int
dp_cfgfile_parse(struct dp_cfgfile_errs *e, const char *text,
		 const struct dp_cfgfile_syntax *syn,
		 void (*walk)(void *arg, struct dp_cfgfile_node *root), void *arg)
{
	struct dp_cfgfile_syntax s = *syn;
	struct scan sc = { .syn = &s };
	unsigned int before = e->n_errors;
	config_t lc;
	int rc = -1;

	if (s.max_depth > SCAN_MAX_DEPTH)
		s.max_depth = SCAN_MAX_DEPTH;
	prescan(e, text, &sc);
	if (e->n_errors > before)
		return -1;
	if (sc.cut != NULL) {
		error_before(e, text, &sc);
		return -1;
	}
	config_init(&lc);
	if (config_read_string(&lc, text) != CONFIG_TRUE) {
		dp_cfgfile_err(e, config_error_line(&lc), "%s", config_error_text(&lc) != NULL ?
			       config_error_text(&lc) : "syntax error");
	} else {
		walk(arg, node_out(config_root_setting(&lc)));
		rc = 0;
	}
	config_destroy(&lc);
	return rc;
}

/* ---- the tree ---- */

enum dp_cfgfile_type
dp_cfgfile_type(const struct dp_cfgfile_node *s)
{
	switch (config_setting_type(node_in(s))) {
	case CONFIG_TYPE_GROUP:
		return DP_CFGFILE_GROUP;
	case CONFIG_TYPE_INT:
	case CONFIG_TYPE_INT64:
		return DP_CFGFILE_INT;
	case CONFIG_TYPE_FLOAT:
		return DP_CFGFILE_FLOAT;
	case CONFIG_TYPE_STRING:
		return DP_CFGFILE_STRING;
	case CONFIG_TYPE_BOOL:
		return DP_CFGFILE_BOOL;
	case CONFIG_TYPE_ARRAY:
		return DP_CFGFILE_ARRAY;
	case CONFIG_TYPE_LIST:
		return DP_CFGFILE_LIST;
	default:
		return DP_CFGFILE_NONE;
	}
}

const char *
dp_cfgfile_type_name(enum dp_cfgfile_type type)
{
	switch (type) {
	case DP_CFGFILE_GROUP:
		return "a group";
	case DP_CFGFILE_INT:
		return "an integer";
	case DP_CFGFILE_FLOAT:
		return "a float";
	case DP_CFGFILE_STRING:
		return "a string";
	case DP_CFGFILE_BOOL:
		return "a boolean";
	case DP_CFGFILE_ARRAY:
		return "an array";
	case DP_CFGFILE_LIST:
		return "a list";
	default:
		return "nothing";
	}
}

int
dp_cfgfile_length(const struct dp_cfgfile_node *s)
{
	return config_setting_length(node_in(s));
}

struct dp_cfgfile_node *
dp_cfgfile_elem(const struct dp_cfgfile_node *s, int i)
{
	if (i < 0)
		return NULL;
	return node_out(config_setting_get_elem(node_in(s), (unsigned int)i));
}

const char *
dp_cfgfile_name(const struct dp_cfgfile_node *s)
{
	return s != NULL ? config_setting_name(node_in(s)) : NULL;
}

int
dp_cfgfile_line(const struct dp_cfgfile_node *s)
{
	const config_setting_t *p;

	/* elements of an array carry no line of their own: the array's is close enough */
	for (p = node_in(s); p != NULL; p = config_setting_parent(p))
		if (config_setting_source_line(p) > 0)
			return (int)config_setting_source_line(p);
	return 0;
}

long long
dp_cfgfile_int(const struct dp_cfgfile_node *s)
{
	return config_setting_get_int64(node_in(s));
}

const char *
dp_cfgfile_string(const struct dp_cfgfile_node *s)
{
	return config_setting_get_string(node_in(s));
}

bool
dp_cfgfile_bool(const struct dp_cfgfile_node *s)
{
	return config_setting_get_bool(node_in(s)) != 0;
}

/* ---- values and messages ---- */

const char *
dp_cfgfile_quote(const char *s, char *buf, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	size_t o = 0;

	buf[o++] = '"';
	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		/* room for this byte escaped (4), "..." (3), the quote and the NUL */
		if (o + 9 > len) {
			memcpy(buf + o, "...", 3);
			o += 3;
			break;
		}
		if (c == '"' || c == '\\') {
			buf[o++] = '\\';
			buf[o++] = (char)c;
		} else if (c < 0x20 || c > 0x7e) {
			buf[o++] = '\\';
			buf[o++] = 'x';
			buf[o++] = hex[c >> 4];
			buf[o++] = hex[c & 0xf];
		} else {
			buf[o++] = (char)c;
		}
	}
	buf[o++] = '"';
	buf[o] = '\0';
	return buf;
}

const char *
dp_cfgfile_words(const char *const *words, size_t n, char *buf, size_t len)
{
	size_t o = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < n && words[i] != NULL; i++) {
		int k = snprintf(buf + o, len - o, "%s%s", i == 0 ? "" : ", ", words[i]);

		if (k < 0 || (size_t)k >= len - o)
			break;
		o += (size_t)k;
	}
	return buf;
}

void
dp_cfgfile_store_uint(void *field, size_t size, uint32_t v)
{
	if (size == sizeof(uint16_t))
		*(uint16_t *)field = (uint16_t)v;
	else
		*(uint32_t *)field = v;
}

const char *
dp_cfgfile_uint_spec(const struct dp_cfgfile_uint *u, char *buf, size_t len)
{
	snprintf(buf, len, "%s in %u..%u%s%s%s", u->what != NULL ? u->what : "an integer",
		 u->min, u->max, u->unit != NULL ? " (" : "", u->unit != NULL ? u->unit : "",
		 u->unit != NULL ? ")" : "");
	return buf;
}

int
dp_cfgfile_get_uint(struct dp_cfgfile_errs *e, const struct dp_cfgfile_node *s,
		    const char *path, const struct dp_cfgfile_uint *u, uint32_t *out)
{
	enum dp_cfgfile_type type = dp_cfgfile_type(s);
	char spec[128];
	long long v;

	if (type != DP_CFGFILE_INT) {
		dp_cfgfile_err(e, dp_cfgfile_line(s), "%s: must be %s, not %s", path,
			       dp_cfgfile_uint_spec(u, spec, sizeof(spec)),
			       dp_cfgfile_type_name(type));
		return -1;
	}
	v = dp_cfgfile_int(s);
	if (v < (long long)u->min || v > (long long)u->max ||
	    (u->ok != NULL && !u->ok((uint64_t)v))) {
		dp_cfgfile_uint_spec(u, spec, sizeof(spec));
		dp_cfgfile_err(e, dp_cfgfile_line(s), "%s = %lld: must be %s", path, v,
			       u->short_range ? strstr(spec, " in ") + 1 : spec);
		return -1;
	}
	*out = (uint32_t)v;
	return 0;
}

const char *
dp_cfgfile_get_str(struct dp_cfgfile_errs *e, const struct dp_cfgfile_node *s,
		   const char *path, const char *expect)
{
	enum dp_cfgfile_type type = dp_cfgfile_type(s);

	if (type != DP_CFGFILE_STRING) {
		dp_cfgfile_err(e, dp_cfgfile_line(s), "%s: must be a string%s%s%s, not %s", path,
			       expect != NULL ? " (" : "", expect != NULL ? expect : "",
			       expect != NULL ? ")" : "", dp_cfgfile_type_name(type));
		return NULL;
	}
	return dp_cfgfile_string(s);
}

void
dp_cfgfile_unknown(struct dp_cfgfile_errs *e, const struct dp_cfgfile_node *s,
		   const char *path, const char *sec, const char *allowed)
{
	dp_cfgfile_err(e, dp_cfgfile_line(s), "%s: unknown setting; %s allows %s", path, sec,
		       allowed);
}

int
dp_cfgfile_want_group(struct dp_cfgfile_errs *e, const struct dp_cfgfile_node *s,
		      const char *name)
{
	enum dp_cfgfile_type type = dp_cfgfile_type(s);

	if (type == DP_CFGFILE_GROUP)
		return 0;
	dp_cfgfile_err(e, dp_cfgfile_line(s), "%s: must be a group { ... }, not %s", name,
		       dp_cfgfile_type_name(type));
	return -1;
}
