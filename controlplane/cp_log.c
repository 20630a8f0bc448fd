/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Logging and the audit log of sluice-cp. Every record is one write(2) of one line, so that
 * lines of concurrent writers (journald's stderr, an O_APPEND file) never interleave, and no
 * text that reaches a record can start a line of its own: log messages have control bytes
 * replaced, audit values are JSON strings with control bytes escaped.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cp_crypto.h"
#include "cp_log.h"

#define LOG_LINE_MAX 2048
/* An audit value longer than this is cut (and marked): records stay short lines. */
#define AUDIT_VALUE_MAX 512
#define PSEUDONYM_BYTES 12
/* Text that is not an IP address is hashed up to this length (addresses are shorter). */
#define PSEUDONYM_TEXT_MAX 255
#define SECONDS_PER_DAY 86400

static const char *const level_names[] = {
	[CP_LOG_ERROR] = "error",
	[CP_LOG_WARNING] = "warning",
	[CP_LOG_INFO] = "info",
	[CP_LOG_DEBUG] = "debug",
};

static enum cp_log_level log_level = CP_LOG_INFO;

static int audit_fd = -1;             /* -1: stderr, with a prefix */
static char *audit_path;

static uint8_t pseudonym_key[CP_KEY_LEN];
static int64_t pseudonym_day = -1;    /* the UTC day of pseudonym_key; -1: none */

/* The clock of the audit log and the key rotation (a test replaces it). */
static time_t (*log_clock)(time_t *) = time;

static void
write_all(int fd, const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, buf, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return;
		}
		buf += n;
		len -= (size_t)n;
	}
}

/* ---- log ---- */

int
cp_log_level_parse(const char *name)
{
	if (name == NULL)
		return -1;
	for (size_t i = 0; i < sizeof(level_names) / sizeof(level_names[0]); i++)
		if (strcmp(name, level_names[i]) == 0)
			return (int)i;
	return -1;
}

void
cp_log_set_level(enum cp_log_level level)
{
	if ((int)level >= (int)CP_LOG_ERROR && (int)level <= (int)CP_LOG_DEBUG)
		log_level = level;
}

void
cp_log(enum cp_log_level level, const char *fmt, ...)
{
	char line[LOG_LINE_MAX];
	int saved = errno, head, n;
	size_t len;
	va_list ap;

	if ((int)level < (int)CP_LOG_ERROR || (int)level > (int)log_level)
		return;
	head = snprintf(line, sizeof(line), "sluice-cp: %s: ", level_names[level]);
	va_start(ap, fmt);
	/* one byte is kept for the newline */
	n = vsnprintf(line + head, sizeof(line) - (size_t)head - 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		n = 0;
	len = (size_t)head + (size_t)n;
	if (len > sizeof(line) - 2)
		len = sizeof(line) - 2;
	for (size_t i = (size_t)head; i < len; i++)
		if ((unsigned char)line[i] < 0x20 || line[i] == 0x7f)
			line[i] = '?';
	line[len++] = '\n';
	write_all(STDERR_FILENO, line, len);
	errno = saved;
}

/* ---- pseudonyms ---- */

void
cp_pseudonym(const char *address, char out[CP_PSEUDONYM_LEN])
{
	int64_t day = (int64_t)log_clock(NULL) / SECONDS_PER_DAY;
	uint8_t in[1 + PSEUDONYM_TEXT_MAX], mac[CP_SHA256_LEN];
	size_t len = 1 + 16;

	if (address == NULL)
		address = "";
	if (day != pseudonym_day) {
		cp_wipe(pseudonym_key, sizeof(pseudonym_key));
		pseudonym_day = -1;
		if (cp_random(pseudonym_key, sizeof(pseudonym_key)) != 0) {
			/* never a known key: one pseudonym for all links nothing */
			cp_wipe(pseudonym_key, sizeof(pseudonym_key));
			memset(out, '0', CP_PSEUDONYM_LEN - 1);
			out[CP_PSEUDONYM_LEN - 1] = '\0';
			return;
		}
		pseudonym_day = day;
	}
	/*
	 * An IP address is hashed in its binary form (IPv4 mapped into IPv6), so that spellings
	 * of one address ("2001:DB8::1", "2001:db8::1", "::ffff:192.0.2.1") get one pseudonym;
	 * other text is hashed as it is. The first byte keeps the two kinds apart.
	 */
	in[0] = 'A';
	if (inet_pton(AF_INET6, address, in + 1) != 1) {
		if (inet_pton(AF_INET, address, in + 13) == 1) {
			memset(in + 1, 0, 10);
			in[11] = 0xff;
			in[12] = 0xff;
		} else {
			in[0] = 'T';
			len = strnlen(address, PSEUDONYM_TEXT_MAX);
			memcpy(in + 1, address, len);
			len++;
		}
	}
	cp_hmac_sha256(pseudonym_key, sizeof(pseudonym_key), in, len, mac);
	cp_hex_encode(mac, PSEUDONYM_BYTES, out, CP_PSEUDONYM_LEN);
	cp_wipe(mac, sizeof(mac));
	cp_wipe(in, len);
}

/* ---- audit ---- */

int
cp_audit_open(const char *path)
{
	char *copy;
	int fd, e;

	if (path == NULL || path[0] == '\0') {
		cp_audit_close();
		return 0;
	}
	copy = strdup(path);
	if (copy == NULL)
		return -ENOMEM;
	fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOCTTY, 0600);
	if (fd < 0) {
		e = errno;
		free(copy);
		return -e;
	}
	if (audit_fd >= 0)
		close(audit_fd);
	free(audit_path);
	audit_fd = fd;
	audit_path = copy;
	return 0;
}

int
cp_audit_reopen(void)
{
	int fd;

	if (audit_path == NULL)
		return 0;
	/* the old file stays in use when the new one cannot be opened */
	fd = open(audit_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOCTTY, 0600);
	if (fd < 0)
		return -errno;
	close(audit_fd);
	audit_fd = fd;
	return 0;
}

void
cp_audit_close(void)
{
	if (audit_fd >= 0)
		close(audit_fd);
	audit_fd = -1;
	free(audit_path);
	audit_path = NULL;
	cp_wipe(pseudonym_key, sizeof(pseudonym_key));
	pseudonym_day = -1;
}

/* A growing line; after a failed allocation it stays failed. */
struct line {
	char *p;
	size_t len;
	size_t cap;
	bool failed;
};

static void
line_put(struct line *l, const char *s, size_t n)
{
	if (l->failed)
		return;
	if (l->len + n > l->cap) {
		size_t cap = l->cap > 0 ? l->cap : 256;
		char *p;

		while (cap < l->len + n)
			cap *= 2;
		p = realloc(l->p, cap);
		if (p == NULL) {
			l->failed = true;
			return;
		}
		l->p = p;
		l->cap = cap;
	}
	memcpy(l->p + l->len, s, n);
	l->len += n;
}

static void
line_puts(struct line *l, const char *s)
{
	line_put(l, s, strlen(s));
}

/* The length of the well-formed UTF-8 sequence at s (RFC 3629), or 0. */
static size_t
utf8_len(const unsigned char *s, size_t left)
{
	uint32_t cp, min;
	size_t n;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		n = 2;
		cp = s[0] & 0x1f;
		min = 0x80;
	} else if ((s[0] & 0xf0) == 0xe0) {
		n = 3;
		cp = s[0] & 0x0f;
		min = 0x800;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		n = 4;
		cp = s[0] & 0x07;
		min = 0x10000;
	} else {
		return 0;
	}
	if (left < n)
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

/*
 * A JSON string (RFC 8259), or null for NULL. Quote, backslash, control bytes and DEL are
 * escaped; bytes that are not UTF-8 become U+FFFD, so that the line is always valid JSON.
 */
static void
line_json_str(struct line *l, const char *s)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t len, i = 0;

	if (s == NULL) {
		line_puts(l, "null");
		return;
	}
	len = strlen(s);
	line_put(l, "\"", 1);
	while (i < len) {
		size_t n = utf8_len(u + i, len - i);
		char esc[8];

		if (i + (n > 0 ? n : 1) > AUDIT_VALUE_MAX) {
			line_puts(l, "...");
			break;
		}
		if (n == 0) {
			line_puts(l, "\\ufffd");
			i++;
			continue;
		}
		if (u[i] == '"' || u[i] == '\\') {
			esc[0] = '\\';
			esc[1] = (char)u[i];
			line_put(l, esc, 2);
		} else if (u[i] < 0x20 || u[i] == 0x7f) {
			snprintf(esc, sizeof(esc), "\\u%04x", u[i]);
			line_put(l, esc, 6);
		} else {
			line_put(l, s + i, n);
		}
		i += n;
	}
	line_put(l, "\"", 1);
}

void
cp_audit(const char *event, const char *actor, const char *address, const char *outcome, ...)
{
	struct line l = { .p = NULL, .len = 0, .cap = 0, .failed = false };
	char ts[32], pseudonym[CP_PSEUDONYM_LEN];
	time_t now = log_clock(NULL);
	const char *name;
	struct tm tm;
	va_list ap;

	if (gmtime_r(&now, &tm) == NULL ||
	    strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(ts, sizeof(ts), "1970-01-01T00:00:00Z");
	if (audit_fd < 0)
		line_puts(&l, "audit: ");
	line_puts(&l, "{\"ts\":\"");
	line_puts(&l, ts);
	line_puts(&l, "\",\"event\":");
	line_json_str(&l, event);
	line_puts(&l, ",\"actor\":");
	line_json_str(&l, actor);
	line_puts(&l, ",\"client\":");
	if (address != NULL) {
		cp_pseudonym(address, pseudonym);
		line_json_str(&l, pseudonym);
	} else {
		line_puts(&l, "null");
	}
	line_puts(&l, ",\"outcome\":");
	line_json_str(&l, outcome);
	va_start(ap, outcome);
	while ((name = va_arg(ap, const char *)) != NULL) {
		const char *value = va_arg(ap, const char *);

		line_put(&l, ",", 1);
		line_json_str(&l, name);
		line_put(&l, ":", 1);
		line_json_str(&l, value);
	}
	va_end(ap);
	line_puts(&l, "}\n");
	if (l.failed)
		CP_LOG(ERROR, "audit: out of memory, a record of event %s is lost",
		       event != NULL ? event : "?");
	else
		write_all(audit_fd >= 0 ? audit_fd : STDERR_FILENO, l.p, l.len);
	free(l.p);
}
