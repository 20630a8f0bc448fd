/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * `sluicectl login|logout|user|conf|token|leg|relay|api ...`: the commands that speak to
 * sluice-cp's HTTPS API (API.md). The only file that uses libcurl and libqrencode.
 *
 * One request at a time, each bounded by --timeout. The server is always verified (the
 * system's CAs, or only --cacert's), with TLS 1.2 or later and the API's cipher suites, and
 * only https:// is spoken; redirects are not followed. Secrets (passwords, TOTP and recovery
 * codes, tokens, SRTP keys) go to stdout only when they are what a command shows, never to
 * stderr; buffers that held one are wiped, and jansson's memory is wiped when freed because
 * request bodies and replies carry them.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <malloc.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <jansson.h>
#include <qrencode.h>

#include "ctl.h"
#include "dp_proto.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

#define REPLY_MAX (1024 * 1024)       /* the API's replies are a few KiB */
#define URL_MAX 2048
#define TOKEN_MAX 512                 /* a token line, NUL included */
#define PASSWORD_MIN 12               /* API.md: passwords are 12-256 bytes */
#define PASSWORD_MAX 256
#define CODE_MAX 128                  /* a TOTP or recovery code, NUL included */
#define NAME_MAX_LEN 64               /* API.md: NAME is 1-64 of [A-Za-z0-9._@-] */
#define QR_QUIET 4                    /* modules of quiet zone around the QR code */

/* API.md: BSI TR-02102-2 suites, ECDHE with AES-GCM for TLS 1.2, AES-GCM for TLS 1.3. */
#define TLS12_CIPHERS \
	"ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-ECDSA-AES128-GCM-SHA256:" \
	"ECDHE-RSA-AES256-GCM-SHA384:ECDHE-RSA-AES128-GCM-SHA256"
#define TLS13_CIPHERS "TLS_AES_256_GCM_SHA384:TLS_AES_128_GCM_SHA256"

/* Machine codes of errors that are neither the API's nor ctl.h's. */
#define CODE_HTTP_FMT "http_%ld"

struct api_reply {
	long status;
	json_t *doc;                  /* the body as JSON; NULL when empty or not JSON */
	bool body_present;
	curl_off_t retry_after;       /* seconds from Retry-After, 0 when absent */
};

/* A reply body being received; grown by copying so that no stale copy stays unwiped. */
struct body_buf {
	char *p;
	size_t len;
	size_t cap;
	bool too_large;
	bool no_memory;
};

/* ---- memory that held secrets ---- */

static void
wipe(void *p, size_t len)
{
	if (p != NULL && len > 0)
		explicit_bzero(p, len);
}

/* jansson's free: wipes the whole block, since strings in replies and bodies are secrets. */
static void
json_wiping_free(void *p)
{
	if (p == NULL)
		return;
	explicit_bzero(p, malloc_usable_size(p));
	free(p);
}

static int
api_init(const struct ctl_ctx *ctx)
{
	static bool done;

	if (done)
		return 0;
	/* malloc-compatible: blocks allocated before this call are freed correctly too */
	json_set_alloc_funcs(malloc, json_wiping_free);
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return ctl_fail(ctx, CTL_EXIT_CONN, CTL_CODE_CONNECT, "cannot initialise libcurl");
	done = true;
	return 0;
}

/* ---- arguments ---- */

/* The long name of option value o in opts, for messages that must not show its argument. */
static const char *
opt_name(const struct option *opts, int o)
{
	for (; opts->name != NULL; opts++)
		if (opts->val == o)
			return opts->name;
	return "?";
}

/*
 * Records option o as given; an option given twice is a mistake, not an override. Options
 * are numbered from OPT_FIRST.
 */
static int
opt_once(const struct ctl_ctx *ctx, const struct option *opts, int o, uint32_t *given)
{
	uint32_t bit = 1u << (o & 31);

	if ((*given & bit) != 0)
		return ctl_usage_fail(ctx, "--%s is given twice", opt_name(opts, o));
	*given |= bit;
	return 0;
}

static int
parse_count(const struct ctl_ctx *ctx, const char *opt, const char *s, uint32_t max,
	    uint32_t *out)
{
	if (ctl_parse_u32(s, false, 1, max, out) == 0)
		return 0;
	return ctl_usage_fail(ctx, "--%s must be a number from 1 to %" PRIu32 ", not \"%s\"", opt,
			  max, s);
}

/* API.md's NAME: 1-64 of [A-Za-z0-9._@-]. */
static bool
name_valid(const char *s)
{
	size_t len = strlen(s);

	if (len == 0 || len > NAME_MAX_LEN)
		return false;
	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		      c == '.' || c == '_' || c == '@' || c == '-'))
			return false;
	}
	return true;
}

static int
check_name(const struct ctl_ctx *ctx, const char *what, const char *s)
{
	if (name_valid(s))
		return 0;
	return ctl_usage_fail(ctx, "%s must be 1 to 64 of A-Z a-z 0-9 . _ @ -", what);
}

/*
 * A path segment from a validated NAME, percent-escaped by libcurl. '@' is put back: it is
 * allowed in a path segment (RFC 3986 pchar) and sluice-cp matches paths undecoded.
 */
static int
path_segment(const struct ctl_ctx *ctx, const char *name, char *out, size_t cap)
{
	char *esc = curl_easy_escape(NULL, name, 0);
	size_t o = 0;

	if (esc == NULL)
		return ctl_fail(ctx, CTL_EXIT_CONN, CTL_CODE_INPUT, "cannot escape a name");
	for (const char *p = esc; *p != '\0' && o + 1 < cap; o++) {
		if (strncmp(p, "%40", 3) == 0) {
			out[o] = '@';
			p += 3;
		} else {
			out[o] = *p++;
		}
	}
	out[o] = '\0';
	curl_free(esc);
	return 0;
}

/* 1..max bytes of printable ASCII; blanks only with blanks (never in a header value). */
static bool
ascii_text(const char *s, size_t max, bool blanks)
{
	size_t len = strlen(s);

	if (len == 0 || len > max)
		return false;
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < (blanks ? 0x20 : 0x21) || (unsigned char)*s >= 0x7f)
			return false;
	return true;
}

/* What a token or a URL may hold. */
static bool
graph_ascii(const char *s, size_t max)
{
	return ascii_text(s, max, false);
}

/* ---- reading secrets ---- */

enum {
	LINE_EOF = -1,                /* end of input before anything was read */
	LINE_TOO_LONG = -2,
	LINE_ERROR = -3,              /* errno says why */
	LINE_SIGNAL = -4,
};

static volatile sig_atomic_t prompt_signal;

static void
on_prompt_signal(int sig)
{
	prompt_signal = sig;
}

/*
 * Reads one line from fd byte by byte, so that nothing after it is consumed and no copy
 * lingers in a stdio buffer. The line end (LF, CR LF) is removed. A line too long is read
 * to its end and dropped (on a terminal, the rest would otherwise reach the shell).
 * Returns its length or a LINE_ value.
 */
static int
read_line(int fd, char *buf, size_t cap)
{
	size_t len = 0;
	bool too_long = false, any = false;

	for (;;) {
		char c;
		ssize_t n = read(fd, &c, 1);

		if (n < 0 && errno == EINTR) {
			if (prompt_signal != 0)
				break;
			continue;
		}
		if (n < 0) {
			wipe(buf, cap);
			return LINE_ERROR;
		}
		if (n == 0 || c == '\n')
			break;
		any = true;
		if (len + 1 < cap)
			buf[len++] = c;
		else
			too_long = true;
		c = 0;
	}
	if (prompt_signal != 0) {
		wipe(buf, cap);
		return LINE_SIGNAL;
	}
	if (too_long) {
		wipe(buf, cap);
		return LINE_TOO_LONG;
	}
	if (!any) {
		buf[0] = '\0';
		return LINE_EOF;
	}
	if (len > 0 && buf[len - 1] == '\r')
		len--;
	buf[len] = '\0';
	return (int)len;
}

/*
 * Prompts on stderr and reads a line from the terminal on stdin without echo. SIGINT and
 * the like restore the terminal first, then take their usual effect.
 */
static int
prompt_secret(const char *prompt, char *buf, size_t cap)
{
	static const int sigs[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT };
	struct sigaction sa = { .sa_handler = on_prompt_signal }, saved[ARRAY_LEN(sigs)];
	struct termios old, quiet;
	int n, sig;

	if (tcgetattr(STDIN_FILENO, &old) != 0)
		return LINE_ERROR;
	/* no SA_RESTART: a signal ends the read at once */
	sigemptyset(&sa.sa_mask);
	prompt_signal = 0;
	for (size_t i = 0; i < ARRAY_LEN(sigs); i++)
		sigaction(sigs[i], &sa, &saved[i]);
	quiet = old;
	quiet.c_lflag &= ~(tcflag_t)(ECHO | ECHOE | ECHOK | ECHONL);
	if (tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet) != 0) {
		n = LINE_ERROR;
	} else {
		fputs(prompt, stderr);
		fflush(stderr);
		n = read_line(STDIN_FILENO, buf, cap);
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
		fputc('\n', stderr);
	}
	sig = prompt_signal;
	for (size_t i = 0; i < ARRAY_LEN(sigs); i++)
		sigaction(sigs[i], &saved[i], NULL);
	if (sig != 0)
		raise(sig);
	return n;
}

/*
 * The first line of path into buf. With private, the file must not be readable by group
 * or others. Returns 0 or an exit code, reported without the file's content.
 */
static int
read_file_line(const struct ctl_ctx *ctx, const char *path, bool private, const char *what,
	       char *buf, size_t cap)
{
	struct stat st;
	int fd, n;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return ctl_fail(ctx, CTL_EXIT_USAGE, CTL_CODE_INPUT, "cannot open %s: %s", path,
				strerror(errno));
	if (fstat(fd, &st) != 0 || S_ISDIR(st.st_mode)) {
		close(fd);
		return ctl_fail(ctx, CTL_EXIT_USAGE, CTL_CODE_INPUT, "%s is not a file", path);
	}
	if (private && (st.st_mode & (S_IRGRP | S_IROTH)) != 0) {
		close(fd);
		return ctl_fail(ctx, CTL_EXIT_USAGE, CTL_CODE_INPUT,
				"%s is readable by group or others (chmod 600 it)", path);
	}
	n = read_line(fd, buf, cap);
	close(fd);
	if (n == LINE_ERROR)
		return ctl_fail(ctx, CTL_EXIT_USAGE, CTL_CODE_INPUT, "cannot read %s: %s", path,
				strerror(errno));
	if (n == LINE_TOO_LONG)
		return ctl_fail(ctx, CTL_EXIT_USAGE, CTL_CODE_INPUT,
				"the %s in %s is longer than %zu bytes", what, path, cap - 2);
	if (n <= 0)
		return ctl_fail(ctx, CTL_EXIT_USAGE, CTL_CODE_INPUT, "%s holds no %s", path, what);
	return 0;
}

/*
 * A password: the first line of file; else prompted without echo when stdin is a terminal
 * (twice with confirm); else one line of stdin. buf holds PASSWORD_MAX + 2 bytes.
 */
static int
get_password(const struct ctl_ctx *ctx, const char *file, const char *user, bool confirm,
	     char *buf, size_t cap)
{
	char prompt[128], again[PASSWORD_MAX + 2];
	int n, rc;

	if (file != NULL) {
		rc = read_file_line(ctx, file, false, "password", buf, cap);
		if (rc != 0)
			return rc;
		n = (int)strlen(buf);
	} else if (isatty(STDIN_FILENO) == 1) {
		snprintf(prompt, sizeof(prompt), "%s for %s: ", confirm ? "New password" : "Password",
			 user);
		n = prompt_secret(prompt, buf, cap);
		if (n >= 0 && confirm) {
			int m = prompt_secret("Repeat it: ", again, sizeof(again));

			if (m != n || memcmp(buf, again, (size_t)n) != 0) {
				wipe(again, sizeof(again));
				wipe(buf, cap);
				return ctl_fail(ctx, CTL_EXIT_USAGE, CTL_CODE_INPUT,
						"the passwords differ");
			}
			wipe(again, sizeof(again));
		}
	} else {
		n = read_line(STDIN_FILENO, buf, cap);
	}
	if (n == LINE_TOO_LONG || n > PASSWORD_MAX) {
		wipe(buf, cap);
		return ctl_fail(ctx, CTL_EXIT_USAGE, CTL_CODE_INPUT,
				"the password is longer than %d bytes", PASSWORD_MAX);
	}
	if (n == LINE_ERROR)
		return ctl_fail(ctx, CTL_EXIT_USAGE, CTL_CODE_INPUT, "cannot read the password: %s",
				strerror(errno));
	if (n <= 0)
		return ctl_fail(ctx, CTL_EXIT_USAGE, CTL_CODE_INPUT, "no password given");
	if (confirm && n < PASSWORD_MIN) {
		wipe(buf, cap);
		return ctl_fail(ctx, CTL_EXIT_USAGE, CTL_CODE_INPUT,
				"a password needs at least %d bytes", PASSWORD_MIN);
	}
	return 0;
}

/* The token: --token-file, else $SLUICE_TOKEN, else the file $SLUICE_TOKEN_FILE. */
static int
token_load(const struct ctl_ctx *ctx, char *buf, size_t cap)
{
	const char *env = getenv("SLUICE_TOKEN");
	const char *file = ctx->token_file;
	int rc;

	if (file == NULL && env != NULL && env[0] != '\0') {
		if (!graph_ascii(env, cap - 1))
			return ctl_fail(ctx, CTL_EXIT_USAGE, CTL_CODE_INPUT,
					"$SLUICE_TOKEN is not a token");
		snprintf(buf, cap, "%s", env);
		return 0;
	}
	if (file == NULL) {
		file = getenv("SLUICE_TOKEN_FILE");
		if (file != NULL && file[0] == '\0')
			file = NULL;
	}
	if (file == NULL)
		return ctl_fail(ctx, CTL_EXIT_USAGE, CTL_CODE_USAGE,
				"no token: set $SLUICE_TOKEN or $SLUICE_TOKEN_FILE, or give "
				"--token-file FILE (sluicectl login USER --token-out FILE writes one)");
	rc = read_file_line(ctx, file, true, "token", buf, cap);
	if (rc != 0)
		return rc;
	if (!graph_ascii(buf, cap - 1)) {
		wipe(buf, cap);
		return ctl_fail(ctx, CTL_EXIT_USAGE, CTL_CODE_INPUT,
				"the first line of %s is not a token", file);
	}
	return 0;
}

/* ---- the URL ---- */

/*
 * base (--api) + "/v1" + path into out. base must be https://HOST[:PORT][/PREFIX] without
 * credentials, query or fragment; a trailing "/v1" in it is not doubled.
 */
static int
api_url(const struct ctl_ctx *ctx, const char *path, char *out, size_t cap)
{
	const char *base = ctx->api_url;
	char *scheme = NULL, *part = NULL;
	size_t len = strlen(base);
	CURLU *u;
	bool ok;

	if (!graph_ascii(base, URL_MAX / 2) || strncasecmp(base, "https://", 8) != 0)
		return ctl_fail(ctx, CTL_EXIT_USAGE, CTL_CODE_USAGE,
				"--api (or $SLUICE_API) takes an https:// URL");
	u = curl_url();
	if (u == NULL)
		return ctl_fail(ctx, CTL_EXIT_CONN, CTL_CODE_CONNECT, "out of memory");
	ok = curl_url_set(u, CURLUPART_URL, base, 0) == CURLUE_OK &&
	     curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK &&
	     strcmp(scheme, "https") == 0;
	if (ok) {
		static const CURLUPart none[] = {
			CURLUPART_USER, CURLUPART_PASSWORD, CURLUPART_OPTIONS, CURLUPART_QUERY,
			CURLUPART_FRAGMENT,
		};

		for (size_t i = 0; ok && i < ARRAY_LEN(none); i++) {
			/* each must be absent */
			ok = curl_url_get(u, none[i], &part, 0) != CURLUE_OK;
			curl_free(part);
			part = NULL;
		}
	}
	curl_free(scheme);
	curl_url_cleanup(u);
	if (!ok)
		/* the URL is not shown: it may hold a password */
		return ctl_fail(ctx, CTL_EXIT_USAGE, CTL_CODE_USAGE,
				"--api (or $SLUICE_API) takes https://HOST[:PORT][/PATH] without "
				"user, query or fragment");
	while (len > 8 && base[len - 1] == '/')
		len--;
	if (len >= 12 && strncmp(base + len - 3, "/v1", 3) == 0)
		len -= 3;
	if ((size_t)snprintf(out, cap, "%.*s/v1%s", (int)len, base, path) >= cap)
		return ctl_fail(ctx, CTL_EXIT_USAGE, CTL_CODE_USAGE, "the URL is too long");
	return 0;
}

/* ---- one request ---- */

static size_t
on_body(char *data, size_t size, size_t n, void *arg)
{
	struct body_buf *b = arg;
	size_t len = size * n;

	if (len > REPLY_MAX - b->len) {
		b->too_large = true;
		return 0;
	}
	if (b->len + len + 1 > b->cap) {
		size_t cap = b->cap > 0 ? b->cap : 4096;
		char *p;

		while (cap < b->len + len + 1)
			cap *= 2;
		p = malloc(cap);
		if (p == NULL) {
			b->no_memory = true;
			return 0;
		}
		if (b->len > 0)
			memcpy(p, b->p, b->len);
		if (b->p != NULL) {
			wipe(b->p, b->cap);
			free(b->p);
		}
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->len, data, len);
	b->len += len;
	return len;
}

static void
reply_free(struct api_reply *rp)
{
	json_decref(rp->doc);
	rp->doc = NULL;
}

static bool
is_tls_error(CURLcode cc)
{
	switch (cc) {
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_CIPHER:
	case CURLE_SSL_ISSUER_ERROR:
	case CURLE_SSL_CRL_BADFILE:
	case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
	case CURLE_SSL_INVALIDCERTSTATUS:
	case CURLE_SSL_SHUTDOWN_FAILED:
	case CURLE_SSL_ENGINE_INITFAILED:
	case CURLE_SSL_ENGINE_NOTFOUND:
	case CURLE_SSL_ENGINE_SETFAILED:
	case CURLE_USE_SSL_FAILED:
		return true;
	default:
		return false;
	}
}

static int
transfer_fail(const struct ctl_ctx *ctx, CURLcode cc, char *errbuf, const struct body_buf *in)
{
	char api[256];

	snprintf(api, sizeof(api), "%s", ctx->api_url);
	ctl_sanitize(api);
	errbuf[CURL_ERROR_SIZE - 1] = '\0';
	if (errbuf[0] == '\0')
		snprintf(errbuf, CURL_ERROR_SIZE, "%s", curl_easy_strerror(cc));
	ctl_sanitize(errbuf);
	if (in->too_large || cc == CURLE_FILESIZE_EXCEEDED)
		return ctl_fail(ctx, CTL_EXIT_CONN, CTL_CODE_PROTOCOL,
				"the API's reply is larger than %d bytes", REPLY_MAX);
	if (in->no_memory)
		return ctl_fail(ctx, CTL_EXIT_CONN, CTL_CODE_PROTOCOL, "out of memory");
	if (cc == CURLE_OPERATION_TIMEDOUT)
		return ctl_fail(ctx, CTL_EXIT_CONN, CTL_CODE_TIMEOUT,
				"no answer from the API at %s within %d ms", api, ctx->timeout_ms);
	if (is_tls_error(cc))
		return ctl_fail(ctx, CTL_EXIT_CONN, CTL_CODE_TLS, "TLS with %s failed: %s", api,
				errbuf);
	if (cc == CURLE_COULDNT_CONNECT || cc == CURLE_COULDNT_RESOLVE_HOST ||
	    cc == CURLE_COULDNT_RESOLVE_PROXY)
		return ctl_fail(ctx, CTL_EXIT_CONN, CTL_CODE_CONNECT,
				"cannot reach the API at %s: %s", api, errbuf);
	return ctl_fail(ctx, CTL_EXIT_CONN, CTL_CODE_PROTOCOL, "request to %s failed: %s", api,
			errbuf);
}

/* Sets the options every request has; false when libcurl refuses one. */
static bool
setup_handle(CURL *h, const struct ctl_ctx *ctx, const char *url, char *errbuf,
	     struct body_buf *in, struct curl_slist *hdrs)
{
	bool ok;

	ok = curl_easy_setopt(h, CURLOPT_URL, url) == CURLE_OK &&
#if LIBCURL_VERSION_NUM >= 0x075500
	     curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "https") == CURLE_OK &&
#else
	     curl_easy_setopt(h, CURLOPT_PROTOCOLS, (long)CURLPROTO_HTTPS) == CURLE_OK &&
#endif
	     curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L) == CURLE_OK &&
	     /* a validated path goes out as it is: "/users/.." must not become "/" */
	     curl_easy_setopt(h, CURLOPT_PATH_AS_IS, 1L) == CURLE_OK &&
	     curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L) == CURLE_OK &&
	     curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L) == CURLE_OK &&
	     curl_easy_setopt(h, CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_2) == CURLE_OK &&
	     curl_easy_setopt(h, CURLOPT_SSL_CIPHER_LIST, TLS12_CIPHERS) == CURLE_OK &&
	     curl_easy_setopt(h, CURLOPT_TLS13_CIPHERS, TLS13_CIPHERS) == CURLE_OK &&
	     curl_easy_setopt(h, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1) == CURLE_OK &&
	     curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)ctx->timeout_ms) == CURLE_OK &&
	     curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, (long)ctx->timeout_ms) == CURLE_OK &&
	     curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf) == CURLE_OK &&
	     curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body) == CURLE_OK &&
	     curl_easy_setopt(h, CURLOPT_WRITEDATA, in) == CURLE_OK &&
	     curl_easy_setopt(h, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)REPLY_MAX) == CURLE_OK &&
	     curl_easy_setopt(h, CURLOPT_USERAGENT, "sluicectl") == CURLE_OK &&
	     curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs) == CURLE_OK;
	if (ok && ctx->cacert != NULL)
		/* only these CAs: the system's directory is not consulted besides */
		ok = curl_easy_setopt(h, CURLOPT_CAINFO, ctx->cacert) == CURLE_OK &&
		     curl_easy_setopt(h, CURLOPT_CAPATH, NULL) == CURLE_OK;
	return ok;
}

/* A header list entry; NULL (all freed) when out of memory. */
static struct curl_slist *
header_add(struct curl_slist *hdrs, const char *line, bool *ok)
{
	struct curl_slist *n = curl_slist_append(hdrs, line);

	if (n == NULL)
		*ok = false;
	return n != NULL ? n : hdrs;
}

static void
headers_free(struct curl_slist *hdrs)
{
	for (struct curl_slist *s = hdrs; s != NULL; s = s->next)
		wipe(s->data, strlen(s->data));
	curl_slist_free_all(hdrs);
}

/*
 * Sends one request and receives its reply, whatever its status: 0 with *rp set (free it
 * with reply_free), or an exit code already reported (transport, TLS, not JSON). body is
 * sent with POST and PUT ({} when NULL); auth adds the bearer token.
 */
static int
api_send(const struct ctl_ctx *ctx, const char *method, const char *path, json_t *body,
	 bool auth, struct api_reply *rp)
{
	char url[URL_MAX], token[TOKEN_MAX], auth_line[TOKEN_MAX + 32];
	char errbuf[CURL_ERROR_SIZE] = "";
	bool has_body = strcmp(method, "POST") == 0 || strcmp(method, "PUT") == 0;
	struct body_buf in = { 0 };
	struct curl_slist *hdrs = NULL;
	char *out = NULL;
	size_t out_len = 0;
	bool ok = true;
	CURL *h = NULL;
	CURLcode cc;
	int rc;

	memset(rp, 0, sizeof(*rp));
	rc = api_init(ctx);
	if (rc == 0)
		rc = api_url(ctx, path, url, sizeof(url));
	if (rc == 0 && auth)
		rc = token_load(ctx, token, sizeof(token));
	if (rc != 0)
		return rc;
	if (has_body) {
		json_t *empty = body == NULL ? json_object() : NULL;
		json_t *doc = body != NULL ? body : empty;

		out_len = doc != NULL ? json_dumpb(doc, NULL, 0, JSON_COMPACT) : 0;
		out = out_len > 0 ? malloc(out_len) : NULL;
		if (out == NULL || json_dumpb(doc, out, out_len, JSON_COMPACT) != out_len)
			ok = false;
		json_decref(empty);
		if (!ok) {
			rc = ctl_fail(ctx, CTL_EXIT_CONN, CTL_CODE_PROTOCOL,
				      "cannot encode the request");
			goto done;
		}
	}
	hdrs = header_add(hdrs, "Accept: application/json", &ok);
	if (has_body) {
		hdrs = header_add(hdrs, "Content-Type: application/json", &ok);
		hdrs = header_add(hdrs, "Expect:", &ok);  /* no 100-continue round trip */
	}
	if (auth) {
		snprintf(auth_line, sizeof(auth_line), "Authorization: Bearer %s", token);
		hdrs = header_add(hdrs, auth_line, &ok);
		wipe(auth_line, sizeof(auth_line));
		wipe(token, sizeof(token));
	}
	h = curl_easy_init();
	if (!ok || h == NULL || !setup_handle(h, ctx, url, errbuf, &in, hdrs)) {
		rc = ctl_fail(ctx, CTL_EXIT_CONN, CTL_CODE_CONNECT, "cannot set up libcurl");
		goto done;
	}
	if (has_body)
		ok = curl_easy_setopt(h, CURLOPT_POSTFIELDS, out) == CURLE_OK &&
		     curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)out_len) ==
		     CURLE_OK;
	if (strcmp(method, "POST") != 0 && strcmp(method, "GET") != 0)
		ok = ok && curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method) == CURLE_OK;
	if (!ok) {
		rc = ctl_fail(ctx, CTL_EXIT_CONN, CTL_CODE_CONNECT, "cannot set up libcurl");
		goto done;
	}
	cc = curl_easy_perform(h);
	if (cc != CURLE_OK) {
		rc = transfer_fail(ctx, cc, errbuf, &in);
		goto done;
	}
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &rp->status);
	curl_easy_getinfo(h, CURLINFO_RETRY_AFTER, &rp->retry_after);
	if (in.len > 0) {
		rp->body_present = true;
		rp->doc = json_loadb(in.p, in.len, JSON_REJECT_DUPLICATES, NULL);
	}
	if (rp->status >= 200 && rp->status < 300 && rp->body_present &&
	    !json_is_object(rp->doc)) {
		reply_free(rp);
		rc = ctl_fail(ctx, CTL_EXIT_CONN, CTL_CODE_PROTOCOL,
			      "the API's reply (HTTP %ld) is not a JSON object", rp->status);
	}
done:
	headers_free(hdrs);
	curl_easy_cleanup(h);
	wipe(out, out_len);
	free(out);
	wipe(in.p, in.cap);
	free(in.p);
	return rc;
}

/* A reply of status 4xx or 5xx (or another unexpected one) reported; returns the exit code. */
static int
api_error(const struct ctl_ctx *ctx, const struct api_reply *rp)
{
	int exit_code = rp->status >= 500 ? CTL_EXIT_UNAVAILABLE : CTL_EXIT_API_REFUSED;
	json_t *err = json_object_get(rp->doc, "error");
	const char *code = json_string_value(json_object_get(err, "code"));
	const char *message = json_string_value(json_object_get(err, "message"));
	char c[64], m[512], retry[64] = "";

	if (rp->status < 400 || rp->status > 599)
		return ctl_fail(ctx, CTL_EXIT_CONN, CTL_CODE_PROTOCOL,
				"unexpected HTTP status %ld from the API", rp->status);
	if (code == NULL || message == NULL) {
		snprintf(c, sizeof(c), CODE_HTTP_FMT, rp->status);
		return ctl_fail(ctx, exit_code, c, "%s: HTTP %ld without an error document",
				exit_code == CTL_EXIT_UNAVAILABLE ? "the API is unavailable" :
				"the API refused the request", rp->status);
	}
	snprintf(c, sizeof(c), "%s", code);
	snprintf(m, sizeof(m), "%s", message);
	ctl_sanitize(c);
	ctl_sanitize(m);
	if (rp->retry_after > 0)
		snprintf(retry, sizeof(retry), " (retry after %" CURL_FORMAT_CURL_OFF_T " s)",
			 rp->retry_after);
	fprintf(stderr, "sluicectl: %s: %s (%s, HTTP %ld): %s%s%s\n", ctx->cmd->words,
		exit_code == CTL_EXIT_UNAVAILABLE ? "the API is unavailable" : "refused", c,
		rp->status, m, retry,
		strcmp(c, "unauthenticated") == 0 ? " (log in again: sluicectl login)" : "");
	if (ctx->json)
		ctl_json_print(json_incref(rp->doc), true);
	return exit_code;
}

/* api_send, then anything but 2xx is reported: 0 with *rp set, or an exit code. */
static int
api_call(const struct ctl_ctx *ctx, const char *method, const char *path, json_t *body,
	 bool auth, struct api_reply *rp)
{
	int rc = api_send(ctx, method, path, body, auth, rp);

	if (rc != 0)
		return rc;
	if (rp->status >= 200 && rp->status < 300)
		return 0;
	rc = api_error(ctx, rp);
	reply_free(rp);
	return rc;
}

/* A 2xx reply that must carry a JSON object. */
static int
api_call_doc(const struct ctl_ctx *ctx, const char *method, const char *path, json_t *body,
	     bool auth, struct api_reply *rp)
{
	int rc = api_call(ctx, method, path, body, auth, rp);

	if (rc == 0 && rp->doc == NULL)
		rc = ctl_fail(ctx, CTL_EXIT_CONN, CTL_CODE_PROTOCOL,
			      "the API's reply (HTTP %ld) has no body", rp->status);
	return rc;
}

/* ---- human output ---- */

static const char *
time_text(json_int_t t, char *buf, size_t len)
{
	time_t when = (time_t)t, now = time(NULL);
	struct tm tm;
	size_t n;

	if (t <= 0 || localtime_r(&when, &tm) == NULL ||
	    (n = strftime(buf, len, "%Y-%m-%d %H:%M:%S %Z", &tm)) == 0) {
		snprintf(buf, len, "%" JSON_INTEGER_FORMAT, t);
		return buf;
	}
	if (when > now) {
		long long d = (long long)(when - now);

		if (d >= 86400)
			snprintf(buf + n, len - n, " (in %lldd %lldh)", d / 86400, d / 3600 % 24);
		else if (d >= 3600)
			snprintf(buf + n, len - n, " (in %lldh %lldm)", d / 3600, d / 60 % 60);
		else
			snprintf(buf + n, len - n, " (in %lldm %llds)", d / 60, d % 60);
	} else {
		snprintf(buf + n, len - n, " (passed)");
	}
	return buf;
}

static const char *value_text(const char *key, json_t *v, char *buf, size_t len);

/* A relay object ({"id", "address", "address6", "port"}) on one line. */
static const char *
relay_text(json_t *r, char *buf, size_t len)
{
	char id[64], a4[64], a6[80];
	json_int_t port = json_integer_value(json_object_get(r, "port"));
	json_t *v6 = json_object_get(r, "address6");

	value_text("id", json_object_get(r, "id"), id, sizeof(id));
	value_text("address", json_object_get(r, "address"), a4, sizeof(a4));
	if (json_is_string(v6) && json_string_length(v6) > 0) {
		value_text("address6", v6, a6 + 1, sizeof(a6) - 2);
		a6[0] = '[';
		snprintf(a6 + strlen(a6), sizeof(a6) - strlen(a6), "]");
		snprintf(buf, len, "%s %s:%" JSON_INTEGER_FORMAT " %s:%" JSON_INTEGER_FORMAT, id, a4,
			 port, a6, port);
	} else {
		snprintf(buf, len, "%s %s:%" JSON_INTEGER_FORMAT, id, a4, port);
	}
	return buf;
}

/*
 * A reply's value as one line of text, safe for a terminal: strings sanitized, "-" for
 * absent or null, arrays of scalars joined by commas, times and relays readable.
 */
static const char *
value_text(const char *key, json_t *v, char *buf, size_t len)
{
	char *s;

	buf[0] = '\0';
	if (v == NULL || json_is_null(v)) {
		snprintf(buf, len, "-");
		return buf;
	}
	switch (json_typeof(v)) {
	case JSON_STRING:
		snprintf(buf, len, "%s", json_string_value(v));
		break;
	case JSON_INTEGER:
		if (strcmp(key, "expires") == 0)
			return time_text(json_integer_value(v), buf, len);
		snprintf(buf, len, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		break;
	case JSON_REAL:
		snprintf(buf, len, "%g", json_real_value(v));
		break;
	case JSON_TRUE:
		snprintf(buf, len, "yes");
		break;
	case JSON_FALSE:
		snprintf(buf, len, "no");
		break;
	case JSON_ARRAY: {
		size_t i;
		json_t *e;

		json_array_foreach(v, i, e) {
			char item[128];

			if (json_is_object(e) || json_is_array(e))
				goto compact;
			value_text("", e, item, sizeof(item));
			snprintf(buf + strlen(buf), len - strlen(buf), "%s%s", i > 0 ? "," : "",
				 item);
		}
		if (json_array_size(v) == 0)
			snprintf(buf, len, "-");
		break;
	}
	case JSON_OBJECT:
		if (strcmp(key, "relay") == 0)
			return relay_text(v, buf, len);
		goto compact;
	default:
		break;
	}
	ctl_sanitize(buf);
	return buf;
compact:
	s = json_dumps(v, JSON_COMPACT);
	snprintf(buf, len, "%s", s != NULL ? s : "?");
	free(s);
	ctl_sanitize(buf);
	return buf;
}

/* "max_legs" -> "max legs" */
static void
label_text(const char *prefix, const char *key, char *buf, size_t len)
{
	snprintf(buf, len, "%s%s%s", prefix, prefix[0] != '\0' ? " " : "", key);
	ctl_sanitize(buf);
	for (char *p = buf; *p != '\0'; p++)
		if (*p == '_')
			*p = ' ';
}

/*
 * Adds obj's members to a two-column table whose first row is free while *first; nested
 * objects (but relays) are flattened.
 */
static void
kv_add(struct ctl_table *t, const char *prefix, json_t *obj, bool *first)
{
	const char *key;
	json_t *v;

	json_object_foreach(obj, key, v) {
		char label[128], text[1024];

		label_text(prefix, key, label, sizeof(label));
		if (json_is_object(v) && strcmp(key, "relay") != 0 && json_object_size(v) > 0) {
			kv_add(t, label, v, first);
			continue;
		}
		if (!*first)
			ctl_table_row(t);
		*first = false;
		ctl_table_set(t, 0, "%s", label);
		ctl_table_set(t, 1, "%s", value_text(key, v, text, sizeof(text)));
	}
}

static void
kv_print(json_t *obj)
{
	struct ctl_table *t = ctl_table_new(2);
	bool first = true;

	/* no header: the first member takes row 0 */
	kv_add(t, "", obj, &first);
	ctl_table_print(t, stdout);
	ctl_table_free(t);
}

struct col {
	const char *head;
	const char *key;
	bool right;
};

/* A table of the objects in arr, one column per key; false when arr is not an array. */
static bool
list_print(json_t *arr, const struct col *cols, unsigned int n)
{
	struct ctl_table *t;
	size_t i;
	json_t *e;

	if (!json_is_array(arr))
		return false;
	t = ctl_table_new(n);
	for (unsigned int c = 0; c < n; c++)
		ctl_table_head(t, c, cols[c].head, cols[c].right);
	json_array_foreach(arr, i, e) {
		char text[512];

		ctl_table_row(t);
		for (unsigned int c = 0; c < n; c++)
			ctl_table_set(t, c, "%s", value_text(cols[c].key,
				      json_object_get(e, cols[c].key), text, sizeof(text)));
	}
	ctl_table_print(t, stdout);
	ctl_table_free(t);
	return true;
}

/*
 * A secret string member, printed as it is (sanitizing would change it): printable ASCII
 * (blanks allowed with blanks), else NULL.
 */
static const char *
secret_member(json_t *obj, const char *key, bool blanks)
{
	const char *s = json_string_value(json_object_get(obj, key));

	return s != NULL && ascii_text(s, 4096, blanks) ? s : NULL;
}

/* {"ok": true, key: value} for --json after a 204. */
static void
ok_json(const char *key, json_t *value, const char *key2, json_t *value2)
{
	json_t *doc = json_pack("{s:b}", "ok", 1);

	if (doc != NULL && key != NULL)
		json_object_set_new(doc, key, value);
	if (doc != NULL && key2 != NULL)
		json_object_set_new(doc, key2, value2);
	ctl_json_print(doc, false);
}

/* ---- QR code ---- */

static bool
qr_dark(const QRcode *qr, int x, int y)
{
	if (x < 0 || y < 0 || x >= qr->width || y >= qr->width)
		return false;             /* the quiet zone is light */
	return (qr->data[y * qr->width + x] & 1) != 0;
}

/*
 * The QR code of text in half blocks, two modules a line. As `qrencode -t UTF8` does, light
 * modules are drawn (in the foreground colour) and dark ones left blank, which scans right
 * on the usual light-on-dark terminal; the quiet zone is drawn too.
 */
static int
qr_print(const char *text)
{
	static const char *const cell[4] = {
		"\xe2\x96\x88",         /* U+2588 full block: both light */
		"\xe2\x96\x80",         /* U+2580 upper half: upper light, lower dark */
		"\xe2\x96\x84",         /* U+2584 lower half: upper dark, lower light */
		" ",                    /* both dark */
	};
	QRcode *qr = QRcode_encodeString(text, 0, QR_ECLEVEL_M, QR_MODE_8, 1);
	int size;

	if (qr == NULL)
		return -1;
	size = qr->width + 2 * QR_QUIET;
	for (int y = 0; y < size; y += 2) {
		for (int x = 0; x < size; x++) {
			bool top = qr_dark(qr, x - QR_QUIET, y - QR_QUIET);
			bool bottom = qr_dark(qr, x - QR_QUIET, y + 1 - QR_QUIET);

			fputs(cell[(top ? 2 : 0) | (bottom ? 1 : 0)], stdout);
		}
		fputc('\n', stdout);
	}
	/* the modules encode the TOTP secret */
	wipe(qr->data, (size_t)qr->width * (size_t)qr->width);
	QRcode_free(qr);
	return 0;
}

/* ---- options and operands ---- */

enum {
	OPT_FIRST = 256,
	OPT_PASSWORD_FILE = OPT_FIRST, OPT_TOTP, OPT_RECOVERY, OPT_TOKEN_OUT, OPT_ROLE, OPT_NO_QR,
	OPT_NAME, OPT_MAX_LEGS, OPT_TTL, OPT_USES, OPT_SSRCS, OPT_SUITE, OPT_SEND_ONLY,
	OPT_RECV_ONLY,
};

static const struct option login_options[] = {
	{ "password-file", required_argument, NULL, OPT_PASSWORD_FILE },
	{ "totp", required_argument, NULL, OPT_TOTP },
	{ "recovery-code", required_argument, NULL, OPT_RECOVERY },
	{ "token-out", required_argument, NULL, OPT_TOKEN_OUT },
	{ NULL, 0, NULL, 0 },
};

static const struct option user_add_options[] = {
	{ "role", required_argument, NULL, OPT_ROLE },
	{ "password-file", required_argument, NULL, OPT_PASSWORD_FILE },
	{ "no-qr", no_argument, NULL, OPT_NO_QR },
	{ NULL, 0, NULL, 0 },
};

static const struct option qr_options[] = {
	{ "no-qr", no_argument, NULL, OPT_NO_QR },
	{ NULL, 0, NULL, 0 },
};

static const struct option conf_create_options[] = {
	{ "name", required_argument, NULL, OPT_NAME },
	{ "max-legs", required_argument, NULL, OPT_MAX_LEGS },
	{ "ttl", required_argument, NULL, OPT_TTL },
	{ NULL, 0, NULL, 0 },
};

static const struct option token_guest_options[] = {
	{ "uses", required_argument, NULL, OPT_USES },
	{ "ttl", required_argument, NULL, OPT_TTL },
	{ NULL, 0, NULL, 0 },
};

static const struct option leg_join_options[] = {
	{ "ssrcs", required_argument, NULL, OPT_SSRCS },
	{ "suite", required_argument, NULL, OPT_SUITE },
	{ "send-only", no_argument, NULL, OPT_SEND_ONLY },
	{ "recv-only", no_argument, NULL, OPT_RECV_ONLY },
	{ NULL, 0, NULL, 0 },
};

/* The operands of a command of one request. */
enum api_operands {
	OPERANDS_NONE,
	OPERANDS_NAME,                /* NAME */
	OPERANDS_NAME_ROLE,           /* NAME ROLE: ROLE goes into the body */
	OPERANDS_CONF,                /* CONF_ID */
	OPERANDS_CONF_LEG,            /* CONF_ID LEG_ID */
};

/* What a command was given: its options, operands and the request's body. */
struct api_args {
	json_t *body;                 /* members from the options and operands */
	const char *password_file;
	const char *token_out;
	const char *role;             /* --role */
	char code[CODE_MAX];          /* --totp or --recovery-code, taken from argv */
	bool have_code;
	bool recovery;
	bool qr;                      /* false with --no-qr */
	const char *name;             /* the operand NAME, validated */
	char seg[3 * NAME_MAX_LEN + 1];  /* NAME as a path segment */
	uint32_t conf;                /* CONF_ID */
	uint32_t leg;                 /* LEG_ID */
};

/*
 * A code given on the command line, copied and wiped there (it shows in the process list);
 * false when it does not fit.
 */
static bool
take_code(char *arg, char *buf, size_t cap)
{
	size_t len = strlen(arg);

	snprintf(buf, cap, "%s", len < cap ? arg : "");
	wipe(arg, len);
	return len < cap;
}

/* The command line's value of option o into a. */
static int
take_option(const struct ctl_ctx *ctx, const struct option *opts, int o, char *arg,
	    struct api_args *a)
{
	uint32_t v;
	int rc;

	switch (o) {
	case OPT_PASSWORD_FILE:
		a->password_file = arg;
		break;
	case OPT_TOKEN_OUT:
		a->token_out = arg;
		break;
	case OPT_ROLE:
		a->role = arg;
		break;
	case OPT_TOTP:
	case OPT_RECOVERY:
		rc = 0;
		if (a->have_code) {
			wipe(arg, strlen(arg));
			rc = ctl_usage_fail(ctx, "--totp and --recovery-code exclude each other");
		} else if (!take_code(arg, a->code, sizeof(a->code))) {
			rc = ctl_usage_fail(ctx, "--%s is longer than %d bytes", opt_name(opts, o),
					    CODE_MAX - 1);
		}
		a->have_code = true;
		a->recovery = o == OPT_RECOVERY;
		return rc;
	case OPT_NO_QR:
		a->qr = false;
		break;
	case OPT_NAME:
		if (arg[0] == '\0' || json_object_set_new(a->body, "name", json_string(arg)) != 0)
			return ctl_usage_fail(ctx, "--name takes a non-empty UTF-8 text");
		break;
	case OPT_MAX_LEGS:
	case OPT_TTL:
	case OPT_USES:
	case OPT_SSRCS:
		rc = parse_count(ctx, opt_name(opts, o), arg,
				 o == OPT_SSRCS ? DP_LEG_MAX_SSRCS : UINT32_MAX, &v);
		if (rc != 0)
			return rc;
		json_object_set_new(a->body, o == OPT_MAX_LEGS ? "max_legs" : opt_name(opts, o),
				    json_integer(v));
		break;
	case OPT_SUITE:
		if (dp_suite_from_name(arg) == DP_SUITE_NONE)
			return ctl_usage_fail(ctx, "unknown suite \"%s\" (one of %s)", arg,
					      ctl_suite_list());
		json_object_set_new(a->body, "suite", json_string(arg));
		break;
	case OPT_SEND_ONLY:
	case OPT_RECV_ONLY:
		if (json_object_get(a->body, "send") != NULL)
			return ctl_usage_fail(ctx, "--send-only and --recv-only exclude each other");
		json_object_set_new(a->body, "send", json_boolean(o == OPT_SEND_ONLY));
		json_object_set_new(a->body, "recv", json_boolean(o == OPT_RECV_ONLY));
		break;
	}
	return 0;
}

/*
 * The options of opts into a (NULL: the command has none); each once unless repeatable.
 * optind ends at the operands.
 */
static int
take_options(const struct ctl_ctx *ctx, int argc, char **argv, const struct option *opts,
	     bool repeatable, struct api_args *a)
{
	uint32_t given = 0;
	int o, rc;

	if (opts == NULL)
		return ctl_no_options(ctx, argc, argv);
	ctl_getopt_reset();
	while ((o = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
		if (o < OPT_FIRST)
			return ctl_getopt_fail(ctx, o, argv);
		rc = repeatable ? 0 : opt_once(ctx, opts, o, &given);
		if (rc == 0)
			rc = take_option(ctx, opts, o, optarg, a);
		if (rc != 0)
			return rc;
	}
	return 0;
}

/* The operands of kind into a, validated. */
static int
take_operands(const struct ctl_ctx *ctx, int argc, char **argv, enum api_operands kind,
	      struct api_args *a)
{
	static const char *const user_names[] = { "NAME", "ROLE" };
	static const char *const conf_names[] = { "CONF_ID", "LEG_ID" };
	int rc;

	switch (kind) {
	case OPERANDS_NAME:
	case OPERANDS_NAME_ROLE:
		rc = ctl_operands(ctx, argc, argv, kind == OPERANDS_NAME ? 1 : 2, user_names, false);
		if (rc == 0)
			rc = check_name(ctx, "NAME", argv[optind]);
		if (rc == 0)
			rc = path_segment(ctx, argv[optind], a->seg, sizeof(a->seg));
		if (rc != 0)
			return rc;
		a->name = argv[optind];
		if (kind == OPERANDS_NAME_ROLE &&
		    json_object_set_new(a->body, "role", json_string(argv[optind + 1])) != 0)
			return ctl_usage_fail(ctx, "ROLE is not valid UTF-8");
		return 0;
	case OPERANDS_CONF:
	case OPERANDS_CONF_LEG:
		rc = ctl_operands(ctx, argc, argv, kind == OPERANDS_CONF ? 1 : 2, conf_names, false);
		if (rc == 0)
			rc = ctl_parse_id(ctx, "CONF_ID", argv[optind], &a->conf);
		if (rc == 0 && kind == OPERANDS_CONF_LEG)
			rc = ctl_parse_id(ctx, "LEG_ID", argv[optind + 1], &a->leg);
		return rc;
	case OPERANDS_NONE:
	default:
		return ctl_operands(ctx, argc, argv, 0, NULL, false);
	}
}

/*
 * tmpl with {name}, {conf} and {leg} replaced by the operands; NAME as its path segment
 * when path. Too long a result is cut (paths and messages here are short).
 */
static void
expand(const char *tmpl, const struct api_args *a, bool path, char *out, size_t cap)
{
	size_t o = 0;

	out[0] = '\0';
	while (*tmpl != '\0' && o + 1 < cap) {
		char num[16];
		const char *v = NULL;

		if (strncmp(tmpl, "{name}", 6) == 0) {
			v = path ? a->seg : a->name;
			tmpl += 6;
		} else if (strncmp(tmpl, "{conf}", 6) == 0 || strncmp(tmpl, "{leg}", 5) == 0) {
			bool conf = tmpl[1] == 'c';

			snprintf(num, sizeof(num), "%" PRIu32, conf ? a->conf : a->leg);
			v = num;
			tmpl += conf ? 6 : 5;
		}
		if (v == NULL) {
			out[o++] = *tmpl++;
			out[o] = '\0';
		} else {
			snprintf(out + o, cap - o, "%s", v);
			o += strlen(out + o);
		}
	}
}

/* ---- login, logout ---- */

/*
 * Opens the --token-out file before logging in, so that a bad path costs no login: created
 * 0600, or an existing regular file of ours. *created says whether to remove it on failure.
 */
static int
token_out_open(const struct ctl_ctx *ctx, const char *path, bool *created)
{
	struct stat st;
	int fd;

	*created = false;
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd >= 0) {
		*created = true;
		return fd;
	}
	if (errno == EEXIST)
		fd = open(path, O_WRONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return -ctl_fail(ctx, CTL_EXIT_USAGE, CTL_CODE_INPUT, "cannot open %s: %s", path,
				 strerror(errno));
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_uid != geteuid()) {
		close(fd);
		return -ctl_fail(ctx, CTL_EXIT_USAGE, CTL_CODE_INPUT,
				 "%s exists and is not a regular file of this user", path);
	}
	return fd;
}

static int
token_out_write(const struct ctl_ctx *ctx, int fd, const char *path, const char *token)
{
	size_t len = strlen(token), off = 0;

	if (fchmod(fd, 0600) != 0 || ftruncate(fd, 0) != 0)
		goto fail;
	while (off <= len) {
		/* the token, then its line end */
		const char *p = off < len ? token + off : "\n";
		ssize_t n = write(fd, p, off < len ? len - off : 1);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			goto fail;
		off += (size_t)n;
	}
	if (fsync(fd) != 0)
		goto fail;
	return 0;
fail:
	return ctl_fail(ctx, CTL_EXIT_USAGE, CTL_CODE_INPUT, "cannot write the token to %s: %s",
			path, strerror(errno));
}

static bool
totp_valid(const char *s)
{
	size_t len = strlen(s);

	if (len < 6 || len > 8)
		return false;
	for (; *s != '\0'; s++)
		if (*s < '0' || *s > '9')
			return false;
	return true;
}

static void
login_print(json_t *doc, const char *user, const char *token_out)
{
	char role[64], expires[96];

	printf("logged in as %s (%s); the token expires %s\n", user,
	       value_text("role", json_object_get(doc, "role"), role, sizeof(role)),
	       value_text("expires", json_object_get(doc, "expires"), expires, sizeof(expires)));
	if (token_out != NULL)
		printf("token written to %s (use --token-file or $SLUICE_TOKEN_FILE)\n", token_out);
	else
		printf("the token is not shown: give --token-out FILE (or --json)\n");
}

static int
cmd_login(struct ctl_ctx *ctx, int argc, char **argv)
{
	static const char *const names[] = { "USER" };
	const char *user, *token;
	char password[PASSWORD_MAX + 2] = "";
	struct api_args a = { .qr = true };
	bool created = false;
	struct api_reply rp = { 0 };
	json_t *body = NULL;
	int rc, fd = -1;

	rc = take_options(ctx, argc, argv, login_options, false, &a);
	if (rc == 0)
		rc = ctl_operands(ctx, argc, argv, 1, names, true);
	if (rc == 0)
		rc = check_name(ctx, "USER", argv[optind]);
	if (rc == 0 && a.have_code && !(a.recovery ? ascii_text(a.code, CODE_MAX - 1, true) :
				       totp_valid(a.code)))
		rc = ctl_usage_fail(ctx, "%s", a.recovery ?
				    "--recovery-code takes printable ASCII" :
				    "--totp takes the 6 digits the authenticator shows");
	if (rc == 0 && !a.have_code && isatty(STDIN_FILENO) != 1)
		rc = ctl_usage_fail(ctx, "--totp or --recovery-code is needed when standard input "
				    "is not a terminal");
	if (rc != 0)
		goto out;
	user = argv[optind];
	if (a.token_out != NULL) {
		fd = token_out_open(ctx, a.token_out, &created);
		if (fd < 0) {
			rc = -fd;
			goto out;
		}
	}
	rc = get_password(ctx, a.password_file, user, false, password, sizeof(password));
	if (rc != 0)
		goto out;
	if (!a.have_code) {
		int n = prompt_secret("TOTP code: ", a.code, sizeof(a.code));

		if (n <= 0 || !totp_valid(a.code)) {
			rc = ctl_fail(ctx, CTL_EXIT_USAGE, CTL_CODE_INPUT,
				      "a TOTP code is 6 digits");
			goto out;
		}
	}
	body = json_pack("{s:s,s:s,s:s}", "user", user, "password", password,
			 a.recovery ? "recovery_code" : "totp", a.code);
	wipe(password, sizeof(password));
	wipe(a.code, sizeof(a.code));
	if (body == NULL) {
		rc = ctl_fail(ctx, CTL_EXIT_USAGE, CTL_CODE_INPUT,
			      "the password or code is not valid UTF-8");
		goto out;
	}
	rc = api_call_doc(ctx, "POST", "/login", body, false, &rp);
	json_decref(body);
	if (rc != 0)
		goto out;
	token = secret_member(rp.doc, "token", false);
	if (token == NULL) {
		rc = ctl_protocol_fail(ctx, "no token");
		goto out;
	}
	if (fd >= 0) {
		rc = token_out_write(ctx, fd, a.token_out, token);
		if (rc != 0)
			goto out;
		created = false;          /* it holds the token now */
	}
	if (ctx->json) {
		/* the token went to the file: do not show it besides */
		if (a.token_out != NULL)
			json_object_del(rp.doc, "token");
		ctl_json_print(json_incref(rp.doc), false);
	} else {
		login_print(rp.doc, user, a.token_out);
	}
out:
	wipe(password, sizeof(password));
	wipe(a.code, sizeof(a.code));
	reply_free(&rp);
	if (fd >= 0)
		close(fd);
	if (created)
		unlink(a.token_out);
	return rc;
}

/* ---- users ---- */

/* The reply of user add and reset-totp: secret, URI, QR code and recovery codes. */
static int
enrollment_print(const struct ctl_ctx *ctx, json_t *doc, const char *name, bool qr)
{
	const char *secret = secret_member(doc, "totp_secret", false);
	const char *uri = secret_member(doc, "totp_uri", false);
	json_t *codes = json_object_get(doc, "recovery_codes");
	char role[64];
	size_t i;
	json_t *c;

	if (secret == NULL || uri == NULL || strncmp(uri, "otpauth://", 10) != 0 ||
	    !json_is_array(codes))
		return ctl_protocol_fail(ctx, "no TOTP secret, URI or recovery codes");
	json_array_foreach(codes, i, c)
		if (!json_is_string(c) || !ascii_text(json_string_value(c), 256, true))
			return ctl_protocol_fail(ctx, "recovery code");
	printf("user         %s\n", name);
	if (json_object_get(doc, "role") != NULL)
		printf("role         %s\n",
		       value_text("role", json_object_get(doc, "role"), role, sizeof(role)));
	printf("TOTP secret  %s\n", secret);
	printf("TOTP URI     %s\n", uri);
	if (qr) {
		printf("\nScan this with the authenticator app:\n\n");
		if (qr_print(uri) != 0)
			printf("(the QR code cannot be drawn: enter the secret instead)\n");
	}
	printf("\nRecovery codes (each works once):\n");
	json_array_foreach(codes, i, c)
		printf("  %s\n", json_string_value(c));
	printf("\nThe secret and the recovery codes are shown only this once: hand them to %s\n"
	       "over a safe channel and keep the codes offline.\n", name);
	fflush(stdout);
	return CTL_EXIT_OK;
}

static int
cmd_user_add(struct ctl_ctx *ctx, int argc, char **argv)
{
	static const char *const names[] = { "NAME" };
	char password[PASSWORD_MAX + 2] = "";
	struct api_args a = { .qr = true };
	struct api_reply rp = { 0 };
	const char *name;
	json_t *body;
	int rc;

	rc = take_options(ctx, argc, argv, user_add_options, false, &a);
	if (rc != 0)
		return rc;
	/* quiet: a password typed here must not be echoed */
	rc = ctl_operands(ctx, argc, argv, 1, names, true);
	if (rc == 0)
		rc = check_name(ctx, "NAME", argv[optind]);
	if (rc == 0 && a.role == NULL)
		rc = ctl_usage_fail(ctx, "--role is required");
	if (rc != 0)
		return rc;
	name = argv[optind];
	rc = get_password(ctx, a.password_file, name, true, password, sizeof(password));
	if (rc != 0)
		return rc;
	body = json_pack("{s:s,s:s,s:s}", "name", name, "password", password, "role", a.role);
	wipe(password, sizeof(password));
	if (body == NULL)
		return ctl_fail(ctx, CTL_EXIT_USAGE, CTL_CODE_INPUT,
				"the password or role is not valid UTF-8");
	rc = api_call_doc(ctx, "POST", "/users", body, true, &rp);
	json_decref(body);
	if (rc != 0)
		return rc;
	if (ctx->json)
		ctl_json_print(json_incref(rp.doc), false);
	else
		rc = enrollment_print(ctx, rp.doc, name, a.qr);
	reply_free(&rp);
	return rc;
}

/* ---- commands of one request, run from their table entry ---- */

struct api_spec {
	const char *method;
	const char *path;             /* {name}, {conf} and {leg} stand for the operands */
	enum api_operands operands;
	const struct option *options; /* NULL: none */
	bool repeatable;              /* an option may be given again */
	/*
	 * Shows the reply's object to humans (--json prints it as it is); NULL: the reply
	 * needs no body and done says what happened.
	 */
	int (*print)(const struct ctl_ctx *ctx, const struct api_spec *s, json_t *doc,
		     const struct api_args *a);
	const char *done;             /* with the operands as in path */
	const char *list;             /* print_list: the member that holds the list */
	const char *missing;          /* print_list: the error when it does not */
	const struct col *cols;
	unsigned int n_cols;
};

/* After a reply without a body: the text of s->done, or {"ok": true, OPERANDS...}. */
static void
done_print(const struct ctl_ctx *ctx, const struct api_spec *s, const struct api_args *a)
{
	char text[256];

	if (!ctx->json) {
		expand(s->done, a, false, text, sizeof(text));
		printf("%s\n", text);
		return;
	}
	switch (s->operands) {
	case OPERANDS_NAME:
	case OPERANDS_NAME_ROLE:
		ok_json("name", json_string(a->name), NULL, NULL);
		break;
	case OPERANDS_CONF:
		ok_json("conference", json_integer(a->conf), NULL, NULL);
		break;
	case OPERANDS_CONF_LEG:
		ok_json("conference", json_integer(a->conf), "leg", json_integer(a->leg));
		break;
	case OPERANDS_NONE:
	default:
		ok_json(NULL, NULL, NULL, NULL);
		break;
	}
}

static int
cmd_request(struct ctl_ctx *ctx, int argc, char **argv)
{
	const struct api_spec *s = ctx->cmd->spec;
	struct api_args a = { .qr = true };
	struct api_reply rp;
	char path[256];
	int rc;

	a.body = json_object();
	if (a.body == NULL)
		return ctl_fail(ctx, CTL_EXIT_CONN, CTL_CODE_PROTOCOL, "out of memory");
	rc = take_options(ctx, argc, argv, s->options, s->repeatable, &a);
	if (rc == 0)
		rc = take_operands(ctx, argc, argv, s->operands, &a);
	if (rc == 0) {
		expand(s->path, &a, true, path, sizeof(path));
		if (s->print != NULL)
			rc = api_call_doc(ctx, s->method, path, a.body, true, &rp);
		else
			rc = api_call(ctx, s->method, path, a.body, true, &rp);
	}
	json_decref(a.body);
	if (rc != 0)
		return rc;
	if (s->print == NULL) {
		reply_free(&rp);
		done_print(ctx, s, &a);
		return CTL_EXIT_OK;
	}
	if (ctx->json)
		ctl_json_print(json_incref(rp.doc), false);
	else
		rc = s->print(ctx, s, rp.doc, &a);
	reply_free(&rp);
	return rc;
}

/* The reply's members as a two-column list. */
static int
print_members(const struct ctl_ctx *ctx, const struct api_spec *s, json_t *doc,
	      const struct api_args *a)
{
	(void)ctx;
	(void)s;
	(void)a;
	kv_print(doc);
	return CTL_EXIT_OK;
}

static int
print_list(const struct ctl_ctx *ctx, const struct api_spec *s, json_t *doc,
	   const struct api_args *a)
{
	(void)a;
	if (!list_print(json_object_get(doc, s->list), s->cols, s->n_cols))
		return ctl_protocol_fail(ctx, s->missing);
	return CTL_EXIT_OK;
}

static int
print_enrollment(const struct ctl_ctx *ctx, const struct api_spec *s, json_t *doc,
		 const struct api_args *a)
{
	(void)s;
	return enrollment_print(ctx, doc, a->name, a->qr);
}

static int
print_role(const struct ctl_ctx *ctx, const struct api_spec *s, json_t *doc,
	   const struct api_args *a)
{
	char role[64];

	(void)ctx;
	(void)s;
	printf("user %s now has the role %s\n", a->name,
	       value_text("role", json_object_get(doc, "role"), role, sizeof(role)));
	return CTL_EXIT_OK;
}

static int
print_guest_token(const struct ctl_ctx *ctx, const struct api_spec *s, json_t *doc,
		  const struct api_args *a)
{
	const char *token = secret_member(doc, "token", false);
	char text[96];

	(void)s;
	(void)a;
	if (token == NULL)
		return ctl_protocol_fail(ctx, "no token");
	printf("token       %s\n", token);
	printf("conference  %s\n", value_text("conference", json_object_get(doc, "conference"),
					      text, sizeof(text)));
	printf("uses        %s\n", value_text("uses", json_object_get(doc, "uses"), text,
					      sizeof(text)));
	printf("expires     %s\n", value_text("expires", json_object_get(doc, "expires"),
					      text, sizeof(text)));
	return CTL_EXIT_OK;
}

static int
print_leg_join(const struct ctl_ctx *ctx, const struct api_spec *s, json_t *doc,
	       const struct api_args *a)
{
	const char *send_key = secret_member(doc, "send_key", false);
	const char *recv_key = secret_member(doc, "recv_key", false);
	json_t *relay = json_object_get(doc, "relay");
	json_t *v6 = json_object_get(relay, "address6");
	char text[256];

	(void)s;
	(void)a;
	if (send_key == NULL || recv_key == NULL || !json_is_object(relay))
		return ctl_protocol_fail(ctx, "no keys or relay");
	printf("leg         %s\n", value_text("leg", json_object_get(doc, "leg"), text,
					      sizeof(text)));
	printf("conference  %s\n", value_text("conference", json_object_get(doc, "conference"),
					      text, sizeof(text)));
	printf("relay       %s\n", value_text("id", json_object_get(relay, "id"), text,
					      sizeof(text)));
	printf("address     %s\n", value_text("address", json_object_get(relay, "address"),
					      text, sizeof(text)));
	if (json_is_string(v6) && json_string_length(v6) > 0)
		printf("address6    %s\n", value_text("address6", v6, text, sizeof(text)));
	printf("port        %s\n", value_text("port", json_object_get(relay, "port"), text,
					      sizeof(text)));
	printf("suite       %s\n", value_text("suite", json_object_get(doc, "suite"), text,
					      sizeof(text)));
	printf("ssrcs       %s\n", value_text("ssrcs", json_object_get(doc, "ssrcs"), text,
					      sizeof(text)));
	printf("send key    %s\n", send_key);
	printf("recv key    %s\n", recv_key);
	printf("expires     %s\n", value_text("expires", json_object_get(doc, "expires"), text,
					      sizeof(text)));
	printf("\nsend key protects what this leg sends, recv key what it receives "
	       "(SDES a=crypto key-params).\n");
	fflush(stdout);
	return CTL_EXIT_OK;
}

static const struct col user_cols[] = {
	{ "NAME", "name", false },
	{ "ROLE", "role", false },
};

static const struct col conf_cols[] = {
	{ "ID", "id", true },
	{ "NAME", "name", false },
	{ "OWNER", "owner", false },
	{ "MAX_LEGS", "max_legs", true },
	{ "EXPIRES", "expires", false },
	{ "RELAY", "relay", false },
};

static const struct col leg_cols[] = {
	{ "LEG", "leg", true },
	{ "OWNER", "owner", false },
	{ "SUITE", "suite", false },
	{ "SSRCS", "ssrcs", false },
	{ "RELAY", "relay", false },
};

/* ---- health ---- */

static int
cmd_api_health(struct ctl_ctx *ctx, int argc, char **argv)
{
	struct api_reply health, ready;
	json_t *is_ready;
	char text[128];
	bool up;
	int rc;

	rc = ctl_no_options(ctx, argc, argv);
	if (rc == 0)
		rc = ctl_operands(ctx, argc, argv, 0, NULL, false);
	if (rc == 0)
		rc = api_call_doc(ctx, "GET", "/health", NULL, false, &health);
	if (rc != 0)
		return rc;
	rc = api_send(ctx, "GET", "/ready", NULL, false, &ready);
	if (rc != 0) {
		reply_free(&health);
		return rc;
	}
	/* 503 with the readiness document is an answer: show it */
	is_ready = json_object_get(ready.doc, "ready");
	if (!(ready.status == 200 || ready.status == 503) || !json_is_boolean(is_ready)) {
		rc = ready.status >= 200 && ready.status < 300 ?
		     ctl_protocol_fail(ctx, "no readiness") : api_error(ctx, &ready);
		reply_free(&health);
		reply_free(&ready);
		return rc;
	}
	up = ready.status == 200 && json_is_true(is_ready);
	if (ctx->json) {
		ctl_json_print(json_pack("{s:O,s:O}", "health", health.doc, "ready", ready.doc),
			       false);
	} else {
		printf("health     %s\n", value_text("status", json_object_get(health.doc, "status"),
						     text, sizeof(text)));
		printf("ready      %s\n", up ? "yes" : "no");
		printf("redis      %s\n", value_text("redis", json_object_get(ready.doc, "redis"),
						     text, sizeof(text)));
		printf("dataplane  %s\n", value_text("dataplane",
						     json_object_get(ready.doc, "dataplane"), text,
						     sizeof(text)));
	}
	reply_free(&health);
	reply_free(&ready);
	if (!up) {
		fprintf(stderr, "sluicectl: %s: sluice-cp is not ready\n", ctx->cmd->words);
		return CTL_EXIT_UNAVAILABLE;
	}
	return CTL_EXIT_OK;
}

/* ---- the table ---- */

const struct ctl_cmd ctl_api_cmds[] = {
	{
		.words = "login",
		.synopsis = "USER [--password-file FILE] [--totp CODE | --recovery-code CODE] "
			    "[--token-out FILE]",
		.summary = "log in to sluice-cp and keep the token",
		.help =
			"  --password-file FILE  the password is the first line of FILE; without\n"
			"                  it, the password is asked for on a terminal (no echo),\n"
			"                  else read from a line of standard input\n"
			"  --totp CODE     the authenticator's 6 digits (asked for on a terminal\n"
			"                  when neither this nor --recovery-code is given)\n"
			"  --recovery-code CODE  one of the user's recovery codes (each works once)\n"
			"  --token-out FILE  write the token to FILE (mode 0600), for --token-file\n"
			"                  or $SLUICE_TOKEN_FILE; with --json the token is then left\n"
			"                  out of the output\n"
			"  The token is printed only with --json. Codes given as arguments are\n"
			"  visible to other users until sluicectl clears them.\n",
		.run = cmd_login,
	},
	{
		.words = "logout",
		.synopsis = "",
		.summary = "revoke the token in use",
		.run = cmd_request,
		.spec = &(const struct api_spec){
			.method = "POST", .path = "/logout",
			.done = "logged out: the token is revoked",
		},
	},
	{
		.words = "user add",
		.synopsis = "NAME --role ROLE [--password-file FILE] [--no-qr]",
		.summary = "create a user; shows its TOTP secret and recovery codes once",
		.help =
			"  NAME            1 to 64 of A-Z a-z 0-9 . _ @ -\n"
			"  --role ROLE     admin, organizer or participant\n"
			"  --password-file FILE  the password (12 to 256 bytes) is the first line\n"
			"                  of FILE; else asked for twice on a terminal, else read\n"
			"                  from a line of standard input\n"
			"  --no-qr         do not draw the QR code of the otpauth URI\n",
		.run = cmd_user_add,
	},
	{
		.words = "user list",
		.synopsis = "",
		.summary = "every user and its role",
		.run = cmd_request,
		.spec = &(const struct api_spec){
			.method = "GET", .path = "/users", .print = print_list,
			.list = "users", .missing = "no user list",
			.cols = user_cols, .n_cols = ARRAY_LEN(user_cols),
		},
	},
	{
		.words = "user del",
		.synopsis = "NAME",
		.summary = "delete a user; its tokens stop working",
		.run = cmd_request,
		.spec = &(const struct api_spec){
			.method = "DELETE", .path = "/users/{name}",
			.operands = OPERANDS_NAME,
			.done = "user {name} deleted; its tokens no longer work",
		},
	},
	{
		.words = "user reset-totp",
		.synopsis = "NAME [--no-qr]",
		.summary = "give a user a new TOTP secret and recovery codes",
		.help = "  --no-qr         do not draw the QR code of the otpauth URI\n",
		.run = cmd_request,
		.spec = &(const struct api_spec){
			.method = "POST", .path = "/users/{name}/totp",
			.operands = OPERANDS_NAME, .options = qr_options, .repeatable = true,
			.print = print_enrollment,
		},
	},
	{
		.words = "user role",
		.synopsis = "NAME ROLE",
		.summary = "change a user's role",
		.run = cmd_request,
		.spec = &(const struct api_spec){
			.method = "PUT", .path = "/users/{name}/role",
			.operands = OPERANDS_NAME_ROLE, .print = print_role,
		},
	},
	{
		.words = "conf create",
		.synopsis = "[--name NAME] [--max-legs N] [--ttl SECONDS]",
		.summary = "create a conference",
		.help =
			"  --name NAME     a name to show (the relay's default: none)\n"
			"  --max-legs N    legs the conference admits (default: sluice-cp's)\n"
			"  --ttl SECONDS   lifetime (default: sluice-cp's)\n",
		.run = cmd_request,
		.spec = &(const struct api_spec){
			.method = "POST", .path = "/conferences",
			.options = conf_create_options, .print = print_members,
		},
	},
	{
		.words = "conf list",
		.synopsis = "",
		.summary = "the conferences (an organizer's own, or all for an admin)",
		.run = cmd_request,
		.spec = &(const struct api_spec){
			.method = "GET", .path = "/conferences", .print = print_list,
			.list = "conferences", .missing = "no conference list",
			.cols = conf_cols, .n_cols = ARRAY_LEN(conf_cols),
		},
	},
	{
		.words = "conf show",
		.synopsis = "CONF_ID",
		.summary = "a conference and its number of legs",
		.run = cmd_request,
		.spec = &(const struct api_spec){
			.method = "GET", .path = "/conferences/{conf}",
			.operands = OPERANDS_CONF, .print = print_members,
		},
	},
	{
		.words = "conf end",
		.synopsis = "CONF_ID",
		.summary = "end a conference: every leg leaves, keys are deleted",
		.run = cmd_request,
		.spec = &(const struct api_spec){
			.method = "DELETE", .path = "/conferences/{conf}",
			.operands = OPERANDS_CONF,
			.done = "conference {conf} ended; its legs left and its keys are deleted",
		},
	},
	{
		.words = "token guest",
		.synopsis = "CONF_ID [--uses N] [--ttl SECONDS]",
		.summary = "a guest token for one conference",
		.help =
			"  --uses N        joins the token allows (default 1)\n"
			"  --ttl SECONDS   lifetime (default and maximum: sluice-cp's)\n",
		.run = cmd_request,
		.spec = &(const struct api_spec){
			.method = "POST", .path = "/conferences/{conf}/guest-tokens",
			.operands = OPERANDS_CONF, .options = token_guest_options,
			.print = print_guest_token,
		},
	},
	{
		.words = "leg join",
		.synopsis = "CONF_ID [--ssrcs N] [--suite SUITE] [--send-only|--recv-only]",
		.summary = "join a conference: relay address, suite, SSRCs and SDES keys",
		.help =
			"  --ssrcs N       SSRCs to allocate, 1 to 16 (default 2)\n"
			"  --suite SUITE   AES_CM_128_HMAC_SHA1_80, AES_CM_128_HMAC_SHA1_32,\n"
			"                  AEAD_AES_128_GCM or AEAD_AES_256_GCM (default: the\n"
			"                  relay's)\n"
			"  --send-only     the leg only sends; --recv-only: it only receives\n"
			"  The output holds the leg's two SRTP keys: keep it private.\n",
		.run = cmd_request,
		.spec = &(const struct api_spec){
			.method = "POST", .path = "/conferences/{conf}/legs",
			.operands = OPERANDS_CONF, .options = leg_join_options,
			.print = print_leg_join,
		},
	},
	{
		.words = "leg leave",
		.synopsis = "CONF_ID LEG_ID",
		.summary = "remove a leg from a conference",
		.run = cmd_request,
		.spec = &(const struct api_spec){
			.method = "DELETE", .path = "/conferences/{conf}/legs/{leg}",
			.operands = OPERANDS_CONF_LEG,
			.done = "leg {leg} left conference {conf}",
		},
	},
	{
		.words = "leg list",
		.synopsis = "CONF_ID",
		.summary = "the legs of a conference (without keys)",
		.run = cmd_request,
		.spec = &(const struct api_spec){
			.method = "GET", .path = "/conferences/{conf}/legs",
			.operands = OPERANDS_CONF, .print = print_list,
			.list = "legs", .missing = "no leg list",
			.cols = leg_cols, .n_cols = ARRAY_LEN(leg_cols),
		},
	},
	{
		.words = "relay status",
		.synopsis = "",
		.summary = "the relay's Redis and dataplane state, health and legs",
		.run = cmd_request,
		.spec = &(const struct api_spec){
			.method = "GET", .path = "/relay", .print = print_members,
		},
	},
	{
		.words = "api health",
		.synopsis = "",
		.summary = "whether sluice-cp runs and is ready (no token needed)",
		.help =
			"  Exits with 4 when sluice-cp answers but is not ready (Redis or the\n"
			"  dataplane unreachable); --json prints {\"health\": ..., \"ready\": ...}.\n",
		.run = cmd_api_health,
	},
	{ .words = NULL },
};
