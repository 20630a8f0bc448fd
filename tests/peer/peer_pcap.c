/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * sluice-peer pcap: a classic pcap file of Ethernet/IP/UDP/SRTP frames from several legs, for
 * the benchmark, which replays it in a loop into the relay.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <srtp2/srtp.h>

#include "peer.h"

#define PCAP_MAX_LEGS		1024
/* The file is replayed in a loop, so each leg's sequence numbers jump back to 0; below 2^15
 * the receiver takes the jump for an old packet rather than a rollover (RFC 3711 3.3.1). */
#define PCAP_MAX_COUNT		29999

struct pcap_leg {
	struct peer_addr src;
	uint32_t ssrc;
	srtp_t s;
	uint16_t seq;
};

struct pcap_opts {
	const char *out;
	const char *legs;
	struct peer_addr dst;
	bool have_dst;
	uint8_t dst_mac[6];
	bool have_dst_mac;
	uint8_t src_mac[6];
	const struct peer_suite *suite;
	uint32_t size;
	uint32_t count;
	uint32_t pt;
};

enum {
	OPT_OUT = 256, OPT_LEGS, OPT_DST, OPT_DST_MAC, OPT_SRC_MAC, OPT_SUITE, OPT_SIZE, OPT_COUNT,
	OPT_PT, OPT_HELP,
};

static const struct option pcap_options[] = {
	{ "out", required_argument, NULL, OPT_OUT },
	{ "legs", required_argument, NULL, OPT_LEGS },
	{ "dst", required_argument, NULL, OPT_DST },
	{ "dst-mac", required_argument, NULL, OPT_DST_MAC },
	{ "src-mac", required_argument, NULL, OPT_SRC_MAC },
	{ "suite", required_argument, NULL, OPT_SUITE },
	{ "size", required_argument, NULL, OPT_SIZE },
	{ "count", required_argument, NULL, OPT_COUNT },
	{ "pt", required_argument, NULL, OPT_PT },
	{ "help", no_argument, NULL, OPT_HELP },
	{ NULL, 0, NULL, 0 },
};

static void
pcap_usage(FILE *f)
{
	fprintf(f,
	    "usage: sluice-peer pcap --out FILE --legs FILE --dst IP:PORT --dst-mac MAC\n"
	    "           [--src-mac 02:00:00:00:00:01] --suite SUITE [--size 1200]\n"
	    "           [--count 16384 (per leg, < 30000)] [--pt 96]\n"
	    "  legs FILE: one leg per line, \"SRC_IP:SRC_PORT SSRC KEY\"; '#' starts a comment\n");
}

static int
parse_opts(struct pcap_opts *o, int argc, char **argv)
{
	static const uint8_t default_src_mac[6] = { 0x02, 0, 0, 0, 0, 0x01 };
	int c, rc = 0;

	memset(o, 0, sizeof(*o));
	memcpy(o->src_mac, default_src_mac, sizeof(o->src_mac));
	o->size = 1200;
	o->count = 16384;
	o->pt = 96;
	optind = 1;
	while ((c = getopt_long(argc, argv, "", pcap_options, NULL)) != -1) {
		switch (c) {
		case OPT_OUT:
			o->out = optarg;
			break;
		case OPT_LEGS:
			o->legs = optarg;
			break;
		case OPT_DST:
			rc = peer_parse_addr("--dst", optarg, &o->dst);
			o->have_dst = true;
			break;
		case OPT_DST_MAC:
			rc = peer_parse_mac("--dst-mac", optarg, o->dst_mac);
			o->have_dst_mac = true;
			break;
		case OPT_SRC_MAC:
			rc = peer_parse_mac("--src-mac", optarg, o->src_mac);
			break;
		case OPT_SUITE:
			o->suite = peer_suite_parse("--suite", optarg);
			rc = o->suite == NULL ? -EINVAL : 0;
			break;
		case OPT_SIZE:
			rc = peer_parse_u32("--size", optarg, PEER_SIZE_MIN, PEER_SIZE_MAX, &o->size);
			break;
		case OPT_COUNT:
			rc = peer_parse_u32("--count", optarg, 1, UINT32_MAX, &o->count);
			if (rc == 0 && o->count > PCAP_MAX_COUNT) {
				fprintf(stderr, "sluice-peer: --count %u is too large: the file is "
				    "replayed in a loop and each leg's sequence numbers restart at 0; "
				    "a jump back of 2^15 (32768) or more makes the receiver guess a "
				    "rollover (RFC 3711 3.3.1) and fail authentication, so keep "
				    "--count at most %d per leg\n", o->count, PCAP_MAX_COUNT);
				rc = -EINVAL;
			}
			break;
		case OPT_PT:
			rc = peer_parse_u32("--pt", optarg, 0, 127, &o->pt);
			break;
		case OPT_HELP:
			pcap_usage(stdout);
			exit(PEER_EXIT_OK);
		default:
			rc = -EINVAL;
			break;
		}
		if (rc != 0)
			return -EINVAL;
	}
	if (peer_no_operands(argc, argv) != 0)
		return -EINVAL;
	if (o->out == NULL || o->legs == NULL || !o->have_dst || !o->have_dst_mac ||
	    o->suite == NULL) {
		fprintf(stderr, "sluice-peer: pcap needs --out, --legs, --dst, --dst-mac and "
		    "--suite\n");
		return -EINVAL;
	}
	if (peer_addr_port(&o->dst) == 0) {
		fprintf(stderr, "sluice-peer: --dst needs a port\n");
		return -EINVAL;
	}
	return 0;
}

/* Reads the legs file and creates one outbound session per leg; returns the leg count or a
 * negative value (-EINVAL: bad file, -EIO: libsrtp2). */
static int
legs_load(const struct pcap_opts *o, struct pcap_leg *legs)
{
	uint8_t key[PEER_KEY_MAX];
	char line[1024], where[64];
	char *addr, *ssrc, *keytxt, *extra, *save;
	unsigned int lineno = 0;
	int n = 0, rc = -EINVAL;
	FILE *f;

	f = fopen(o->legs, "r");
	if (f == NULL) {
		fprintf(stderr, "sluice-peer: --legs %s: %s\n", o->legs, strerror(errno));
		return -EINVAL;
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		lineno++;
		if (strchr(line, '\n') == NULL && !feof(f)) {
			fprintf(stderr, "sluice-peer: %s:%u: line too long\n", o->legs, lineno);
			goto out;
		}
		addr = strtok_r(line, " \t\r\n", &save);
		if (addr == NULL || addr[0] == '#')
			continue;
		ssrc = strtok_r(NULL, " \t\r\n", &save);
		keytxt = strtok_r(NULL, " \t\r\n", &save);
		extra = strtok_r(NULL, " \t\r\n", &save);
		snprintf(where, sizeof(where), "%s:%u", o->legs, lineno);
		if (ssrc == NULL || keytxt == NULL || extra != NULL) {
			fprintf(stderr, "sluice-peer: %s: expected \"SRC_IP:SRC_PORT SSRC KEY\"\n",
			    where);
			goto out;
		}
		if (n == PCAP_MAX_LEGS) {
			fprintf(stderr, "sluice-peer: %s: at most %d legs\n", where, PCAP_MAX_LEGS);
			goto out;
		}
		if (peer_parse_addr(where, addr, &legs[n].src) != 0 ||
		    peer_parse_u32(where, ssrc, 0, UINT32_MAX, &legs[n].ssrc) != 0 ||
		    peer_key_parse(where, keytxt, o->suite, key) != 0)
			goto out;
		if (peer_addr_family(&legs[n].src) != peer_addr_family(&o->dst)) {
			fprintf(stderr, "sluice-peer: %s: source and --dst differ in address family\n",
			    where);
			goto out;
		}
		if (peer_session_create(&legs[n].s, o->suite, key, ssrc_any_outbound) != 0) {
			rc = -EIO;
			goto out;
		}
		n++;
	}
	if (n == 0) {
		fprintf(stderr, "sluice-peer: --legs %s: no legs\n", o->legs);
		goto out;
	}
	rc = n;
out:
	OPENSSL_cleanse(key, sizeof(key));
	OPENSSL_cleanse(line, sizeof(line));
	fclose(f);
	if (rc < 0) {
		while (n > 0)
			srtp_dealloc(legs[--n].s);
	}
	return rc;
}

static void
put_u32(uint8_t *p, uint32_t v)
{
	/* pcap headers are in the writer's byte order; readers detect it from the magic. */
	memcpy(p, &v, sizeof(v));
}

static void
put_u16(uint8_t *p, uint16_t v)
{
	memcpy(p, &v, sizeof(v));
}

static int
pcap_write(const struct pcap_opts *o, struct pcap_leg *legs, int n_legs, FILE *f)
{
	_Alignas(8) uint8_t pkt[PEER_BUF_LEN];
	uint8_t frame[PEER_BUF_LEN + 128];
	uint8_t hdr[24], rec[16];
	struct peer_frame fr = {
		.dst_mac = o->dst_mac,
		.src_mac = o->src_mac,
		.dst = &o->dst,
		.frag = PEER_IPV4_DF,
		.udp_csum_v4 = true,
	};
	size_t hdr_len = peer_frame_hdr_len(&fr);
	struct timespec wall;
	uint64_t usec;
	uint32_t i;
	uint16_t ip_id = 0;
	srtp_err_status_t st;
	size_t frame_len;
	int k, len;

	put_u32(hdr, 0xa1b2c3d4u);
	put_u16(hdr + 4, 2);
	put_u16(hdr + 6, 4);
	put_u32(hdr + 8, 0);
	put_u32(hdr + 12, 0);
	put_u32(hdr + 16, 65535);
	put_u32(hdr + 20, 1);			/* LINKTYPE_ETHERNET */
	if (fwrite(hdr, sizeof(hdr), 1, f) != 1)
		return -EIO;
	clock_gettime(CLOCK_REALTIME, &wall);
	usec = (uint64_t)wall.tv_sec * 1000000 + (uint64_t)wall.tv_nsec / 1000;
	for (i = 0; i < o->count; i++) {
		for (k = 0; k < n_legs; k++) {
			struct peer_rtp h = {
				.pt = (uint8_t)o->pt,
				.marker = i % 10 == 9,
				.seq = (uint16_t)i,
				.ts = i * 3000,
				.ssrc = legs[k].ssrc,
			};

			/* No meaningful send time in a replayed file: 0. */
			len = (int)peer_rtp_build(pkt, &h, o->size, i, 0);
			/* libsrtp2 wants the packet 32-bit aligned; in the frame it is not. */
			st = srtp_protect(legs[k].s, pkt, &len);
			if (st != srtp_err_status_ok) {
				fprintf(stderr, "sluice-peer: srtp_protect: %s\n",
				    peer_srtp_strerror(st));
				return -EIO;
			}
			memcpy(frame + hdr_len, pkt, (size_t)len);
			fr.src = &legs[k].src;
			fr.ip_id = ip_id++;
			frame_len = peer_frame_build(frame, &fr, (size_t)len);
			put_u32(rec, (uint32_t)(usec / 1000000));
			put_u32(rec + 4, (uint32_t)(usec % 1000000));
			put_u32(rec + 8, (uint32_t)frame_len);
			put_u32(rec + 12, (uint32_t)frame_len);
			usec++;
			if (fwrite(rec, sizeof(rec), 1, f) != 1 ||
			    fwrite(frame, frame_len, 1, f) != 1)
				return -EIO;
		}
	}
	return 0;
}

int
peer_cmd_pcap(int argc, char **argv)
{
	struct pcap_opts o;
	struct pcap_leg *legs;
	int n_legs, rc = PEER_EXIT_ERROR, i;
	FILE *f;

	if (parse_opts(&o, argc, argv) != 0) {
		pcap_usage(stderr);
		return PEER_EXIT_USAGE;
	}
	if (peer_srtp_init() != 0)
		return PEER_EXIT_ERROR;
	legs = calloc(PCAP_MAX_LEGS, sizeof(*legs));
	if (legs == NULL)
		return PEER_EXIT_ERROR;
	n_legs = legs_load(&o, legs);
	if (n_legs < 0) {
		free(legs);
		return n_legs == -EINVAL ? PEER_EXIT_USAGE : PEER_EXIT_ERROR;
	}
	f = fopen(o.out, "wb");
	if (f == NULL) {
		fprintf(stderr, "sluice-peer: --out %s: %s\n", o.out, strerror(errno));
		goto out;
	}
	rc = pcap_write(&o, legs, n_legs, f) == 0 ? PEER_EXIT_OK : PEER_EXIT_ERROR;
	if (fclose(f) != 0)
		rc = PEER_EXIT_ERROR;
	if (rc != PEER_EXIT_OK) {
		fprintf(stderr, "sluice-peer: --out %s: write failed\n", o.out);
		unlink(o.out);
	}
out:
	for (i = 0; i < n_legs; i++)
		srtp_dealloc(legs[i].s);
	free(legs);
	return rc;
}
