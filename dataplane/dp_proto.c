/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Codec of the control socket protocol; dp_proto.h holds the wire format and the return
 * convention. Every length is checked before the bytes it covers are read, nothing here
 * allocates, and no value is trusted before its decoder has validated it.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "dp_proto.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* As struct dp_named_counter's name. */
#define DP_COUNTER_NAME_LEN 40

/* ---- big-endian access, byte by byte: buffers are not aligned ---- */

static inline void
put_be16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline void
put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static inline void
put_be64(uint8_t *p, uint64_t v)
{
	put_be32(p, (uint32_t)(v >> 32));
	put_be32(p + 4, (uint32_t)v);
}

static inline uint16_t
get_be16(const uint8_t *p)
{
	return (uint16_t)((uint16_t)p[0] << 8 | p[1]);
}

static inline uint32_t
get_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static inline uint64_t
get_be64(const uint8_t *p)
{
	return (uint64_t)get_be32(p) << 32 | get_be32(p + 4);
}

/* ---- names ---- */

static const char *const status_names[DP_STATUS_MAX] = {
	[DP_OK] = "ok",
	[DP_ERR_BAD_MSG] = "bad_message",
	[DP_ERR_VERSION] = "version",
	[DP_ERR_UNKNOWN_TYPE] = "unknown_type",
	[DP_ERR_INVALID] = "invalid",
	[DP_ERR_EXISTS] = "exists",
	[DP_ERR_NOT_FOUND] = "not_found",
	[DP_ERR_FULL] = "full",
	[DP_ERR_SSRC_IN_USE] = "ssrc_in_use",
	[DP_ERR_BAD_KEY] = "bad_key",
	[DP_ERR_BAD_PORT] = "bad_port",
	[DP_ERR_INTERNAL] = "internal",
	[DP_ERR_PERM] = "permission",
};

const char *
dp_status_name(uint32_t status)
{
	if (status >= DP_STATUS_MAX)
		return "?";
	return status_names[status];
}

/* RFC 4568 (AES_CM) and RFC 7714 (AEAD) names with their master key and salt lengths. */
static const struct {
	const char *name;
	uint8_t key_len;
	uint8_t salt_len;
} suites[DP_SUITE_MAX] = {
	[DP_SUITE_NONE] = { NULL, 0, 0 },
	[DP_SUITE_AES_CM_128_HMAC_SHA1_80] = { "AES_CM_128_HMAC_SHA1_80", 16, 14 },
	[DP_SUITE_AES_CM_128_HMAC_SHA1_32] = { "AES_CM_128_HMAC_SHA1_32", 16, 14 },
	[DP_SUITE_AEAD_AES_128_GCM] = { "AEAD_AES_128_GCM", 16, 12 },
	[DP_SUITE_AEAD_AES_256_GCM] = { "AEAD_AES_256_GCM", 32, 12 },
};

const char *
dp_suite_name(uint8_t suite)
{
	if (suite == DP_SUITE_NONE || suite >= DP_SUITE_MAX)
		return "?";
	return suites[suite].name;
}

uint8_t
dp_suite_from_name(const char *name)
{
	if (name == NULL)
		return DP_SUITE_NONE;
	for (uint8_t s = DP_SUITE_NONE + 1; s < DP_SUITE_MAX; s++)
		if (strcmp(name, suites[s].name) == 0)
			return s;
	return DP_SUITE_NONE;
}

size_t
dp_suite_key_len(uint8_t suite)
{
	return suite < DP_SUITE_MAX ? suites[suite].key_len : 0;
}

size_t
dp_suite_salt_len(uint8_t suite)
{
	return suite < DP_SUITE_MAX ? suites[suite].salt_len : 0;
}

/* True when some suite uses a master key || salt of len bytes. */
static bool
suite_master_len_known(size_t len)
{
	for (uint8_t s = DP_SUITE_NONE + 1; s < DP_SUITE_MAX; s++)
		if (len == dp_suite_key_len(s) + dp_suite_salt_len(s))
			return true;
	return false;
}

void
dp_proto_wipe(void *p, size_t len)
{
	if (p != NULL && len > 0)
		explicit_bzero(p, len);
}

/* ---- endpoints ---- */

static const uint8_t v4_mapped_prefix[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

bool
dp_endpoint_is_v4(const struct dp_endpoint *ep)
{
	return memcmp(ep->ip, v4_mapped_prefix, sizeof(v4_mapped_prefix)) == 0;
}

char *
dp_endpoint_format(const struct dp_endpoint *ep, char *buf, size_t len)
{
	char ip[INET6_ADDRSTRLEN];

	if (buf == NULL || len == 0)
		return buf;
	if (dp_endpoint_is_v4(ep)) {
		if (inet_ntop(AF_INET, ep->ip + 12, ip, sizeof(ip)) == NULL)
			snprintf(ip, sizeof(ip), "?");
		snprintf(buf, len, "%s:%u", ip, ep->port);
	} else {
		if (inet_ntop(AF_INET6, ep->ip, ip, sizeof(ip)) == NULL)
			snprintf(ip, sizeof(ip), "?");
		snprintf(buf, len, "[%s]:%u", ip, ep->port);
	}
	return buf;
}

/* A decimal port 1..65535 that ends the string: 1 to 5 digits, nothing else. */
static int
port_parse(const char *s, uint16_t *port)
{
	uint32_t v = 0;
	size_t n;

	for (n = 0; s[n] >= '0' && s[n] <= '9'; n++) {
		if (n == 5)
			return -EINVAL;
		v = v * 10 + (uint32_t)(s[n] - '0');
	}
	if (n == 0 || s[n] != '\0' || v == 0 || v > UINT16_MAX)
		return -EINVAL;
	*port = (uint16_t)v;
	return 0;
}

int
dp_endpoint_parse(const char *s, struct dp_endpoint *ep)
{
	char host[INET6_ADDRSTRLEN];
	struct dp_endpoint e;
	const char *end;
	size_t hlen;

	if (s == NULL || ep == NULL)
		return -EINVAL;
	memset(&e, 0, sizeof(e));
	if (s[0] == '[') {
		end = strchr(s + 1, ']');
		if (end == NULL)
			return -EINVAL;
		hlen = (size_t)(end - (s + 1));
		if (hlen == 0 || hlen >= sizeof(host))
			return -EINVAL;
		memcpy(host, s + 1, hlen);
		host[hlen] = '\0';
		if (inet_pton(AF_INET6, host, e.ip) != 1 || end[1] != ':')
			return -EINVAL;
		end += 2;
	} else {
		end = strchr(s, ':');
		if (end == NULL)
			return -EINVAL;
		hlen = (size_t)(end - s);
		if (hlen == 0 || hlen >= INET_ADDRSTRLEN)
			return -EINVAL;
		memcpy(host, s, hlen);
		host[hlen] = '\0';
		if (inet_pton(AF_INET, host, e.ip + 12) != 1)
			return -EINVAL;
		memcpy(e.ip, v4_mapped_prefix, sizeof(v4_mapped_prefix));
		end += 1;
	}
	if (port_parse(end, &e.port) < 0)
		return -EINVAL;
	*ep = e;
	return 0;
}

static bool
endpoint_unspecified(const struct dp_endpoint *ep)
{
	static const uint8_t zero[16];

	if (dp_endpoint_is_v4(ep))
		return memcmp(ep->ip + 12, zero, 4) == 0;
	return memcmp(ep->ip, zero, sizeof(zero)) == 0;
}

/* ---- header ---- */

int
dp_msg_parse(const uint8_t *buf, size_t len, struct dp_msg *msg)
{
	uint64_t total;

	if (buf == NULL || len < DP_MSG_HDR_LEN)
		return -EAGAIN;
	if (get_be32(buf) != DP_PROTO_MAGIC)
		return -EPROTO;
	if (get_be16(buf + 4) != DP_PROTO_VERSION)
		return -EPROTONOSUPPORT;
	/* Judged from the header alone, so that a peer cannot make us wait for a huge body. */
	total = (uint64_t)DP_MSG_HDR_LEN + get_be32(buf + 8);
	if (total > DP_MSG_MAX)
		return -EMSGSIZE;
	if (len < total)
		return -EAGAIN;
	msg->type = get_be16(buf + 6);
	msg->len = get_be32(buf + 8);
	msg->seq = get_be32(buf + 12);
	msg->body = buf + DP_MSG_HDR_LEN;
	return (int)total;
}

/* ---- building ---- */

/* Bytes an attribute of vlen value bytes takes, padding included. */
static size_t
attr_space(size_t vlen)
{
	return DP_ATTR_HDR_LEN + ((vlen + 3) & ~(size_t)3);
}

/* A builder never makes a message its peer would refuse as too large. */
static size_t
mb_cap(const struct dp_msg_builder *b)
{
	return b->cap < DP_MSG_MAX ? b->cap : DP_MSG_MAX;
}

void
dp_mb_init(struct dp_msg_builder *b, uint8_t *buf, size_t cap, uint16_t type, uint32_t seq)
{
	memset(b, 0, sizeof(*b));
	b->buf = buf;
	b->cap = cap;
	if (buf == NULL || cap < DP_MSG_HDR_LEN) {
		b->err = -ENOSPC;
		return;
	}
	put_be32(buf, DP_PROTO_MAGIC);
	put_be16(buf + 4, DP_PROTO_VERSION);
	put_be16(buf + 6, type);
	put_be32(buf + 8, 0);
	put_be32(buf + 12, seq);
	b->len = DP_MSG_HDR_LEN;
}

/* Appends an attribute header and zeroed padding; returns where vlen value bytes go. */
static uint8_t *
mb_reserve(struct dp_msg_builder *b, uint16_t type, size_t vlen)
{
	size_t need;
	uint8_t *p;

	if (b->err != 0)
		return NULL;
	if (vlen > UINT16_MAX) {
		b->err = -EINVAL;
		return NULL;
	}
	need = attr_space(vlen);
	if (need > mb_cap(b) - b->len) {
		b->err = -ENOSPC;
		return NULL;
	}
	p = b->buf + b->len;
	put_be16(p, type);
	put_be16(p + 2, (uint16_t)vlen);
	memset(p + DP_ATTR_HDR_LEN + vlen, 0, need - DP_ATTR_HDR_LEN - vlen);
	b->len += need;
	return p + DP_ATTR_HDR_LEN;
}

void
dp_mb_put(struct dp_msg_builder *b, uint16_t type, const void *val, size_t len)
{
	uint8_t *p;

	if (b->err == 0 && val == NULL && len > 0) {
		b->err = -EINVAL;
		return;
	}
	p = mb_reserve(b, type, len);
	if (p != NULL && len > 0)
		memcpy(p, val, len);
}

void
dp_mb_put_u8(struct dp_msg_builder *b, uint16_t type, uint8_t v)
{
	dp_mb_put(b, type, &v, sizeof(v));
}

void
dp_mb_put_u16(struct dp_msg_builder *b, uint16_t type, uint16_t v)
{
	uint8_t *p = mb_reserve(b, type, sizeof(v));

	if (p != NULL)
		put_be16(p, v);
}

void
dp_mb_put_u32(struct dp_msg_builder *b, uint16_t type, uint32_t v)
{
	uint8_t *p = mb_reserve(b, type, sizeof(v));

	if (p != NULL)
		put_be32(p, v);
}

void
dp_mb_put_u64(struct dp_msg_builder *b, uint16_t type, uint64_t v)
{
	uint8_t *p = mb_reserve(b, type, sizeof(v));

	if (p != NULL)
		put_be64(p, v);
}

void
dp_mb_put_str(struct dp_msg_builder *b, uint16_t type, const char *s)
{
	if (s == NULL)
		s = "";
	/* strnlen: a string longer than an attribute can hold is refused, not measured. */
	dp_mb_put(b, type, s, strnlen(s, (size_t)UINT16_MAX + 1));
}

void
dp_mb_put_endpoint(struct dp_msg_builder *b, uint16_t type, const struct dp_endpoint *ep)
{
	uint8_t *p = mb_reserve(b, type, sizeof(ep->ip) + 2);

	if (p != NULL) {
		memcpy(p, ep->ip, sizeof(ep->ip));
		put_be16(p + sizeof(ep->ip), ep->port);
	}
}

void
dp_mb_nest_begin(struct dp_msg_builder *b, uint16_t type)
{
	if (b->err != 0)
		return;
	if (b->depth >= ARRAY_LEN(b->nest)) {
		b->err = -EINVAL;
		return;
	}
	if (mb_cap(b) - b->len < DP_ATTR_HDR_LEN) {
		b->err = -ENOSPC;
		return;
	}
	put_be16(b->buf + b->len, type);
	put_be16(b->buf + b->len + 2, 0);
	b->nest[b->depth++] = b->len;
	b->len += DP_ATTR_HDR_LEN;
}

void
dp_mb_nest_end(struct dp_msg_builder *b)
{
	size_t off, vlen;

	if (b->err != 0)
		return;
	if (b->depth == 0) {
		b->err = -EINVAL;
		return;
	}
	off = b->nest[--b->depth];
	vlen = b->len - off - DP_ATTR_HDR_LEN;
	if (vlen > UINT16_MAX) {
		b->err = -EINVAL;
		return;
	}
	put_be16(b->buf + off + 2, (uint16_t)vlen);
}

int
dp_mb_finish(struct dp_msg_builder *b)
{
	if (b->err != 0)
		return b->err;
	if (b->depth != 0) {
		b->err = -EINVAL;
		return b->err;
	}
	put_be32(b->buf + 8, (uint32_t)(b->len - DP_MSG_HDR_LEN));
	return (int)b->len;
}

/* ---- reading attributes ---- */

void
dp_attr_iter_init(struct dp_attr_iter *it, const uint8_t *buf, size_t len)
{
	it->p = buf;
	it->left = buf != NULL ? len : 0;
}

int
dp_attr_next(struct dp_attr_iter *it, struct dp_attr *a)
{
	size_t vlen, space;

	if (it->left == 0)
		return 0;
	if (it->left < DP_ATTR_HDR_LEN)
		return -EPROTO;
	vlen = get_be16(it->p + 2);
	if (vlen > it->left - DP_ATTR_HDR_LEN)
		return -EPROTO;
	a->type = get_be16(it->p);
	a->len = (uint16_t)vlen;
	a->val = it->p + DP_ATTR_HDR_LEN;
	/* The value fits; what remains short of its padding can only be the buffer's end. */
	space = attr_space(vlen);
	if (space > it->left)
		space = it->left;
	it->p += space;
	it->left -= space;
	return 1;
}

int
dp_attr_u8(const struct dp_attr *a, uint8_t *v)
{
	if (a->len != 1)
		return -EPROTO;
	*v = a->val[0];
	return 0;
}

int
dp_attr_u16(const struct dp_attr *a, uint16_t *v)
{
	if (a->len != 2)
		return -EPROTO;
	*v = get_be16(a->val);
	return 0;
}

int
dp_attr_u32(const struct dp_attr *a, uint32_t *v)
{
	if (a->len != 4)
		return -EPROTO;
	*v = get_be32(a->val);
	return 0;
}

int
dp_attr_u64(const struct dp_attr *a, uint64_t *v)
{
	if (a->len != 8)
		return -EPROTO;
	*v = get_be64(a->val);
	return 0;
}

int
dp_attr_endpoint(const struct dp_attr *a, struct dp_endpoint *ep)
{
	if (a->len != sizeof(ep->ip) + 2)
		return -EPROTO;
	memcpy(ep->ip, a->val, sizeof(ep->ip));
	ep->port = get_be16(a->val + sizeof(ep->ip));
	return 0;
}

int
dp_attr_str(const struct dp_attr *a, char *buf, size_t len)
{
	size_t n;

	if (buf == NULL || len == 0)
		return -EINVAL;
	/* A NUL inside would make two readers see two different strings. */
	if (a->len > 0 && memchr(a->val, '\0', a->len) != NULL)
		return -EPROTO;
	n = a->len < len - 1 ? a->len : len - 1;
	memcpy(buf, a->val, n);
	buf[n] = '\0';
	return 0;
}

/* A name that is a key (counter, group): non-empty and never truncated. */
static int
attr_name(const struct dp_attr *a, char *buf, size_t len)
{
	if (a->len >= len)
		return -EPROTO;
	if (a->len == 0)
		return -EINVAL;
	return dp_attr_str(a, buf, len);
}

#define BIT(type) (1ull << (type))

/* Single-valued attribute types of each nest; all leaf types are below 64. */
#define COUNTER_SINGLES (BIT(DP_ATTR_NAME) | BIT(DP_ATTR_COUNTER))
#define LEG_SINGLES (BIT(DP_ATTR_LEG_ID) | BIT(DP_ATTR_CONF_ID) | BIT(DP_ATTR_SUITE) | \
		     BIT(DP_ATTR_MEDIA_PORT) | BIT(DP_ATTR_KEY_IN) | BIT(DP_ATTR_KEY_OUT) | \
		     BIT(DP_ATTR_REMOTE) | BIT(DP_ATTR_FLAGS))
#define LEG_INFO_SINGLES (BIT(DP_ATTR_LEG_ID) | BIT(DP_ATTR_CONF_ID) | BIT(DP_ATTR_SUITE) | \
			  BIT(DP_ATTR_MEDIA_PORT) | BIT(DP_ATTR_REMOTE) | BIT(DP_ATTR_FLAGS) | \
			  BIT(DP_ATTR_OWNER) | BIT(DP_ATTR_LATCHED))
#define HEALTH_SINGLES (BIT(DP_ATTR_VERSION) | BIT(DP_ATTR_SRTP_BACKEND) | BIT(DP_ATTR_UPTIME))
#define STATS_SINGLES (BIT(DP_ATTR_NAME) | BIT(DP_ATTR_INDEX) | BIT(DP_ATTR_LINK_UP))

/*
 * -EINVAL when a single-valued type of this nest comes a second time: two readers that
 * kept the first and the last value would disagree. Other types (repeated, nests, types
 * this reader does not know) pass.
 */
static int
seen_once(uint64_t *seen, uint64_t singles, uint16_t type)
{
	if (type >= 64 || (singles & BIT(type)) == 0)
		return 0;
	if ((*seen & BIT(type)) != 0)
		return -EINVAL;
	*seen |= BIT(type);
	return 0;
}

static bool
seen_has(uint64_t seen, uint16_t type)
{
	return type < 64 && (seen & BIT(type)) != 0;
}

/* Reads one DP_ATTR_NEST_COUNTER: exactly one NAME and one COUNTER. */
static int
counter_get(const struct dp_attr *nest, char *name, size_t name_len, uint64_t *value)
{
	uint64_t seen = 0;
	struct dp_attr_iter it;
	struct dp_attr a;
	int rc;

	dp_attr_iter_init(&it, nest->val, nest->len);
	while ((rc = dp_attr_next(&it, &a)) > 0) {
		switch (a.type) {
		case DP_ATTR_NAME:
			if (seen_once(&seen, COUNTER_SINGLES, a.type) < 0)
				return -EINVAL;
			rc = attr_name(&a, name, name_len);
			break;
		case DP_ATTR_COUNTER:
			if (seen_once(&seen, COUNTER_SINGLES, a.type) < 0)
				return -EINVAL;
			rc = dp_attr_u64(&a, value);
			break;
		default:
			rc = 0;
			break;
		}
		if (rc < 0)
			return rc;
	}
	if (rc < 0)
		return rc;
	if (!seen_has(seen, DP_ATTR_NAME) || !seen_has(seen, DP_ATTR_COUNTER))
		return -EINVAL;
	return 0;
}

static void
counter_put(struct dp_msg_builder *b, const char *name, uint64_t value)
{
	dp_mb_nest_begin(b, DP_ATTR_NEST_COUNTER);
	dp_mb_put_str(b, DP_ATTR_NAME, name);
	dp_mb_put_u64(b, DP_ATTR_COUNTER, value);
	dp_mb_nest_end(b);
}

/* ---- leg spec ---- */

int
dp_proto_encode_leg(uint8_t *buf, size_t cap, uint16_t type, uint32_t seq,
		    const struct dp_leg_spec *spec)
{
	struct dp_msg_builder b;

	if (spec->key_in_len > DP_MASTER_MAX || spec->key_out_len > DP_MASTER_MAX ||
	    spec->n_ssrcs > DP_LEG_MAX_SSRCS)
		return -EINVAL;
	dp_mb_init(&b, buf, cap, type, seq);
	dp_mb_nest_begin(&b, DP_ATTR_NEST_LEG);
	dp_mb_put_u32(&b, DP_ATTR_LEG_ID, spec->leg_id);
	if ((spec->has & DP_LEG_HAS_CONF) != 0)
		dp_mb_put_u32(&b, DP_ATTR_CONF_ID, spec->conf_id);
	if ((spec->has & DP_LEG_HAS_SUITE) != 0)
		dp_mb_put_u8(&b, DP_ATTR_SUITE, spec->suite);
	if ((spec->has & DP_LEG_HAS_MEDIA_PORT) != 0)
		dp_mb_put_u16(&b, DP_ATTR_MEDIA_PORT, spec->media_port);
	if ((spec->has & DP_LEG_HAS_KEY_IN) != 0)
		dp_mb_put(&b, DP_ATTR_KEY_IN, spec->key_in, spec->key_in_len);
	if ((spec->has & DP_LEG_HAS_KEY_OUT) != 0)
		dp_mb_put(&b, DP_ATTR_KEY_OUT, spec->key_out, spec->key_out_len);
	if ((spec->has & DP_LEG_HAS_SSRCS) != 0)
		for (unsigned int i = 0; i < spec->n_ssrcs; i++)
			dp_mb_put_u32(&b, DP_ATTR_SSRC, spec->ssrcs[i]);
	if ((spec->has & DP_LEG_HAS_REMOTE) != 0)
		dp_mb_put_endpoint(&b, DP_ATTR_REMOTE, &spec->remote);
	if ((spec->has & DP_LEG_HAS_FLAGS) != 0)
		dp_mb_put_u32(&b, DP_ATTR_FLAGS, spec->flags);
	dp_mb_nest_end(&b);
	return dp_mb_finish(&b);
}

static int
fail(const char **why, int rc, const char *text)
{
	*why = text;
	return rc;
}

/* Validates a key's length: the suite's when known, else any suite's. */
static int
leg_key_check(const struct dp_leg_spec *spec, uint8_t len, const char **why,
	      const char *mismatch, const char *unknown)
{
	if ((spec->has & DP_LEG_HAS_SUITE) != 0) {
		if (len != dp_suite_key_len(spec->suite) + dp_suite_salt_len(spec->suite))
			return fail(why, -EINVAL, mismatch);
	} else if (!suite_master_len_known(len)) {
		return fail(why, -EINVAL, unknown);
	}
	return 0;
}

/* One attribute of a NEST_LEG. */
static int
leg_attr(const struct dp_attr *a, struct dp_leg_spec *spec, uint64_t *seen, const char **why)
{
	if (seen_once(seen, LEG_SINGLES, a->type) < 0)
		return fail(why, -EINVAL, "duplicate attribute");
	switch (a->type) {
	case DP_ATTR_LEG_ID:
		if (dp_attr_u32(a, &spec->leg_id) < 0)
			return fail(why, -EPROTO, "leg_id has a wrong length");
		if (spec->leg_id == 0)
			return fail(why, -EINVAL, "leg_id is zero");
		break;
	case DP_ATTR_CONF_ID:
		if (dp_attr_u32(a, &spec->conf_id) < 0)
			return fail(why, -EPROTO, "conf_id has a wrong length");
		if (spec->conf_id == 0)
			return fail(why, -EINVAL, "conf_id is zero");
		spec->has |= DP_LEG_HAS_CONF;
		break;
	case DP_ATTR_SUITE:
		if (dp_attr_u8(a, &spec->suite) < 0)
			return fail(why, -EPROTO, "suite has a wrong length");
		if (spec->suite == DP_SUITE_NONE || spec->suite >= DP_SUITE_MAX)
			return fail(why, -EINVAL, "unknown suite");
		spec->has |= DP_LEG_HAS_SUITE;
		break;
	case DP_ATTR_MEDIA_PORT:
		if (dp_attr_u16(a, &spec->media_port) < 0)
			return fail(why, -EPROTO, "media_port has a wrong length");
		if (spec->media_port == 0)
			return fail(why, -EINVAL, "media_port is zero");
		spec->has |= DP_LEG_HAS_MEDIA_PORT;
		break;
	case DP_ATTR_KEY_IN:
		if (a->len == 0 || a->len > DP_MASTER_MAX)
			return fail(why, -EPROTO, "key_in has a wrong length");
		memcpy(spec->key_in, a->val, a->len);
		spec->key_in_len = (uint8_t)a->len;
		spec->has |= DP_LEG_HAS_KEY_IN;
		break;
	case DP_ATTR_KEY_OUT:
		if (a->len == 0 || a->len > DP_MASTER_MAX)
			return fail(why, -EPROTO, "key_out has a wrong length");
		memcpy(spec->key_out, a->val, a->len);
		spec->key_out_len = (uint8_t)a->len;
		spec->has |= DP_LEG_HAS_KEY_OUT;
		break;
	case DP_ATTR_SSRC: {
		uint32_t ssrc;

		if (dp_attr_u32(a, &ssrc) < 0)
			return fail(why, -EPROTO, "ssrc has a wrong length");
		if (spec->n_ssrcs == DP_LEG_MAX_SSRCS)
			return fail(why, -EINVAL, "more than 16 SSRCs");
		for (unsigned int i = 0; i < spec->n_ssrcs; i++)
			if (spec->ssrcs[i] == ssrc)
				return fail(why, -EINVAL, "SSRC listed twice");
		spec->ssrcs[spec->n_ssrcs++] = ssrc;
		spec->has |= DP_LEG_HAS_SSRCS;
		break;
	}
	case DP_ATTR_REMOTE:
		if (dp_attr_endpoint(a, &spec->remote) < 0)
			return fail(why, -EPROTO, "remote has a wrong length");
		if (spec->remote.port == 0)
			return fail(why, -EINVAL, "remote port is zero");
		if (endpoint_unspecified(&spec->remote))
			return fail(why, -EINVAL, "remote address is unspecified");
		spec->has |= DP_LEG_HAS_REMOTE;
		break;
	case DP_ATTR_FLAGS:
		if (dp_attr_u32(a, &spec->flags) < 0)
			return fail(why, -EPROTO, "flags has a wrong length");
		if ((spec->flags & ~(uint32_t)DP_LEG_F_ALL) != 0)
			return fail(why, -EINVAL, "unknown flag bits");
		spec->has |= DP_LEG_HAS_FLAGS;
		break;
	default:
		break;                /* unknown here: a newer peer's, ignored */
	}
	return 0;
}

/* What a complete leg add needs, checked in this order. */
static const struct {
	uint32_t has;
	const char *missing;
} leg_required[] = {
	{ DP_LEG_HAS_CONF, "conf_id missing" },
	{ DP_LEG_HAS_SUITE, "suite missing" },
	{ DP_LEG_HAS_MEDIA_PORT, "media_port missing" },
	{ DP_LEG_HAS_KEY_IN, "key_in missing" },
	{ DP_LEG_HAS_KEY_OUT, "key_out missing" },
	{ DP_LEG_HAS_SSRCS, "ssrc missing" },
};

static int
leg_decode(const struct dp_msg *msg, struct dp_leg_spec *spec, const char **why)
{
	uint64_t seen = 0;
	struct dp_attr_iter it, nit;
	struct dp_attr a, nest;
	bool found = false;
	int rc;

	if (msg->type != DP_MSG_LEG_ADD && msg->type != DP_MSG_LEG_UPDATE)
		return fail(why, -EINVAL, "not a leg add or update");
	dp_attr_iter_init(&it, msg->body, msg->len);
	while ((rc = dp_attr_next(&it, &a)) > 0) {
		if (a.type != DP_ATTR_NEST_LEG)
			continue;
		if (found)
			return fail(why, -EINVAL, "duplicate attribute");
		found = true;
		nest = a;
	}
	if (rc < 0)
		return fail(why, rc, "malformed attributes");
	if (!found)
		return fail(why, -EINVAL, "leg missing");

	dp_attr_iter_init(&nit, nest.val, nest.len);
	while ((rc = dp_attr_next(&nit, &a)) > 0) {
		rc = leg_attr(&a, spec, &seen, why);
		if (rc < 0)
			return rc;
	}
	if (rc < 0)
		return fail(why, rc, "malformed attributes");

	if (spec->leg_id == 0)
		return fail(why, -EINVAL, "leg_id missing");
	if (msg->type == DP_MSG_LEG_ADD) {
		for (size_t i = 0; i < ARRAY_LEN(leg_required); i++)
			if ((spec->has & leg_required[i].has) == 0)
				return fail(why, -EINVAL, leg_required[i].missing);
		if ((spec->has & DP_LEG_HAS_FLAGS) == 0)
			spec->flags = DP_LEG_F_ALL;
	} else {
		if (spec->has == 0)
			return fail(why, -EINVAL, "nothing to update");
		/* Keys belong to one suite: a new suite never runs on the old keys. */
		if ((spec->has & DP_LEG_HAS_SUITE) != 0 &&
		    (spec->has & (DP_LEG_HAS_KEY_IN | DP_LEG_HAS_KEY_OUT)) !=
		    (DP_LEG_HAS_KEY_IN | DP_LEG_HAS_KEY_OUT))
			return fail(why, -EINVAL, "suite change needs key_in and key_out");
	}
	if ((spec->has & DP_LEG_HAS_KEY_IN) != 0) {
		rc = leg_key_check(spec, spec->key_in_len, why,
				   "key_in length does not match suite",
				   "key_in length matches no suite");
		if (rc < 0)
			return rc;
	}
	if ((spec->has & DP_LEG_HAS_KEY_OUT) != 0) {
		rc = leg_key_check(spec, spec->key_out_len, why,
				   "key_out length does not match suite",
				   "key_out length matches no suite");
		if (rc < 0)
			return rc;
	}
	return 0;
}

int
dp_proto_decode_leg(const struct dp_msg *msg, struct dp_leg_spec *spec, const char **err_text)
{
	const char *why = NULL;
	int rc;

	memset(spec, 0, sizeof(*spec));
	rc = leg_decode(msg, spec, &why);
	if (rc < 0) {
		dp_proto_wipe(spec, sizeof(*spec));
		if (err_text != NULL)
			*err_text = why;
	}
	return rc;
}

/* ---- simple requests and replies ---- */

int
dp_proto_encode_simple(uint8_t *buf, size_t cap, uint16_t type, uint32_t seq,
		       uint16_t attr, uint32_t value)
{
	struct dp_msg_builder b;

	dp_mb_init(&b, buf, cap, type, seq);
	if (attr != 0)
		dp_mb_put_u32(&b, attr, value);
	return dp_mb_finish(&b);
}

#define DP_ERROR_TEXT_MAX 255

void
dp_proto_reply_begin(struct dp_msg_builder *b, uint8_t *buf, size_t cap,
		     const struct dp_msg *req, uint32_t status, const char *err_text)
{
	uint16_t type = req != NULL ? req->type : 0;

	dp_mb_init(b, buf, cap, (uint16_t)(type | DP_MSG_REPLY), req != NULL ? req->seq : 0);
	dp_mb_put_u32(b, DP_ATTR_STATUS, status);
	if (status != DP_OK && err_text != NULL)
		dp_mb_put(b, DP_ATTR_ERROR, err_text, strnlen(err_text, DP_ERROR_TEXT_MAX));
}

int
dp_proto_reply_status(const struct dp_msg *reply, uint32_t *status, char *err, size_t err_len)
{
	struct dp_attr_iter it;
	struct dp_attr a;
	bool first = true, have_err = false;
	int rc;

	if (err != NULL && err_len > 0)
		err[0] = '\0';
	if ((reply->type & DP_MSG_REPLY) == 0)
		return -EPROTO;
	dp_attr_iter_init(&it, reply->body, reply->len);
	while ((rc = dp_attr_next(&it, &a)) > 0) {
		if (first) {
			if (a.type != DP_ATTR_STATUS || dp_attr_u32(&a, status) < 0)
				return -EPROTO;
			first = false;
			continue;
		}
		if (a.type == DP_ATTR_STATUS)
			return -EPROTO;
		if (a.type != DP_ATTR_ERROR)
			continue;
		if (have_err || a.len > DP_ERROR_TEXT_MAX)
			return -EPROTO;
		have_err = true;
		if (err != NULL && err_len > 0 && dp_attr_str(&a, err, err_len) < 0)
			return -EPROTO;
	}
	if (rc < 0 || first)
		return -EPROTO;
	return 0;
}

/* ---- leg info ---- */

static const char *const leg_counter_names[] = {
#define DP_LEG_COUNTER_NAME(name) #name,
	DP_LEG_COUNTERS(DP_LEG_COUNTER_NAME)
#undef DP_LEG_COUNTER_NAME
};

static uint64_t *
leg_counter_field(struct dp_leg_counters *c, size_t i)
{
	uint64_t *fields[] = {
#define DP_LEG_COUNTER_PTR(name) &c->name,
		DP_LEG_COUNTERS(DP_LEG_COUNTER_PTR)
#undef DP_LEG_COUNTER_PTR
	};

	return i < ARRAY_LEN(fields) ? fields[i] : NULL;
}

void
dp_proto_put_leg_info(struct dp_msg_builder *b, const struct dp_leg_info *info)
{
	const struct dp_leg_spec *s = &info->spec;
	struct dp_leg_counters c = info->counters;
	unsigned int n_ssrcs = s->n_ssrcs < DP_LEG_MAX_SSRCS ? s->n_ssrcs : DP_LEG_MAX_SSRCS;

	/* Keys are never sent back, whatever the spec holds. */
	dp_mb_nest_begin(b, DP_ATTR_NEST_LEG_INFO);
	dp_mb_put_u32(b, DP_ATTR_LEG_ID, s->leg_id);
	dp_mb_put_u32(b, DP_ATTR_CONF_ID, s->conf_id);
	dp_mb_put_u8(b, DP_ATTR_SUITE, s->suite);
	dp_mb_put_u16(b, DP_ATTR_MEDIA_PORT, s->media_port);
	for (unsigned int i = 0; i < n_ssrcs; i++)
		dp_mb_put_u32(b, DP_ATTR_SSRC, s->ssrcs[i]);
	if ((s->has & DP_LEG_HAS_REMOTE) != 0)
		dp_mb_put_endpoint(b, DP_ATTR_REMOTE, &s->remote);
	dp_mb_put_u32(b, DP_ATTR_FLAGS, s->flags);
	dp_mb_put_u16(b, DP_ATTR_OWNER, info->owner_lcore);
	if (info->latched)
		dp_mb_put_endpoint(b, DP_ATTR_LATCHED, &info->latched_ep);
	for (size_t i = 0; i < ARRAY_LEN(leg_counter_names); i++)
		counter_put(b, leg_counter_names[i], *leg_counter_field(&c, i));
	dp_mb_nest_end(b);
}

static int
leg_info_counter(const struct dp_attr *a, struct dp_leg_counters *c, uint32_t *seen)
{
	char name[DP_COUNTER_NAME_LEN];
	uint64_t value;
	int rc;

	rc = counter_get(a, name, sizeof(name), &value);
	if (rc < 0)
		return rc;
	for (size_t i = 0; i < ARRAY_LEN(leg_counter_names); i++) {
		if (strcmp(name, leg_counter_names[i]) != 0)
			continue;
		if ((*seen & (1u << i)) != 0)
			return -EINVAL;
		*seen |= 1u << i;
		*leg_counter_field(c, i) = value;
		return 0;
	}
	return 0;                     /* a counter this reader does not know */
}

static int
leg_info_attr(const struct dp_attr *a, struct dp_leg_info *info, uint64_t *seen,
	      uint32_t *counters_seen)
{
	struct dp_leg_spec *s = &info->spec;
	uint32_t ssrc;

	if (seen_once(seen, LEG_INFO_SINGLES, a->type) < 0)
		return -EINVAL;
	switch (a->type) {
	case DP_ATTR_LEG_ID:
		if (dp_attr_u32(a, &s->leg_id) < 0)
			return -EPROTO;
		return s->leg_id != 0 ? 0 : -EINVAL;
	case DP_ATTR_CONF_ID:
		if (dp_attr_u32(a, &s->conf_id) < 0)
			return -EPROTO;
		s->has |= DP_LEG_HAS_CONF;
		return s->conf_id != 0 ? 0 : -EINVAL;
	case DP_ATTR_SUITE:
		if (dp_attr_u8(a, &s->suite) < 0)
			return -EPROTO;
		s->has |= DP_LEG_HAS_SUITE;
		return s->suite != DP_SUITE_NONE && s->suite < DP_SUITE_MAX ? 0 : -EINVAL;
	case DP_ATTR_MEDIA_PORT:
		if (dp_attr_u16(a, &s->media_port) < 0)
			return -EPROTO;
		s->has |= DP_LEG_HAS_MEDIA_PORT;
		return s->media_port != 0 ? 0 : -EINVAL;
	case DP_ATTR_SSRC:
		if (dp_attr_u32(a, &ssrc) < 0)
			return -EPROTO;
		if (s->n_ssrcs == DP_LEG_MAX_SSRCS)
			return -EINVAL;
		for (unsigned int i = 0; i < s->n_ssrcs; i++)
			if (s->ssrcs[i] == ssrc)
				return -EINVAL;
		s->ssrcs[s->n_ssrcs++] = ssrc;
		s->has |= DP_LEG_HAS_SSRCS;
		return 0;
	case DP_ATTR_REMOTE:
		if (dp_attr_endpoint(a, &s->remote) < 0)
			return -EPROTO;
		s->has |= DP_LEG_HAS_REMOTE;
		return s->remote.port != 0 ? 0 : -EINVAL;
	case DP_ATTR_FLAGS:
		if (dp_attr_u32(a, &s->flags) < 0)
			return -EPROTO;
		s->has |= DP_LEG_HAS_FLAGS;
		return (s->flags & ~(uint32_t)DP_LEG_F_ALL) == 0 ? 0 : -EINVAL;
	case DP_ATTR_OWNER:
		return dp_attr_u16(a, &info->owner_lcore);
	case DP_ATTR_LATCHED:
		if (dp_attr_endpoint(a, &info->latched_ep) < 0)
			return -EPROTO;
		info->latched = true;
		return info->latched_ep.port != 0 ? 0 : -EINVAL;
	case DP_ATTR_NEST_COUNTER:
		return leg_info_counter(a, &info->counters, counters_seen);
	default:
		return 0;             /* keys included: a leg info never carries them */
	}
}

int
dp_proto_get_leg_info(const struct dp_attr *nest, struct dp_leg_info *info)
{
	uint64_t seen = 0;
	uint32_t counters_seen = 0;
	struct dp_attr_iter it;
	struct dp_attr a;
	int rc;

	memset(info, 0, sizeof(*info));
	if (nest->type != DP_ATTR_NEST_LEG_INFO)
		return -EINVAL;
	dp_attr_iter_init(&it, nest->val, nest->len);
	while ((rc = dp_attr_next(&it, &a)) > 0) {
		rc = leg_info_attr(&a, info, &seen, &counters_seen);
		if (rc < 0)
			break;
	}
	if (rc == 0 && info->spec.leg_id == 0)
		rc = -EINVAL;
	if (rc < 0)
		memset(info, 0, sizeof(*info));
	return rc;
}

/* ---- health ---- */

/* The health counts travel as named counters, so that new ones need no new attribute. */
#define HEALTH_COUNTS(X) \
	X(workers)       \
	X(legs)          \
	X(conferences)   \
	X(ports_up)      \
	X(ports)

static const char *const health_count_names[] = {
#define HEALTH_NAME(name) #name,
	HEALTH_COUNTS(HEALTH_NAME)
#undef HEALTH_NAME
};

static uint32_t *
health_count_field(struct dp_health *h, size_t i)
{
	uint32_t *fields[] = {
#define HEALTH_PTR(name) &h->name,
		HEALTH_COUNTS(HEALTH_PTR)
#undef HEALTH_PTR
	};

	return i < ARRAY_LEN(fields) ? fields[i] : NULL;
}

void
dp_proto_put_health(struct dp_msg_builder *b, const struct dp_health *h)
{
	struct dp_health c = *h;

	dp_mb_nest_begin(b, DP_ATTR_NEST_HEALTH);
	dp_mb_put(b, DP_ATTR_VERSION, c.version, strnlen(c.version, sizeof(c.version)));
	dp_mb_put(b, DP_ATTR_SRTP_BACKEND, c.srtp_backend,
		  strnlen(c.srtp_backend, sizeof(c.srtp_backend)));
	dp_mb_put_u64(b, DP_ATTR_UPTIME, c.uptime_s);
	for (size_t i = 0; i < ARRAY_LEN(health_count_names); i++)
		counter_put(b, health_count_names[i], *health_count_field(&c, i));
	dp_mb_nest_end(b);
}

static int
health_counter(const struct dp_attr *a, struct dp_health *h, uint32_t *seen)
{
	char name[DP_COUNTER_NAME_LEN];
	uint64_t value;
	int rc;

	rc = counter_get(a, name, sizeof(name), &value);
	if (rc < 0)
		return rc;
	for (size_t i = 0; i < ARRAY_LEN(health_count_names); i++) {
		if (strcmp(name, health_count_names[i]) != 0)
			continue;
		if ((*seen & (1u << i)) != 0 || value > UINT32_MAX)
			return -EINVAL;
		*seen |= 1u << i;
		*health_count_field(h, i) = (uint32_t)value;
		return 0;
	}
	return 0;
}

int
dp_proto_get_health(const struct dp_attr *nest, struct dp_health *h)
{
	uint64_t seen = 0;
	uint32_t counts_seen = 0;
	struct dp_attr_iter it;
	struct dp_attr a;
	int rc;

	memset(h, 0, sizeof(*h));
	if (nest->type != DP_ATTR_NEST_HEALTH)
		return -EINVAL;
	dp_attr_iter_init(&it, nest->val, nest->len);
	while ((rc = dp_attr_next(&it, &a)) > 0) {
		if (seen_once(&seen, HEALTH_SINGLES, a.type) < 0) {
			rc = -EINVAL;
			break;
		}
		switch (a.type) {
		case DP_ATTR_VERSION:
			rc = dp_attr_str(&a, h->version, sizeof(h->version));
			break;
		case DP_ATTR_SRTP_BACKEND:
			rc = dp_attr_str(&a, h->srtp_backend, sizeof(h->srtp_backend));
			break;
		case DP_ATTR_UPTIME:
			rc = dp_attr_u64(&a, &h->uptime_s);
			break;
		case DP_ATTR_NEST_COUNTER:
			rc = health_counter(&a, h, &counts_seen);
			break;
		default:
			rc = 0;
			break;
		}
		if (rc < 0)
			break;
	}
	if (rc == 0 && (!seen_has(seen, DP_ATTR_VERSION) || !seen_has(seen, DP_ATTR_UPTIME) ||
			h->ports_up > h->ports))
		rc = -EINVAL;
	if (rc < 0)
		memset(h, 0, sizeof(*h));
	return rc;
}

/* ---- statistics ---- */

static bool
stats_nest_type(uint16_t type)
{
	return type == DP_ATTR_NEST_STATS_PORT || type == DP_ATTR_NEST_STATS_LCORE ||
	       type == DP_ATTR_NEST_STATS_DROP;
}

void
dp_proto_put_stats_group(struct dp_msg_builder *b, uint16_t nest_type,
			 const struct dp_stats_group *g)
{
	if (b->err == 0 && (!stats_nest_type(nest_type) || g->n > DP_STATS_MAX_COUNTERS)) {
		b->err = -EINVAL;
		return;
	}
	dp_mb_nest_begin(b, nest_type);
	dp_mb_put(b, DP_ATTR_NAME, g->name, strnlen(g->name, sizeof(g->name)));
	dp_mb_put_u32(b, DP_ATTR_INDEX, g->index);
	if (nest_type == DP_ATTR_NEST_STATS_PORT)
		dp_mb_put_u8(b, DP_ATTR_LINK_UP, g->link_up ? 1 : 0);
	for (uint32_t i = 0; i < g->n; i++)
		counter_put(b, g->c[i].name, g->c[i].value);
	dp_mb_nest_end(b);
}

static int
stats_counter(const struct dp_attr *a, struct dp_stats_group *g)
{
	struct dp_named_counter *c;
	int rc;

	if (g->n == DP_STATS_MAX_COUNTERS)
		return -EINVAL;
	c = &g->c[g->n];
	rc = counter_get(a, c->name, sizeof(c->name), &c->value);
	if (rc < 0)
		return rc;
	for (uint32_t i = 0; i < g->n; i++)
		if (strcmp(g->c[i].name, c->name) == 0)
			return -EINVAL;
	g->n++;
	return 0;
}

int
dp_proto_get_stats_group(const struct dp_attr *nest, struct dp_stats_group *g)
{
	uint64_t seen = 0;
	struct dp_attr_iter it;
	struct dp_attr a;
	uint8_t up = 0;
	int rc;

	memset(g, 0, sizeof(*g));
	if (!stats_nest_type(nest->type))
		return -EINVAL;
	dp_attr_iter_init(&it, nest->val, nest->len);
	while ((rc = dp_attr_next(&it, &a)) > 0) {
		if (seen_once(&seen, STATS_SINGLES, a.type) < 0) {
			rc = -EINVAL;
			break;
		}
		switch (a.type) {
		case DP_ATTR_NAME:
			rc = attr_name(&a, g->name, sizeof(g->name));
			break;
		case DP_ATTR_INDEX:
			rc = dp_attr_u32(&a, &g->index);
			break;
		case DP_ATTR_LINK_UP:
			rc = dp_attr_u8(&a, &up);
			if (rc == 0 && up > 1)
				rc = -EINVAL;
			g->link_up = up == 1;
			break;
		case DP_ATTR_NEST_COUNTER:
			rc = stats_counter(&a, g);
			break;
		default:
			rc = 0;
			break;
		}
		if (rc < 0)
			break;
	}
	if (rc == 0 && !seen_has(seen, DP_ATTR_NAME))
		rc = -EINVAL;
	if (rc < 0)
		memset(g, 0, sizeof(*g));
	return rc;
}
