/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * sluice-peer helpers: command-line values, keys, sockets, Ethernet frames, libsrtp2 sessions,
 * the payload format, time, signals and the JSON emitter.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <net/if.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <srtp2/srtp.h>

#include "ctl_sdes.h"
#include "dp_proto.h"
#include "peer.h"

static const uint8_t payload_magic[4] = { 'S', 'L', 'P', 'K' };

/* SRTCP of AES_CM_128_HMAC_SHA1_32 keeps the 80-bit tag (RFC 4568). */
static const struct peer_suite suites[] = {
	{ "AES_CM_128_HMAC_SHA1_80", 30, 10,
	  srtp_crypto_policy_set_rtp_default, srtp_crypto_policy_set_rtcp_default },
	{ "AES_CM_128_HMAC_SHA1_32", 30, 4,
	  srtp_crypto_policy_set_aes_cm_128_hmac_sha1_32, srtp_crypto_policy_set_rtcp_default },
	{ "AEAD_AES_128_GCM", SRTP_AES_GCM_128_KEY_LEN_WSALT, 16,
	  srtp_crypto_policy_set_aes_gcm_128_16_auth, srtp_crypto_policy_set_aes_gcm_128_16_auth },
	{ "AEAD_AES_256_GCM", SRTP_AES_GCM_256_KEY_LEN_WSALT, 16,
	  srtp_crypto_policy_set_aes_gcm_256_16_auth, srtp_crypto_policy_set_aes_gcm_256_16_auth },
};

/* ---- numbers and names ---- */

int
peer_parse_u64(const char *opt, const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	unsigned long long v;
	char *end;
	int base = 10;

	/* strtoull() accepts a sign and leading blanks; a count or an SSRC has neither. */
	if (s == NULL || !isdigit((unsigned char)s[0]))
		goto bad;
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
		base = 16;
	errno = 0;
	v = strtoull(s, &end, base);
	if (errno != 0 || *end != '\0' || end == s || v < min || v > max)
		goto bad;
	*out = v;
	return 0;
bad:
	fprintf(stderr, "sluice-peer: %s: expected an integer in %" PRIu64 "..%" PRIu64
	    ", got '%s'\n", opt, min, max, s == NULL ? "" : s);
	return -EINVAL;
}

int
peer_parse_u32(const char *opt, const char *s, uint32_t min, uint32_t max, uint32_t *out)
{
	uint64_t v;
	int rc;

	rc = peer_parse_u64(opt, s, min, max, &v);
	if (rc == 0)
		*out = (uint32_t)v;
	return rc;
}

int
peer_parse_ms(const char *opt, const char *s, uint64_t *ns)
{
	uint32_t ms;
	int rc;

	rc = peer_parse_u32(opt, s, 0, 3600000, &ms);
	if (rc == 0)
		*ns = ms * 1000000ull;
	return rc;
}

int
peer_no_operands(int argc, char **argv)
{
	if (optind == argc)
		return 0;
	fprintf(stderr, "sluice-peer: unexpected argument '%s'\n", argv[optind]);
	return -EINVAL;
}

int
peer_parse_seconds(const char *opt, const char *s, double *out)
{
	char *end;
	double v;

	if (s == NULL || !isdigit((unsigned char)s[0]))
		goto bad;
	errno = 0;
	v = strtod(s, &end);
	if (errno != 0 || *end != '\0' || !isfinite(v) || v <= 0.0 || v > 86400.0)
		goto bad;
	*out = v;
	return 0;
bad:
	fprintf(stderr, "sluice-peer: %s: expected seconds in (0, 86400], got '%s'\n", opt,
	    s == NULL ? "" : s);
	return -EINVAL;
}

int
peer_parse_mac(const char *opt, const char *s, uint8_t mac[static 6])
{
	unsigned int b[6];
	char tail;
	int i;

	if (sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%c", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5],
	    &tail) != 6 || strlen(s) != 17) {
		fprintf(stderr, "sluice-peer: %s: expected a MAC address aa:bb:cc:dd:ee:ff, "
		    "got '%s'\n", opt, s);
		return -EINVAL;
	}
	for (i = 0; i < 6; i++)
		mac[i] = (uint8_t)b[i];
	return 0;
}

int
peer_parse_name(const char *opt, const char *s, char name[static PEER_NAME_MAX + 1])
{
	size_t i, len = strlen(s);

	/* The name goes into SDES CNAME and the JSON report: printable ASCII keeps both simple. */
	if (len == 0 || len > PEER_NAME_MAX)
		goto bad;
	for (i = 0; i < len; i++) {
		if (s[i] < 0x21 || s[i] > 0x7e)
			goto bad;
	}
	memcpy(name, s, len + 1);
	return 0;
bad:
	fprintf(stderr, "sluice-peer: %s: expected 1..%d printable ASCII characters without "
	    "blanks\n", opt, PEER_NAME_MAX);
	return -EINVAL;
}

const struct peer_suite *
peer_suite_find(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(suites) / sizeof(suites[0]); i++) {
		if (strcmp(suites[i].name, name) == 0)
			return &suites[i];
	}
	return NULL;
}

const struct peer_suite *
peer_suite_parse(const char *opt, const char *s)
{
	const struct peer_suite *suite = peer_suite_find(s);

	if (suite == NULL)
		fprintf(stderr, "sluice-peer: %s: unknown suite '%s' (AES_CM_128_HMAC_SHA1_80, "
		    "AES_CM_128_HMAC_SHA1_32, AEAD_AES_128_GCM, AEAD_AES_256_GCM)\n", opt, s);
	return suite;
}

/* ---- addresses and sockets ---- */

int
peer_parse_addr(const char *opt, const char *s, struct peer_addr *a)
{
	char host[INET6_ADDRSTRLEN + IF_NAMESIZE + 2];
	const char *port_s, *end;
	uint32_t port;
	size_t hlen;

	memset(a, 0, sizeof(*a));
	if (s[0] == '[') {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&a->ss;
		char *pct;

		end = strchr(s, ']');
		if (end == NULL || end[1] != ':')
			goto bad;
		hlen = (size_t)(end - s - 1);
		if (hlen == 0 || hlen >= sizeof(host))
			goto bad;
		memcpy(host, s + 1, hlen);
		host[hlen] = '\0';
		pct = strchr(host, '%');
		if (pct != NULL) {
			*pct = '\0';
			sin6->sin6_scope_id = if_nametoindex(pct + 1);
			if (sin6->sin6_scope_id == 0)
				goto bad;
		}
		if (inet_pton(AF_INET6, host, &sin6->sin6_addr) != 1)
			goto bad;
		sin6->sin6_family = AF_INET6;
		a->len = sizeof(*sin6);
		port_s = end + 2;
	} else {
		struct sockaddr_in *sin = (struct sockaddr_in *)&a->ss;

		end = strchr(s, ':');
		if (end == NULL || strchr(end + 1, ':') != NULL)
			goto bad;
		hlen = (size_t)(end - s);
		if (hlen == 0 || hlen >= sizeof(host))
			goto bad;
		memcpy(host, s, hlen);
		host[hlen] = '\0';
		if (inet_pton(AF_INET, host, &sin->sin_addr) != 1)
			goto bad;
		sin->sin_family = AF_INET;
		a->len = sizeof(*sin);
		port_s = end + 1;
	}
	if (peer_parse_u32(opt, port_s, 0, 65535, &port) != 0)
		return -EINVAL;
	if (a->ss.ss_family == AF_INET)
		((struct sockaddr_in *)&a->ss)->sin_port = htons((uint16_t)port);
	else
		((struct sockaddr_in6 *)&a->ss)->sin6_port = htons((uint16_t)port);
	return 0;
bad:
	fprintf(stderr, "sluice-peer: %s: expected IPv4:PORT or [IPv6]:PORT, got '%s'\n", opt, s);
	return -EINVAL;
}

int
peer_addr_family(const struct peer_addr *a)
{
	return a->ss.ss_family;
}

uint16_t
peer_addr_port(const struct peer_addr *a)
{
	if (a->ss.ss_family == AF_INET)
		return ntohs(((const struct sockaddr_in *)&a->ss)->sin_port);
	return ntohs(((const struct sockaddr_in6 *)&a->ss)->sin6_port);
}

void
peer_addr_format(const struct peer_addr *a, char *buf, size_t len)
{
	char host[INET6_ADDRSTRLEN];

	if (a->ss.ss_family == AF_INET) {
		inet_ntop(AF_INET, &((const struct sockaddr_in *)&a->ss)->sin_addr, host,
		    sizeof(host));
		snprintf(buf, len, "%s:%u", host, peer_addr_port(a));
	} else {
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)&a->ss)->sin6_addr, host,
		    sizeof(host));
		snprintf(buf, len, "[%s]:%u", host, peer_addr_port(a));
	}
}

bool
peer_addr_equal(const struct sockaddr *a, const struct peer_addr *b)
{
	if (a->sa_family != b->ss.ss_family)
		return false;
	if (a->sa_family == AF_INET) {
		const struct sockaddr_in *x = (const struct sockaddr_in *)a;
		const struct sockaddr_in *y = (const struct sockaddr_in *)&b->ss;

		return x->sin_port == y->sin_port && x->sin_addr.s_addr == y->sin_addr.s_addr;
	}
	if (a->sa_family == AF_INET6) {
		const struct sockaddr_in6 *x = (const struct sockaddr_in6 *)a;
		const struct sockaddr_in6 *y = (const struct sockaddr_in6 *)&b->ss;

		return x->sin6_port == y->sin6_port &&
		    memcmp(&x->sin6_addr, &y->sin6_addr, sizeof(x->sin6_addr)) == 0;
	}
	return false;
}

int
peer_udp_socket(const struct peer_addr *local, int family)
{
	int fd, one = 1, bufsz = 4 << 20;
	char where[INET6_ADDRSTRLEN + 16];
	int err;

	fd = socket(family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		err = errno;
		fprintf(stderr, "sluice-peer: socket: %s\n", strerror(err));
		return -err;
	}
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0)
		goto err_opt;
	if (family == AF_INET6 &&
	    setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)) != 0)
		goto err_opt;
	/* Large buffers so that bursts at high rates are not dropped by the kernel; the FORCE
	 * variants need CAP_NET_ADMIN, so fall back quietly. */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &bufsz, sizeof(bufsz)) != 0)
		(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &bufsz, sizeof(bufsz));
	if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &bufsz, sizeof(bufsz)) != 0)
		(void)setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &bufsz, sizeof(bufsz));
	if (local != NULL && bind(fd, (const struct sockaddr *)&local->ss, local->len) != 0) {
		err = errno;
		peer_addr_format(local, where, sizeof(where));
		fprintf(stderr, "sluice-peer: bind %s: %s\n", where, strerror(err));
		close(fd);
		return -err;
	}
	return fd;
err_opt:
	err = errno;
	fprintf(stderr, "sluice-peer: setsockopt: %s\n", strerror(err));
	close(fd);
	return -err;
}

/* ---- keys ---- */

size_t
peer_base64_encode(const uint8_t *in, size_t len, char *out, size_t out_len)
{
	static const char alphabet[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t i, n = 0;
	uint32_t v;

	if (out_len < (len + 2) / 3 * 4 + 1)
		return 0;
	for (i = 0; i < len; i += 3) {
		v = (uint32_t)in[i] << 16;
		if (i + 1 < len)
			v |= (uint32_t)in[i + 1] << 8;
		if (i + 2 < len)
			v |= in[i + 2];
		out[n++] = alphabet[(v >> 18) & 63];
		out[n++] = alphabet[(v >> 12) & 63];
		out[n++] = i + 1 < len ? alphabet[(v >> 6) & 63] : '=';
		out[n++] = i + 2 < len ? alphabet[v & 63] : '=';
	}
	out[n] = '\0';
	return n;
}

int
peer_key_parse(const char *opt, const char *s, const struct peer_suite *suite,
    uint8_t key[static PEER_KEY_MAX])
{
	char line[CTL_KEY_LINE_MAX], err[160];
	uint8_t raw[PEER_KEY_MAX];
	int n = 0, rc = -EINVAL;

	/* Keys are read as sluicectl reads them; suites have the same names on both sides. */
	if (s[0] == '@')
		n = ctl_key_source(s, line, sizeof(line), err, sizeof(err));
	if (n == 0)
		n = ctl_sdes_parse(s[0] == '@' ? line : s, dp_suite_from_name(suite->name), raw,
		    sizeof(raw), err, sizeof(err));
	if (n < 0) {
		fprintf(stderr, "sluice-peer: %s: %s\n", opt, err);
	} else if ((size_t)n != suite->key_len) {
		fprintf(stderr, "sluice-peer: %s: expected %zu bytes (key||salt) for %s\n", opt,
		    suite->key_len, suite->name);
	} else {
		memset(key, 0, PEER_KEY_MAX);
		memcpy(key, raw, suite->key_len);
		rc = 0;
	}
	OPENSSL_cleanse(raw, sizeof(raw));
	OPENSSL_cleanse(line, sizeof(line));
	return rc;
}

void
peer_wipe_arg(char *s)
{
	size_t len = strlen(s);

	/* Keep "@FILE" visible (it is not a secret); blank the inline key text. */
	if (s[0] != '@' && len > 7)
		OPENSSL_cleanse(s + 7, len - 7);
}

/* ---- Ethernet frames ---- */

#define ETH_HLEN		14
#define VLAN_HLEN		4
#define IPV4_HLEN		20
#define IPV6_HLEN		40
#define IPV6_EXT_HLEN		8	/* destination options: next header, length, PadN(4) */
#define UDP_HLEN		8
#define ETHERTYPE_IPV4		0x0800
#define ETHERTYPE_IPV6		0x86dd
#define ETHERTYPE_VLAN		0x8100
#define VLAN_TCI		100
#define IPPROTO_DSTOPTS_NH	60

static uint32_t
csum_add(uint32_t sum, const uint8_t *p, size_t len)
{
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)p[i] << 8 | p[i + 1];
	if (len & 1)
		sum += (uint32_t)p[len - 1] << 8;
	return sum;
}

static uint16_t
csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static size_t
frame_l2_len(const struct peer_frame *fr)
{
	return ETH_HLEN + (fr->vlan ? VLAN_HLEN : 0);
}

static size_t
frame_l3_len(const struct peer_frame *fr)
{
	if (peer_addr_family(fr->dst) == AF_INET6)
		return IPV6_HLEN + (fr->ext_hdr ? IPV6_EXT_HLEN : 0);
	return IPV4_HLEN;
}

size_t
peer_frame_hdr_len(const struct peer_frame *fr)
{
	return frame_l2_len(fr) + frame_l3_len(fr) + UDP_HLEN;
}

size_t
peer_frame_build(uint8_t *f, const struct peer_frame *fr, size_t payload_len)
{
	bool v6 = peer_addr_family(fr->dst) == AF_INET6;
	size_t l2 = frame_l2_len(fr), l3 = frame_l3_len(fr);
	size_t udp_len = UDP_HLEN + payload_len;
	uint8_t *ip = f + l2, *udp = ip + l3;
	uint32_t sum;
	uint16_t us;

	memcpy(f, fr->dst_mac, 6);
	memcpy(f + 6, fr->src_mac, 6);
	if (fr->vlan) {
		peer_store_be16(f + 12, ETHERTYPE_VLAN);
		peer_store_be16(f + 14, VLAN_TCI);
	}
	peer_store_be16(f + l2 - 2, v6 ? ETHERTYPE_IPV6 : ETHERTYPE_IPV4);

	peer_store_be16(udp, peer_addr_port(fr->src));
	peer_store_be16(udp + 2, peer_addr_port(fr->dst));
	peer_store_be16(udp + 4, (uint16_t)(udp_len + fr->udp_excess));
	peer_store_be16(udp + 6, 0);
	if (v6) {
		const struct sockaddr_in6 *s = (const struct sockaddr_in6 *)&fr->src->ss;
		const struct sockaddr_in6 *d = (const struct sockaddr_in6 *)&fr->dst->ss;

		peer_store_be32(ip, 0x60000000u);
		peer_store_be16(ip + 4, (uint16_t)(l3 - IPV6_HLEN + udp_len));
		ip[6] = fr->ext_hdr ? IPPROTO_DSTOPTS_NH : IPPROTO_UDP;
		ip[7] = 64;
		memcpy(ip + 8, &s->sin6_addr, 16);
		memcpy(ip + 24, &d->sin6_addr, 16);
		if (fr->ext_hdr) {
			uint8_t *x = ip + IPV6_HLEN;

			memset(x, 0, IPV6_EXT_HLEN);
			x[0] = IPPROTO_UDP;
			x[2] = 1;	/* PadN over the 4 bytes left */
			x[3] = 4;
		}
		sum = csum_add(0, ip + 8, 32);
	} else {
		const struct sockaddr_in *s = (const struct sockaddr_in *)&fr->src->ss;
		const struct sockaddr_in *d = (const struct sockaddr_in *)&fr->dst->ss;
		uint16_t hs;

		ip[0] = 0x45;
		ip[1] = 0;
		peer_store_be16(ip + 2, (uint16_t)(IPV4_HLEN + udp_len + fr->ip_excess));
		peer_store_be16(ip + 4, fr->ip_id);
		peer_store_be16(ip + 6, fr->frag);
		ip[8] = 64;
		ip[9] = IPPROTO_UDP;
		peer_store_be16(ip + 10, 0);
		memcpy(ip + 12, &s->sin_addr, 4);
		memcpy(ip + 16, &d->sin_addr, 4);
		hs = csum_fold(csum_add(0, ip, IPV4_HLEN));
		/* Any other value is wrong: 0 and 0xffff, the two zeros, never swap under XOR. */
		peer_store_be16(ip + 10, fr->bad_csum ? hs ^ 0x5555 : hs);
		if (!fr->udp_csum_v4)
			return l2 + l3 + udp_len;
		sum = csum_add(0, ip + 12, 8);
	}
	/* Pseudo-header: addresses (above), protocol and UDP length; then the datagram. */
	sum += IPPROTO_UDP + (uint32_t)udp_len;
	us = csum_fold(csum_add(sum, udp, udp_len));
	peer_store_be16(udp + 6, us == 0 ? 0xffff : us);
	return l2 + l3 + udp_len;
}

/* ---- libsrtp2 ---- */

int
peer_srtp_init(void)
{
	srtp_err_status_t st = srtp_init();

	if (st != srtp_err_status_ok) {
		fprintf(stderr, "sluice-peer: srtp_init: %s\n", peer_srtp_strerror(st));
		return -EIO;
	}
	return 0;
}

int
peer_session_create(srtp_t *s, const struct peer_suite *suite, uint8_t key[static PEER_KEY_MAX],
    srtp_ssrc_type_t direction)
{
	srtp_policy_t pol;
	srtp_err_status_t st;

	memset(&pol, 0, sizeof(pol));
	suite->set_rtp(&pol.rtp);
	suite->set_rtcp(&pol.rtcp);
	pol.ssrc.type = direction;
	pol.ssrc.value = 0;
	pol.key = key;
	pol.window_size = 128;
	pol.allow_repeat_tx = 0;
	pol.next = NULL;
	st = srtp_create(s, &pol);
	if (st != srtp_err_status_ok) {
		fprintf(stderr, "sluice-peer: srtp_create (%s): %s\n", suite->name,
		    peer_srtp_strerror(st));
		*s = NULL;
		return -EIO;
	}
	return 0;
}

const char *
peer_srtp_strerror(srtp_err_status_t st)
{
	switch (st) {
	case srtp_err_status_ok:
		return "ok";
	case srtp_err_status_fail:
		return "fail";
	case srtp_err_status_bad_param:
		return "bad_param";
	case srtp_err_status_alloc_fail:
		return "alloc_fail";
	case srtp_err_status_init_fail:
		return "init_fail";
	case srtp_err_status_auth_fail:
		return "auth_fail";
	case srtp_err_status_cipher_fail:
		return "cipher_fail";
	case srtp_err_status_replay_fail:
		return "replay_fail";
	case srtp_err_status_replay_old:
		return "replay_old";
	case srtp_err_status_no_ctx:
		return "no_ctx";
	case srtp_err_status_key_expired:
		return "key_expired";
	case srtp_err_status_parse_err:
		return "parse_err";
	default:
		return "other";
	}
}

/* ---- randomness and content ---- */

void
peer_rand(void *buf, size_t len)
{
	if (len > 0 && RAND_bytes(buf, (int)len) != 1) {
		fprintf(stderr, "sluice-peer: RAND_bytes failed\n");
		exit(PEER_EXIT_ERROR);
	}
}

uint32_t
peer_rand_u32(void)
{
	uint32_t v;

	peer_rand(&v, sizeof(v));
	return v;
}

uint32_t
peer_crc32(const uint8_t *p, size_t len)
{
	static uint32_t table[256];
	static bool ready;
	uint32_t crc = 0xffffffffu, c;
	size_t i;
	int k;

	if (!ready) {
		for (i = 0; i < 256; i++) {
			c = (uint32_t)i;
			for (k = 0; k < 8; k++)
				c = (c & 1) ? 0xedb88320u ^ (c >> 1) : c >> 1;
			table[i] = c;
		}
		ready = true;
	}
	for (i = 0; i < len; i++)
		crc = table[(crc ^ p[i]) & 0xff] ^ (crc >> 8);
	return crc ^ 0xffffffffu;
}

static uint64_t
splitmix64(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ull;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

void
peer_filler(uint8_t *p, size_t len, uint32_t ssrc, uint64_t number)
{
	/* xorshift64*, seeded from (SSRC, packet number) only, so any receiver can regenerate it. */
	uint64_t x = splitmix64(splitmix64(ssrc) ^ number), v = 0;
	size_t i;

	if (x == 0)
		x = 1;
	for (i = 0; i < len; i++) {
		if ((i & 7) == 0) {
			x ^= x >> 12;
			x ^= x << 25;
			x ^= x >> 27;
			v = x * 0x2545f4914f6cdd1dull;
		}
		p[i] = (uint8_t)v;
		v >>= 8;
	}
}

size_t
peer_rtp_build(uint8_t *buf, const struct peer_rtp *h, uint32_t size, uint64_t number,
    uint64_t send_ns)
{
	uint8_t *p = buf + PEER_RTP_HDR_LEN;

	buf[0] = 0x80;
	buf[1] = (uint8_t)((h->marker ? 0x80 : 0) | (h->pt & 0x7f));
	peer_store_be16(buf + 2, h->seq);
	peer_store_be32(buf + 4, h->ts);
	peer_store_be32(buf + 8, h->ssrc);
	memcpy(p, payload_magic, sizeof(payload_magic));
	peer_store_be32(p + 4, h->ssrc);
	peer_store_be64(p + 8, number);
	peer_store_be64(p + 16, send_ns);
	peer_store_be32(p + 24, size);
	peer_filler(p + PEER_PAYLOAD_HDR_LEN, size - PEER_PAYLOAD_HDR_LEN, h->ssrc, number);
	peer_store_be32(p + 28, peer_crc32(p + PEER_PAYLOAD_HDR_LEN, size - PEER_PAYLOAD_HDR_LEN));
	return PEER_RTP_HDR_LEN + size;
}

bool
peer_payload_check(const uint8_t *p, size_t len, struct peer_payload *out)
{
	uint8_t expect[PEER_BUF_LEN];
	size_t filler_len;

	if (len < PEER_PAYLOAD_HDR_LEN || len > PEER_PAYLOAD_HDR_LEN + sizeof(expect) ||
	    memcmp(p, payload_magic, sizeof(payload_magic)) != 0)
		return false;
	out->ssrc = peer_load_be32(p + 4);
	out->number = peer_load_be64(p + 8);
	out->send_ns = peer_load_be64(p + 16);
	out->size = peer_load_be32(p + 24);
	if (out->size != len)
		return false;
	filler_len = len - PEER_PAYLOAD_HDR_LEN;
	if (peer_crc32(p + PEER_PAYLOAD_HDR_LEN, filler_len) != peer_load_be32(p + 28))
		return false;
	peer_filler(expect, filler_len, out->ssrc, out->number);
	return memcmp(expect, p + PEER_PAYLOAD_HDR_LEN, filler_len) == 0;
}

uint64_t
peer_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

void
peer_sleep_until(uint64_t deadline_ns)
{
	struct timespec ts = {
		.tv_sec = (time_t)(deadline_ns / 1000000000ull),
		.tv_nsec = (long)(deadline_ns % 1000000000ull),
	};

	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR) {
		if (peer_stopping())
			return;
	}
}

uint64_t
peer_load_be64(const uint8_t *p)
{
	return (uint64_t)peer_load_be32(p) << 32 | peer_load_be32(p + 4);
}

uint32_t
peer_load_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

uint16_t
peer_load_be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

void
peer_store_be64(uint8_t *p, uint64_t v)
{
	peer_store_be32(p, (uint32_t)(v >> 32));
	peer_store_be32(p + 4, (uint32_t)v);
}

void
peer_store_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

void
peer_store_be16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* ---- signals ---- */

static volatile sig_atomic_t stop_requested;

static void
on_signal(int sig)
{
	(void)sig;
	stop_requested = 1;
}

void
peer_signals_install(void)
{
	struct sigaction sa;

	/* No SA_RESTART: a signal must interrupt poll() and clock_nanosleep(). */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}

bool
peer_stopping(void)
{
	return stop_requested != 0;
}

/* ---- report files ---- */

FILE *
peer_report_open(const char *path, char *tmp, size_t tmp_len)
{
	FILE *f;

	if (path == NULL)
		return stdout;
	/* Written aside and renamed, so that a test never reads half a report. */
	snprintf(tmp, tmp_len, "%s.tmp.%ld", path, (long)getpid());
	f = fopen(tmp, "w");
	if (f == NULL)
		fprintf(stderr, "sluice-peer: --report %s: %s\n", tmp, strerror(errno));
	return f;
}

int
peer_report_close(FILE *f, const char *path, const char *tmp)
{
	int bad;

	if (path == NULL)
		return fflush(f) == 0 ? 0 : -EIO;
	bad = ferror(f);
	if (fclose(f) != 0 || bad) {
		fprintf(stderr, "sluice-peer: --report %s: write failed\n", tmp);
		unlink(tmp);
		return -EIO;
	}
	if (rename(tmp, path) != 0) {
		fprintf(stderr, "sluice-peer: --report %s: %s\n", path, strerror(errno));
		unlink(tmp);
		return -EIO;
	}
	return 0;
}

/* ---- JSON ---- */

static void
json_string(FILE *f, const char *s)
{
	const unsigned char *p;

	fputc('"', f);
	for (p = (const unsigned char *)s; *p != '\0'; p++) {
		if (*p == '"' || *p == '\\')
			fprintf(f, "\\%c", *p);
		else if (*p < 0x20 || *p >= 0x7f)
			fprintf(f, "\\u%04x", *p);
		else
			fputc(*p, f);
	}
	fputc('"', f);
}

static void
json_sep(struct peer_json *j, const char *key)
{
	if (!j->first[j->depth])
		fputc(',', j->f);
	j->first[j->depth] = false;
	if (key != NULL) {
		json_string(j->f, key);
		fputc(':', j->f);
	}
}

static void
json_open(struct peer_json *j, const char *key, int c)
{
	json_sep(j, key);
	fputc(c, j->f);
	if (j->depth + 1 < PEER_JSON_DEPTH)
		j->depth++;
	j->first[j->depth] = true;
}

static void
json_close(struct peer_json *j, int c)
{
	fputc(c, j->f);
	if (j->depth > 0)
		j->depth--;
	if (j->depth == 0)
		fputc('\n', j->f);
}

void
peer_json_init(struct peer_json *j, FILE *f)
{
	memset(j, 0, sizeof(*j));
	j->f = f;
	j->first[0] = true;
}

void
peer_json_obj_begin(struct peer_json *j, const char *key)
{
	json_open(j, key, '{');
}

void
peer_json_obj_end(struct peer_json *j)
{
	json_close(j, '}');
}

void
peer_json_arr_begin(struct peer_json *j, const char *key)
{
	json_open(j, key, '[');
}

void
peer_json_arr_end(struct peer_json *j)
{
	json_close(j, ']');
}

void
peer_json_u64(struct peer_json *j, const char *key, uint64_t v)
{
	json_sep(j, key);
	fprintf(j->f, "%" PRIu64, v);
}

void
peer_json_i64(struct peer_json *j, const char *key, int64_t v)
{
	json_sep(j, key);
	fprintf(j->f, "%" PRId64, v);
}

void
peer_json_str(struct peer_json *j, const char *key, const char *s)
{
	json_sep(j, key);
	json_string(j->f, s);
}

void
peer_json_bool(struct peer_json *j, const char *key, bool v)
{
	json_sep(j, key);
	fputs(v ? "true" : "false", j->f);
}
