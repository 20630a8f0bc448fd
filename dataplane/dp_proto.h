/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The protocol of the dataplane's control socket, owned by the dataplane and linked by
 * sluicectl and sluice-cp (library sluice_dpproto, no DPDK).
 *
 * Transport: a Unix stream socket. Each message is a 16-byte header followed by `length`
 * bytes of attributes. All integers are big-endian.
 *
 *   header:    u32 magic "SLDP" | u16 version | u16 type | u32 length | u32 seq
 *   attribute: u16 type | u16 len (value bytes, without this 4-byte header) | value
 *              | zero padding to a multiple of 4 (not counted in len)
 *
 * A reply carries the request's type with DP_MSG_REPLY set and the request's seq; its
 * first attribute is DP_ATTR_STATUS (enum dp_status), then DP_ATTR_ERROR (a short text)
 * on failure, then the reply's data. Attributes of type DP_ATTR_NEST_* hold attributes.
 * A receiver ignores attribute types it does not know (forward compatibility) but rejects
 * a known attribute whose length is wrong, and a message whose attributes overrun it.
 *
 * Return convention of this file: functions returning int give 0 (or a length) on
 * success and a negative errno on failure:
 *   -EAGAIN   a buffer holds less than one whole message (read more)
 *   -EPROTO   malformed (bad magic, bad attribute layout, wrong attribute length)
 *   -EPROTONOSUPPORT  version we do not speak
 *   -EMSGSIZE message larger than DP_MSG_MAX
 *   -ENOSPC   an encode buffer is too small
 *   -EINVAL   a decoded message lacks a required attribute or holds a bad value
 */
#ifndef DP_PROTO_H
#define DP_PROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DP_PROTO_MAGIC 0x534c4450u /* "SLDP" */
#define DP_PROTO_VERSION 1
#define DP_MSG_HDR_LEN 16
#define DP_MSG_MAX (1u << 20) /* whole message, header included */
#define DP_ATTR_HDR_LEN 4

/* Message types. Requests; a reply has the same type | DP_MSG_REPLY. */
enum dp_msg_type {
	DP_MSG_HEALTH = 1,     /* -> DP_ATTR_NEST_HEALTH */
	DP_MSG_LEG_ADD = 2,    /* DP_ATTR_NEST_LEG (full spec) */
	DP_MSG_LEG_UPDATE = 3, /* DP_ATTR_NEST_LEG (leg id + fields to change) */
	DP_MSG_LEG_DEL = 4,    /* DP_ATTR_LEG_ID */
	DP_MSG_CONF_DEL = 5,   /* DP_ATTR_CONF_ID -> DP_ATTR_COUNT legs removed */
	DP_MSG_LEG_LIST = 6,   /* [DP_ATTR_CONF_ID] [DP_ATTR_CURSOR] -> NEST_LEG_INFO* [CURSOR] */
	DP_MSG_LEG_GET = 7,    /* DP_ATTR_LEG_ID -> DP_ATTR_NEST_LEG_INFO */
	DP_MSG_STATS = 8,      /* -> NEST_STATS_PORT*, NEST_STATS_LCORE*, NEST_STATS_DROP* */
};
#define DP_MSG_REPLY 0x8000u

/* Reply status, also the exit status of sluicectl for a refused request (plus 10). */
enum dp_status {
	DP_OK = 0,
	DP_ERR_BAD_MSG = 1,       /* malformed message */
	DP_ERR_VERSION = 2,       /* protocol version not spoken */
	DP_ERR_UNKNOWN_TYPE = 3,  /* message type not known */
	DP_ERR_INVALID = 4,       /* a value out of range or missing */
	DP_ERR_EXISTS = 5,        /* leg id already in use */
	DP_ERR_NOT_FOUND = 6,     /* no such leg or conference */
	DP_ERR_FULL = 7,          /* a table is full */
	DP_ERR_SSRC_IN_USE = 8,   /* an SSRC already sent by another leg on that media port */
	DP_ERR_BAD_KEY = 9,       /* key length does not match the suite */
	DP_ERR_BAD_PORT = 10,     /* not a media port of this relay */
	DP_ERR_INTERNAL = 11,     /* the dataplane failed (out of memory, crypto init) */
	DP_ERR_PERM = 12,         /* peer not allowed (never sent: the socket closes) */
	DP_STATUS_MAX
};

/* The stable machine-readable name of a status ("ssrc_in_use"), or "?". */
const char *dp_status_name(uint32_t status);

/* Attribute types. The comment gives the value's type. */
enum dp_attr_type {
	DP_ATTR_STATUS = 1,       /* u32 enum dp_status */
	DP_ATTR_ERROR = 2,        /* string, no NUL, <= 255 */
	DP_ATTR_LEG_ID = 3,       /* u32, non-zero */
	DP_ATTR_CONF_ID = 4,      /* u32, non-zero */
	DP_ATTR_SUITE = 5,        /* u8 enum dp_suite */
	DP_ATTR_MEDIA_PORT = 6,   /* u16 UDP port */
	DP_ATTR_KEY_IN = 7,       /* bytes: master key || master salt, the leg's sending key */
	DP_ATTR_KEY_OUT = 8,      /* bytes: master key || master salt, the relay's sending key */
	DP_ATTR_SSRC = 9,         /* u32, repeated up to DP_LEG_MAX_SSRCS times */
	DP_ATTR_REMOTE = 10,      /* endpoint: 16 bytes IPv6 (IPv4 as ::ffff:a.b.c.d) + u16 port */
	DP_ATTR_FLAGS = 11,       /* u32 DP_LEG_F_* */
	DP_ATTR_CURSOR = 12,      /* u32 leg id to continue after */
	DP_ATTR_COUNT = 13,       /* u32 */
	DP_ATTR_LATCHED = 14,     /* endpoint */
	DP_ATTR_OWNER = 15,       /* u16 worker lcore id */
	DP_ATTR_NAME = 16,        /* string */
	DP_ATTR_INDEX = 17,       /* u32 */
	DP_ATTR_COUNTER = 18,     /* u64 */
	DP_ATTR_VERSION = 19,     /* string */
	DP_ATTR_UPTIME = 20,      /* u64 seconds */
	DP_ATTR_SRTP_BACKEND = 21, /* string */
	DP_ATTR_LINK_UP = 22,     /* u8 0/1 */
	DP_ATTR_NEST_LEG = 64,       /* a leg spec (request) */
	DP_ATTR_NEST_LEG_INFO = 65,  /* struct dp_leg_info */
	DP_ATTR_NEST_HEALTH = 66,    /* struct dp_health */
	DP_ATTR_NEST_STATS_PORT = 67,   /* NAME, INDEX, LINK_UP, then COUNTER pairs (see below) */
	DP_ATTR_NEST_STATS_LCORE = 68,
	DP_ATTR_NEST_STATS_DROP = 69,
	DP_ATTR_NEST_COUNTER = 70,   /* NAME + COUNTER: one named counter */
};

/* Crypto suites (RFC 4568 names). */
enum dp_suite {
	DP_SUITE_NONE = 0,
	DP_SUITE_AES_CM_128_HMAC_SHA1_80 = 1,
	DP_SUITE_AES_CM_128_HMAC_SHA1_32 = 2,
	DP_SUITE_AEAD_AES_128_GCM = 3,
	DP_SUITE_AEAD_AES_256_GCM = 4,
	DP_SUITE_MAX
};

const char *dp_suite_name(uint8_t suite);           /* "AES_CM_128_HMAC_SHA1_80" or "?" */
uint8_t dp_suite_from_name(const char *name);       /* DP_SUITE_NONE when unknown */
size_t dp_suite_key_len(uint8_t suite);             /* master key: 16 or 32; 0 if unknown */
size_t dp_suite_salt_len(uint8_t suite);            /* master salt: 14 or 12; 0 if unknown */

#define DP_MASTER_MAX 46          /* 32-byte key + 14-byte salt, the largest of any suite */
#define DP_LEG_MAX_SSRCS 16

enum dp_leg_flags {
	DP_LEG_F_SEND = 1u << 0,  /* the leg's media is forwarded to the conference */
	DP_LEG_F_RECV = 1u << 1,  /* the leg receives the conference's media */
};
#define DP_LEG_F_ALL (DP_LEG_F_SEND | DP_LEG_F_RECV)

/* What a leg spec holds; on update, only what is present changes. */
enum dp_leg_has {
	DP_LEG_HAS_CONF = 1u << 0,
	DP_LEG_HAS_SUITE = 1u << 1,
	DP_LEG_HAS_MEDIA_PORT = 1u << 2,
	DP_LEG_HAS_KEY_IN = 1u << 3,
	DP_LEG_HAS_KEY_OUT = 1u << 4,
	DP_LEG_HAS_SSRCS = 1u << 5,
	DP_LEG_HAS_REMOTE = 1u << 6,
	DP_LEG_HAS_FLAGS = 1u << 7,
};
#define DP_LEG_HAS_ALL_REQUIRED (DP_LEG_HAS_CONF | DP_LEG_HAS_SUITE | DP_LEG_HAS_MEDIA_PORT | \
				 DP_LEG_HAS_KEY_IN | DP_LEG_HAS_KEY_OUT | DP_LEG_HAS_SSRCS)

/* An IP endpoint; IPv4 is stored IPv4-mapped (::ffff:a.b.c.d). */
struct dp_endpoint {
	uint8_t ip[16];
	uint16_t port;
};

bool dp_endpoint_is_v4(const struct dp_endpoint *ep);
/* "198.18.0.1:4000" or "[2001:db8::1]:4000"; returns buf. len >= DP_ENDPOINT_STRLEN. */
#define DP_ENDPOINT_STRLEN 56
char *dp_endpoint_format(const struct dp_endpoint *ep, char *buf, size_t len);
/*
 * Parses the format above: a port (1..65535) is required, IPv6 needs its brackets, nothing
 * may follow the port. "[::ffff:a.b.c.d]:port" is accepted and stored IPv4-mapped.
 * 0 or -EINVAL; *ep is written only on success.
 */
int dp_endpoint_parse(const char *s, struct dp_endpoint *ep);

struct dp_leg_spec {
	uint32_t has;                     /* DP_LEG_HAS_* */
	uint32_t leg_id;
	uint32_t conf_id;
	uint32_t flags;                   /* DP_LEG_F_*; DP_LEG_F_ALL when absent on add */
	uint8_t suite;
	uint8_t key_in_len;
	uint8_t key_out_len;
	uint8_t n_ssrcs;
	uint16_t media_port;
	uint32_t ssrcs[DP_LEG_MAX_SSRCS];
	struct dp_endpoint remote;
	uint8_t key_in[DP_MASTER_MAX];
	uint8_t key_out[DP_MASTER_MAX];
};

/* Named counters of a leg, in DP_ATTR_NEST_COUNTER entries of a leg info. */
#define DP_LEG_COUNTERS(X)        \
	X(rx_packets)             \
	X(rx_bytes)               \
	X(tx_packets)             \
	X(tx_bytes)               \
	X(rtcp_rx)                \
	X(rtcp_tx)                \
	X(auth_fail)              \
	X(replay)                 \
	X(relatch)

struct dp_leg_counters {
#define DP_LEG_COUNTER_FIELD(name) uint64_t name;
	DP_LEG_COUNTERS(DP_LEG_COUNTER_FIELD)
#undef DP_LEG_COUNTER_FIELD
};

struct dp_leg_info {
	struct dp_leg_spec spec;         /* keys are never sent back: key lengths are 0 */
	uint16_t owner_lcore;
	bool latched;
	struct dp_endpoint latched_ep;
	struct dp_leg_counters counters;
};

struct dp_health {
	char version[32];
	char srtp_backend[64];
	uint64_t uptime_s;
	uint32_t workers;
	uint32_t legs;
	uint32_t conferences;
	uint32_t ports_up;
	uint32_t ports;
};

/* A named counter, for statistics whose names belong to the dataplane. */
struct dp_named_counter {
	char name[40];
	uint64_t value;
};

#define DP_STATS_MAX_COUNTERS 64
struct dp_stats_group {               /* one port, one lcore, or the drop reasons */
	char name[40];                /* port name, "lcore 3", "drops" */
	uint32_t index;               /* port id or lcore id */
	bool link_up;                 /* ports only */
	uint32_t n;
	struct dp_named_counter c[DP_STATS_MAX_COUNTERS];
};

/* ---- header ---- */

struct dp_msg {
	uint16_t type;
	uint32_t seq;
	uint32_t len;                 /* of body */
	const uint8_t *body;
};

/*
 * Looks at the start of buf. Returns the whole message length (header + body) when buf holds
 * a complete, well-framed message and fills msg; -EAGAIN when more bytes are needed;
 * -EPROTO, -EPROTONOSUPPORT or -EMSGSIZE when the stream is unusable.
 */
int dp_msg_parse(const uint8_t *buf, size_t len, struct dp_msg *msg);

/* ---- building ---- */

struct dp_msg_builder {
	uint8_t *buf;
	size_t cap;
	size_t len;
	int err;                      /* first error, sticky: -ENOSPC (cap, or DP_MSG_MAX,
				       * reached), -EINVAL (value > 65535 bytes, nesting
				       * deeper than 4, unbalanced nest_end) */
	unsigned int depth;
	size_t nest[4];
};

void dp_mb_init(struct dp_msg_builder *b, uint8_t *buf, size_t cap, uint16_t type, uint32_t seq);
void dp_mb_put(struct dp_msg_builder *b, uint16_t type, const void *val, size_t len);
void dp_mb_put_u8(struct dp_msg_builder *b, uint16_t type, uint8_t v);
void dp_mb_put_u16(struct dp_msg_builder *b, uint16_t type, uint16_t v);
void dp_mb_put_u32(struct dp_msg_builder *b, uint16_t type, uint32_t v);
void dp_mb_put_u64(struct dp_msg_builder *b, uint16_t type, uint64_t v);
void dp_mb_put_str(struct dp_msg_builder *b, uint16_t type, const char *s);
void dp_mb_put_endpoint(struct dp_msg_builder *b, uint16_t type, const struct dp_endpoint *ep);
void dp_mb_nest_begin(struct dp_msg_builder *b, uint16_t type);
void dp_mb_nest_end(struct dp_msg_builder *b);
/* Writes the header's length. Returns the message length, or b->err. */
int dp_mb_finish(struct dp_msg_builder *b);

/* ---- reading attributes ---- */

struct dp_attr {
	uint16_t type;
	uint16_t len;
	const uint8_t *val;
};

struct dp_attr_iter {
	const uint8_t *p;
	size_t left;
};

void dp_attr_iter_init(struct dp_attr_iter *it, const uint8_t *buf, size_t len);
/* 1 with *a filled, 0 at the end, -EPROTO when an attribute overruns the buffer. */
int dp_attr_next(struct dp_attr_iter *it, struct dp_attr *a);

/* Typed readers: 0, or -EPROTO when the length does not match the type. */
int dp_attr_u8(const struct dp_attr *a, uint8_t *v);
int dp_attr_u16(const struct dp_attr *a, uint16_t *v);
int dp_attr_u32(const struct dp_attr *a, uint32_t *v);
int dp_attr_u64(const struct dp_attr *a, uint64_t *v);
int dp_attr_endpoint(const struct dp_attr *a, struct dp_endpoint *ep);
/* Copies a string attribute into buf (NUL-terminated, truncated to len - 1). */
int dp_attr_str(const struct dp_attr *a, char *buf, size_t len);

/* ---- typed messages: encode into buf (returns length or -ENOSPC), decode (0 or -errno) ---- */

int dp_proto_encode_leg(uint8_t *buf, size_t cap, uint16_t type, uint32_t seq,
			const struct dp_leg_spec *spec);
/*
 * Decodes DP_MSG_LEG_ADD / DP_MSG_LEG_UPDATE. Checks every value: ids non-zero, suite
 * known, key lengths equal to the suite's key + salt, 1..DP_LEG_MAX_SSRCS SSRCs, no SSRC
 * twice, flags known, remote port non-zero and address specified. On add, every
 * DP_LEG_HAS_ALL_REQUIRED field must be present. On update without a suite, each key must
 * have the length of some suite (the dataplane checks it against the leg's suite), and a
 * new suite needs both keys. A single-valued attribute given twice is -EINVAL. On failure
 * *spec is wiped and *err_text (if not NULL) points to a static explanation.
 */
int dp_proto_decode_leg(const struct dp_msg *msg, struct dp_leg_spec *spec, const char **err_text);

/* Simple requests carrying one optional u32 (leg id, conf id, cursor) each. */
int dp_proto_encode_simple(uint8_t *buf, size_t cap, uint16_t type, uint32_t seq,
			   uint16_t attr, uint32_t value);

/* Reply helpers: the status (and error text) first; the caller appends data, then finishes. */
void dp_proto_reply_begin(struct dp_msg_builder *b, uint8_t *buf, size_t cap,
			  const struct dp_msg *req, uint32_t status, const char *err_text);
/* Reads a reply's status and error text (err may be NULL). 0 or -EPROTO. */
int dp_proto_reply_status(const struct dp_msg *reply, uint32_t *status, char *err, size_t err_len);

/*
 * Writes leg id, conf id, suite, media port, SSRCs, flags, owner and the counters (as
 * NEST_COUNTER named after the fields of struct dp_leg_counters); REMOTE only when
 * spec.has holds DP_LEG_HAS_REMOTE, LATCHED only when latched; keys never.
 */
void dp_proto_put_leg_info(struct dp_msg_builder *b, const struct dp_leg_info *info);
/* Decodes one DP_ATTR_NEST_LEG_INFO attribute's value. */
int dp_proto_get_leg_info(const struct dp_attr *nest, struct dp_leg_info *info);

/* VERSION, SRTP_BACKEND, UPTIME, then the counts as NEST_COUNTER named after the fields. */
void dp_proto_put_health(struct dp_msg_builder *b, const struct dp_health *h);
int dp_proto_get_health(const struct dp_attr *nest, struct dp_health *h);

void dp_proto_put_stats_group(struct dp_msg_builder *b, uint16_t nest_type,
			      const struct dp_stats_group *g);
int dp_proto_get_stats_group(const struct dp_attr *nest, struct dp_stats_group *g);

/* Overwrites key material in a spec (and anything else that held it) so that no copy lingers. */
void dp_proto_wipe(void *p, size_t len);

#endif /* DP_PROTO_H */
