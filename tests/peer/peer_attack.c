/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * sluice-peer attack: traffic that a relay must drop without forwarding anything or changing
 * any state: wrong keys, unknown SSRCs, truncated and garbage datagrams, floods.
 */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <srtp2/srtp.h>

#include "peer.h"

#define ATTACK_SESSION_SSRCS	256	/* fresh session (and key) after this many random SSRCs */

enum attack_mode {
	ATTACK_WRONG_KEY,
	ATTACK_UNKNOWN_SSRC,
	ATTACK_TRUNCATED,
	ATTACK_GARBAGE,
	ATTACK_RTCP_WRONG_KEY,
	ATTACK_FLOOD,
};

static const char *const mode_names[] = {
	[ATTACK_WRONG_KEY] = "wrong-key",
	[ATTACK_UNKNOWN_SSRC] = "unknown-ssrc",
	[ATTACK_TRUNCATED] = "truncated",
	[ATTACK_GARBAGE] = "garbage",
	[ATTACK_RTCP_WRONG_KEY] = "rtcp-wrong-key",
	[ATTACK_FLOOD] = "flood",
};

/* First-byte classes of RFC 7983, and the gaps between them, for garbage. */
static const uint8_t first_byte_ranges[][2] = {
	{ 0, 3 },	/* STUN */
	{ 4, 15 },	/* gap */
	{ 16, 19 },	/* ZRTP */
	{ 20, 63 },	/* DTLS */
	{ 64, 79 },	/* TURN channel */
	{ 80, 127 },	/* gap */
	{ 128, 191 },	/* RTP/RTCP */
	{ 192, 255 },	/* gap */
};

struct attack {
	enum attack_mode mode;
	struct peer_addr remote;
	struct peer_addr local;
	bool have_local;
	const struct peer_suite *suite;
	uint8_t key[PEER_KEY_MAX];
	bool have_key;
	uint32_t ssrc;
	bool have_ssrc;
	uint64_t count;
	uint32_t rate;
	uint32_t size;
	uint64_t linger_ns;
	const char *report;
	int fd;
	srtp_t s;
	unsigned int session_ssrcs;	/* SSRCs used in the current session */
	uint16_t seq;
	uint32_t ts;
	uint64_t sent;
	uint64_t send_errors;
	uint64_t received;
};

enum {
	OPT_MODE = 256, OPT_REMOTE, OPT_LOCAL, OPT_COUNT, OPT_RATE, OPT_SUITE, OPT_KEY, OPT_SSRC,
	OPT_SIZE, OPT_LINGER, OPT_REPORT, OPT_HELP,
};

static const struct option attack_options[] = {
	{ "mode", required_argument, NULL, OPT_MODE },
	{ "remote", required_argument, NULL, OPT_REMOTE },
	{ "local", required_argument, NULL, OPT_LOCAL },
	{ "count", required_argument, NULL, OPT_COUNT },
	{ "rate", required_argument, NULL, OPT_RATE },
	{ "suite", required_argument, NULL, OPT_SUITE },
	{ "key", required_argument, NULL, OPT_KEY },
	{ "ssrc", required_argument, NULL, OPT_SSRC },
	{ "size", required_argument, NULL, OPT_SIZE },
	{ "linger-ms", required_argument, NULL, OPT_LINGER },
	{ "report", required_argument, NULL, OPT_REPORT },
	{ "help", no_argument, NULL, OPT_HELP },
	{ NULL, 0, NULL, 0 },
};

static void
attack_usage(FILE *f)
{
	fprintf(f,
	    "usage: sluice-peer attack --mode MODE --remote IP:PORT [--local IP:PORT]\n"
	    "           [--count 100] [--rate 1000] [--suite SUITE] [--key KEY] [--ssrc N]\n"
	    "           [--size 160] [--linger-ms 0] [--report FILE]\n"
	    "  MODE: wrong-key | unknown-ssrc | truncated | garbage | rtcp-wrong-key | flood\n");
}

static int
parse_opts(struct attack *a, int argc, char **argv)
{
	char *key = NULL, *mode = NULL;
	bool have_remote = false;
	uint32_t v;
	size_t i;
	int c, rc = 0;

	a->count = 100;
	a->rate = 1000;
	a->size = 160;
	optind = 1;
	while ((c = getopt_long(argc, argv, "", attack_options, NULL)) != -1) {
		switch (c) {
		case OPT_MODE:
			mode = optarg;
			break;
		case OPT_REMOTE:
			rc = peer_parse_addr("--remote", optarg, &a->remote);
			have_remote = true;
			break;
		case OPT_LOCAL:
			rc = peer_parse_addr("--local", optarg, &a->local);
			a->have_local = true;
			break;
		case OPT_COUNT:
			rc = peer_parse_u64("--count", optarg, 1, UINT64_MAX >> 8, &a->count);
			break;
		case OPT_RATE:
			rc = peer_parse_u32("--rate", optarg, 1, 10000000, &a->rate);
			break;
		case OPT_SUITE:
			a->suite = peer_suite_parse("--suite", optarg);
			rc = a->suite == NULL ? -EINVAL : 0;
			break;
		case OPT_KEY:
			if (key != NULL)
				peer_wipe_arg(key);
			key = optarg;
			break;
		case OPT_SSRC:
			rc = peer_parse_u32("--ssrc", optarg, 0, UINT32_MAX, &a->ssrc);
			a->have_ssrc = true;
			break;
		case OPT_SIZE:
			rc = peer_parse_u32("--size", optarg, PEER_SIZE_MIN, PEER_SIZE_MAX, &a->size);
			break;
		case OPT_LINGER:
			rc = peer_parse_u32("--linger-ms", optarg, 0, 3600000, &v);
			a->linger_ns = v * 1000000ull;
			break;
		case OPT_REPORT:
			a->report = optarg;
			break;
		case OPT_HELP:
			attack_usage(stdout);
			exit(PEER_EXIT_OK);
		default:
			rc = -EINVAL;
			break;
		}
		if (rc != 0)
			goto err;
	}
	if (optind != argc) {
		fprintf(stderr, "sluice-peer: unexpected argument '%s'\n", argv[optind]);
		goto err;
	}
	if (mode == NULL || !have_remote) {
		fprintf(stderr, "sluice-peer: attack needs --mode and --remote\n");
		goto err;
	}
	for (i = 0; i < sizeof(mode_names) / sizeof(mode_names[0]); i++) {
		if (strcmp(mode, mode_names[i]) == 0)
			break;
	}
	if (i == sizeof(mode_names) / sizeof(mode_names[0])) {
		fprintf(stderr, "sluice-peer: --mode: unknown mode '%s'\n", mode);
		goto err;
	}
	a->mode = (enum attack_mode)i;
	if (peer_addr_port(&a->remote) == 0 ||
	    (a->have_local && peer_addr_family(&a->local) != peer_addr_family(&a->remote))) {
		fprintf(stderr, "sluice-peer: --remote needs a port, and --local its family\n");
		goto err;
	}
	if ((a->mode == ATTACK_WRONG_KEY || a->mode == ATTACK_RTCP_WRONG_KEY) && !a->have_ssrc) {
		fprintf(stderr, "sluice-peer: --mode %s needs --ssrc\n", mode);
		goto err;
	}
	if (a->suite == NULL)
		a->suite = peer_suite_find("AES_CM_128_HMAC_SHA1_80");
	if (key != NULL) {
		if (peer_key_parse("--key", key, a->suite, a->key) != 0)
			goto err;
		a->have_key = true;
		peer_wipe_arg(key);
	}
	return 0;
err:
	if (key != NULL)
		peer_wipe_arg(key);
	return -EINVAL;
}

/* A session under the given key, or a fresh random one. */
static int
session_new(struct attack *a, bool random_key)
{
	uint8_t key[PEER_KEY_MAX];
	int rc;

	if (a->s != NULL) {
		srtp_dealloc(a->s);
		a->s = NULL;
	}
	if (random_key)
		peer_rand(key, sizeof(key));
	else
		memcpy(key, a->key, sizeof(key));
	rc = peer_session_create(&a->s, a->suite, key, ssrc_any_outbound);
	OPENSSL_cleanse(key, sizeof(key));
	a->session_ssrcs = 0;
	return rc;
}

/* One SRTP packet for ssrc, protected with the current session; returns its length or -EIO. */
static int
build_srtp(struct attack *a, uint8_t *buf, uint32_t ssrc)
{
	struct peer_rtp h = {
		.pt = 96,
		.marker = false,
		.seq = a->seq++,
		.ts = a->ts,
		.ssrc = ssrc,
	};
	srtp_err_status_t st;
	int len;

	a->ts += 3000;
	len = (int)peer_rtp_build(buf, &h, a->size, a->sent, peer_now_ns());
	st = srtp_protect(a->s, buf, &len);
	if (st != srtp_err_status_ok) {
		fprintf(stderr, "sluice-peer: srtp_protect: %s\n", peer_srtp_strerror(st));
		return -EIO;
	}
	return len;
}

/* SRTP under a random key with a random SSRC per packet; sessions are renewed so that
 * libsrtp2's per-SSRC stream list stays short at flood rates. */
static int
build_random_ssrc(struct attack *a, uint8_t *buf)
{
	if (a->s == NULL || a->session_ssrcs == ATTACK_SESSION_SSRCS) {
		if (session_new(a, true) != 0)
			return -EIO;
	}
	a->session_ssrcs++;
	return build_srtp(a, buf, peer_rand_u32());
}

static int
build_rtcp_sr(struct attack *a, uint8_t *buf)
{
	srtp_err_status_t st;
	int len = 28;

	memset(buf, 0, 28);
	buf[0] = 0x80;
	buf[1] = 200;
	peer_store_be16(buf + 2, 6);
	peer_store_be32(buf + 4, a->ssrc);
	peer_store_be32(buf + 20, (uint32_t)a->sent);
	st = srtp_protect_rtcp(a->s, buf, &len);
	if (st != srtp_err_status_ok) {
		fprintf(stderr, "sluice-peer: srtp_protect_rtcp: %s\n", peer_srtp_strerror(st));
		return -EIO;
	}
	return len;
}

static int
build_truncated(struct attack *a, uint8_t *buf)
{
	int len;

	/* Even packets: an RTP header cut short; odd ones: SRTP with its tag cut off. */
	if ((a->sent & 1) == 0) {
		struct peer_rtp h = {
			.pt = 96,
			.seq = (uint16_t)peer_rand_u32(),
			.ts = peer_rand_u32(),
			.ssrc = a->have_ssrc ? a->ssrc : peer_rand_u32(),
		};

		peer_rtp_build(buf, &h, PEER_SIZE_MIN, a->sent, 0);
		return (int)(peer_rand_u32() % PEER_RTP_HDR_LEN);
	}
	len = build_srtp(a, buf, a->have_ssrc ? a->ssrc : peer_rand_u32());
	if (len < 0)
		return len;
	return len - (int)a->suite->rtp_tag_len;
}

static int
build_garbage(struct attack *a, uint8_t *buf)
{
	const uint8_t *range = first_byte_ranges[a->sent % 8];
	uint32_t len = 1 + peer_rand_u32() % PEER_SIZE_MAX;

	peer_rand(buf, len);
	buf[0] = (uint8_t)(range[0] + peer_rand_u32() % (uint32_t)(range[1] - range[0] + 1));
	return (int)len;
}

static int
attack_setup(struct attack *a)
{
	if (peer_srtp_init() != 0)
		return -EIO;
	switch (a->mode) {
	case ATTACK_WRONG_KEY:
	case ATTACK_UNKNOWN_SSRC:
	case ATTACK_RTCP_WRONG_KEY:
		if (a->mode == ATTACK_UNKNOWN_SSRC)
			a->ssrc = peer_rand_u32();
		return session_new(a, true);
	case ATTACK_TRUNCATED:
		/* With the participant's real key, the only fault is the missing tag. */
		return session_new(a, !a->have_key);
	default:
		return 0;
	}
}

static void
attack_drain(struct attack *a)
{
	uint8_t buf[PEER_BUF_LEN];

	while (recv(a->fd, buf, sizeof(buf), MSG_DONTWAIT) >= 0)
		a->received++;
}

static int
attack_loop(struct attack *a)
{
	_Alignas(8) uint8_t buf[PEER_BUF_LEN];
	uint64_t interval = 1000000000ull / a->rate;
	uint64_t t0 = peer_now_ns(), end;
	int len;

	while (a->sent < a->count && !peer_stopping()) {
		peer_sleep_until(t0 + a->sent * interval);
		switch (a->mode) {
		case ATTACK_WRONG_KEY:
		case ATTACK_UNKNOWN_SSRC:
			len = build_srtp(a, buf, a->ssrc);
			break;
		case ATTACK_RTCP_WRONG_KEY:
			len = build_rtcp_sr(a, buf);
			break;
		case ATTACK_TRUNCATED:
			len = build_truncated(a, buf);
			break;
		case ATTACK_GARBAGE:
			len = build_garbage(a, buf);
			break;
		case ATTACK_FLOOD:
		default:
			len = build_random_ssrc(a, buf);
			break;
		}
		if (len < 0)
			return -EIO;
		if (sendto(a->fd, buf, (size_t)len, 0, (const struct sockaddr *)&a->remote.ss,
		    a->remote.len) != len)
			a->send_errors++;
		a->sent++;
		if ((a->sent & 63) == 0)
			attack_drain(a);
	}
	end = peer_now_ns() + a->linger_ns;
	while (peer_now_ns() < end && !peer_stopping()) {
		attack_drain(a);
		peer_sleep_until(peer_now_ns() + 1000000);
	}
	attack_drain(a);
	return 0;
}

static int
attack_report(const struct attack *a)
{
	struct peer_json j;
	char tmp[4096];
	FILE *f;

	f = peer_report_open(a->report, tmp, sizeof(tmp));
	if (f == NULL)
		return -EIO;
	peer_json_init(&j, f);
	peer_json_obj_begin(&j, NULL);
	peer_json_str(&j, "mode", mode_names[a->mode]);
	peer_json_u64(&j, "sent", a->sent);
	peer_json_u64(&j, "errors", a->send_errors);
	peer_json_u64(&j, "received", a->received);
	peer_json_obj_end(&j);
	return peer_report_close(f, a->report, tmp);
}

int
peer_cmd_attack(int argc, char **argv)
{
	struct attack a;
	int rc = PEER_EXIT_ERROR;

	memset(&a, 0, sizeof(a));
	a.fd = -1;
	if (parse_opts(&a, argc, argv) != 0) {
		OPENSSL_cleanse(a.key, sizeof(a.key));
		attack_usage(stderr);
		return PEER_EXIT_USAGE;
	}
	if (attack_setup(&a) != 0)
		goto out;
	a.fd = peer_udp_socket(a.have_local ? &a.local : NULL, peer_addr_family(&a.remote));
	if (a.fd < 0)
		goto out;
	a.seq = (uint16_t)peer_rand_u32();
	a.ts = peer_rand_u32();
	(void)prctl(PR_SET_TIMERSLACK, 1UL, 0UL, 0UL, 0UL);
	peer_signals_install();
	rc = attack_loop(&a) == 0 ? PEER_EXIT_OK : PEER_EXIT_ERROR;
	if (attack_report(&a) != 0)
		rc = PEER_EXIT_ERROR;
out:
	if (a.s != NULL)
		srtp_dealloc(a.s);
	if (a.fd >= 0)
		close(a.fd);
	OPENSSL_cleanse(a.key, sizeof(a.key));
	return rc;
}
