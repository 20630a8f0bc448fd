/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * sluice-peer: an SRTP test participant built only on libsrtp2 and the kernel UDP stack, so
 * that interoperating with the relay's own SRTP fast path checks both sides.
 *
 * Functions return 0 or -errno unless written otherwise; those that parse command-line input
 * print their own error message to stderr.
 */
#ifndef SLUICE_PEER_H
#define SLUICE_PEER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/socket.h>

#include <srtp2/srtp.h>

#define PEER_EXIT_OK		0
#define PEER_EXIT_USAGE		1
#define PEER_EXIT_ERROR		2	/* socket or libsrtp2 error */

#define PEER_RTP_HDR_LEN	12
#define PEER_PAYLOAD_HDR_LEN	32	/* magic, ssrc, number, time, size, crc */
#define PEER_SIZE_MIN		64
#define PEER_SIZE_MAX		1400
#define PEER_KEY_MAX		46	/* key || salt; AEAD_AES_256_GCM needs 44 */
#define PEER_NAME_MAX		64
#define PEER_MAX_SSRCS		16
/* Any datagram we build or receive fits, with libsrtp2's trailer room on top. */
#define PEER_BUF_LEN		(2048 + SRTP_MAX_TRAILER_LEN)

struct peer_suite {
	const char *name;
	size_t key_len;			/* master key || master salt, bytes */
	size_t rtp_tag_len;		/* bytes srtp_protect() appends */
	void (*set_rtp)(srtp_crypto_policy_t *p);
	void (*set_rtcp)(srtp_crypto_policy_t *p);
};

struct peer_addr {
	struct sockaddr_storage ss;
	socklen_t len;
};

/* The decoded 32-byte header at the start of every payload we send. */
struct peer_payload {
	uint32_t ssrc;
	uint64_t number;
	uint64_t send_ns;
	uint32_t size;
};


/* Fields of an RTP header we write. */
struct peer_rtp {
	uint8_t pt;
	bool marker;
	uint16_t seq;
	uint32_t ts;
	uint32_t ssrc;
};

/*
 * An Ethernet frame holding one UDP datagram: what peer_frame_build() writes around a payload,
 * and what it gets wrong on purpose (all false and 0: a valid frame).
 */
#define PEER_IPV4_DF		0x4000
struct peer_frame {
	const uint8_t *dst_mac;
	const uint8_t *src_mac;
	const struct peer_addr *src;	/* IP source and UDP source port */
	const struct peer_addr *dst;	/* its family is the frame's */
	uint16_t ip_id;			/* IPv4 identification */
	uint16_t frag;			/* IPv4 flags and fragment offset, e.g. PEER_IPV4_DF */
	bool udp_csum_v4;		/* fill in UDP's checksum over IPv4 too (optional there) */
	bool vlan;			/* an 802.1Q tag in front of the IP packet */
	bool ext_hdr;			/* IPv6: a destination options header before UDP */
	bool bad_csum;			/* IPv4: a wrong header checksum */
	uint16_t ip_excess;		/* added to the IPv4 total length */
	uint16_t udp_excess;		/* added to the UDP length */
};

/* Small JSON emitter: keys are ASCII literals, strings are escaped. */
#define PEER_JSON_DEPTH		8
struct peer_json {
	FILE *f;
	int depth;
	bool first[PEER_JSON_DEPTH];
};

/* Commands; each returns a process exit status. */
int peer_cmd_run(int argc, char **argv);
int peer_cmd_attack(int argc, char **argv);
int peer_cmd_pcap(int argc, char **argv);
int peer_cmd_keygen(int argc, char **argv);

/* Parsing of command-line values; print an error naming opt on failure. */
int peer_parse_addr(const char *opt, const char *s, struct peer_addr *a);
int peer_parse_u64(const char *opt, const char *s, uint64_t min, uint64_t max, uint64_t *out);
int peer_parse_u32(const char *opt, const char *s, uint32_t min, uint32_t max, uint32_t *out);
int peer_parse_seconds(const char *opt, const char *s, double *out);
/* Milliseconds 0..3600000 (an hour), as nanoseconds. */
int peer_parse_ms(const char *opt, const char *s, uint64_t *ns);
/* After getopt_long(): an argument left over is refused. */
int peer_no_operands(int argc, char **argv);
int peer_parse_mac(const char *opt, const char *s, uint8_t mac[static 6]);
int peer_parse_name(const char *opt, const char *s, char name[static PEER_NAME_MAX + 1]);
const struct peer_suite *peer_suite_find(const char *name);
const struct peer_suite *peer_suite_parse(const char *opt, const char *s);
/*
 * KEY is SDES key-params, "inline:BASE64[|LIFETIME]" (ctl_sdes_parse() in ctl_sdes.h), or
 * "@FILE" (its first line); the length must match the suite.
 */
int peer_key_parse(const char *opt, const char *s, const struct peer_suite *suite,
    uint8_t key[static PEER_KEY_MAX]);
/* Base64 with padding, NUL-terminated; returns the characters written, 0 if out is too small. */
size_t peer_base64_encode(const uint8_t *in, size_t len, char *out, size_t out_len);
/* Overwrites a command-line secret in place so that it does not linger in /proc. */
void peer_wipe_arg(char *s);

/* Addresses. */
bool peer_addr_equal(const struct sockaddr *a, const struct peer_addr *b);
int peer_addr_family(const struct peer_addr *a);
uint16_t peer_addr_port(const struct peer_addr *a);
void peer_addr_format(const struct peer_addr *a, char *buf, size_t len);
/* A UDP socket bound to local (SO_REUSEADDR); NULL local: an unbound one of family. */
int peer_udp_socket(const struct peer_addr *local, int family);

/* libsrtp2: one session for one key; direction is ssrc_any_outbound or ssrc_any_inbound. */
int peer_srtp_init(void);
int peer_session_create(srtp_t *s, const struct peer_suite *suite,
    uint8_t key[static PEER_KEY_MAX], srtp_ssrc_type_t direction);
const char *peer_srtp_strerror(srtp_err_status_t st);

/* Where the UDP payload of fr starts in its frame. */
size_t peer_frame_hdr_len(const struct peer_frame *fr);
/* Writes the headers around the payload_len bytes already at peer_frame_hdr_len(fr), with
 * checksums over them; returns the frame length. */
size_t peer_frame_build(uint8_t *f, const struct peer_frame *fr, size_t payload_len);

/* Randomness and content. */
void peer_rand(void *buf, size_t len);
uint32_t peer_rand_u32(void);
uint32_t peer_crc32(const uint8_t *p, size_t len);
void peer_filler(uint8_t *p, size_t len, uint32_t ssrc, uint64_t number);
/* Writes an RTP header plus a payload of exactly size bytes; returns the RTP length. */
size_t peer_rtp_build(uint8_t *buf, const struct peer_rtp *h, uint32_t size, uint64_t number,
    uint64_t send_ns);
/* Returns true when the payload is intact: magic, size, checksum and filler all match. */
bool peer_payload_check(const uint8_t *p, size_t len, struct peer_payload *out);
uint64_t peer_now_ns(void);
uint64_t peer_load_be64(const uint8_t *p);
uint32_t peer_load_be32(const uint8_t *p);
uint16_t peer_load_be16(const uint8_t *p);
void peer_store_be64(uint8_t *p, uint64_t v);
void peer_store_be32(uint8_t *p, uint32_t v);
void peer_store_be16(uint8_t *p, uint16_t v);

/* Pacing: sleeps until the absolute CLOCK_MONOTONIC deadline; returns early on a signal. */
void peer_sleep_until(uint64_t deadline_ns);
/* Signals: SIGINT/SIGTERM set a flag that the loops poll. */
void peer_signals_install(void);
bool peer_stopping(void);

/* Report output: to path through a temporary file and rename, or to stdout when path is NULL. */
FILE *peer_report_open(const char *path, char *tmp, size_t tmp_len);
int peer_report_close(FILE *f, const char *path, const char *tmp);

void peer_json_init(struct peer_json *j, FILE *f);
void peer_json_obj_begin(struct peer_json *j, const char *key);
void peer_json_obj_end(struct peer_json *j);
void peer_json_arr_begin(struct peer_json *j, const char *key);
void peer_json_arr_end(struct peer_json *j);
void peer_json_u64(struct peer_json *j, const char *key, uint64_t v);
void peer_json_i64(struct peer_json *j, const char *key, int64_t v);
void peer_json_str(struct peer_json *j, const char *key, const char *s);
void peer_json_bool(struct peer_json *j, const char *key, bool v);

#endif /* SLUICE_PEER_H */
