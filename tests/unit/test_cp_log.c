/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Tests of sluice-cp's logging: level names and filtering, one line per message, audit
 * records that are valid JSON whatever their values hold, the audit file's mode and reopening,
 * and daily pseudonyms of client addresses. cp_log.c is included to replace its clock.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "ut.h"

#include "cp_log.c"

#define T_2026_11_28_22H 1795903200   /* 2026-11-28T22:00:00Z */
#define DAY 86400

static char tmpdir[64];
static time_t fake_now = T_2026_11_28_22H;

static time_t
fake_clock(time_t *t)
{
	if (t != NULL)
		*t = fake_now;
	return fake_now;
}

static int
suite_init(void)
{
	log_clock = fake_clock;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/test_cp_log.XXXXXX");
	return mkdtemp(tmpdir) == NULL ? -1 : 0;
}

static int
suite_cleanup(void)
{
	char cmd[128];

	cp_audit_close();
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

/* ---- capturing stderr ---- */

static int saved_stderr = -1;
static char capture_path[128];

static void
capture_begin(void)
{
	int fd;

	snprintf(capture_path, sizeof(capture_path), "%s/stderr", tmpdir);
	fd = open(capture_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	CU_ASSERT_FATAL(fd >= 0);
	fflush(stderr);
	saved_stderr = dup(STDERR_FILENO);
	CU_ASSERT_FATAL(saved_stderr >= 0);
	CU_ASSERT_FATAL(dup2(fd, STDERR_FILENO) == STDERR_FILENO);
	close(fd);
}

/* Restores stderr; returns what was written (freed by the caller). */
static char *
read_file(const char *path)
{
	char *buf = calloc(1, 65536);
	ssize_t n;
	int fd;

	CU_ASSERT_FATAL(buf != NULL);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return buf;
	n = read(fd, buf, 65535);
	close(fd);
	if (n < 0)
		buf[0] = '\0';
	return buf;
}

static char *
capture_end(void)
{
	CU_ASSERT_FATAL(dup2(saved_stderr, STDERR_FILENO) == STDERR_FILENO);
	close(saved_stderr);
	saved_stderr = -1;
	return read_file(capture_path);
}

static unsigned int
count_lines(const char *s)
{
	unsigned int n = 0;

	for (; *s != '\0'; s++)
		if (*s == '\n')
			n++;
	return n;
}

/* Line i (0-based) of s, copied into buf without its newline. */
static const char *
line_at(const char *s, unsigned int i, char *buf, size_t len)
{
	const char *end;

	for (; i > 0 && s != NULL; i--) {
		s = strchr(s, '\n');
		if (s != NULL)
			s++;
	}
	buf[0] = '\0';
	if (s == NULL)
		return buf;
	end = strchr(s, '\n');
	if (end == NULL)
		end = s + strlen(s);
	if ((size_t)(end - s) >= len)
		end = s + len - 1;
	memcpy(buf, s, (size_t)(end - s));
	buf[end - s] = '\0';
	return buf;
}

/* ---- levels ---- */

static void
test_level_names_parse_exactly(void)
{
	CU_ASSERT_EQUAL(cp_log_level_parse("error"), CP_LOG_ERROR);
	CU_ASSERT_EQUAL(cp_log_level_parse("warning"), CP_LOG_WARNING);
	CU_ASSERT_EQUAL(cp_log_level_parse("info"), CP_LOG_INFO);
	CU_ASSERT_EQUAL(cp_log_level_parse("debug"), CP_LOG_DEBUG);
	CU_ASSERT_EQUAL(cp_log_level_parse("Error"), -1);
	CU_ASSERT_EQUAL(cp_log_level_parse("warn"), -1);
	CU_ASSERT_EQUAL(cp_log_level_parse(""), -1);
	CU_ASSERT_EQUAL(cp_log_level_parse(NULL), -1);
}

static void
test_log_drops_messages_below_the_level(void)
{
	char *out;

	/* given the level warning */
	cp_log_set_level(CP_LOG_WARNING);
	/* when a message of each level is logged */
	capture_begin();
	cp_log(CP_LOG_ERROR, "disk %s", "full");
	CP_LOG(WARNING, "slow %d", 3);
	CP_LOG(INFO, "hello");
	CP_LOG(DEBUG, "details");
	out = capture_end();
	/* then only error and warning are written, each on its own line */
	CU_ASSERT_STRING_EQUAL(out, "sluice-cp: error: disk full\nsluice-cp: warning: slow 3\n");
	free(out);

	cp_log_set_level(CP_LOG_DEBUG);
	capture_begin();
	CP_LOG(INFO, "hello");
	CP_LOG(DEBUG, "details");
	out = capture_end();
	CU_ASSERT_STRING_EQUAL(out, "sluice-cp: info: hello\nsluice-cp: debug: details\n");
	free(out);
	cp_log_set_level(CP_LOG_INFO);
}

static void
test_log_keeps_a_message_on_one_line(void)
{
	char *out;

	capture_begin();
	CP_LOG(ERROR, "user %s", "eve\nsluice-cp: error: forged\r\x1b[2J");
	out = capture_end();
	CU_ASSERT_STRING_EQUAL(out, "sluice-cp: error: user eve?sluice-cp: error: forged??[2J\n");
	free(out);
}

static void
test_log_cuts_a_long_message_to_one_line(void)
{
	char *big = malloc(5000), *out;

	CU_ASSERT_FATAL(big != NULL);
	memset(big, 'x', 4999);
	big[4999] = '\0';
	capture_begin();
	CP_LOG(ERROR, "%s", big);
	out = capture_end();
	CU_ASSERT_EQUAL(count_lines(out), 1);
	CU_ASSERT_EQUAL(strlen(out), LOG_LINE_MAX - 1);
	CU_ASSERT_EQUAL(out[strlen(out) - 1], '\n');
	free(out);
	free(big);
}

/* ---- pseudonyms ---- */

static bool
is_hex24(const char *s)
{
	if (strlen(s) != 24)
		return false;
	for (; *s != '\0'; s++)
		if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'f')))
			return false;
	return true;
}

static void
test_pseudonym_is_24_hex_digits_without_the_address(void)
{
	char p[CP_PSEUDONYM_LEN];

	fake_now = T_2026_11_28_22H;
	cp_pseudonym("198.51.100.7", p);
	CU_ASSERT_TRUE(is_hex24(p));
	CU_ASSERT_PTR_NULL(strstr(p, "198"));
	CU_ASSERT_PTR_NULL(strstr(p, "c6336407"));  /* the address's bytes in hex */
	cp_pseudonym("abc", p);
	CU_ASSERT_TRUE(is_hex24(p));
	CU_ASSERT_PTR_NULL(strstr(p, "abc"));
	CU_ASSERT_PTR_NULL(strstr(p, "616263"));
}

static void
test_pseudonym_is_stable_within_a_day(void)
{
	char a[CP_PSEUDONYM_LEN], b[CP_PSEUDONYM_LEN], c[CP_PSEUDONYM_LEN];

	/* given a day's first and last second */
	fake_now = (time_t)(T_2026_11_28_22H / DAY * DAY);
	cp_pseudonym("192.0.2.1", a);
	fake_now += DAY - 1;
	cp_pseudonym("192.0.2.1", b);
	cp_pseudonym("192.0.2.1", c);
	/* then the address has one pseudonym */
	CU_ASSERT_STRING_EQUAL(a, b);
	CU_ASSERT_STRING_EQUAL(b, c);
}

static void
test_pseudonym_differs_between_addresses(void)
{
	char a[CP_PSEUDONYM_LEN], b[CP_PSEUDONYM_LEN], c[CP_PSEUDONYM_LEN];

	fake_now = T_2026_11_28_22H;
	cp_pseudonym("192.0.2.1", a);
	cp_pseudonym("192.0.2.2", b);
	cp_pseudonym("2001:db8::1", c);
	CU_ASSERT_STRING_NOT_EQUAL(a, b);
	CU_ASSERT_STRING_NOT_EQUAL(a, c);
	CU_ASSERT_STRING_NOT_EQUAL(b, c);
}

static void
test_pseudonym_is_one_for_the_spellings_of_an_address(void)
{
	char a[CP_PSEUDONYM_LEN], b[CP_PSEUDONYM_LEN];

	fake_now = T_2026_11_28_22H;
	cp_pseudonym("2001:DB8:0::1", a);
	cp_pseudonym("2001:db8::1", b);
	CU_ASSERT_STRING_EQUAL(a, b);
	cp_pseudonym("192.0.2.1", a);
	cp_pseudonym("::ffff:192.0.2.1", b);
	CU_ASSERT_STRING_EQUAL(a, b);
}

static void
test_pseudonym_changes_with_the_utc_day(void)
{
	char a[CP_PSEUDONYM_LEN], b[CP_PSEUDONYM_LEN], c[CP_PSEUDONYM_LEN];
	uint8_t key[CP_KEY_LEN];

	/* given a pseudonym on one day */
	fake_now = (time_t)(T_2026_11_28_22H / DAY * DAY) + DAY - 1;
	cp_pseudonym("192.0.2.1", a);
	memcpy(key, pseudonym_key, sizeof(key));
	/* when the UTC day turns */
	fake_now++;
	cp_pseudonym("192.0.2.1", b);
	/* then the key and the pseudonym are new */
	CU_ASSERT_STRING_NOT_EQUAL(a, b);
	CU_ASSERT_NOT_EQUAL(memcmp(key, pseudonym_key, sizeof(key)), 0);
	CU_ASSERT_EQUAL(pseudonym_day, (int64_t)fake_now / DAY);
	/* and going back a day does not bring the old key back */
	fake_now -= 1;
	cp_pseudonym("192.0.2.1", c);
	CU_ASSERT_STRING_NOT_EQUAL(a, c);
	CU_ASSERT_STRING_NOT_EQUAL(b, c);
	fake_now = T_2026_11_28_22H;
}

static void
test_audit_close_wipes_the_day_key(void)
{
	static const uint8_t zero[CP_KEY_LEN];
	char p[CP_PSEUDONYM_LEN];

	fake_now = T_2026_11_28_22H;
	cp_pseudonym("192.0.2.1", p);
	CU_ASSERT_NOT_EQUAL(memcmp(pseudonym_key, zero, sizeof(zero)), 0);
	cp_audit_close();
	CU_ASSERT_EQUAL(memcmp(pseudonym_key, zero, sizeof(zero)), 0);
	CU_ASSERT_EQUAL(pseudonym_day, -1);
}

/* ---- audit ---- */

static json_t *
parse_line(const char *line)
{
	json_error_t err;
	json_t *o = json_loads(line, JSON_REJECT_DUPLICATES, &err);

	if (o == NULL)
		fprintf(stderr, "not JSON (%s): %s\n", err.text, line);
	return o;
}

static const char *
str_field(const json_t *o, const char *name)
{
	const char *s = json_string_value(json_object_get(o, name));

	return s != NULL ? s : "(absent)";
}

static void
test_audit_file_is_private_and_appended(void)
{
	char path[128];
	struct stat st;
	char *text;

	snprintf(path, sizeof(path), "%s/audit.log", tmpdir);
	unlink(path);
	/* given a file that already holds a line */
	CU_ASSERT_EQUAL_FATAL(cp_audit_open(path), 0);
	cp_audit("login", "alice", NULL, "ok", NULL);
	cp_audit_close();
	/* when it is opened again and written */
	CU_ASSERT_EQUAL_FATAL(cp_audit_open(path), 0);
	cp_audit("logout", "alice", NULL, "ok", NULL);
	cp_audit_close();
	/* then both lines are there, in a file only its owner may read */
	CU_ASSERT_EQUAL_FATAL(stat(path, &st), 0);
	CU_ASSERT_EQUAL(st.st_mode & 0777, 0600);
	text = read_file(path);
	CU_ASSERT_EQUAL(count_lines(text), 2);
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "\"event\":\"login\""));
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "\"event\":\"logout\""));
	free(text);
}

static void
test_audit_open_fails_with_errno(void)
{
	char path[160];

	snprintf(path, sizeof(path), "%s/no/such/dir/audit.log", tmpdir);
	CU_ASSERT_EQUAL(cp_audit_open(path), -ENOENT);
}

static void
test_audit_record_is_one_json_object(void)
{
	char path[128], line[4096], pseudonym[CP_PSEUDONYM_LEN];
	char *text;
	json_t *o;

	fake_now = T_2026_11_28_22H;
	snprintf(path, sizeof(path), "%s/record.log", tmpdir);
	unlink(path);
	CU_ASSERT_EQUAL_FATAL(cp_audit_open(path), 0);
	/* when a login is recorded with extra fields */
	cp_audit("login", "alice", "192.0.2.1", "ok", "role", "admin", "method", "totp", NULL);
	cp_pseudonym("192.0.2.1", pseudonym);   /* before close, which wipes the day's key */
	cp_audit_close();
	text = read_file(path);
	CU_ASSERT_EQUAL(count_lines(text), 1);
	o = parse_line(line_at(text, 0, line, sizeof(line)));
	CU_ASSERT_PTR_NOT_NULL_FATAL(o);
	/* then every field is there, the address only as its pseudonym */
	CU_ASSERT_EQUAL(json_object_size(o), 7);
	CU_ASSERT_STRING_EQUAL(str_field(o, "ts"), "2026-11-28T22:00:00Z");
	CU_ASSERT_STRING_EQUAL(str_field(o, "event"), "login");
	CU_ASSERT_STRING_EQUAL(str_field(o, "actor"), "alice");
	CU_ASSERT_STRING_EQUAL(str_field(o, "client"), pseudonym);
	CU_ASSERT_STRING_EQUAL(str_field(o, "outcome"), "ok");
	CU_ASSERT_STRING_EQUAL(str_field(o, "role"), "admin");
	CU_ASSERT_STRING_EQUAL(str_field(o, "method"), "totp");
	CU_ASSERT_PTR_NULL(strstr(text, "192.0.2.1"));
	/* the order is fixed: ts first */
	CU_ASSERT_EQUAL(strncmp(text, "{\"ts\":\"2026-11-28T22:00:00Z\",\"event\":\"login\","
				"\"actor\":\"alice\",\"client\":\"", 66), 0);
	json_decref(o);
	free(text);
}

static void
test_audit_escapes_quotes_newlines_and_control_bytes(void)
{
	static const char actor[] = "eve\",\"outcome\":\"ok\"}\n{\"x\":\"\\";
	static const char ctl[] = "a\x01\x1f\x7f\tb\rc";
	char path[128], line[4096];
	char *text;
	json_t *o;

	snprintf(path, sizeof(path), "%s/escape.log", tmpdir);
	unlink(path);
	CU_ASSERT_EQUAL_FATAL(cp_audit_open(path), 0);
	/* when values hold quotes, a newline, backslashes and control bytes */
	cp_audit("login_failed", actor, NULL, "bad_credentials", "note", ctl, "k\"ey", "v", NULL);
	cp_audit_close();
	text = read_file(path);
	/* then the record stays one line of valid JSON holding the values unchanged */
	CU_ASSERT_EQUAL(count_lines(text), 1);
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "\\u0001\\u001f\\u007f\\u0009b\\u000dc"));
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "eve\\\",\\\"outcome\\\":\\\"ok\\\"}\\u000a{"));
	o = parse_line(line_at(text, 0, line, sizeof(line)));
	CU_ASSERT_PTR_NOT_NULL_FATAL(o);
	CU_ASSERT_STRING_EQUAL(str_field(o, "actor"), actor);
	CU_ASSERT_STRING_EQUAL(str_field(o, "outcome"), "bad_credentials");
	CU_ASSERT_STRING_EQUAL(str_field(o, "note"), ctl);
	CU_ASSERT_STRING_EQUAL(str_field(o, "k\"ey"), "v");
	CU_ASSERT_TRUE(json_is_null(json_object_get(o, "client")));
	json_decref(o);
	free(text);
}

static void
test_audit_keeps_utf8_and_replaces_bad_bytes(void)
{
	char path[128], line[4096];
	char *text;
	json_t *o;

	snprintf(path, sizeof(path), "%s/utf8.log", tmpdir);
	unlink(path);
	CU_ASSERT_EQUAL_FATAL(cp_audit_open(path), 0);
	/* "Jürgen €" in UTF-8; a lone continuation byte, an overlong '/', a surrogate */
	cp_audit("user_add", NULL, NULL, "ok", "name", "J\xc3\xbcrgen \xe2\x82\xac",
		 "bad", "a\x80" "b\xc0\xaf" "c\xed\xa0\x80" "d\xf4", NULL);
	cp_audit_close();
	text = read_file(path);
	o = parse_line(line_at(text, 0, line, sizeof(line)));
	CU_ASSERT_PTR_NOT_NULL_FATAL(o);
	CU_ASSERT_TRUE(json_is_null(json_object_get(o, "actor")));
	CU_ASSERT_STRING_EQUAL(str_field(o, "name"), "J\xc3\xbcrgen \xe2\x82\xac");
	CU_ASSERT_STRING_EQUAL(str_field(o, "bad"),
			       "a\xef\xbf\xbd" "b\xef\xbf\xbd\xef\xbf\xbd"
			       "c\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd" "d\xef\xbf\xbd");
	json_decref(o);
	free(text);
}

static void
test_audit_cuts_a_long_value_and_stays_json(void)
{
	char path[128], *big, *text, *line = malloc(65536);
	const char *v;
	json_t *o;

	CU_ASSERT_FATAL(line != NULL);
	big = malloc(10000);
	CU_ASSERT_FATAL(big != NULL);
	/* multi-byte characters, so that a cut inside one would break UTF-8 */
	for (size_t i = 0; i + 2 < 9999; i += 2) {
		big[i] = '\xc3';
		big[i + 1] = '\xa9';
		big[i + 2] = '\0';
	}
	snprintf(path, sizeof(path), "%s/long.log", tmpdir);
	unlink(path);
	CU_ASSERT_EQUAL_FATAL(cp_audit_open(path), 0);
	cp_audit("user_add", big, NULL, "ok", NULL);
	cp_audit_close();
	text = read_file(path);
	CU_ASSERT_EQUAL(count_lines(text), 1);
	o = parse_line(line_at(text, 0, line, 65536));
	CU_ASSERT_PTR_NOT_NULL_FATAL(o);
	v = str_field(o, "actor");
	CU_ASSERT_EQUAL(strlen(v), AUDIT_VALUE_MAX + 3);
	CU_ASSERT_STRING_EQUAL(v + AUDIT_VALUE_MAX, "...");
	CU_ASSERT_EQUAL(strncmp(v, big, AUDIT_VALUE_MAX), 0);
	json_decref(o);
	free(text);
	free(big);
	free(line);
}

static void
test_audit_reopen_follows_a_rotated_file(void)
{
	char path[128], rotated[140];
	char *text;

	snprintf(path, sizeof(path), "%s/rotate.log", tmpdir);
	snprintf(rotated, sizeof(rotated), "%s.1", path);
	unlink(path);
	CU_ASSERT_EQUAL_FATAL(cp_audit_open(path), 0);
	cp_audit("login", "a", NULL, "ok", NULL);
	/* given the file moved away by a rotation */
	CU_ASSERT_EQUAL_FATAL(rename(path, rotated), 0);
	/* when the log is reopened (SIGHUP) */
	CU_ASSERT_EQUAL(cp_audit_reopen(), 0);
	cp_audit("login", "b", NULL, "ok", NULL);
	cp_audit_close();
	/* then the next record goes to a new file at the path */
	text = read_file(path);
	CU_ASSERT_EQUAL(count_lines(text), 1);
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "\"actor\":\"b\""));
	free(text);
	text = read_file(rotated);
	CU_ASSERT_EQUAL(count_lines(text), 1);
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "\"actor\":\"a\""));
	free(text);
}

static void
test_audit_reopen_keeps_the_old_file_on_failure(void)
{
	char dir[128], path[160];
	char *text;

	snprintf(dir, sizeof(dir), "%s/gone", tmpdir);
	snprintf(path, sizeof(path), "%s/audit.log", dir);
	CU_ASSERT_EQUAL_FATAL(mkdir(dir, 0700), 0);
	CU_ASSERT_EQUAL_FATAL(cp_audit_open(path), 0);
	/* given the directory removed, so that the path cannot be opened again */
	CU_ASSERT_EQUAL_FATAL(unlink(path), 0);
	CU_ASSERT_EQUAL_FATAL(rmdir(dir), 0);
	CU_ASSERT_EQUAL(cp_audit_reopen(), -ENOENT);
	/* then records still go somewhere: the old (unlinked) file */
	CU_ASSERT_TRUE(audit_fd >= 0);
	cp_audit("login", "c", NULL, "ok", NULL);
	cp_audit_close();
	text = read_file(path);
	CU_ASSERT_STRING_EQUAL(text, "");
	free(text);
}

static void
test_audit_without_a_file_goes_to_stderr_with_a_prefix(void)
{
	char line[4096];
	char *out;
	json_t *o;

	CU_ASSERT_EQUAL(cp_audit_open(NULL), 0);
	CU_ASSERT_EQUAL(cp_audit_reopen(), 0);
	capture_begin();
	cp_audit("login", "alice", "2001:db8::7", "ok", NULL);
	out = capture_end();
	CU_ASSERT_EQUAL(count_lines(out), 1);
	CU_ASSERT_EQUAL(strncmp(out, "audit: {", 8), 0);
	o = parse_line(line_at(out, 0, line, sizeof(line)) + 7);
	CU_ASSERT_PTR_NOT_NULL_FATAL(o);
	CU_ASSERT_STRING_EQUAL(str_field(o, "event"), "login");
	CU_ASSERT_TRUE(is_hex24(str_field(o, "client")));
	CU_ASSERT_PTR_NULL(strstr(out, "2001:db8"));
	json_decref(o);
	free(out);
	CU_ASSERT_EQUAL(cp_audit_open(""), 0);
	CU_ASSERT_EQUAL(audit_fd, -1);
}

static const struct ut_test log_tests[] = {
	{ "level names parse exactly", test_level_names_parse_exactly },
	{ "log drops messages below the level", test_log_drops_messages_below_the_level },
	{ "log keeps a message on one line", test_log_keeps_a_message_on_one_line },
	{ "log cuts a long message to one line", test_log_cuts_a_long_message_to_one_line },
	{ NULL, NULL },
};

static const struct ut_test pseudonym_tests[] = {
	{ "is 24 hex digits without the address",
	  test_pseudonym_is_24_hex_digits_without_the_address },
	{ "is stable within a day", test_pseudonym_is_stable_within_a_day },
	{ "differs between addresses", test_pseudonym_differs_between_addresses },
	{ "is one for the spellings of an address",
	  test_pseudonym_is_one_for_the_spellings_of_an_address },
	{ "changes with the UTC day", test_pseudonym_changes_with_the_utc_day },
	{ "audit close wipes the day key", test_audit_close_wipes_the_day_key },
	{ NULL, NULL },
};

static const struct ut_test audit_tests[] = {
	{ "file is private and appended", test_audit_file_is_private_and_appended },
	{ "open fails with errno", test_audit_open_fails_with_errno },
	{ "record is one JSON object", test_audit_record_is_one_json_object },
	{ "escapes quotes, newlines and control bytes",
	  test_audit_escapes_quotes_newlines_and_control_bytes },
	{ "keeps UTF-8 and replaces bad bytes", test_audit_keeps_utf8_and_replaces_bad_bytes },
	{ "cuts a long value and stays JSON", test_audit_cuts_a_long_value_and_stays_json },
	{ "reopen follows a rotated file", test_audit_reopen_follows_a_rotated_file },
	{ "reopen keeps the old file on failure",
	  test_audit_reopen_keeps_the_old_file_on_failure },
	{ "without a file goes to stderr with a prefix",
	  test_audit_without_a_file_goes_to_stderr_with_a_prefix },
	{ NULL, NULL },
};

static const struct ut_suite suites[] = {
	{ "cp_log", suite_init, suite_cleanup, log_tests },
	{ "cp_pseudonym", suite_init, suite_cleanup, pseudonym_tests },
	{ "cp_audit", suite_init, suite_cleanup, audit_tests },
	{ NULL, NULL, NULL, NULL },
};

int
main(void)
{
	return ut_run(suites);
}
