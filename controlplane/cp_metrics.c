/* SPDX-License-Identifier: BSD-3-Clause */
/* Prometheus exposition (see cp_metrics.h). */
#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cp_dp.h"
#include "cp_http.h"
#include "cp_metrics.h"
#include "cp_redis.h"
#include "cp_server.h"

struct scrape {
	struct cp_server *s;
	struct cp_req *req;
};

/* Metric names and label values keep to [a-z0-9_]: anything else becomes '_'. */
static void
clean(const char *in, char *out, size_t cap)
{
	size_t i;

	for (i = 0; in[i] != '\0' && i + 1 < cap; i++) {
		unsigned char ch = (unsigned char)tolower((unsigned char)in[i]);

		out[i] = isalnum(ch) ? (char)ch : '_';
	}
	out[i] = '\0';
}

static void
metric(FILE *f, const char *name, const char *type, const char *help, uint64_t v)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n%s %" PRIu64 "\n", name, help, name, type, name, v);
}

static void
dp_groups(FILE *f, const struct dp_stats_group *g, unsigned int n)
{
	for (unsigned int i = 0; i < n; i++) {
		const char *kind = strcmp(g[i].name, "drops") == 0 ? "drops" :
				   strncmp(g[i].name, "lcore", 5) == 0 ? "lcore" : "port";
		char label[48];

		clean(g[i].name, label, sizeof(label));
		for (unsigned int j = 0; j < g[i].n; j++) {
			char cname[48];

			clean(g[i].c[j].name, cname, sizeof(cname));
			if (strcmp(kind, "drops") == 0)
				fprintf(f, "sluice_dp_drops_total{reason=\"%s\"} %" PRIu64 "\n",
					cname, g[i].c[j].value);
			else if (strcmp(kind, "lcore") == 0)
				fprintf(f, "sluice_dp_lcore_%s_total{lcore=\"%" PRIu32 "\"} %" PRIu64
					"\n", cname, g[i].index, g[i].c[j].value);
			else
				fprintf(f, "sluice_dp_port_%s_total{port=\"%s\"} %" PRIu64 "\n",
					cname, label, g[i].c[j].value);
		}
	}
}

static void
on_stats(struct cp_dp *d, int status, const struct dp_stats_group *groups, unsigned int n,
	 void *arg)
{
	struct scrape *sc = arg;
	struct cp_server *s = sc->s;
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	(void)d;
	if (f == NULL) {
		cp_req_reply_error(sc->req, 500, "internal", "out of memory");
		free(sc);
		return;
	}
#define CP_COUNTER_METRIC(name, help) \
	metric(f, "sluice_cp_" #name "_total", "counter", help, s->c.name);
	CP_COUNTERS(CP_COUNTER_METRIC)
#undef CP_COUNTER_METRIC
	fprintf(f, "# HELP sluice_cp_http_responses_total API replies by status class\n"
		"# TYPE sluice_cp_http_responses_total counter\n");
	for (int cls = 2; cls <= 5; cls++)
		fprintf(f, "sluice_cp_http_responses_total{class=\"%dxx\"} %" PRIu64 "\n", cls,
			s->api != NULL ? cp_http_replies(s->api, cls) : 0);
	metric(f, "sluice_cp_api_connections", "gauge", "API connections open",
	       s->api != NULL ? cp_http_connections(s->api) : 0);
	metric(f, "sluice_cp_api_connection_limit_total", "counter",
	       "times the API stopped accepting at api.max_connections",
	       s->api != NULL ? cp_http_pauses(s->api) : 0);
	metric(f, "sluice_cp_redis_up", "gauge", "1 while Redis is connected",
	       cp_redis_up(s->redis));
	metric(f, "sluice_cp_dataplane_up", "gauge", "1 while the dataplane is connected",
	       cp_dp_up(s->dp));
	metric(f, "sluice_cp_redis_reconnects_total", "counter", "Redis connections made",
	       cp_redis_reconnects(s->redis));
	if (status == DP_OK)
		dp_groups(f, groups, n);
	fclose(f);
	cp_req_reply_text(sc->req, 200, "text/plain; version=0.0.4", text, len);
	free(text);
	free(sc);
}

void
cp_metrics_handle(struct cp_req *req, void *arg)
{
	struct scrape *sc;

	if (cp_req_method(req) != CP_M_GET || strcmp(cp_req_path(req), "/metrics") != 0) {
		cp_req_reply_error(req, 404, "not_found", "only GET /metrics here");
		return;
	}
	sc = malloc(sizeof(*sc));
	if (sc == NULL) {
		cp_req_reply_error(req, 500, "internal", "out of memory");
		return;
	}
	sc->s = arg;
	sc->req = req;
	if (cp_dp_stats(sc->s->dp, on_stats, sc) != 0)
		on_stats(sc->s->dp, -1, NULL, 0, sc);
}
