/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * sluice-peer attack: traffic that a relay must drop without forwarding anything or changing
 * any state: wrong keys, unknown SSRCs, truncated and garbage datagrams, floods, and raw
 * Ethernet frames that are wrong at layer 2, 3 or 4.
 *
 * Modes that mix several kinds of packet cycle through them in a fixed order, and the report
 * counts what was sent of each kind, so that a test can tell exactly where each must land.
 */
#include <errno.h>
#include <getopt.h>
#include <ifaddrs.h>
#include <linux/if_packet.h>
#include <linux/neighbour.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <srtp2/srtp.h>

#include "peer.h"

#define ATTACK_SESSION_SSRCS	256	/* fresh session (and key) after this many random SSRCs */
#define ATTACK_KINDS_MAX	16

#define RTCP_SR_LEN		28	/* sender report without report blocks */
#define SRTCP_E_FLAG		0x80000000u

#define FRAME_ETH_HLEN		14
#define FRAME_L7_LEN		32	/* an RTP header and 20 bytes */
#define FRAME_MIN_LEN		60	/* Ethernet minimum without the FCS */
#define FRAME_SHORT_LEN		10	/* less than an Ethernet header */
#define FRAME_EXCESS		100	/* bytes a length field claims beyond the frame */
#define ETHERTYPE_LOCAL		0x88b5	/* IEEE 802 local experimental */
#define IPV4_MF			0x2000
#define IPV4_FRAG_LAST		(1480 / 8)	/* offset of a second fragment, no MF */

enum attack_mode {
	ATTACK_WRONG_KEY,
	ATTACK_UNKNOWN_SSRC,
	ATTACK_TRUNCATED,
	ATTACK_GARBAGE,
	ATTACK_RTCP_WRONG_KEY,
	ATTACK_FLOOD,
	ATTACK_FRAMES,
};

static const char *const mode_names[] = {
	[ATTACK_WRONG_KEY] = "wrong-key",
	[ATTACK_UNKNOWN_SSRC] = "unknown-ssrc",
	[ATTACK_TRUNCATED] = "truncated",
	[ATTACK_GARBAGE] = "garbage",
	[ATTACK_RTCP_WRONG_KEY] = "rtcp-wrong-key",
	[ATTACK_FLOOD] = "flood",
	[ATTACK_FRAMES] = "frames",
};

/* Truncations, in the order sent. */
enum trunc_kind {
	TRUNC_EMPTY,		/* 0 or 1 byte: nothing to classify */
	TRUNC_RTP_HDR,		/* the first 2..11 bytes of an RTP header */
	TRUNC_SRTP_TAG,		/* an RTP header and less than a tag after it */
	TRUNC_SRTP_NO_TAG,	/* SRTP with its whole tag cut off */
	TRUNC_RTCP_HDR,		/* the first 2..7 bytes of an RTCP header: no sender SSRC */
	TRUNC_SRTCP_TRAILER,	/* RTCP header and SSRC, cut inside the SRTCP index or tag */
	TRUNC_KINDS,
};

static const char *const trunc_names[] = {
	[TRUNC_EMPTY] = "empty",
	[TRUNC_RTP_HDR] = "rtp-header",
	[TRUNC_SRTP_TAG] = "srtp-in-tag",
	[TRUNC_SRTP_NO_TAG] = "srtp-no-tag",
	[TRUNC_RTCP_HDR] = "rtcp-header",
	[TRUNC_SRTCP_TRAILER] = "srtcp-in-trailer",
};

/* RFC 7983 classes of the first byte, for garbage; "short" is a datagram under 2 bytes. */
enum garbage_class {
	GARBAGE_SHORT,
	GARBAGE_STUN,
	GARBAGE_ZRTP,
	GARBAGE_DTLS,
	GARBAGE_TURN,
	GARBAGE_RTP,
	GARBAGE_UNASSIGNED,
	GARBAGE_CLASSES,
};

static const char *const garbage_names[] = {
	[GARBAGE_SHORT] = "short",
	[GARBAGE_STUN] = "stun",
	[GARBAGE_ZRTP] = "zrtp",
	[GARBAGE_DTLS] = "dtls",
	[GARBAGE_TURN] = "turn-channel",
	[GARBAGE_RTP] = "rtp-rtcp",
	[GARBAGE_UNASSIGNED] = "unassigned",
};

/* First-byte ranges of RFC 7983, and the gaps between them; garbage cycles through them. */
static const struct {
	uint8_t lo, hi;
	enum garbage_class cls;
} first_byte_ranges[] = {
	{ 0, 3, GARBAGE_STUN },
	{ 4, 15, GARBAGE_UNASSIGNED },
	{ 16, 19, GARBAGE_ZRTP },
	{ 20, 63, GARBAGE_DTLS },
	{ 64, 79, GARBAGE_TURN },
	{ 80, 127, GARBAGE_UNASSIGNED },
	{ 128, 191, GARBAGE_RTP },
	{ 192, 255, GARBAGE_UNASSIGNED },
};

/* Raw frames; each carries, where it has one, UDP to --remote with an unknown SSRC. */
enum frame_kind {
	FRAME_SHORT,		/* shorter than an Ethernet header */
	FRAME_ETHERTYPE,	/* an ethertype that is neither IPv4, IPv6 nor ARP */
	FRAME_VLAN,		/* an 802.1Q tag in front of the IP packet */
	FRAME_IP_CHECKSUM,	/* IPv4 header checksum wrong */
	FRAME_IP_FRAGMENT,	/* IPv4 first fragments and later fragments, in turn */
	FRAME_IP_LENGTH,	/* IPv4 total length beyond the frame */
	FRAME_IPV6_EXT,		/* IPv6 with a destination options header */
	FRAME_UDP_LENGTH,	/* UDP length beyond the IP payload */
	FRAME_OTHER_MAC,	/* a valid packet to another unicast MAC */
	FRAME_KINDS,
};

#define FRAME_V4	1u
#define FRAME_V6	2u

static const struct {
	const char *name;
	unsigned int families;
} frame_kinds[] = {
	[FRAME_SHORT] = { "short", FRAME_V4 | FRAME_V6 },
	[FRAME_ETHERTYPE] = { "ethertype", FRAME_V4 | FRAME_V6 },
	[FRAME_VLAN] = { "vlan", FRAME_V4 | FRAME_V6 },
	[FRAME_IP_CHECKSUM] = { "ip-checksum", FRAME_V4 },
	[FRAME_IP_FRAGMENT] = { "ip-fragment", FRAME_V4 },
	[FRAME_IP_LENGTH] = { "ip-length", FRAME_V4 },
	[FRAME_IPV6_EXT] = { "ipv6-ext", FRAME_V6 },
	[FRAME_UDP_LENGTH] = { "udp-length", FRAME_V4 | FRAME_V6 },
	[FRAME_OTHER_MAC] = { "other-mac", FRAME_V4 | FRAME_V6 },
};

/* A locally administered unicast address that no interface of the test network has. */
static const uint8_t other_mac[6] = { 0x02, 0x00, 0x5c, 0xee, 0xee, 0x01 };

struct attack {
	enum attack_mode mode;
	struct peer_addr remote;
	struct peer_addr local;
	bool have_local;
	const struct peer_suite *suite;
	bool aead;
	uint8_t key[PEER_KEY_MAX];
	bool have_key;
	uint32_t ssrc;
	bool have_ssrc;
	uint32_t seq_start;
	bool have_seq_start;
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
	int first_errno;
	uint64_t received;
	/* What the packet being built is, and how many of each kind were sent. */
	unsigned int kind;
	const char *const *kind_names;
	unsigned int n_kinds;
	uint64_t kind_sent[ATTACK_KINDS_MAX];
	/* frames */
	char dev[IF_NAMESIZE];
	int pfd;
	struct sockaddr_ll ll;
	uint8_t src_mac[6];
	uint8_t dst_mac[6];
	bool have_dst_mac;
	unsigned int frames[FRAME_KINDS];	/* the kinds sent, in turn */
	unsigned int n_frames;
	const char *frame_name_list[FRAME_KINDS];
};

enum {
	OPT_MODE = 256, OPT_REMOTE, OPT_LOCAL, OPT_COUNT, OPT_RATE, OPT_SUITE, OPT_KEY, OPT_SSRC,
	OPT_SIZE, OPT_SEQ_START, OPT_FRAME, OPT_DEV, OPT_DST_MAC, OPT_LINGER, OPT_REPORT,
	OPT_HELP,
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
	{ "seq-start", required_argument, NULL, OPT_SEQ_START },
	{ "frame", required_argument, NULL, OPT_FRAME },
	{ "dev", required_argument, NULL, OPT_DEV },
	{ "dst-mac", required_argument, NULL, OPT_DST_MAC },
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
	    "           [--size 160] [--seq-start N] [--linger-ms 0] [--report FILE]\n"
	    "           frames: [--frame KIND] [--dev eth0] [--dst-mac MAC]\n"
	    "  MODE: wrong-key | unknown-ssrc | truncated | garbage | rtcp-wrong-key | flood |\n"
	    "        frames\n"
	    "  wrong-key, rtcp-wrong-key: SRTP / SRTCP for --ssrc under a random key.\n"
	    "  unknown-ssrc: SRTP for one random SSRC; flood: a random SSRC per packet.\n"
	    "  truncated, in turn: empty (0 or 1 byte), rtp-header (2..11 bytes), srtp-in-tag\n"
	    "    (RTP header and less than a tag), srtp-no-tag (the whole tag cut off),\n"
	    "    rtcp-header (2..7 bytes), srtcp-in-trailer (8..19 bytes of an SRTCP report);\n"
	    "    SRTP and SRTCP are for --ssrc (else random ones), under --key (else random).\n"
	    "  garbage: random datagrams whose first byte cycles through the RFC 7983 ranges.\n"
	    "  --seq-start: the first RTP sequence number, and SRTCP index, instead of random.\n"
	    "  frames: raw Ethernet frames from --dev to the MAC of --remote (from the kernel's\n"
	    "    neighbour table, or --dst-mac); KIND, else all that fit --remote's family in\n"
	    "    turn: short | ethertype | vlan | ip-checksum | ip-fragment | ip-length |\n"
	    "    ipv6-ext | udp-length | other-mac. --local defaults to --dev's address.\n"
	    "  The report counts what was sent of each kind.\n");
}

static int
parse_frame(struct attack *a, const char *s)
{
	unsigned int k;

	for (k = 0; k < FRAME_KINDS; k++) {
		if (strcmp(s, frame_kinds[k].name) == 0) {
			a->frames[0] = k;
			a->n_frames = 1;
			return 0;
		}
	}
	fprintf(stderr, "sluice-peer: --frame: unknown kind '%s'\n", s);
	return -EINVAL;
}

/* Checks what the mode needs and fills the defaults that depend on other options. */
static int
check_opts(struct attack *a, const char *mode)
{
	unsigned int fam, k;

	if (peer_addr_port(&a->remote) == 0 ||
	    (a->have_local && peer_addr_family(&a->local) != peer_addr_family(&a->remote))) {
		fprintf(stderr, "sluice-peer: --remote needs a port, and --local its family\n");
		return -EINVAL;
	}
	if ((a->mode == ATTACK_WRONG_KEY || a->mode == ATTACK_RTCP_WRONG_KEY) && !a->have_ssrc) {
		fprintf(stderr, "sluice-peer: --mode %s needs --ssrc\n", mode);
		return -EINVAL;
	}
	if (a->mode != ATTACK_FRAMES) {
		if (a->n_frames != 0 || a->have_dst_mac || a->dev[0] != '\0') {
			fprintf(stderr, "sluice-peer: --frame, --dev and --dst-mac are for frames\n");
			return -EINVAL;
		}
		return 0;
	}
	fam = peer_addr_family(&a->remote) == AF_INET ? FRAME_V4 : FRAME_V6;
	if (a->n_frames == 1 && !(frame_kinds[a->frames[0]].families & fam)) {
		fprintf(stderr, "sluice-peer: --frame %s needs an IPv%c --remote\n",
		    frame_kinds[a->frames[0]].name, fam == FRAME_V4 ? '6' : '4');
		return -EINVAL;
	}
	if (a->n_frames == 0) {
		for (k = 0; k < FRAME_KINDS; k++) {
			if (frame_kinds[k].families & fam)
				a->frames[a->n_frames++] = k;
		}
	}
	if (a->dev[0] == '\0')
		snprintf(a->dev, sizeof(a->dev), "eth0");
	return 0;
}

static int
parse_opts(struct attack *a, int argc, char **argv)
{
	char *key = NULL, *mode = NULL;
	bool have_remote = false;
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
		case OPT_SEQ_START:
			rc = peer_parse_u32("--seq-start", optarg, 0, 65535, &a->seq_start);
			a->have_seq_start = true;
			break;
		case OPT_FRAME:
			rc = parse_frame(a, optarg);
			break;
		case OPT_DEV:
			if (strlen(optarg) == 0 || strlen(optarg) >= sizeof(a->dev)) {
				fprintf(stderr, "sluice-peer: --dev: expected an interface name\n");
				rc = -EINVAL;
				break;
			}
			snprintf(a->dev, sizeof(a->dev), "%s", optarg);
			break;
		case OPT_DST_MAC:
			rc = peer_parse_mac("--dst-mac", optarg, a->dst_mac);
			a->have_dst_mac = true;
			break;
		case OPT_LINGER:
			rc = peer_parse_ms("--linger-ms", optarg, &a->linger_ns);
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
	if (peer_no_operands(argc, argv) != 0)
		goto err;
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
	if (check_opts(a, mode) != 0)
		goto err;
	if (a->suite == NULL)
		a->suite = peer_suite_find("AES_CM_128_HMAC_SHA1_80");
	a->aead = strncmp(a->suite->name, "AEAD_", 5) == 0;
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

/* An SRTCP sender report from ssrc; with --seq-start, the SRTCP index counts from it. */
static int
build_rtcp_sr(struct attack *a, uint8_t *buf, uint32_t ssrc)
{
	srtp_err_status_t st;
	int len = RTCP_SR_LEN;

	memset(buf, 0, RTCP_SR_LEN);
	buf[0] = 0x80;
	buf[1] = 200;
	peer_store_be16(buf + 2, RTCP_SR_LEN / 4 - 1);
	peer_store_be32(buf + 4, ssrc);
	peer_store_be32(buf + 20, (uint32_t)a->sent);
	st = srtp_protect_rtcp(a->s, buf, &len);
	if (st != srtp_err_status_ok) {
		fprintf(stderr, "sluice-peer: srtp_protect_rtcp: %s\n", peer_srtp_strerror(st));
		return -EIO;
	}
	if (a->have_seq_start) {
		/* E flag and index: before the tag (RFC 3711), after the AEAD tag (RFC 7714).
		 * Rewriting them only makes the tag wronger, and a receiver checks the index for
		 * replay before the tag. */
		size_t at = a->aead ? (size_t)len - 4 : RTCP_SR_LEN;

		peer_store_be32(buf + at, SRTCP_E_FLAG |
		    (uint32_t)((a->seq_start + a->sent) & 0x7fffffff));
	}
	return len;
}

static int
build_truncated(struct attack *a, uint8_t *buf)
{
	enum trunc_kind k = (enum trunc_kind)(a->sent % TRUNC_KINDS);
	uint32_t round = (uint32_t)(a->sent / TRUNC_KINDS);
	uint32_t ssrc = a->have_ssrc ? a->ssrc : peer_rand_u32();
	int len;

	a->kind = k;
	switch (k) {
	case TRUNC_EMPTY:
		buf[0] = 0x80;
		return (int)(round % 2);
	case TRUNC_RTP_HDR:
	case TRUNC_SRTP_TAG:
	case TRUNC_SRTP_NO_TAG:
		len = build_srtp(a, buf, ssrc);
		if (len < 0)
			return len;
		if (k == TRUNC_RTP_HDR)
			return (int)(2 + round % (PEER_RTP_HDR_LEN - 2));
		if (k == TRUNC_SRTP_TAG)
			return (int)(PEER_RTP_HDR_LEN + round % a->suite->rtp_tag_len);
		return len - (int)a->suite->rtp_tag_len;
	case TRUNC_RTCP_HDR:
	case TRUNC_SRTCP_TRAILER:
	default:
		len = build_rtcp_sr(a, buf, ssrc);
		if (len < 0)
			return len;
		if (k == TRUNC_RTCP_HDR)
			return (int)(2 + round % 6);
		/* The shortest SRTCP is header, index and an 80-bit tag: 22 bytes. */
		return (int)(8 + round % 12);
	}
}

static int
build_garbage(struct attack *a, uint8_t *buf)
{
	size_t r = a->sent % (sizeof(first_byte_ranges) / sizeof(first_byte_ranges[0]));
	uint32_t lo = first_byte_ranges[r].lo, hi = first_byte_ranges[r].hi;
	uint32_t len = 1 + peer_rand_u32() % PEER_SIZE_MAX;

	peer_rand(buf, len);
	buf[0] = (uint8_t)(lo + peer_rand_u32() % (hi - lo + 1));
	a->kind = len < 2 ? GARBAGE_SHORT : first_byte_ranges[r].cls;
	return (int)len;
}

/* ---- frames ---- */

/*
 * UDP from --local to --remote in Ethernet and IP, holding an RTP header for a random SSRC
 * with 20 random bytes: valid but for the faults in fr, so that a frame whose fault the relay
 * missed would land in unknown_ssrc. Returns the frame length.
 */
static size_t
frame_udp(struct attack *a, uint8_t *f, const struct peer_frame *fr)
{
	uint8_t *rtp = f + peer_frame_hdr_len(fr);

	rtp[0] = 0x80;
	rtp[1] = 96;
	peer_store_be16(rtp + 2, a->seq++);
	peer_store_be32(rtp + 4, a->ts);
	a->ts += 3000;
	peer_store_be32(rtp + 8, peer_rand_u32());
	peer_rand(rtp + PEER_RTP_HDR_LEN, FRAME_L7_LEN - PEER_RTP_HDR_LEN);
	return peer_frame_build(f, fr, FRAME_L7_LEN);
}

static int
build_frame(struct attack *a, uint8_t *f)
{
	unsigned int k = a->frames[a->sent % a->n_frames];
	struct peer_frame fr = {
		.dst_mac = a->dst_mac,
		.src_mac = a->src_mac,
		.src = &a->local,
		.dst = &a->remote,
		.ip_id = (uint16_t)a->sent,
		.frag = PEER_IPV4_DF,
	};
	size_t len;

	a->kind = k;
	switch (k) {
	case FRAME_SHORT:
		memcpy(f, a->dst_mac, 6);
		memcpy(f + 6, a->src_mac, FRAME_SHORT_LEN - 6);
		return FRAME_SHORT_LEN;
	case FRAME_ETHERTYPE:
		memcpy(f, a->dst_mac, 6);
		memcpy(f + 6, a->src_mac, 6);
		peer_store_be16(f + 12, ETHERTYPE_LOCAL);
		peer_rand(f + FRAME_ETH_HLEN, FRAME_MIN_LEN - FRAME_ETH_HLEN);
		return FRAME_MIN_LEN;
	case FRAME_VLAN:
		fr.vlan = true;
		break;
	case FRAME_IP_CHECKSUM:
		fr.bad_csum = true;
		break;
	case FRAME_IP_FRAGMENT:
		/* Each its own datagram (IP ID), so that no two ever make a whole one. */
		fr.frag = (a->kind_sent[k] & 1) != 0 ? IPV4_FRAG_LAST : IPV4_MF;
		break;
	case FRAME_IP_LENGTH:
		fr.ip_excess = FRAME_EXCESS;
		break;
	case FRAME_IPV6_EXT:
		fr.ext_hdr = true;
		break;
	case FRAME_UDP_LENGTH:
		fr.udp_excess = FRAME_EXCESS;
		break;
	default:
		break;
	}
	len = frame_udp(a, f, &fr);
	if (k == FRAME_OTHER_MAC)
		memcpy(f, other_mac, 6);
	return (int)len;
}

/* The first address of family on dev (not a link-local one), port 0. */
static int
dev_addr(const char *dev, int family, struct peer_addr *out)
{
	struct ifaddrs *ifa, *i;
	int rc = -ENOENT;

	if (getifaddrs(&ifa) != 0)
		return -errno;
	for (i = ifa; i != NULL; i = i->ifa_next) {
		if (i->ifa_addr == NULL || i->ifa_addr->sa_family != family ||
		    strcmp(i->ifa_name, dev) != 0)
			continue;
		if (family == AF_INET6 && IN6_IS_ADDR_LINKLOCAL(
		    &((const struct sockaddr_in6 *)i->ifa_addr)->sin6_addr))
			continue;
		memset(out, 0, sizeof(*out));
		out->len = family == AF_INET ? sizeof(struct sockaddr_in) :
		    sizeof(struct sockaddr_in6);
		memcpy(&out->ss, i->ifa_addr, out->len);
		rc = 0;
		break;
	}
	freeifaddrs(ifa);
	return rc;
}

/* Whether one RTM_NEWNEIGH message is a usable entry for ip on ifindex; fills mac. */
static bool
neigh_match(struct nlmsghdr *nh, int ifindex, const void *ip, size_t ip_len, uint8_t mac[6])
{
	struct ndmsg *nd = NLMSG_DATA(nh);
	struct rtattr *rta;
	bool dst_ok = false, mac_ok = false;
	int len;

	if (nh->nlmsg_len < NLMSG_LENGTH(sizeof(*nd)) || nd->ndm_ifindex != ifindex ||
	    (nd->ndm_state & (NUD_REACHABLE | NUD_STALE | NUD_DELAY | NUD_PROBE |
	    NUD_PERMANENT)) == 0)
		return false;
	len = (int)(nh->nlmsg_len - NLMSG_LENGTH(sizeof(*nd)));
	rta = (struct rtattr *)((char *)nd + NLMSG_ALIGN(sizeof(*nd)));
	for (; RTA_OK(rta, len); rta = RTA_NEXT(rta, len)) {
		if (rta->rta_type == NDA_DST && RTA_PAYLOAD(rta) == ip_len)
			dst_ok = memcmp(RTA_DATA(rta), ip, ip_len) == 0;
		if (rta->rta_type == NDA_LLADDR && RTA_PAYLOAD(rta) == 6) {
			memcpy(mac, RTA_DATA(rta), 6);
			mac_ok = true;
		}
	}
	return dst_ok && mac_ok;
}

/* The link-layer address of ip on ifindex from the kernel's neighbour table. */
static int
neigh_lookup(int ifindex, const struct peer_addr *ip, uint8_t mac[6])
{
	struct {
		struct nlmsghdr nh;
		struct ndmsg nd;
	} req;
	_Alignas(NLMSG_ALIGNTO) char buf[16384];
	int family = peer_addr_family(ip);
	const void *want = family == AF_INET ?
	    (const void *)&((const struct sockaddr_in *)&ip->ss)->sin_addr :
	    (const void *)&((const struct sockaddr_in6 *)&ip->ss)->sin6_addr;
	size_t want_len = family == AF_INET ? 4 : 16;
	struct nlmsghdr *nh;
	int fd, rc = -ENOENT;
	ssize_t n;

	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (fd < 0)
		return -errno;
	memset(&req, 0, sizeof(req));
	req.nh.nlmsg_len = NLMSG_LENGTH(sizeof(struct ndmsg));
	req.nh.nlmsg_type = RTM_GETNEIGH;
	req.nh.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	req.nh.nlmsg_seq = 1;
	req.nd.ndm_family = (uint8_t)family;
	if (send(fd, &req, req.nh.nlmsg_len, 0) < 0) {
		rc = -errno;
		goto out;
	}
	for (;;) {
		n = recv(fd, buf, sizeof(buf), 0);
		if (n <= 0) {
			rc = n < 0 ? -errno : -EIO;
			goto out;
		}
		for (nh = (struct nlmsghdr *)buf; NLMSG_OK(nh, n); nh = NLMSG_NEXT(nh, n)) {
			if (nh->nlmsg_type == NLMSG_DONE || nh->nlmsg_type == NLMSG_ERROR)
				goto out;
			if (nh->nlmsg_type == RTM_NEWNEIGH && rc != 0 &&
			    neigh_match(nh, ifindex, want, want_len, mac))
				rc = 0;
		}
	}
out:
	close(fd);
	return rc;
}

static int
frames_setup(struct attack *a)
{
	int family = peer_addr_family(&a->remote), err;
	char where[INET6_ADDRSTRLEN + 16];
	struct ifreq ifr;

	a->ll.sll_ifindex = (int)if_nametoindex(a->dev);
	if (a->ll.sll_ifindex == 0) {
		fprintf(stderr, "sluice-peer: --dev %s: %s\n", a->dev, strerror(errno));
		return -ENODEV;
	}
	/* Protocol 0: this socket only sends. */
	a->pfd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
	if (a->pfd < 0) {
		err = errno;
		fprintf(stderr, "sluice-peer: AF_PACKET socket: %s\n", strerror(err));
		return -err;
	}
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", a->dev);
	if (ioctl(a->pfd, SIOCGIFHWADDR, &ifr) != 0) {
		err = errno;
		fprintf(stderr, "sluice-peer: %s: no hardware address: %s\n", a->dev, strerror(err));
		return -err;
	}
	memcpy(a->src_mac, ifr.ifr_hwaddr.sa_data, 6);
	if (!a->have_dst_mac && neigh_lookup(a->ll.sll_ifindex, &a->remote, a->dst_mac) != 0) {
		peer_addr_format(&a->remote, where, sizeof(where));
		fprintf(stderr, "sluice-peer: no neighbour entry for %s on %s: ping it first, or "
		    "give --dst-mac\n", where, a->dev);
		return -ENOENT;
	}
	if (!a->have_local) {
		if (dev_addr(a->dev, family, &a->local) != 0) {
			fprintf(stderr, "sluice-peer: %s has no IPv%c address: give --local\n",
			    a->dev, family == AF_INET ? '4' : '6');
			return -ENOENT;
		}
		a->have_local = true;
	}
	a->ll.sll_family = AF_PACKET;
	a->ll.sll_halen = 6;
	memcpy(a->ll.sll_addr, a->dst_mac, 6);
	return 0;
}

/* ---- the loop ---- */

static int
attack_setup(struct attack *a)
{
	unsigned int k;

	if (peer_srtp_init() != 0)
		return -EIO;
	switch (a->mode) {
	case ATTACK_TRUNCATED:
		a->kind_names = trunc_names;
		a->n_kinds = TRUNC_KINDS;
		break;
	case ATTACK_GARBAGE:
		a->kind_names = garbage_names;
		a->n_kinds = GARBAGE_CLASSES;
		break;
	case ATTACK_FRAMES:
		for (k = 0; k < FRAME_KINDS; k++)
			a->frame_name_list[k] = frame_kinds[k].name;
		a->kind_names = a->frame_name_list;
		a->n_kinds = FRAME_KINDS;
		return frames_setup(a);
	default:
		break;
	}
	switch (a->mode) {
	case ATTACK_WRONG_KEY:
	case ATTACK_UNKNOWN_SSRC:
	case ATTACK_RTCP_WRONG_KEY:
		if (a->mode == ATTACK_UNKNOWN_SSRC)
			a->ssrc = peer_rand_u32();
		return session_new(a, true);
	case ATTACK_TRUNCATED:
		/* With the participant's real key, the only fault is the truncation. */
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

static void
attack_send(struct attack *a, const uint8_t *buf, size_t len)
{
	ssize_t n;

	if (a->mode == ATTACK_FRAMES)
		n = sendto(a->pfd, buf, len, 0, (const struct sockaddr *)&a->ll, sizeof(a->ll));
	else
		n = sendto(a->fd, buf, len, 0, (const struct sockaddr *)&a->remote.ss,
		    a->remote.len);
	if (n == (ssize_t)len)
		return;
	/* The first reason is reported: a kernel may refuse some frames outright. */
	if (a->send_errors++ == 0) {
		a->first_errno = n < 0 ? errno : EMSGSIZE;
		fprintf(stderr, "sluice-peer: attack %s: send: %s\n", mode_names[a->mode],
		    strerror(a->first_errno));
	}
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
		a->kind = 0;
		switch (a->mode) {
		case ATTACK_WRONG_KEY:
		case ATTACK_UNKNOWN_SSRC:
			len = build_srtp(a, buf, a->ssrc);
			break;
		case ATTACK_RTCP_WRONG_KEY:
			len = build_rtcp_sr(a, buf, a->ssrc);
			break;
		case ATTACK_TRUNCATED:
			len = build_truncated(a, buf);
			break;
		case ATTACK_GARBAGE:
			len = build_garbage(a, buf);
			break;
		case ATTACK_FRAMES:
			len = build_frame(a, buf);
			break;
		case ATTACK_FLOOD:
		default:
			len = build_random_ssrc(a, buf);
			break;
		}
		if (len < 0)
			return -EIO;
		attack_send(a, buf, (size_t)len);
		a->kind_sent[a->kind]++;
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
	unsigned int k;
	FILE *f;

	f = peer_report_open(a->report, tmp, sizeof(tmp));
	if (f == NULL)
		return -EIO;
	peer_json_init(&j, f);
	peer_json_obj_begin(&j, NULL);
	peer_json_str(&j, "mode", mode_names[a->mode]);
	peer_json_u64(&j, "sent", a->sent);
	peer_json_u64(&j, "errors", a->send_errors);
	peer_json_str(&j, "first_error", a->send_errors > 0 ? strerror(a->first_errno) : "");
	peer_json_u64(&j, "received", a->received);
	peer_json_obj_begin(&j, "kinds");
	for (k = 0; k < a->n_kinds; k++)
		peer_json_u64(&j, a->kind_names[k], a->kind_sent[k]);
	peer_json_obj_end(&j);
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
	a.pfd = -1;
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
	/* Frames come from the port of this socket, so that any answer would be counted. */
	if (a.mode == ATTACK_FRAMES) {
		a.local.len = sizeof(a.local.ss);
		if (getsockname(a.fd, (struct sockaddr *)&a.local.ss, &a.local.len) != 0) {
			fprintf(stderr, "sluice-peer: getsockname: %s\n", strerror(errno));
			goto out;
		}
	}
	a.seq = a.have_seq_start ? (uint16_t)a.seq_start : (uint16_t)peer_rand_u32();
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
	if (a.pfd >= 0)
		close(a.pfd);
	OPENSSL_cleanse(a.key, sizeof(a.key));
	return rc;
}
