/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * SDES key sources and inline key-params (RFC 4568 section 6.1). Every buffer that held
 * key material is wiped before it goes out of scope; error texts never quote a key.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cp_crypto.h"
#include "ctl_sdes.h"
#include "dp_proto.h"

static int
failf(char *err, size_t err_len, const char *text)
{
	if (err != NULL && err_len > 0)
		snprintf(err, err_len, "%s", text);
	return -1;
}

/* Removes the line end: "\n" or "\r\n". */
static void
chomp(char *line, size_t *len)
{
	if (*len > 0 && line[*len - 1] == '\n')
		line[--*len] = '\0';
	if (*len > 0 && line[*len - 1] == '\r')
		line[--*len] = '\0';
}

/* One line from fd 0, a byte at a time: what follows the line stays unread for the next. */
static int
read_stdin_line(char *line, size_t cap, char *err, size_t err_len)
{
	size_t len = 0;
	char c;

	for (;;) {
		ssize_t n = read(STDIN_FILENO, &c, 1);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			snprintf(err, err_len, "cannot read standard input: %s", strerror(errno));
			return -1;
		}
		if (n == 0 || c == '\n')
			break;
		if (len + 1 >= cap) {
			dp_proto_wipe(&c, sizeof(c));
			dp_proto_wipe(line, cap);
			return failf(err, err_len, "key line on standard input is too long");
		}
		line[len++] = c;
	}
	dp_proto_wipe(&c, sizeof(c));
	line[len] = '\0';
	chomp(line, &len);
	if (len == 0)
		return failf(err, err_len, "no key on standard input");
	return 0;
}

static int
read_file_line(const char *path, char *line, size_t cap, char *err, size_t err_len)
{
	size_t len = 0;
	char *nl = NULL;
	int fd, rc = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		snprintf(err, err_len, "cannot open %s: %s", path, strerror(errno));
		return -1;
	}
	/* Read until a line end or cap - 1 bytes; one byte more tells "too long" apart. */
	while (nl == NULL && len + 1 < cap) {
		ssize_t n = read(fd, line + len, cap - 1 - len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			snprintf(err, err_len, "cannot read %s: %s", path, strerror(errno));
			rc = -1;
			break;
		}
		if (n == 0)
			break;
		nl = memchr(line + len, '\n', (size_t)n);
		len += (size_t)n;
	}
	if (rc == 0 && nl == NULL && len + 1 == cap) {
		char c;

		if (read(fd, &c, 1) == 1 && c != '\n')
			rc = failf(err, err_len, "key line is too long");
		dp_proto_wipe(&c, sizeof(c));
	}
	close(fd);
	if (rc == 0) {
		size_t keep = nl != NULL ? (size_t)(nl - line) + 1 : len;

		/* what followed the first line is no business of ours: wipe it */
		dp_proto_wipe(line + keep, len - keep);
		len = keep;
		line[len] = '\0';
		chomp(line, &len);
		if (len == 0)
			rc = failf(err, err_len, "no key in the file's first line");
	}
	if (rc != 0)
		dp_proto_wipe(line, cap);
	return rc;
}

int
ctl_key_source(const char *arg, char *line, size_t cap, char *err, size_t err_len)
{
	size_t len;

	if (arg == NULL || line == NULL || cap < 2)
		return failf(err, err_len, "no key");
	if (strcmp(arg, "-") == 0)
		return read_stdin_line(line, cap, err, err_len);
	if (arg[0] == '@')
		return read_file_line(arg + 1, line, cap, err, err_len);
	len = strnlen(arg, cap);
	if (len >= cap)
		return failf(err, err_len, "key is too long");
	memcpy(line, arg, len + 1);
	return 0;
}

int
ctl_base64_decode(const char *s, size_t len, uint8_t *out, size_t cap)
{
	size_t pad = 0;

	if (len == 0 || len % 4 != 0)
		return -1;
	if (s[len - 1] == '=')
		pad = s[len - 2] == '=' ? 2 : 1;
	if (len / 4 * 3 - pad > cap)
		return -1;
	/* Any other '=' is outside the alphabet; unused bits must be zero: one spelling a key. */
	return cp_radix_decode(&cp_alphabet_b64, s, len - pad, out) < 0 ? -1 :
	       (int)(len / 4 * 3 - pad);
}

/* "2^" DIGITS or DIGITS (RFC 4568 lifetime), at most 20 digits. */
static bool
lifetime_valid(const char *s, size_t len)
{
	if (len > 2 && s[0] == '2' && s[1] == '^') {
		s += 2;
		len -= 2;
	}
	if (len == 0 || len > 20)
		return false;
	for (size_t i = 0; i < len; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return true;
}

int
ctl_sdes_parse(const char *s, uint8_t suite, uint8_t *master, size_t cap,
	       char *err, size_t err_len)
{
	static const char prefix[] = "inline:";
	uint8_t tmp[DP_MASTER_MAX + 3];
	const char *p, *bar, *field;
	size_t key_chars, want;
	int n;

	if (s == NULL || strncmp(s, prefix, sizeof(prefix) - 1) != 0)
		return failf(err, err_len, "key must be SDES key-params: inline:BASE64[|LIFETIME]");
	p = s + sizeof(prefix) - 1;
	if (strchr(p, ';') != NULL)
		return failf(err, err_len, "only one key is supported");
	bar = strchr(p, '|');
	key_chars = bar != NULL ? (size_t)(bar - p) : strlen(p);

	/* What follows the key: an optional lifetime, then an optional MKI. */
	for (field = bar; field != NULL; field = bar) {
		size_t flen;

		field++;
		bar = strchr(field, '|');
		flen = bar != NULL ? (size_t)(bar - field) : strlen(field);
		if (memchr(field, ':', flen) != NULL)
			return failf(err, err_len, "MKI is not supported");
		if (field != p + key_chars + 1 || !lifetime_valid(field, flen))
			return failf(err, err_len,
				     "after the key only a lifetime (2^N or N) may follow");
	}

	n = ctl_base64_decode(p, key_chars, tmp, sizeof(tmp));
	if (n < 0)
		return failf(err, err_len, "key is not valid base64 (padded, no whitespace)");
	if (suite != DP_SUITE_NONE) {
		want = dp_suite_key_len(suite) + dp_suite_salt_len(suite);
		if (want == 0) {
			n = failf(err, err_len, "unknown suite");
		} else if ((size_t)n != want) {
			if (err != NULL && err_len > 0)
				snprintf(err, err_len,
					 "key+salt is %d bytes, %s needs %zu (%zu-byte key, "
					 "%zu-byte salt)", n, dp_suite_name(suite), want,
					 dp_suite_key_len(suite), dp_suite_salt_len(suite));
			n = -1;
		}
	} else {
		bool known = false;

		for (uint8_t st = DP_SUITE_NONE + 1; st < DP_SUITE_MAX; st++)
			if ((size_t)n == dp_suite_key_len(st) + dp_suite_salt_len(st))
				known = true;
		if (!known) {
			if (err != NULL && err_len > 0)
				snprintf(err, err_len,
					 "key+salt is %d bytes, no suite uses that length", n);
			n = -1;
		}
	}
	if (n > 0 && (size_t)n > cap)
		n = failf(err, err_len, "key does not fit");
	if (n > 0)
		memcpy(master, tmp, (size_t)n);
	dp_proto_wipe(tmp, sizeof(tmp));
	return n;
}
