/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * sluice-bench-joins: joins per second through sluice-cp's HTTPS API (perf/bench_joins.sh).
 * N times POST /v1/conferences/ID/legs with "{}" and a bearer token, the conference ids
 * taken in turn from a list, with C requests in flight on C kept-alive HTTP/1.1
 * connections (libcurl multi), the server verified against a CA file. Counts 201s and
 * everything else; prints one JSON line; exits 1 if any join failed.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>

#define MAX_CONFS	100000
#define MAX_TOKEN	512

struct bench {
	const char *base;		/* https://HOST:PORT */
	const char *cacert;
	char **confs;
	unsigned nconfs;
	uint64_t joins;
	unsigned inflight;
	uint64_t started;
	uint64_t ok;
	uint64_t errors;
	unsigned long first_status;	/* the first unexpected status, for the message */
	struct curl_slist *headers;
};

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: sluice-bench-joins --url https://HOST:PORT --cacert FILE --token-file FILE\n"
	    "                          --conf ID [--conf ID ...] | --confs-file FILE\n"
	    "                          [--joins N (5000)] [--concurrency C (16)]\n");
}

static int
parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || s[0] == '-' || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

static int
add_conf(struct bench *b, const char *id)
{
	size_t i, n = strlen(id);

	if (n == 0 || n > 64)
		return -1;
	for (i = 0; i < n; i++) {
		char c = id[i];

		/* the id goes into a URL path: no separators, no escapes */
		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
		    (c >= 'A' && c <= 'Z') || c == '-' || c == '_' || c == '.'))
			return -1;
	}
	if (b->nconfs == MAX_CONFS)
		return -1;
	b->confs[b->nconfs] = strdup(id);
	if (b->confs[b->nconfs] == NULL)
		return -1;
	b->nconfs++;
	return 0;
}

static int
read_confs(struct bench *b, const char *path)
{
	char line[128];
	FILE *f = fopen(path, "r");

	if (f == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL) {
		line[strcspn(line, "\r\n \t")] = '\0';
		if (line[0] == '\0')
			continue;
		if (add_conf(b, line) != 0) {
			fclose(f);
			return -1;
		}
	}
	fclose(f);
	return 0;
}

/* The header "Authorization: Bearer TOKEN" from the first line of a file; the buffers
 * holding the token are wiped. */
static struct curl_slist *
auth_header(const char *path)
{
	char tok[MAX_TOKEN], hdr[MAX_TOKEN + 32];
	struct curl_slist *l = NULL;
	FILE *f = fopen(path, "r");
	size_t n;

	if (f == NULL)
		return NULL;
	if (fgets(tok, sizeof(tok), f) == NULL) {
		fclose(f);
		return NULL;
	}
	fclose(f);
	n = strcspn(tok, "\r\n \t");
	tok[n] = '\0';
	if (n > 0 && snprintf(hdr, sizeof(hdr), "Authorization: Bearer %s", tok) <
	    (int)sizeof(hdr))
		l = curl_slist_append(NULL, hdr);
	explicit_bzero(tok, sizeof(tok));
	explicit_bzero(hdr, sizeof(hdr));
	if (l == NULL)
		return NULL;
	return curl_slist_append(l, "Content-Type: application/json");
}

static size_t
discard(char *ptr, size_t size, size_t nmemb, void *arg)
{
	(void)ptr;
	(void)arg;
	return size * nmemb;
}

static int
setup_handle(struct bench *b, CURL *h)
{
	curl_easy_setopt(h, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
	curl_easy_setopt(h, CURLOPT_CAINFO, b->cacert);
	curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, b->headers);
	curl_easy_setopt(h, CURLOPT_POSTFIELDS, "{}");
	curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, 2L);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, discard);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_TIMEOUT, 30L);
	return 0;
}

/* Points a handle at the next join's conference. */
static int
next_join(struct bench *b, CURL *h)
{
	char url[512];
	const char *id = b->confs[b->started % b->nconfs];

	if (snprintf(url, sizeof(url), "%s/v1/conferences/%s/legs", b->base, id) >=
	    (int)sizeof(url))
		return -1;
	if (curl_easy_setopt(h, CURLOPT_URL, url) != CURLE_OK)
		return -1;
	b->started++;
	return 0;
}

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int
run(struct bench *b, double *secs)
{
	CURLM *m = curl_multi_init();
	CURL **hs;
	unsigned i, n = b->inflight;
	int running = 0, rc = 0;
	double t0;

	if (m == NULL)
		return -1;
	if ((uint64_t)n > b->joins)
		n = (unsigned)b->joins;
	hs = calloc(n, sizeof(*hs));
	if (hs == NULL) {
		curl_multi_cleanup(m);
		return -1;
	}
	/* one connection per handle, each kept alive and reused */
	curl_multi_setopt(m, CURLMOPT_MAX_HOST_CONNECTIONS, (long)n);
	curl_multi_setopt(m, CURLMOPT_MAX_TOTAL_CONNECTIONS, (long)n);
	curl_multi_setopt(m, CURLMOPT_MAXCONNECTS, (long)n);
	curl_multi_setopt(m, CURLMOPT_PIPELINING, (long)CURLPIPE_NOTHING);
	t0 = now_s();
	for (i = 0; i < n; i++) {
		hs[i] = curl_easy_init();
		if (hs[i] == NULL || setup_handle(b, hs[i]) != 0 || next_join(b, hs[i]) != 0 ||
		    curl_multi_add_handle(m, hs[i]) != CURLM_OK) {
			rc = -1;
			goto out;
		}
	}
	do {
		CURLMsg *msg;
		int left;

		if (curl_multi_perform(m, &running) != CURLM_OK) {
			rc = -1;
			goto out;
		}
		while ((msg = curl_multi_info_read(m, &left)) != NULL) {
			CURL *h = msg->easy_handle;
			long status = 0;

			if (msg->msg != CURLMSG_DONE)
				continue;
			curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
			if (msg->data.result == CURLE_OK && status == 201) {
				b->ok++;
			} else {
				if (b->errors == 0) {
					b->first_status = (unsigned long)status;
					fprintf(stderr, "sluice-bench-joins: first error: %s, "
					    "HTTP %ld\n", curl_easy_strerror(msg->data.result),
					    status);
				}
				b->errors++;
			}
			curl_multi_remove_handle(m, h);
			if (b->started < b->joins) {
				if (next_join(b, h) != 0 ||
				    curl_multi_add_handle(m, h) != CURLM_OK) {
					rc = -1;
					goto out;
				}
				running++;
			}
		}
		/*
		 * Wait only once every finished join has been read and its handle re-added:
		 * waiting first would hold a finished transfer until the next event.
		 */
		if (running > 0 && curl_multi_poll(m, NULL, 0, 1000, NULL) != CURLM_OK) {
			rc = -1;
			goto out;
		}
	} while (running > 0 || b->ok + b->errors < b->started);
	*secs = now_s() - t0;
out:
	for (i = 0; i < n; i++) {
		if (hs[i] != NULL) {
			curl_multi_remove_handle(m, hs[i]);
			curl_easy_cleanup(hs[i]);
		}
	}
	free(hs);
	curl_multi_cleanup(m);
	return rc;
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "url", required_argument, NULL, 'u' },
		{ "cacert", required_argument, NULL, 'a' },
		{ "token-file", required_argument, NULL, 't' },
		{ "conf", required_argument, NULL, 'c' },
		{ "confs-file", required_argument, NULL, 'f' },
		{ "joins", required_argument, NULL, 'n' },
		{ "concurrency", required_argument, NULL, 'C' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct bench b;
	const char *token_file = NULL;
	uint64_t v;
	double secs = 0;
	int o, rc;

	memset(&b, 0, sizeof(b));
	b.joins = 5000;
	b.inflight = 16;
	b.confs = calloc(MAX_CONFS, sizeof(*b.confs));
	if (b.confs == NULL)
		return 2;
	while ((o = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (o) {
		case 'u':
			b.base = optarg;
			break;
		case 'a':
			b.cacert = optarg;
			break;
		case 't':
			token_file = optarg;
			break;
		case 'c':
			if (add_conf(&b, optarg) != 0) {
				fprintf(stderr, "sluice-bench-joins: bad --conf %s\n", optarg);
				return 2;
			}
			break;
		case 'f':
			if (read_confs(&b, optarg) != 0) {
				fprintf(stderr, "sluice-bench-joins: cannot read ids from %s\n",
				    optarg);
				return 2;
			}
			break;
		case 'n':
			if (parse_u64(optarg, 1, UINT64_C(100000000), &v) != 0) {
				fprintf(stderr, "sluice-bench-joins: --joins: 1..100000000\n");
				return 2;
			}
			b.joins = v;
			break;
		case 'C':
			if (parse_u64(optarg, 1, 4096, &v) != 0) {
				fprintf(stderr, "sluice-bench-joins: --concurrency: 1..4096\n");
				return 2;
			}
			b.inflight = (unsigned)v;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc || b.base == NULL || b.cacert == NULL || token_file == NULL ||
	    b.nconfs == 0) {
		usage(stderr);
		return 2;
	}
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return 2;
	b.headers = auth_header(token_file);
	if (b.headers == NULL) {
		fprintf(stderr, "sluice-bench-joins: no token in %s\n", token_file);
		return 2;
	}
	rc = run(&b, &secs);
	/* the slist holds the token: wipe it before it is freed */
	explicit_bzero(b.headers->data, strlen(b.headers->data));
	curl_slist_free_all(b.headers);
	curl_global_cleanup();
	if (rc != 0) {
		fprintf(stderr, "sluice-bench-joins: libcurl failed after %" PRIu64 " joins\n",
		    b.ok + b.errors);
		return 2;
	}
	printf("{\"joins\": %" PRIu64 ", \"errors\": %" PRIu64 ", \"seconds\": %.3f, "
	    "\"joins_per_s\": %.1f, \"concurrency\": %u}\n", b.ok, b.errors, secs,
	    secs > 0 ? (double)b.ok / secs : 0.0, b.inflight);
	for (unsigned i = 0; i < b.nconfs; i++)
		free(b.confs[i]);
	free(b.confs);
	return b.errors == 0 ? 0 : 1;
}
