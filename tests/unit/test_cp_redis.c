/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The Redis client against real redis-server processes (TCP, Unix socket, TLS, ACL users),
 * each started by the test on a free port or a socket in a temporary directory and killed
 * at the end. Every wait runs the event loop under a deadline; none is a timing assertion.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <openssl/ssl.h>

#include "cp_log.h"
#include "cp_redis.h"
#include "cp_tls.h"
#include "ut.h"

#define WAIT_MS 5000
#define MAX_SERVERS 16

/* ---- log capture: cp_redis logs through cp_log(); no secret may appear there ---- */

static char log_text[65536];
static size_t log_len;

void
cp_log(enum cp_log_level level, const char *fmt, ...)
{
	char line[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if (getenv("TEST_CP_REDIS_LOG") != NULL)
		fprintf(stderr, "log %d: %s\n", (int)level, line);
	n = snprintf(log_text + log_len, sizeof(log_text) - log_len, "%s\n", line);
	if (n > 0 && (size_t)n < sizeof(log_text) - log_len)
		log_len += (size_t)n;
}

/* ---- redis-server processes ---- */

struct srv {
	pid_t pid;
	uint16_t port;            /* 0 for a Unix socket */
	char sock[108];
	bool tls;
	bool v6;                  /* listen on ::1 instead of 127.0.0.1 */
};

static char tmpdir[] = "/tmp/test_cp_redis.XXXXXX";
static bool have_tmpdir;
static pid_t pids[MAX_SERVERS];
static struct event_base *base;
static struct srv main_srv;

static void
pid_forget(pid_t pid)
{
	for (int i = 0; i < MAX_SERVERS; i++)
		if (pids[i] == pid)
			pids[i] = 0;
}

static void
kill_all(void)
{
	for (int i = 0; i < MAX_SERVERS; i++) {
		if (pids[i] > 0) {
			kill(pids[i], SIGKILL);
			waitpid(pids[i], NULL, 0);
			pids[i] = 0;
		}
	}
}

static uint16_t
free_port(void)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	socklen_t len = sizeof(sin);
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	uint16_t port = 0;

	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0)
		return 0;
	if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) == 0 &&
	    getsockname(fd, (struct sockaddr *)&sin, &len) == 0)
		port = ntohs(sin.sin_port);
	close(fd);
	return port;
}

static bool
can_connect(const struct srv *s)
{
	int fd, rc;

	if (s->port != 0 && s->v6) {
		struct sockaddr_in6 sin6 = { .sin6_family = AF_INET6, .sin6_port = htons(s->port) };

		sin6.sin6_addr = in6addr_loopback;
		fd = socket(AF_INET6, SOCK_STREAM, 0);
		if (fd < 0)
			return false;
		rc = connect(fd, (struct sockaddr *)&sin6, sizeof(sin6));
	} else if (s->port != 0) {
		struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(s->port) };

		sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		fd = socket(AF_INET, SOCK_STREAM, 0);
		if (fd < 0)
			return false;
		rc = connect(fd, (struct sockaddr *)&sin, sizeof(sin));
	} else {
		struct sockaddr_un sun = { .sun_family = AF_UNIX };

		snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", s->sock);
		fd = socket(AF_UNIX, SOCK_STREAM, 0);
		if (fd < 0)
			return false;
		rc = connect(fd, (struct sockaddr *)&sun, sizeof(sun));
	}
	close(fd);
	return rc == 0;
}

static void
sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/* Starts redis-server for s (port or sock already set); waits until it accepts. 0 or -1. */
static int
srv_start(struct srv *s)
{
	const char *args[48];
	char port[16], log[300], cert[300], key[300], ca[300];
	int n = 0, slot = -1;
	pid_t pid;

	for (int i = 0; i < MAX_SERVERS; i++)
		if (pids[i] == 0) {
			slot = i;
			break;
		}
	if (slot < 0)
		return -1;
	snprintf(port, sizeof(port), "%u", (unsigned int)s->port);
	snprintf(log, sizeof(log), "%s/redis-%u-%d.log", tmpdir, (unsigned int)s->port, slot);
	snprintf(cert, sizeof(cert), "%s/srv.crt", tmpdir);
	snprintf(key, sizeof(key), "%s/srv.key", tmpdir);
	snprintf(ca, sizeof(ca), "%s/ca.crt", tmpdir);
	args[n++] = "redis-server";
	args[n++] = "--bind";
	args[n++] = s->v6 ? "::1" : "127.0.0.1";
	args[n++] = "--save";
	args[n++] = "";
	args[n++] = "--appendonly";
	args[n++] = "no";
	args[n++] = "--dir";
	args[n++] = tmpdir;
	args[n++] = "--logfile";
	args[n++] = log;
	if (s->port == 0) {
		args[n++] = "--port";
		args[n++] = "0";
		args[n++] = "--unixsocket";
		args[n++] = s->sock;
		args[n++] = "--unixsocketperm";
		args[n++] = "700";
	} else if (s->tls) {
		args[n++] = "--port";
		args[n++] = "0";
		args[n++] = "--tls-port";
		args[n++] = port;
		args[n++] = "--tls-cert-file";
		args[n++] = cert;
		args[n++] = "--tls-key-file";
		args[n++] = key;
		args[n++] = "--tls-ca-cert-file";
		args[n++] = ca;
		args[n++] = "--tls-auth-clients";
		args[n++] = "no";
	} else {
		args[n++] = "--port";
		args[n++] = port;
	}
	args[n] = NULL;

	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		char *av[48];
		int null = open("/dev/null", O_RDWR);

		/* The server dies with the test, even when the test crashes. */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (null >= 0) {
			dup2(null, STDOUT_FILENO);
			dup2(null, STDERR_FILENO);
		}
		for (int i = 0; i <= n; i++)
			av[i] = args[i] != NULL ? strdup(args[i]) : NULL;
		execvp(av[0], av);
		_exit(127);
	}
	pids[slot] = pid;
	s->pid = pid;
	for (int i = 0; i < WAIT_MS / 10; i++) {
		if (waitpid(pid, NULL, WNOHANG) == pid) {
			pid_forget(pid);
			s->pid = 0;
			return -1;
		}
		if (can_connect(s))
			return 0;
		sleep_ms(10);
	}
	return -1;
}

static void
srv_kill(struct srv *s)
{
	if (s->pid <= 0)
		return;
	kill(s->pid, SIGKILL);
	waitpid(s->pid, NULL, 0);
	pid_forget(s->pid);
	s->pid = 0;
}

static int
srv_tcp(struct srv *s, bool tls)
{
	memset(s, 0, sizeof(*s));
	s->tls = tls;
	s->port = free_port();
	if (s->port == 0)
		return -1;
	return srv_start(s);
}

/* ---- the event loop under a deadline ---- */

static void
on_deadline(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	*(bool *)arg = true;
}

/* Runs the loop until *counter reaches target or ms pass; true when it was reached. */
static bool
run_until(const int *counter, int target, int ms)
{
	struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };
	bool expired = false;
	struct event *ev = evtimer_new(base, on_deadline, &expired);

	evtimer_add(ev, &tv);
	while (*counter < target && !expired)
		event_base_loop(base, EVLOOP_ONCE);
	event_free(ev);
	return *counter >= target;
}

static void
run_for(int ms)
{
	int never = 0;

	(void)run_until(&never, 1, ms);
}

/* ---- clients and replies as the tests see them ---- */

struct tclient {
	struct cp_redis *r;
	int ups;
	int downs;
	char seq[64];             /* U, D, N (a NULL reply) in the order they came */
	size_t seq_len;
};

static void
seq_add(struct tclient *c, char ch)
{
	if (c->seq_len + 1 < sizeof(c->seq))
		c->seq[c->seq_len++] = ch;
}

static void
on_state(struct cp_redis *r, bool up, void *arg)
{
	struct tclient *c = arg;

	(void)r;
	if (up)
		c->ups++;
	else
		c->downs++;
	seq_add(c, up ? 'U' : 'D');
}

struct tr {
	int calls;
	bool null;
	enum cp_rtype type;
	long long integer;
	char str[256];
	size_t len;
	size_t n;
	struct tclient *client;   /* for the order of NULL replies and state changes */
};

static void
on_reply(struct cp_redis *r, const struct cp_rreply *rep, void *arg)
{
	struct tr *t = arg;

	(void)r;
	t->calls++;
	t->null = rep == NULL;
	if (rep == NULL) {
		if (t->client != NULL)
			seq_add(t->client, 'N');
		return;
	}
	t->type = rep->type;
	t->integer = rep->integer;
	t->n = rep->n;
	t->len = rep->len;
	if (rep->str != NULL)
		memcpy(t->str, rep->str, rep->len < sizeof(t->str) ? rep->len : sizeof(t->str));
}

static struct cp_redis_opts
opts_tcp(const struct srv *s, struct tclient *c)
{
	struct cp_redis_opts o = {
		.host = "127.0.0.1",
		.port = s->port,
		.backoff_min_ms = 20,
		.backoff_max_ms = 100,
		.timeout_ms = 3000,
		.on_state = on_state,
		.arg = c,
	};

	return o;
}

/* Connects c and waits for on_state(true). */
static bool
client_up(struct tclient *c, const struct cp_redis_opts *o)
{
	memset(c, 0, sizeof(*c));
	c->r = cp_redis_new(base, o);
	if (c->r == NULL)
		return false;
	return run_until(&c->ups, 1, WAIT_MS);
}

/* Runs a command given as a hiredis format with one string argument at most; waits. */
static void
cmd_wait(struct tclient *c, struct tr *t, const char *fmt, const char *a1, const char *a2)
{
	int rc;

	memset(t, 0, sizeof(*t));
	rc = cp_redis_cmdf(c->r, on_reply, t, fmt, a1, a2);
	CU_ASSERT_EQUAL(rc, 0);
	if (rc == 0)
		CU_ASSERT_TRUE(run_until(&t->calls, 1, WAIT_MS));
}

/* ---- suite setup ---- */

static int
rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	remove(path);
	return 0;
}

static void
cleanup_all(void)
{
	kill_all();
	if (have_tmpdir) {
		nftw(tmpdir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
		have_tmpdir = false;
	}
}

/* A CA, a server certificate for localhost and 127.0.0.1, and an unrelated CA. */
static int
make_certs(void)
{
	char cmd[4096];
	FILE *f;

	snprintf(cmd, sizeof(cmd), "%s/openssl.cnf", tmpdir);
	f = fopen(cmd, "w");
	if (f == NULL)
		return -1;
	fputs("[req]\ndistinguished_name = dn\nprompt = no\n[dn]\nCN = test\n"
	      "[ca]\nbasicConstraints = critical,CA:TRUE\nkeyUsage = critical,keyCertSign,cRLSign\n"
	      "subjectKeyIdentifier = hash\n"
	      "[srv]\nbasicConstraints = CA:FALSE\nkeyUsage = critical,digitalSignature\n"
	      "extendedKeyUsage = serverAuth\nsubjectAltName = DNS:localhost,IP:127.0.0.1\n", f);
	fclose(f);
	snprintf(cmd, sizeof(cmd),
		 "(cd '%s' && "
		 "openssl req -config openssl.cnf -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 "
		 "-nodes -keyout ca.key -out ca.crt -days 2 -extensions ca -subj /CN=test-ca && "
		 "openssl req -config openssl.cnf -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 "
		 "-nodes -keyout other.key -out other.crt -days 2 -extensions ca -subj /CN=other-ca && "
		 "openssl req -config openssl.cnf -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 "
		 "-nodes -keyout srv.key -out srv.csr -subj /CN=localhost && "
		 "openssl x509 -req -in srv.csr -CA ca.crt -CAkey ca.key -set_serial 2 -days 2 "
		 "-extfile openssl.cnf -extensions srv -out srv.crt) >/dev/null 2>&1",
		 tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

static int
suite_init(void)
{
	signal(SIGPIPE, SIG_IGN);
	if (mkdtemp(tmpdir) == NULL)
		return -1;
	have_tmpdir = true;
	atexit(cleanup_all);
	if (make_certs() < 0)
		return -1;
	base = event_base_new();
	if (base == NULL)
		return -1;
	return srv_tcp(&main_srv, false);
}

static int
suite_clean(void)
{
	cleanup_all();
	if (base != NULL)
		event_base_free(base);
	base = NULL;
	return 0;
}

/* ---- tests ---- */

static void
test_set_get_binary_safe_value(void)
{
	static const char val[] = { 'a', '\0', 'b', '\r', '\n', '\0' };
	struct cp_redis_opts o;
	struct tclient c;
	struct tr t;
	const char *argv[3] = { "SET", "bin", val };
	const size_t lens[3] = { 3, 3, sizeof(val) };

	/* given a client that is up */
	o = opts_tcp(&main_srv, &c);
	CU_ASSERT_FATAL(client_up(&c, &o));
	CU_ASSERT_TRUE(cp_redis_up(c.r));

	/* when a value with NUL and CRLF is set by argv and read back */
	memset(&t, 0, sizeof(t));
	CU_ASSERT_EQUAL(cp_redis_cmdv(c.r, on_reply, &t, 3, argv, lens), 0);
	CU_ASSERT_TRUE(run_until(&t.calls, 1, WAIT_MS));
	CU_ASSERT_EQUAL(t.type, CP_R_STATUS);
	CU_ASSERT_EQUAL(t.len, 2);
	CU_ASSERT_EQUAL(memcmp(t.str, "OK", 2), 0);
	cmd_wait(&c, &t, "GET %s", "bin", NULL);

	/* then every byte comes back */
	CU_ASSERT_EQUAL(t.type, CP_R_STRING);
	CU_ASSERT_EQUAL(t.len, sizeof(val));
	CU_ASSERT_EQUAL(memcmp(t.str, val, sizeof(val)), 0);

	/* and the same through the %b format */
	memset(&t, 0, sizeof(t));
	CU_ASSERT_EQUAL(cp_redis_cmdf(c.r, on_reply, &t, "SET %s %b", "bin2", val, sizeof(val)),
			0);
	CU_ASSERT_TRUE(run_until(&t.calls, 1, WAIT_MS));
	cmd_wait(&c, &t, "GET %s", "bin2", NULL);
	CU_ASSERT_EQUAL(t.len, sizeof(val));
	CU_ASSERT_EQUAL(memcmp(t.str, val, sizeof(val)), 0);
	cp_redis_free(c.r);
}

#define NINCR 1000

struct incr_state {
	int calls;
	int out_of_order;
	long long first;
};

struct incr_arg {
	struct incr_state *st;
	int i;
};

static void
on_incr(struct cp_redis *r, const struct cp_rreply *rep, void *arg)
{
	struct incr_arg *a = arg;

	(void)r;
	if (rep == NULL || rep->type != CP_R_INT || a->i != a->st->calls ||
	    rep->integer != a->st->first + a->i)
		a->st->out_of_order++;
	a->st->calls++;
}

static void
test_pipelined_incrs_answer_in_order(void)
{
	static struct incr_arg args[NINCR];
	struct incr_state st = { 0, 0, 1 };
	struct cp_redis_opts o;
	struct tclient c;
	struct tr t;
	int queued = 0;

	/* given a fresh counter */
	o = opts_tcp(&main_srv, &c);
	CU_ASSERT_FATAL(client_up(&c, &o));
	cmd_wait(&c, &t, "DEL %s", "ctr", NULL);

	/* when 1000 INCRs are queued without waiting */
	for (int i = 0; i < NINCR; i++) {
		args[i].st = &st;
		args[i].i = i;
		if (cp_redis_cmdf(c.r, on_incr, &args[i], "INCR %s", "ctr") == 0)
			queued++;
	}
	CU_ASSERT_EQUAL(queued, NINCR);
	CU_ASSERT_TRUE(run_until(&st.calls, NINCR, WAIT_MS));

	/* then each callback saw its own reply, 1..1000, in order */
	CU_ASSERT_EQUAL(st.calls, NINCR);
	CU_ASSERT_EQUAL(st.out_of_order, 0);
	cmd_wait(&c, &t, "GET %s", "ctr", NULL);
	CU_ASSERT_EQUAL(t.len, 4);
	CU_ASSERT_EQUAL(memcmp(t.str, "1000", 4), 0);
	cp_redis_free(c.r);
}

struct hash_check {
	int calls;
	size_t n;
	char role[32];
	bool missing_is_null;
	bool null_array_is_null;
};

static void
on_hgetall(struct cp_redis *r, const struct cp_rreply *rep, void *arg)
{
	struct hash_check *h = arg;
	const struct cp_rreply *f;

	(void)r;
	h->calls++;
	if (rep == NULL || rep->type != CP_R_ARRAY)
		return;
	h->n = rep->n;
	f = cp_rreply_field(rep, "role");
	if (f != NULL && f->type == CP_R_STRING && f->len < sizeof(h->role))
		memcpy(h->role, f->str, f->len + 1);
	h->missing_is_null = cp_rreply_field(rep, "missing") == NULL;
	h->null_array_is_null = cp_rreply_field(NULL, "role") == NULL;
}

static void
test_hgetall_array_and_field_lookup(void)
{
	struct hash_check h = { 0 };
	struct cp_redis_opts o;
	struct tclient c;
	struct tr t;

	/* given a hash with two fields */
	o = opts_tcp(&main_srv, &c);
	CU_ASSERT_FATAL(client_up(&c, &o));
	cmd_wait(&c, &t, "DEL %s", "h", NULL);
	cmd_wait(&c, &t, "HSET h name %s role %s", "alice", "admin");
	CU_ASSERT_EQUAL(t.type, CP_R_INT);
	CU_ASSERT_EQUAL(t.integer, 2);

	/* when it is read with HGETALL */
	CU_ASSERT_EQUAL(cp_redis_cmdf(c.r, on_hgetall, &h, "HGETALL %s", "h"), 0);
	CU_ASSERT_TRUE(run_until(&h.calls, 1, WAIT_MS));

	/* then the array holds 4 elements and fields are found by name */
	CU_ASSERT_EQUAL(h.n, 4);
	CU_ASSERT_STRING_EQUAL(h.role, "admin");
	CU_ASSERT_TRUE(h.missing_is_null);
	CU_ASSERT_TRUE(h.null_array_is_null);
	cp_redis_free(c.r);
}

static void
test_error_and_nil_replies(void)
{
	struct cp_redis_opts o;
	struct tclient c;
	struct tr t;

	/* (a host name, resolved when connecting) */
	o = opts_tcp(&main_srv, &c);
	o.host = "localhost";
	CU_ASSERT_FATAL(client_up(&c, &o));

	/* a command on the wrong type is an error reply with the server's text */
	cmd_wait(&c, &t, "SET %s %s", "s", "text");
	cmd_wait(&c, &t, "INCR %s", "s", NULL);
	CU_ASSERT_EQUAL(t.type, CP_R_ERROR);
	CU_ASSERT_EQUAL(memcmp(t.str, "ERR ", 4), 0);

	/* an unknown command too, and the connection stays usable */
	cmd_wait(&c, &t, "NOSUCHCMD %s", "x", NULL);
	CU_ASSERT_EQUAL(t.type, CP_R_ERROR);
	CU_ASSERT_TRUE(cp_redis_up(c.r));
	cmd_wait(&c, &t, "PING", NULL, NULL);
	CU_ASSERT_EQUAL(t.type, CP_R_STATUS);
	CU_ASSERT_EQUAL(memcmp(t.str, "PONG", 4), 0);

	/* a missing key is nil */
	cmd_wait(&c, &t, "GET %s", "no-such-key", NULL);
	CU_ASSERT_EQUAL(t.type, CP_R_NIL);
	CU_ASSERT_EQUAL(t.len, 0);

	/* and a nil inside an array is an element of type nil */
	cmd_wait(&c, &t, "MGET %s %s", "s", "no-such-key");
	CU_ASSERT_EQUAL(t.type, CP_R_ARRAY);
	CU_ASSERT_EQUAL(t.n, 2);
	cp_redis_free(c.r);
}

static void
test_bad_arguments_are_einval(void)
{
	struct cp_redis_opts o;
	struct tclient c;
	const char *argv[1] = { NULL };

	/* options without an address, or a user without a password, are refused */
	memset(&o, 0, sizeof(o));
	CU_ASSERT_PTR_NULL(cp_redis_new(base, &o));
	CU_ASSERT_PTR_NULL(cp_redis_new(NULL, &o));
	CU_ASSERT_PTR_NULL(cp_redis_new(base, NULL));
	o = opts_tcp(&main_srv, &c);
	o.user = "u";
	CU_ASSERT_PTR_NULL(cp_redis_new(base, &o));

	/* commands without arguments are refused */
	o = opts_tcp(&main_srv, &c);
	CU_ASSERT_FATAL(client_up(&c, &o));
	CU_ASSERT_EQUAL(cp_redis_cmdv(c.r, on_reply, NULL, 0, argv, NULL), -EINVAL);
	CU_ASSERT_EQUAL(cp_redis_cmdv(c.r, on_reply, NULL, 1, argv, NULL), -EINVAL);
	CU_ASSERT_EQUAL(cp_redis_cmdf(NULL, on_reply, NULL, "PING"), -EINVAL);
	CU_ASSERT_EQUAL(cp_redis_eval(c.r, NULL, on_reply, NULL, 0, 0, NULL, NULL), -EINVAL);
	cp_redis_free(c.r);
}

static void
test_script_runs_by_sha_and_survives_script_flush(void)
{
	struct cp_redis_script *s, *bad;
	struct cp_redis_opts o;
	struct tclient c;
	struct tr t;
	const char *argv[2] = { "sk", "5" };

	/* given a script that adds ARGV[1] to KEYS[1] */
	s = cp_redis_script_new("return redis.call('INCRBY', KEYS[1], ARGV[1])");
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	o = opts_tcp(&main_srv, &c);
	CU_ASSERT_FATAL(client_up(&c, &o));
	cmd_wait(&c, &t, "DEL %s", "sk", NULL);

	/* when it runs twice */
	memset(&t, 0, sizeof(t));
	CU_ASSERT_EQUAL(cp_redis_eval(c.r, s, on_reply, &t, 1, 2, argv, NULL), 0);
	CU_ASSERT_TRUE(run_until(&t.calls, 1, WAIT_MS));
	CU_ASSERT_EQUAL(t.type, CP_R_INT);
	CU_ASSERT_EQUAL(t.integer, 5);
	memset(&t, 0, sizeof(t));
	CU_ASSERT_EQUAL(cp_redis_eval(c.r, s, on_reply, &t, 1, 2, argv, NULL), 0);
	CU_ASSERT_TRUE(run_until(&t.calls, 1, WAIT_MS));
	CU_ASSERT_EQUAL(t.integer, 10);

	/* then after SCRIPT FLUSH the NOSCRIPT answer is handled inside the client */
	cmd_wait(&c, &t, "SCRIPT FLUSH", NULL, NULL);
	CU_ASSERT_EQUAL(t.type, CP_R_STATUS);
	memset(&t, 0, sizeof(t));
	CU_ASSERT_EQUAL(cp_redis_eval(c.r, s, on_reply, &t, 1, 2, argv, NULL), 0);
	CU_ASSERT_TRUE(run_until(&t.calls, 1, WAIT_MS));
	CU_ASSERT_EQUAL(t.calls, 1);
	CU_ASSERT_EQUAL(t.type, CP_R_INT);
	CU_ASSERT_EQUAL(t.integer, 15);

	/* and a script that does not compile reaches the caller as an error */
	bad = cp_redis_script_new("return (");
	CU_ASSERT_PTR_NOT_NULL_FATAL(bad);
	memset(&t, 0, sizeof(t));
	CU_ASSERT_EQUAL(cp_redis_eval(c.r, bad, on_reply, &t, 0, 0, NULL, NULL), 0);
	CU_ASSERT_TRUE(run_until(&t.calls, 1, WAIT_MS));
	CU_ASSERT_EQUAL(t.type, CP_R_ERROR);
	CU_ASSERT_TRUE(cp_redis_up(c.r));
	cp_redis_free(c.r);
	cp_redis_script_free(bad);
	cp_redis_script_free(s);
}

/* Runs the loop until the client has retried n more times (or WAIT_MS). */
static void
run_retries(struct cp_redis *r, uint64_t n)
{
	uint64_t target = cp_redis_reconnects(r) + n;

	for (int i = 0; i < WAIT_MS / 20 && cp_redis_reconnects(r) < target; i++)
		run_for(20);
}

static void
test_not_connected_is_enotconn(void)
{
	struct srv nobody = { 0 };
	struct cp_redis_opts o;
	struct tclient c;
	struct tr t = { 0 };
	uint64_t before;

	/* given a client towards a port where nothing listens */
	nobody.port = free_port();
	o = opts_tcp(&nobody, &c);
	memset(&c, 0, sizeof(c));
	c.r = cp_redis_new(base, &o);
	CU_ASSERT_PTR_NOT_NULL_FATAL(c.r);

	/* when commands are queued, at once and after some failed attempts */
	CU_ASSERT_EQUAL(cp_redis_cmdf(c.r, on_reply, &t, "PING"), -ENOTCONN);
	before = cp_redis_reconnects(c.r);
	run_retries(c.r, 2);
	CU_ASSERT_TRUE(cp_redis_reconnects(c.r) >= before + 2);
	CU_ASSERT_EQUAL(cp_redis_cmdf(c.r, on_reply, &t, "PING"), -ENOTCONN);

	/* then no callback ran and the client never came up */
	CU_ASSERT_EQUAL(t.calls, 0);
	CU_ASSERT_EQUAL(c.ups, 0);
	CU_ASSERT_FALSE(cp_redis_up(c.r));
	cp_redis_free(c.r);
}

static void
test_free_fails_pending_commands(void)
{
	struct cp_redis_opts o;
	struct tclient c;
	struct tr t[3];

	/* given three commands queued */
	o = opts_tcp(&main_srv, &c);
	CU_ASSERT_FATAL(client_up(&c, &o));
	memset(t, 0, sizeof(t));
	for (int i = 0; i < 3; i++)
		CU_ASSERT_EQUAL(cp_redis_cmdf(c.r, on_reply, &t[i], "PING"), 0);

	/* when the client is freed before the loop runs */
	cp_redis_free(c.r);

	/* then each callback ran once, with NULL */
	for (int i = 0; i < 3; i++) {
		CU_ASSERT_EQUAL(t[i].calls, 1);
		CU_ASSERT_TRUE(t[i].null);
	}
}

static void
test_auth_with_acl_user_and_password(void)
{
	struct srv s;
	struct cp_redis_opts o;
	struct tclient admin, app, wrong, plain;
	struct tr t;

	/* given a server with an ACL user app */
	CU_ASSERT_FATAL(srv_tcp(&s, false) == 0);
	o = opts_tcp(&s, &admin);
	CU_ASSERT_FATAL(client_up(&admin, &o));
	cmd_wait(&admin, &t, "ACL SETUSER app on >%s ~* +@all", "app-s3cret-pw", NULL);
	CU_ASSERT_EQUAL(t.type, CP_R_STATUS);

	/* when a client authenticates as app */
	o = opts_tcp(&s, &app);
	o.user = "app";
	o.password = "app-s3cret-pw";
	CU_ASSERT_TRUE_FATAL(client_up(&app, &o));

	/* then its commands run as app */
	cmd_wait(&app, &t, "ACL WHOAMI", NULL, NULL);
	CU_ASSERT_EQUAL(t.type, CP_R_STRING);
	CU_ASSERT_EQUAL(t.len, 3);
	CU_ASSERT_EQUAL(memcmp(t.str, "app", 3), 0);

	/* when a client has the wrong password */
	log_len = 0;
	log_text[0] = '\0';
	o = opts_tcp(&s, &wrong);
	o.user = "app";
	o.password = "wrong-pw-4711";
	o.backoff_min_ms = 10;
	o.backoff_max_ms = 40;
	memset(&wrong, 0, sizeof(wrong));
	wrong.r = cp_redis_new(base, &o);
	CU_ASSERT_PTR_NOT_NULL_FATAL(wrong.r);
	run_retries(wrong.r, 3);

	/* then it retries, never comes up, and no password reaches the log */
	CU_ASSERT_TRUE(cp_redis_reconnects(wrong.r) >= 3);
	CU_ASSERT_EQUAL(wrong.ups, 0);
	CU_ASSERT_FALSE(cp_redis_up(wrong.r));
	CU_ASSERT_EQUAL(cp_redis_cmdf(wrong.r, on_reply, &t, "PING"), -ENOTCONN);
	CU_ASSERT_PTR_NOT_NULL(strstr(log_text, "AUTH as app refused"));
	CU_ASSERT_PTR_NULL(strstr(log_text, "wrong-pw-4711"));
	CU_ASSERT_PTR_NULL(strstr(log_text, "app-s3cret-pw"));
	cp_redis_free(wrong.r);

	/* when the default user needs a password, AUTH with the password alone works */
	cmd_wait(&admin, &t, "CONFIG SET requirepass %s", "plain-pw-0815", NULL);
	CU_ASSERT_EQUAL(t.type, CP_R_STATUS);
	o = opts_tcp(&s, &plain);
	o.password = "plain-pw-0815";
	CU_ASSERT_TRUE(client_up(&plain, &o));
	cmd_wait(&plain, &t, "ACL WHOAMI", NULL, NULL);
	CU_ASSERT_EQUAL(t.len, 7);
	CU_ASSERT_EQUAL(memcmp(t.str, "default", 7), 0);

	cp_redis_free(plain.r);
	cp_redis_free(app.r);
	cp_redis_free(admin.r);
	srv_kill(&s);
}

static void
test_unix_socket(void)
{
	struct srv s = { 0 };
	struct cp_redis_opts o;
	struct tclient c;
	struct tr t;

	/* given a server on a Unix socket only */
	snprintf(s.sock, sizeof(s.sock), "%s/redis.sock", tmpdir);
	CU_ASSERT_FATAL(srv_start(&s) == 0);

	/* when a client connects to it */
	o = opts_tcp(&s, &c);
	o.host = NULL;
	o.port = 0;
	o.unix_path = s.sock;
	CU_ASSERT_TRUE_FATAL(client_up(&c, &o));

	/* then commands run */
	cmd_wait(&c, &t, "PING", NULL, NULL);
	CU_ASSERT_EQUAL(t.type, CP_R_STATUS);
	CU_ASSERT_EQUAL(memcmp(t.str, "PONG", 4), 0);
	cp_redis_free(c.r);
	srv_kill(&s);
}

static void
test_ipv6_literal_host(void)
{
	struct srv s = { .v6 = true };
	struct cp_redis_opts o;
	struct tclient c;
	struct tr t;

	/* given a server on ::1 only */
	s.port = free_port();
	CU_ASSERT_FATAL(srv_start(&s) == 0);

	/* when a client connects to the IPv6 literal */
	o = opts_tcp(&s, &c);
	o.host = "::1";
	CU_ASSERT_TRUE_FATAL(client_up(&c, &o));

	/* then commands run */
	cmd_wait(&c, &t, "PING", NULL, NULL);
	CU_ASSERT_EQUAL(t.type, CP_R_STATUS);
	cp_redis_free(c.r);
	srv_kill(&s);
}

static void
test_tls_server_ctx_needs_matching_key(void)
{
	char cert[300], key[300], wrong[300], err[256] = "";
	SSL_CTX *ctx;

	snprintf(cert, sizeof(cert), "%s/srv.crt", tmpdir);
	snprintf(key, sizeof(key), "%s/srv.key", tmpdir);
	snprintf(wrong, sizeof(wrong), "%s/ca.key", tmpdir);

	ctx = cp_tls_server_ctx(cert, key, err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL(ctx);
	CU_ASSERT_EQUAL(SSL_CTX_get_min_proto_version(ctx), TLS1_2_VERSION);
	SSL_CTX_free(ctx);

	ctx = cp_tls_server_ctx(cert, wrong, err, sizeof(err));
	CU_ASSERT_PTR_NULL(ctx);
	CU_ASSERT_NOT_EQUAL(err[0], '\0');
	CU_ASSERT_PTR_NULL(cp_tls_server_ctx(NULL, key, err, sizeof(err)));
	CU_ASSERT_EQUAL(cp_tls_set_host(NULL, "localhost"), -1);
}

static void
test_tls_verified_server(void)
{
	char ca[300], other[300], err[256];
	SSL_CTX *good, *bad;
	struct srv s;
	struct cp_redis_opts o;
	struct tclient byname, byip, badca, badname;
	struct tr t;

	/* given a TLS-only server with a certificate from our CA */
	snprintf(ca, sizeof(ca), "%s/ca.crt", tmpdir);
	snprintf(other, sizeof(other), "%s/other.crt", tmpdir);
	CU_ASSERT_FATAL(srv_tcp(&s, true) == 0);
	good = cp_tls_client_ctx(ca, err, sizeof(err));
	bad = cp_tls_client_ctx(other, err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(good);
	CU_ASSERT_PTR_NOT_NULL_FATAL(bad);

	/* when a client verifies it by name against the CA, it comes up and runs commands */
	o = opts_tcp(&s, &byname);
	o.tls = good;
	o.tls_servername = "localhost";
	CU_ASSERT_TRUE_FATAL(client_up(&byname, &o));
	cmd_wait(&byname, &t, "SET %s %s", "tlskey", "tlsval");
	cmd_wait(&byname, &t, "GET %s", "tlskey", NULL);
	CU_ASSERT_EQUAL(t.type, CP_R_STRING);
	CU_ASSERT_EQUAL(t.len, 6);
	CU_ASSERT_EQUAL(memcmp(t.str, "tlsval", 6), 0);

	/* and by its IP address (an iPAddress name in the certificate) */
	o = opts_tcp(&s, &byip);
	o.tls = good;
	CU_ASSERT_TRUE(client_up(&byip, &o));

	/* then a client trusting another CA never comes up */
	o = opts_tcp(&s, &badca);
	o.tls = bad;
	o.tls_servername = "localhost";
	memset(&badca, 0, sizeof(badca));
	badca.r = cp_redis_new(base, &o);
	CU_ASSERT_PTR_NOT_NULL_FATAL(badca.r);

	/* nor does one that expects another name */
	o = opts_tcp(&s, &badname);
	o.tls = good;
	o.tls_servername = "redis.example.org";
	memset(&badname, 0, sizeof(badname));
	badname.r = cp_redis_new(base, &o);
	CU_ASSERT_PTR_NOT_NULL_FATAL(badname.r);

	run_retries(badca.r, 2);
	run_retries(badname.r, 2);
	CU_ASSERT_TRUE(cp_redis_reconnects(badca.r) >= 2);
	CU_ASSERT_TRUE(cp_redis_reconnects(badname.r) >= 2);
	CU_ASSERT_EQUAL(badca.ups, 0);
	CU_ASSERT_EQUAL(badname.ups, 0);
	CU_ASSERT_FALSE(cp_redis_up(badca.r));

	cp_redis_free(badname.r);
	cp_redis_free(badca.r);
	cp_redis_free(byip.r);
	cp_redis_free(byname.r);
	SSL_CTX_free(bad);
	SSL_CTX_free(good);
	srv_kill(&s);
}

static void
test_server_killed_then_restarted(void)
{
	struct srv s;
	struct cp_redis_opts o;
	struct tclient c;
	struct tr blocked, queued, t;

	/* given a client with two commands pending (BLPOP blocks the server side) */
	CU_ASSERT_FATAL(srv_tcp(&s, false) == 0);
	o = opts_tcp(&s, &c);
	o.timeout_ms = 10000;
	CU_ASSERT_FATAL(client_up(&c, &o));
	memset(&blocked, 0, sizeof(blocked));
	memset(&queued, 0, sizeof(queued));
	blocked.client = &c;
	queued.client = &c;
	CU_ASSERT_EQUAL(cp_redis_cmdf(c.r, on_reply, &blocked, "BLPOP %s 0", "q"), 0);
	CU_ASSERT_EQUAL(cp_redis_cmdf(c.r, on_reply, &queued, "GET %s", "x"), 0);
	run_for(100);
	CU_ASSERT_EQUAL(blocked.calls, 0);

	/* when the server is killed */
	srv_kill(&s);
	CU_ASSERT_TRUE(run_until(&c.downs, 1, WAIT_MS));

	/* then both callbacks ran with NULL, before on_state(false) */
	CU_ASSERT_EQUAL(blocked.calls, 1);
	CU_ASSERT_TRUE(blocked.null);
	CU_ASSERT_EQUAL(queued.calls, 1);
	CU_ASSERT_TRUE(queued.null);
	CU_ASSERT_STRING_EQUAL(c.seq, "UNND");
	CU_ASSERT_FALSE(cp_redis_up(c.r));
	CU_ASSERT_EQUAL(cp_redis_cmdf(c.r, on_reply, &t, "PING"), -ENOTCONN);

	/* when it comes back on the same port, the client reconnects on its own */
	CU_ASSERT_FATAL(srv_start(&s) == 0);
	CU_ASSERT_TRUE(run_until(&c.ups, 2, WAIT_MS));
	CU_ASSERT_TRUE(cp_redis_up(c.r));
	CU_ASSERT_TRUE(cp_redis_reconnects(c.r) >= 1);
	cmd_wait(&c, &t, "PING", NULL, NULL);
	CU_ASSERT_EQUAL(t.type, CP_R_STATUS);
	cp_redis_free(c.r);
	srv_kill(&s);
}

static void
test_command_timeout_drops_and_reconnects(void)
{
	struct cp_redis_opts o;
	struct tclient c;
	struct tr blocked, t;

	/* given a client with a short command timeout */
	o = opts_tcp(&main_srv, &c);
	o.timeout_ms = 200;
	CU_ASSERT_FATAL(client_up(&c, &o));

	/* when a command gets no answer (BLPOP on an empty list) */
	memset(&blocked, 0, sizeof(blocked));
	blocked.client = &c;
	CU_ASSERT_EQUAL(cp_redis_cmdf(c.r, on_reply, &blocked, "BLPOP %s 0", "never"), 0);
	CU_ASSERT_TRUE(run_until(&c.downs, 1, WAIT_MS));

	/* then it fails with NULL, the client goes down, and comes back up by itself */
	CU_ASSERT_EQUAL(blocked.calls, 1);
	CU_ASSERT_TRUE(blocked.null);
	CU_ASSERT_TRUE(run_until(&c.ups, 2, WAIT_MS));
	CU_ASSERT_STRING_EQUAL(c.seq, "UNDU");
	cmd_wait(&c, &t, "PING", NULL, NULL);
	CU_ASSERT_EQUAL(t.type, CP_R_STATUS);
	cp_redis_free(c.r);
}

static const struct ut_test redis_tests[] = {
	{ "set_get_binary_safe_value", test_set_get_binary_safe_value },
	{ "pipelined_incrs_answer_in_order", test_pipelined_incrs_answer_in_order },
	{ "hgetall_array_and_field_lookup", test_hgetall_array_and_field_lookup },
	{ "error_and_nil_replies", test_error_and_nil_replies },
	{ "bad_arguments_are_einval", test_bad_arguments_are_einval },
	{ "script_runs_by_sha_and_survives_script_flush",
	  test_script_runs_by_sha_and_survives_script_flush },
	{ "not_connected_is_enotconn", test_not_connected_is_enotconn },
	{ "free_fails_pending_commands", test_free_fails_pending_commands },
	{ "auth_with_acl_user_and_password", test_auth_with_acl_user_and_password },
	{ "unix_socket", test_unix_socket },
	{ "ipv6_literal_host", test_ipv6_literal_host },
	{ "tls_server_ctx_needs_matching_key", test_tls_server_ctx_needs_matching_key },
	{ "tls_verified_server", test_tls_verified_server },
	{ "server_killed_then_restarted", test_server_killed_then_restarted },
	{ "command_timeout_drops_and_reconnects", test_command_timeout_drops_and_reconnects },
	{ NULL, NULL },
};

static const struct ut_suite suites[] = {
	{ "cp_redis", suite_init, suite_clean, redis_tests },
	{ NULL, NULL, NULL, NULL },
};

int
main(void)
{
	return ut_run(suites);
}
