/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * sluice-peer run: one conference participant. Sends numbered, checksummed SRTP media and
 * SRTCP at a precise pace, and reports exactly what it received, per source.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <srtp2/srtp.h>

#include "peer.h"

#define RUN_MAX_SOURCES		256	/* distinct SSRCs tracked; more are counted "untracked" */
#define RUN_MAX_FB		16	/* --pli-to and --nack-to, each */
#define RUN_SEEN_MAX_BYTES	(1u << 21)	/* duplicate detection for numbers < 2^24 */
#define RUN_LAT_MAX		(1u << 22)	/* latency samples kept per source for percentiles */
#define RUN_RX_BURST		256	/* datagrams drained per loop iteration */
#define RUN_TX_BURST		64	/* packets sent back to back when behind schedule */
#define RUN_RTCP_MAX_RC		31
#define RTP_TS_STEP		3000	/* 90 kHz video paced at 30 fps */
#define NTP_UNIX_OFFSET		2208988800ull

#define RTCP_SR			200
#define RTCP_RR			201
#define RTCP_SDES		202
#define RTCP_RTPFB		205
#define RTCP_PSFB		206

struct run_opts {
	struct peer_addr local;
	struct peer_addr remote;
	const struct peer_suite *suite;
	uint8_t send_key[PEER_KEY_MAX];
	uint8_t recv_key[PEER_KEY_MAX];
	uint32_t ssrcs[PEER_MAX_SSRCS];
	unsigned int n_ssrcs;
	uint32_t pt;
	uint32_t size;
	uint32_t rate;
	uint64_t count;
	uint64_t start_delay_ns;
	uint64_t rtcp_interval_ns;
	uint64_t linger_ns;
	uint32_t pli_to[RUN_MAX_FB];
	unsigned int n_pli;
	uint32_t nack_to[RUN_MAX_FB];
	unsigned int n_nack;
	uint32_t dup_every;
	bool recv_only;
	bool seq_start_set;
	uint32_t seq_start;
	uint32_t rtcp_port;		/* 0: RTCP on the RTP socket (RFC 5761) */
	char name[PEER_NAME_MAX + 1];
	const char *report;
};

struct run_source {
	uint32_t ssrc;
	uint32_t payload_ssrc;		/* sender SSRC written in the payload, last seen */
	uint64_t packets;		/* intact payloads, duplicates included */
	uint64_t duplicates;
	uint64_t reordered;
	uint64_t corrupt;
	uint64_t first;			/* lowest and highest packet number */
	uint64_t last;
	uint8_t *seen;			/* bitmap of packet numbers */
	size_t seen_bytes;
	uint32_t *lat;			/* latency samples, microseconds */
	size_t n_lat;
	size_t cap_lat;
	uint64_t lat_sum;
	uint64_t lat_n;
	uint32_t lat_min;
	uint32_t lat_max;
	/* RTP sequence state for our report blocks (RFC 3550 A.1, without probation). */
	bool seq_init;
	uint16_t max_seq;
	uint16_t last_seq;
	uint32_t cycles;
	uint32_t base_seq;
	uint64_t seq_received;
	uint64_t expected_prior;
	uint64_t received_prior;
};

struct run_from {
	uint32_t ssrc;
	uint64_t sr;
	uint64_t rr;
	bool has_sr;
	uint32_t lsr;			/* middle 32 bits of the last SR's NTP time */
	uint64_t lsr_at_ns;
};

struct run_fb {
	uint32_t media_ssrc;
	uint64_t pli;
	uint64_t nack;
	uint64_t fir;
};

struct run_stats {
	uint64_t sent_rtp;
	uint64_t sent_rtp_bytes;
	uint64_t sent_payload_bytes;
	uint64_t sent_rtcp;
	uint64_t sent_dups;
	uint64_t send_errors;
	uint64_t rx_rtp;
	uint64_t rx_rtcp;
	uint64_t fail_auth;
	uint64_t fail_replay;
	uint64_t fail_other;
	uint64_t corrupt;
	uint64_t foreign;
	uint64_t echo;
	uint64_t invalid;
	uint64_t rtcp_malformed;
	uint64_t untracked;
};

struct run {
	struct run_opts o;
	int fd;
	int rtcp_fd;			/* --rtcp-from-port: a socket that only sends RTCP */
	srtp_t tx;
	srtp_t rx;
	struct run_source *src;
	unsigned int n_src;
	struct run_from *from;
	unsigned int n_from;
	struct run_fb *fb;
	unsigned int n_fb;
	struct run_stats st;
	/* Sender state. */
	uint64_t number;
	uint16_t seq;
	uint32_t ts;
	uint32_t last_ts;
	uint64_t first_send_ns;
	uint64_t last_send_ns;
	bool interrupted;
	bool fatal;
};

enum {
	OPT_LOCAL = 256, OPT_REMOTE, OPT_SUITE, OPT_SEND_KEY, OPT_RECV_KEY, OPT_SSRC, OPT_PT,
	OPT_SIZE, OPT_RATE, OPT_COUNT, OPT_DURATION, OPT_START_DELAY, OPT_RTCP_INTERVAL,
	OPT_PLI_TO, OPT_NACK_TO, OPT_DUP_EVERY, OPT_RECV_ONLY, OPT_LINGER, OPT_NAME, OPT_REPORT,
	OPT_SEQ_START, OPT_RTCP_FROM_PORT, OPT_HELP,
};

static const struct option run_options[] = {
	{ "local", required_argument, NULL, OPT_LOCAL },
	{ "remote", required_argument, NULL, OPT_REMOTE },
	{ "suite", required_argument, NULL, OPT_SUITE },
	{ "send-key", required_argument, NULL, OPT_SEND_KEY },
	{ "recv-key", required_argument, NULL, OPT_RECV_KEY },
	{ "ssrc", required_argument, NULL, OPT_SSRC },
	{ "pt", required_argument, NULL, OPT_PT },
	{ "size", required_argument, NULL, OPT_SIZE },
	{ "rate", required_argument, NULL, OPT_RATE },
	{ "count", required_argument, NULL, OPT_COUNT },
	{ "duration", required_argument, NULL, OPT_DURATION },
	{ "start-delay-ms", required_argument, NULL, OPT_START_DELAY },
	{ "rtcp-interval-ms", required_argument, NULL, OPT_RTCP_INTERVAL },
	{ "pli-to", required_argument, NULL, OPT_PLI_TO },
	{ "nack-to", required_argument, NULL, OPT_NACK_TO },
	{ "duplicate-every", required_argument, NULL, OPT_DUP_EVERY },
	{ "recv-only", no_argument, NULL, OPT_RECV_ONLY },
	{ "linger-ms", required_argument, NULL, OPT_LINGER },
	{ "name", required_argument, NULL, OPT_NAME },
	{ "report", required_argument, NULL, OPT_REPORT },
	{ "seq-start", required_argument, NULL, OPT_SEQ_START },
	{ "rtcp-from-port", required_argument, NULL, OPT_RTCP_FROM_PORT },
	{ "help", no_argument, NULL, OPT_HELP },
	{ NULL, 0, NULL, 0 },
};

static void
run_usage(FILE *f)
{
	fprintf(f,
	    "usage: sluice-peer run --local IP:PORT --remote IP:PORT --suite SUITE\n"
	    "           --send-key KEY --recv-key KEY --ssrc N [--ssrc N]...\n"
	    "           [--pt 96] [--size 160] [--rate 50] [--count 250 | --duration SECONDS]\n"
	    "           [--seq-start N] [--start-delay-ms 0] [--rtcp-interval-ms 500]\n"
	    "           [--pli-to SSRC]... [--nack-to SSRC]... [--duplicate-every N]\n"
	    "           [--recv-only] [--linger-ms 1000] [--name NAME] [--report FILE]\n"
	    "           [--rtcp-from-port PORT]  (send RTCP from another local port, as a\n"
	    "            client without RTCP mux does; it still goes to --remote)\n");
}

static int
parse_opts(struct run_opts *o, int argc, char **argv)
{
	bool have_local = false, have_remote = false, have_count = false, have_duration = false;
	char *send_key = NULL, *recv_key = NULL;
	double duration = 0.0;
	int c, rc = 0;

	memset(o, 0, sizeof(*o));
	o->pt = 96;
	o->size = 160;
	o->rate = 50;
	o->count = 250;
	o->rtcp_interval_ns = 500 * 1000000ull;
	o->linger_ns = 1000 * 1000000ull;
	optind = 1;
	while ((c = getopt_long(argc, argv, "", run_options, NULL)) != -1) {
		switch (c) {
		case OPT_LOCAL:
			rc = peer_parse_addr("--local", optarg, &o->local);
			have_local = true;
			break;
		case OPT_REMOTE:
			rc = peer_parse_addr("--remote", optarg, &o->remote);
			have_remote = true;
			break;
		case OPT_SUITE:
			o->suite = peer_suite_parse("--suite", optarg);
			rc = o->suite == NULL ? -EINVAL : 0;
			break;
		case OPT_SEND_KEY:
			if (send_key != NULL)
				peer_wipe_arg(send_key);
			send_key = optarg;
			break;
		case OPT_RECV_KEY:
			if (recv_key != NULL)
				peer_wipe_arg(recv_key);
			recv_key = optarg;
			break;
		case OPT_SSRC:
			if (o->n_ssrcs == PEER_MAX_SSRCS) {
				fprintf(stderr, "sluice-peer: at most %d --ssrc\n", PEER_MAX_SSRCS);
				rc = -EINVAL;
				break;
			}
			rc = peer_parse_u32("--ssrc", optarg, 0, UINT32_MAX, &o->ssrcs[o->n_ssrcs]);
			o->n_ssrcs++;
			break;
		case OPT_PT:
			rc = peer_parse_u32("--pt", optarg, 0, 127, &o->pt);
			/* 64..95 with the marker bit set would read as RTCP 192..223 (RFC 5761). */
			if (rc == 0 && o->pt >= 64 && o->pt <= 95) {
				fprintf(stderr, "sluice-peer: --pt %u collides with RTCP types when "
				    "muxed (RFC 5761)\n", o->pt);
				rc = -EINVAL;
			}
			break;
		case OPT_SIZE:
			rc = peer_parse_u32("--size", optarg, PEER_SIZE_MIN, PEER_SIZE_MAX, &o->size);
			break;
		case OPT_RATE:
			rc = peer_parse_u32("--rate", optarg, 1, 1000000, &o->rate);
			break;
		case OPT_COUNT:
			rc = peer_parse_u64("--count", optarg, 1, UINT64_MAX >> 8, &o->count);
			have_count = true;
			break;
		case OPT_DURATION:
			rc = peer_parse_seconds("--duration", optarg, &duration);
			have_duration = true;
			break;
		case OPT_START_DELAY:
			rc = peer_parse_ms("--start-delay-ms", optarg, &o->start_delay_ns);
			break;
		case OPT_RTCP_INTERVAL:
			rc = peer_parse_ms("--rtcp-interval-ms", optarg, &o->rtcp_interval_ns);
			break;
		case OPT_PLI_TO:
		case OPT_NACK_TO: {
			bool pli = c == OPT_PLI_TO;
			unsigned int *n = pli ? &o->n_pli : &o->n_nack;

			if (*n == RUN_MAX_FB) {
				fprintf(stderr, "sluice-peer: at most %d %s\n", RUN_MAX_FB,
				    pli ? "--pli-to" : "--nack-to");
				rc = -EINVAL;
				break;
			}
			rc = peer_parse_u32(pli ? "--pli-to" : "--nack-to", optarg, 0, UINT32_MAX,
			    pli ? &o->pli_to[*n] : &o->nack_to[*n]);
			(*n)++;
			break;
		}
		case OPT_DUP_EVERY:
			rc = peer_parse_u32("--duplicate-every", optarg, 1, UINT32_MAX, &o->dup_every);
			break;
		case OPT_RECV_ONLY:
			o->recv_only = true;
			break;
		case OPT_LINGER:
			rc = peer_parse_ms("--linger-ms", optarg, &o->linger_ns);
			break;
		case OPT_NAME:
			rc = peer_parse_name("--name", optarg, o->name);
			break;
		case OPT_REPORT:
			o->report = optarg;
			break;
		case OPT_SEQ_START:
			rc = peer_parse_u32("--seq-start", optarg, 0, 65535, &o->seq_start);
			o->seq_start_set = true;
			break;
		case OPT_RTCP_FROM_PORT:
			rc = peer_parse_u32("--rtcp-from-port", optarg, 1, 65535, &o->rtcp_port);
			break;
		case OPT_HELP:
			run_usage(stdout);
			exit(PEER_EXIT_OK);
		default:
			rc = -EINVAL;
			break;
		}
		if (rc != 0)
			goto err;
	}
	if (peer_no_operands(argc, argv) != 0)
		goto err;
	if (!have_local || !have_remote || o->suite == NULL || send_key == NULL ||
	    recv_key == NULL || o->n_ssrcs == 0) {
		fprintf(stderr, "sluice-peer: run needs --local, --remote, --suite, --send-key, "
		    "--recv-key and --ssrc\n");
		goto err;
	}
	if (peer_addr_family(&o->local) != peer_addr_family(&o->remote)) {
		fprintf(stderr, "sluice-peer: --local and --remote must be the same address family\n");
		goto err;
	}
	if (peer_addr_port(&o->remote) == 0) {
		fprintf(stderr, "sluice-peer: --remote needs a port\n");
		goto err;
	}
	if (have_count && have_duration) {
		fprintf(stderr, "sluice-peer: --count and --duration exclude each other\n");
		goto err;
	}
	if (have_duration) {
		/* A duration is a packet count at the configured rate: runs stay reproducible. */
		o->count = (uint64_t)(duration * o->rate + 0.5);
		if (o->count == 0)
			o->count = 1;
	}
	if (o->count / o->rate > 7 * 86400) {
		fprintf(stderr, "sluice-peer: --count / --rate is more than a week\n");
		goto err;
	}
	if (peer_key_parse("--send-key", send_key, o->suite, o->send_key) != 0 ||
	    peer_key_parse("--recv-key", recv_key, o->suite, o->recv_key) != 0)
		goto err;
	peer_wipe_arg(send_key);
	peer_wipe_arg(recv_key);
	if (o->name[0] == '\0')
		snprintf(o->name, sizeof(o->name), "peer-%u", o->ssrcs[0]);
	return 0;
err:
	if (send_key != NULL)
		peer_wipe_arg(send_key);
	if (recv_key != NULL)
		peer_wipe_arg(recv_key);
	OPENSSL_cleanse(o->send_key, sizeof(o->send_key));
	OPENSSL_cleanse(o->recv_key, sizeof(o->recv_key));
	return -EINVAL;
}

/* ---- receive side: tables ---- */

static bool
is_own_ssrc(const struct run *r, uint32_t ssrc)
{
	unsigned int i;

	for (i = 0; i < r->o.n_ssrcs; i++) {
		if (r->o.ssrcs[i] == ssrc)
			return true;
	}
	return false;
}

static struct run_source *
source_get(struct run *r, uint32_t ssrc)
{
	struct run_source *s;
	unsigned int i;

	for (i = 0; i < r->n_src; i++) {
		if (r->src[i].ssrc == ssrc)
			return &r->src[i];
	}
	if (r->n_src == RUN_MAX_SOURCES)
		return NULL;
	s = &r->src[r->n_src++];
	memset(s, 0, sizeof(*s));
	s->ssrc = ssrc;
	s->lat_min = UINT32_MAX;
	return s;
}

static struct run_from *
from_get(struct run *r, uint32_t ssrc, bool create)
{
	unsigned int i;

	for (i = 0; i < r->n_from; i++) {
		if (r->from[i].ssrc == ssrc)
			return &r->from[i];
	}
	if (!create || r->n_from == RUN_MAX_SOURCES)
		return NULL;
	memset(&r->from[r->n_from], 0, sizeof(r->from[0]));
	r->from[r->n_from].ssrc = ssrc;
	return &r->from[r->n_from++];
}

static struct run_fb *
fb_get(struct run *r, uint32_t media_ssrc)
{
	unsigned int i;

	for (i = 0; i < r->n_fb; i++) {
		if (r->fb[i].media_ssrc == media_ssrc)
			return &r->fb[i];
	}
	if (r->n_fb == RUN_MAX_SOURCES)
		return NULL;
	memset(&r->fb[r->n_fb], 0, sizeof(r->fb[0]));
	r->fb[r->n_fb].media_ssrc = media_ssrc;
	return &r->fb[r->n_fb++];
}

static void
source_seq_update(struct run_source *s, uint16_t seq)
{
	uint16_t delta;

	s->last_seq = seq;
	s->seq_received++;
	if (!s->seq_init) {
		s->seq_init = true;
		s->base_seq = seq;
		s->max_seq = seq;
		return;
	}
	delta = (uint16_t)(seq - s->max_seq);
	if (delta != 0 && delta < 0x8000) {
		if (seq < s->max_seq)
			s->cycles += 65536;
		s->max_seq = seq;
	}
}

/* Returns true if number was seen before; numbers beyond the bitmap cap are not checked. */
static bool
source_seen(struct run_source *s, uint64_t number)
{
	size_t byte = (size_t)(number >> 3), n;
	uint8_t bit = (uint8_t)(1u << (number & 7));
	uint8_t *p;

	if (number >= (uint64_t)RUN_SEEN_MAX_BYTES * 8)
		return false;
	if (byte >= s->seen_bytes) {
		n = s->seen_bytes == 0 ? 1024 : s->seen_bytes;
		while (n <= byte)
			n *= 2;
		if (n > RUN_SEEN_MAX_BYTES)
			n = RUN_SEEN_MAX_BYTES;
		p = realloc(s->seen, n);
		if (p == NULL)
			return false;
		memset(p + s->seen_bytes, 0, n - s->seen_bytes);
		s->seen = p;
		s->seen_bytes = n;
	}
	if (s->seen[byte] & bit)
		return true;
	s->seen[byte] |= bit;
	return false;
}

static void
source_latency(struct run_source *s, uint64_t send_ns, uint64_t now)
{
	uint64_t us = now > send_ns ? (now - send_ns) / 1000 : 0;
	uint32_t v = us > UINT32_MAX ? UINT32_MAX : (uint32_t)us;
	uint32_t *p;
	size_t n;

	s->lat_sum += v;
	s->lat_n++;
	if (v < s->lat_min)
		s->lat_min = v;
	if (v > s->lat_max)
		s->lat_max = v;
	if (s->n_lat == s->cap_lat) {
		if (s->cap_lat == RUN_LAT_MAX)
			return;
		n = s->cap_lat == 0 ? 1024 : s->cap_lat * 2;
		p = realloc(s->lat, n * sizeof(*p));
		if (p == NULL)
			return;
		s->lat = p;
		s->cap_lat = n;
	}
	s->lat[s->n_lat++] = v;
}

/* ---- receive side: packets ---- */

static void
rx_rtp(struct run *r, const uint8_t *b, size_t len, uint64_t now)
{
	struct run_source *s;
	struct peer_payload pl;
	size_t off, end = len;
	uint32_t ssrc;

	/* libsrtp2 has checked the fixed header; CSRCs, extension and padding are ours to check. */
	if (len < PEER_RTP_HDR_LEN)
		goto invalid;
	off = PEER_RTP_HDR_LEN + 4u * (b[0] & 0x0f);
	if (off > len)
		goto invalid;
	if (b[0] & 0x10) {
		if (off + 4 > len)
			goto invalid;
		off += 4 + 4u * peer_load_be16(b + off + 2);
		if (off > len)
			goto invalid;
	}
	if (b[0] & 0x20) {
		if (end == off || b[end - 1] == 0 || b[end - 1] > end - off)
			goto invalid;
		end -= b[end - 1];
	}
	ssrc = peer_load_be32(b + 8);
	if (is_own_ssrc(r, ssrc)) {
		r->st.echo++;
		return;
	}
	s = source_get(r, ssrc);
	if (s == NULL) {
		r->st.untracked++;
		return;
	}
	source_seq_update(s, peer_load_be16(b + 2));
	if (!peer_payload_check(b + off, end - off, &pl)) {
		s->corrupt++;
		r->st.corrupt++;
		return;
	}
	s->payload_ssrc = pl.ssrc;
	if (source_seen(s, pl.number)) {
		s->duplicates++;
		s->packets++;
		return;
	}
	if (s->packets == 0) {
		s->first = pl.number;
		s->last = pl.number;
	} else if (pl.number > s->last) {
		s->last = pl.number;
	} else {
		s->reordered++;
		if (pl.number < s->first)
			s->first = pl.number;
	}
	s->packets++;
	/* A send time of 0 marks a packet without one (a replayed pcap). */
	if (pl.send_ns != 0)
		source_latency(s, pl.send_ns, now);
	return;
invalid:
	r->st.invalid++;
}

static void
rx_rtcp(struct run *r, const uint8_t *b, size_t len, uint64_t now)
{
	struct run_from *f;
	struct run_fb *fb;
	size_t off = 0, plen, i;
	uint8_t pt, fmt;

	while (off < len) {
		const uint8_t *p = b + off;

		if (len - off < 4 || (p[0] >> 6) != 2)
			goto malformed;
		plen = ((size_t)peer_load_be16(p + 2) + 1) * 4;
		if (plen > len - off)
			goto malformed;
		pt = p[1];
		fmt = p[0] & 0x1f;
		switch (pt) {
		case RTCP_SR:
			if (plen < 28)
				goto malformed;
			f = from_get(r, peer_load_be32(p + 4), true);
			if (f != NULL) {
				f->sr++;
				f->has_sr = true;
				f->lsr = peer_load_be32(p + 10);
				f->lsr_at_ns = now;
			}
			break;
		case RTCP_RR:
			if (plen < 8)
				goto malformed;
			f = from_get(r, peer_load_be32(p + 4), true);
			if (f != NULL)
				f->rr++;
			break;
		case RTCP_PSFB:
			if (plen < 12)
				goto malformed;
			if (fmt == 1) {
				fb = fb_get(r, peer_load_be32(p + 8));
				if (fb != NULL)
					fb->pli++;
			} else if (fmt == 4) {
				/* FIR names its targets in the FCI entries (SSRC, seq nr). */
				for (i = 12; i + 8 <= plen; i += 8) {
					fb = fb_get(r, peer_load_be32(p + i));
					if (fb != NULL)
						fb->fir++;
				}
			}
			break;
		case RTCP_RTPFB:
			if (plen < 12)
				goto malformed;
			if (fmt == 1) {
				fb = fb_get(r, peer_load_be32(p + 8));
				if (fb != NULL)
					fb->nack++;
			}
			break;
		default:
			break;
		}
		off += plen;
	}
	return;
malformed:
	r->st.rtcp_malformed++;
}

static void
rx_datagram(struct run *r, uint8_t *b, size_t len, const struct sockaddr *from, uint64_t now)
{
	srtp_err_status_t st;
	int ilen = (int)len;
	bool rtcp;

	if (!peer_addr_equal(from, &r->o.remote))
		r->st.foreign++;
	/* RFC 7983: 128..191 is RTP/RTCP; RFC 5761: the second byte 192..223 is RTCP. */
	if (len < 8 || b[0] < 128 || b[0] > 191) {
		r->st.invalid++;
		return;
	}
	rtcp = b[1] >= 192 && b[1] <= 223;
	if (!rtcp && len < PEER_RTP_HDR_LEN) {
		r->st.invalid++;
		return;
	}
	st = rtcp ? srtp_unprotect_rtcp(r->rx, b, &ilen) : srtp_unprotect(r->rx, b, &ilen);
	switch (st) {
	case srtp_err_status_ok:
		break;
	case srtp_err_status_auth_fail:
		r->st.fail_auth++;
		return;
	case srtp_err_status_replay_fail:
	case srtp_err_status_replay_old:
		r->st.fail_replay++;
		return;
	default:
		r->st.fail_other++;
		return;
	}
	if (ilen < 0 || (size_t)ilen > len) {
		r->st.fail_other++;
		return;
	}
	if (rtcp) {
		r->st.rx_rtcp++;
		rx_rtcp(r, b, (size_t)ilen, now);
	} else {
		r->st.rx_rtp++;
		rx_rtp(r, b, (size_t)ilen, now);
	}
}

static void
rx_drain(struct run *r)
{
	_Alignas(8) uint8_t buf[PEER_BUF_LEN + 64];
	struct sockaddr_storage from;
	socklen_t flen;
	ssize_t n;
	int i;

	for (i = 0; i < RUN_RX_BURST; i++) {
		flen = sizeof(from);
		/* MSG_TRUNC returns the real length: an oversized datagram is counted, not cut. */
		n = recvfrom(r->fd, buf, PEER_BUF_LEN, MSG_DONTWAIT | MSG_TRUNC,
		    (struct sockaddr *)&from, &flen);
		if (n < 0)
			return;
		if ((size_t)n > PEER_BUF_LEN - SRTP_MAX_TRAILER_LEN) {
			r->st.invalid++;
			continue;
		}
		rx_datagram(r, buf, (size_t)n, (const struct sockaddr *)&from, peer_now_ns());
	}
}

/* ---- send side ---- */

static void
send_datagram(struct run *r, const uint8_t *b, size_t len)
{
	if (sendto(r->fd, b, len, 0, (const struct sockaddr *)&r->o.remote.ss,
	    r->o.remote.len) != (ssize_t)len)
		r->st.send_errors++;
}

static int
send_rtp(struct run *r)
{
	_Alignas(8) uint8_t buf[PEER_BUF_LEN];
	struct peer_rtp h = {
		.pt = (uint8_t)r->o.pt,
		.marker = r->number % 10 == 9,
		.seq = r->seq,
		.ts = r->ts,
		.ssrc = r->o.ssrcs[0],
	};
	srtp_err_status_t st;
	uint64_t now = peer_now_ns();
	int len;

	len = (int)peer_rtp_build(buf, &h, r->o.size, r->number, now);
	st = srtp_protect(r->tx, buf, &len);
	if (st != srtp_err_status_ok) {
		fprintf(stderr, "sluice-peer: srtp_protect: %s\n", peer_srtp_strerror(st));
		return -EIO;
	}
	if (sendto(r->fd, buf, (size_t)len, 0, (const struct sockaddr *)&r->o.remote.ss,
	    r->o.remote.len) == len) {
		r->st.sent_rtp++;
		r->st.sent_rtp_bytes += (uint64_t)len;
		r->st.sent_payload_bytes += r->o.size;
	} else {
		r->st.send_errors++;
	}
	/* The same bytes again: a replay that every receiver must reject. */
	if (r->o.dup_every != 0 && (r->number + 1) % r->o.dup_every == 0) {
		send_datagram(r, buf, (size_t)len);
		r->st.sent_dups++;
	}
	if (r->number == 0)
		r->first_send_ns = now;
	r->last_ts = r->ts;
	r->last_send_ns = now;
	r->number++;
	r->seq++;
	r->ts += RTP_TS_STEP;
	return 0;
}

static size_t
rtcp_report_block(struct run *r, struct run_source *s, uint8_t *p, uint64_t now)
{
	uint64_t ext_max = (uint64_t)s->cycles + s->max_seq;
	uint64_t expected = ext_max - s->base_seq + 1;
	uint64_t exp_int = expected - s->expected_prior;
	uint64_t rec_int = s->seq_received - s->received_prior;
	int64_t lost = (int64_t)expected - (int64_t)s->seq_received;
	uint32_t fraction = 0, dlsr = 0, lsr = 0;
	struct run_from *f;

	if (exp_int > rec_int && exp_int != 0)
		fraction = (uint32_t)(((exp_int - rec_int) << 8) / exp_int);
	if (fraction > 255)
		fraction = 255;
	s->expected_prior = expected;
	s->received_prior = s->seq_received;
	if (lost > 0x7fffff)
		lost = 0x7fffff;
	if (lost < -0x800000)
		lost = -0x800000;
	f = from_get(r, s->ssrc, false);
	if (f != NULL && f->has_sr) {
		lsr = f->lsr;
		dlsr = (uint32_t)((now - f->lsr_at_ns) * 65536 / 1000000000ull);
	}
	peer_store_be32(p, s->ssrc);
	peer_store_be32(p + 4, fraction << 24 | ((uint32_t)lost & 0xffffff));
	peer_store_be32(p + 8, (uint32_t)ext_max);
	peer_store_be32(p + 12, 0);		/* jitter: not measured */
	peer_store_be32(p + 16, lsr);
	peer_store_be32(p + 20, dlsr);
	return 24;
}

static size_t
rtcp_build(struct run *r, uint8_t *b, uint64_t now)
{
	uint32_t me = r->o.ssrcs[0];
	unsigned int rc = r->n_src < RUN_RTCP_MAX_RC ? r->n_src : RUN_RTCP_MAX_RC, i;
	size_t off, start, name_len = strlen(r->o.name);
	struct timespec wall;
	uint64_t frac;

	if (!r->o.recv_only) {
		clock_gettime(CLOCK_REALTIME, &wall);
		frac = ((uint64_t)wall.tv_nsec << 32) / 1000000000ull;
		b[0] = (uint8_t)(0x80 | rc);
		b[1] = RTCP_SR;
		peer_store_be32(b + 4, me);
		peer_store_be32(b + 8, (uint32_t)((uint64_t)wall.tv_sec + NTP_UNIX_OFFSET));
		peer_store_be32(b + 12, (uint32_t)frac);
		peer_store_be32(b + 16, r->last_ts + (uint32_t)(r->last_send_ns == 0 ? 0 :
		    (now - r->last_send_ns) * 90 / 1000000));
		peer_store_be32(b + 20, (uint32_t)r->st.sent_rtp);
		peer_store_be32(b + 24, (uint32_t)r->st.sent_payload_bytes);
		off = 28;
	} else {
		b[0] = (uint8_t)(0x80 | rc);
		b[1] = RTCP_RR;
		peer_store_be32(b + 4, me);
		off = 8;
	}
	for (i = 0; i < rc; i++)
		off += rtcp_report_block(r, &r->src[i], b + off, now);
	peer_store_be16(b + 2, (uint16_t)(off / 4 - 1));

	/* SDES: one chunk with CNAME, a null item ending it, padded to 32 bits. */
	start = off;
	b[off] = 0x81;
	b[off + 1] = RTCP_SDES;
	peer_store_be32(b + off + 4, me);
	b[off + 8] = 1;
	b[off + 9] = (uint8_t)name_len;
	memcpy(b + off + 10, r->o.name, name_len);
	off += 10 + name_len;
	do
		b[off++] = 0;
	while (off % 4 != 0);
	peer_store_be16(b + start + 2, (uint16_t)((off - start) / 4 - 1));

	for (i = 0; i < r->o.n_pli; i++) {
		b[off] = 0x81;
		b[off + 1] = RTCP_PSFB;
		peer_store_be16(b + off + 2, 2);
		peer_store_be32(b + off + 4, me);
		peer_store_be32(b + off + 8, r->o.pli_to[i]);
		off += 12;
	}
	for (i = 0; i < r->o.n_nack; i++) {
		struct run_source *s = NULL;
		unsigned int k;

		for (k = 0; k < r->n_src; k++) {
			if (r->src[k].ssrc == r->o.nack_to[i])
				s = &r->src[k];
		}
		b[off] = 0x81;
		b[off + 1] = RTCP_RTPFB;
		peer_store_be16(b + off + 2, 3);
		peer_store_be32(b + off + 4, me);
		peer_store_be32(b + off + 8, r->o.nack_to[i]);
		/* The most recent sequence number seen from that source, 0 before any. */
		peer_store_be16(b + off + 12, s != NULL && s->seq_init ? s->last_seq : 0);
		peer_store_be16(b + off + 14, 0);
		off += 16;
	}
	return off;
}

static int
send_rtcp(struct run *r, uint64_t now)
{
	_Alignas(8) uint8_t buf[PEER_BUF_LEN];
	srtp_err_status_t st;
	int len;

	len = (int)rtcp_build(r, buf, now);
	st = srtp_protect_rtcp(r->tx, buf, &len);
	if (st != srtp_err_status_ok) {
		fprintf(stderr, "sluice-peer: srtp_protect_rtcp: %s\n", peer_srtp_strerror(st));
		return -EIO;
	}
	if (sendto(r->rtcp_fd >= 0 ? r->rtcp_fd : r->fd, buf, (size_t)len, 0,
	    (const struct sockaddr *)&r->o.remote.ss, r->o.remote.len) == len)
		r->st.sent_rtcp++;
	else
		r->st.send_errors++;
	return 0;
}

/* ---- the loop ---- */

/* Waits for the socket or the deadline: poll() while far, clock_nanosleep() for the end. */
static void
wait_until(struct run *r, uint64_t deadline)
{
	struct pollfd pfd = { .fd = r->fd, .events = POLLIN };
	struct timespec ts;
	uint64_t now = peer_now_ns(), left;

	if (now >= deadline)
		return;
	left = deadline - now;
	if (left > 200000) {
		left -= 100000;
		ts.tv_sec = (time_t)(left / 1000000000ull);
		ts.tv_nsec = (long)(left % 1000000000ull);
		(void)ppoll(&pfd, 1, &ts, NULL);
		return;
	}
	peer_sleep_until(deadline);
}

static int
run_loop(struct run *r)
{
	uint64_t start = peer_now_ns();
	uint64_t t0 = start + r->o.start_delay_ns;
	uint64_t interval = 1000000000ull / r->o.rate;
	uint64_t send_end = t0 + r->o.count * interval;	/* recv-only: the same span */
	uint64_t rtcp_next = r->o.rtcp_interval_ns != 0 ? start + r->o.rtcp_interval_ns : UINT64_MAX;
	uint64_t end = UINT64_MAX, now, next, deadline;
	bool sending = !r->o.recv_only;
	unsigned int burst;

	for (;;) {
		if (peer_stopping()) {
			r->interrupted = true;
			break;
		}
		rx_drain(r);
		now = peer_now_ns();
		burst = 0;
		while (sending && burst < RUN_TX_BURST) {
			deadline = t0 + r->number * interval;
			if (now < deadline)
				break;
			if (send_rtp(r) != 0)
				return -EIO;
			burst++;
			if (r->number == r->o.count)
				sending = false;
		}
		if (end == UINT64_MAX) {
			if (!r->o.recv_only && !sending)
				end = peer_now_ns() + r->o.linger_ns;
			else if (r->o.recv_only)
				end = send_end + r->o.linger_ns;
		}
		now = peer_now_ns();
		if (now >= rtcp_next) {
			if (send_rtcp(r, now) != 0)
				return -EIO;
			rtcp_next += r->o.rtcp_interval_ns;
			if (rtcp_next <= now)
				rtcp_next = now + r->o.rtcp_interval_ns;
		}
		if (now >= end)
			break;
		next = end < rtcp_next ? end : rtcp_next;
		if (sending) {
			deadline = t0 + r->number * interval;
			if (deadline < next)
				next = deadline;
		}
		wait_until(r, next);
	}
	rx_drain(r);
	return 0;
}

/* ---- report ---- */

static int
cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/* Nearest rank over the sorted samples. */
static uint32_t
percentile(const struct run_source *s, size_t p)
{
	if (s->n_lat == 0)
		return 0;
	return s->lat[(s->n_lat * p + 99) / 100 - 1];
}

static void
report_source(struct peer_json *j, struct run_source *s)
{
	uint64_t unique = s->packets - s->duplicates;
	uint64_t expected = s->packets == 0 ? 0 : s->last - s->first + 1;

	peer_json_obj_begin(j, NULL);
	peer_json_u64(j, "ssrc", s->ssrc);
	peer_json_u64(j, "payload_ssrc", s->payload_ssrc);
	peer_json_u64(j, "packets", s->packets);
	peer_json_u64(j, "lost", expected > unique ? expected - unique : 0);
	peer_json_u64(j, "duplicates", s->duplicates);
	peer_json_u64(j, "reordered", s->reordered);
	peer_json_u64(j, "corrupt", s->corrupt);
	peer_json_u64(j, "first", s->first);
	peer_json_u64(j, "last", s->last);
	peer_json_obj_begin(j, "latency_us");
	if (s->n_lat > 0)
		qsort(s->lat, s->n_lat, sizeof(s->lat[0]), cmp_u32);
	peer_json_u64(j, "min", s->lat_n > 0 ? s->lat_min : 0);
	peer_json_u64(j, "avg", s->lat_n > 0 ? (s->lat_sum + s->lat_n / 2) / s->lat_n : 0);
	peer_json_u64(j, "p50", percentile(s, 50));
	peer_json_u64(j, "p99", percentile(s, 99));
	peer_json_u64(j, "max", s->lat_max);
	peer_json_obj_end(j);
	peer_json_obj_end(j);
}

static int
report_write(struct run *r)
{
	const struct run_stats *st = &r->st;
	char tmp[4096];
	struct peer_json j;
	unsigned int i;
	FILE *f;

	f = peer_report_open(r->o.report, tmp, sizeof(tmp));
	if (f == NULL)
		return -EIO;
	peer_json_init(&j, f);
	peer_json_obj_begin(&j, NULL);
	peer_json_str(&j, "name", r->o.name);
	peer_json_u64(&j, "ssrc", r->o.ssrcs[0]);
	peer_json_arr_begin(&j, "ssrcs");
	for (i = 0; i < r->o.n_ssrcs; i++)
		peer_json_u64(&j, NULL, r->o.ssrcs[i]);
	peer_json_arr_end(&j);
	peer_json_str(&j, "suite", r->o.suite->name);
	peer_json_bool(&j, "interrupted", r->interrupted);

	peer_json_obj_begin(&j, "sent");
	peer_json_u64(&j, "rtp", st->sent_rtp);
	peer_json_u64(&j, "rtp_bytes", st->sent_rtp_bytes);
	peer_json_u64(&j, "rtcp", st->sent_rtcp);
	peer_json_u64(&j, "duplicates", st->sent_dups);
	peer_json_u64(&j, "errors", st->send_errors);
	peer_json_u64(&j, "elapsed_us", (r->last_send_ns - r->first_send_ns) / 1000);
	peer_json_obj_end(&j);

	peer_json_obj_begin(&j, "received");
	peer_json_u64(&j, "rtp", st->rx_rtp);
	peer_json_u64(&j, "rtcp", st->rx_rtcp);
	peer_json_obj_begin(&j, "unprotect_fail");
	peer_json_u64(&j, "auth", st->fail_auth);
	peer_json_u64(&j, "replay", st->fail_replay);
	peer_json_u64(&j, "other", st->fail_other);
	peer_json_obj_end(&j);
	peer_json_u64(&j, "corrupt", st->corrupt);
	peer_json_u64(&j, "foreign", st->foreign);
	peer_json_u64(&j, "echo", st->echo);
	peer_json_u64(&j, "invalid", st->invalid);
	peer_json_u64(&j, "rtcp_malformed", st->rtcp_malformed);
	peer_json_u64(&j, "untracked", st->untracked);
	peer_json_arr_begin(&j, "sources");
	for (i = 0; i < r->n_src; i++)
		report_source(&j, &r->src[i]);
	peer_json_arr_end(&j);
	peer_json_arr_begin(&j, "rtcp_from");
	for (i = 0; i < r->n_from; i++) {
		peer_json_obj_begin(&j, NULL);
		peer_json_u64(&j, "ssrc", r->from[i].ssrc);
		peer_json_u64(&j, "sr", r->from[i].sr);
		peer_json_u64(&j, "rr", r->from[i].rr);
		peer_json_obj_end(&j);
	}
	peer_json_arr_end(&j);
	peer_json_arr_begin(&j, "feedback");
	for (i = 0; i < r->n_fb; i++) {
		peer_json_obj_begin(&j, NULL);
		peer_json_u64(&j, "media_ssrc", r->fb[i].media_ssrc);
		peer_json_u64(&j, "pli", r->fb[i].pli);
		peer_json_u64(&j, "nack", r->fb[i].nack);
		peer_json_u64(&j, "fir", r->fb[i].fir);
		peer_json_obj_end(&j);
	}
	peer_json_arr_end(&j);
	peer_json_obj_end(&j);
	peer_json_obj_end(&j);
	return peer_report_close(f, r->o.report, tmp);
}

static void
run_free(struct run *r)
{
	unsigned int i;

	if (r->tx != NULL)
		srtp_dealloc(r->tx);
	if (r->rx != NULL)
		srtp_dealloc(r->rx);
	if (r->fd >= 0)
		close(r->fd);
	if (r->rtcp_fd >= 0)
		close(r->rtcp_fd);
	if (r->src != NULL) {
		for (i = 0; i < r->n_src; i++) {
			free(r->src[i].seen);
			free(r->src[i].lat);
		}
	}
	free(r->src);
	free(r->from);
	free(r->fb);
	OPENSSL_cleanse(&r->o, sizeof(r->o));
}

int
peer_cmd_run(int argc, char **argv)
{
	struct run *r;
	int rc = PEER_EXIT_ERROR;

	r = calloc(1, sizeof(*r));
	if (r == NULL)
		return PEER_EXIT_ERROR;
	r->fd = -1;
	r->rtcp_fd = -1;
	if (parse_opts(&r->o, argc, argv) != 0) {
		run_usage(stderr);
		free(r);
		return PEER_EXIT_USAGE;
	}
	r->src = calloc(RUN_MAX_SOURCES, sizeof(*r->src));
	r->from = calloc(RUN_MAX_SOURCES, sizeof(*r->from));
	r->fb = calloc(RUN_MAX_SOURCES, sizeof(*r->fb));
	if (r->src == NULL || r->from == NULL || r->fb == NULL)
		goto out;
	if (peer_srtp_init() != 0 ||
	    peer_session_create(&r->tx, r->o.suite, r->o.send_key, ssrc_any_outbound) != 0 ||
	    peer_session_create(&r->rx, r->o.suite, r->o.recv_key, ssrc_any_inbound) != 0)
		goto out;
	/* libsrtp2 has derived its session keys; the master keys are no longer needed. */
	OPENSSL_cleanse(r->o.send_key, sizeof(r->o.send_key));
	OPENSSL_cleanse(r->o.recv_key, sizeof(r->o.recv_key));
	r->fd = peer_udp_socket(&r->o.local, peer_addr_family(&r->o.local));
	if (r->fd < 0)
		goto out;
	if (r->o.rtcp_port != 0) {
		struct peer_addr a = r->o.local;

		if (a.ss.ss_family == AF_INET)
			((struct sockaddr_in *)&a.ss)->sin_port = htons((uint16_t)r->o.rtcp_port);
		else
			((struct sockaddr_in6 *)&a.ss)->sin6_port = htons((uint16_t)r->o.rtcp_port);
		r->rtcp_fd = peer_udp_socket(&a, peer_addr_family(&a));
		if (r->rtcp_fd < 0)
			goto out;
	}
	r->seq = r->o.seq_start_set ? (uint16_t)r->o.seq_start : (uint16_t)peer_rand_u32();
	r->ts = peer_rand_u32();
	r->last_ts = r->ts;
	/* Exact pacing: without this the kernel may add 50 us of timer slack to each wake-up. */
	(void)prctl(PR_SET_TIMERSLACK, 1UL, 0UL, 0UL, 0UL);
	peer_signals_install();
	rc = run_loop(r) == 0 ? PEER_EXIT_OK : PEER_EXIT_ERROR;
	if (report_write(r) != 0)
		rc = PEER_EXIT_ERROR;
out:
	OPENSSL_cleanse(r->o.send_key, sizeof(r->o.send_key));
	OPENSSL_cleanse(r->o.recv_key, sizeof(r->o.recv_key));
	run_free(r);
	free(r);
	return rc;
}
