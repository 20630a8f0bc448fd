/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Codec of the control socket protocol; dp_proto.h holds the wire format and the return
 * convention. Every length is checked before the bytes it covers are read, nothing here
 * allocates, and no value is trusted before its decoder has validated it.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "dp_be.h"
#include "dp_proto.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

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
	if (dp_load_be32(buf) != DP_PROTO_MAGIC)
		return -EPROTO;
	if (dp_load_be16(buf + 4) != DP_PROTO_VERSION)
		return -EPROTONOSUPPORT;
	/* Judged from the header alone, so that a peer cannot make us wait for a huge body. */
	total = (uint64_t)DP_MSG_HDR_LEN + dp_load_be32(buf + 8);
	if (total > DP_MSG_MAX)
		return -EMSGSIZE;
	if (len < total)
		return -EAGAIN;
	msg->type = dp_load_be16(buf + 6);
	msg->len = dp_load_be32(buf + 8);
	msg->seq = dp_load_be32(buf + 12);
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
	dp_store_be32(buf, DP_PROTO_MAGIC);
	dp_store_be16(buf + 4, DP_PROTO_VERSION);
	dp_store_be16(buf + 6, type);
	dp_store_be32(buf + 8, 0);
	dp_store_be32(buf + 12, seq);
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
	dp_store_be16(p, type);
	dp_store_be16(p + 2, (uint16_t)vlen);
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

/* Appends an integer attribute: v in width big-endian bytes. */
static void
mb_put_uint(struct dp_msg_builder *b, uint16_t type, uint64_t v, size_t width)
{
	uint8_t *p = mb_reserve(b, type, width);

	if (p == NULL)
		return;
	for (size_t i = width; i > 0; i--, v >>= 8)
		p[i - 1] = (uint8_t)v;
}

void
dp_mb_put_u8(struct dp_msg_builder *b, uint16_t type, uint8_t v)
{
	mb_put_uint(b, type, v, sizeof(v));
}

void
dp_mb_put_u16(struct dp_msg_builder *b, uint16_t type, uint16_t v)
{
	mb_put_uint(b, type, v, sizeof(v));
}

void
dp_mb_put_u32(struct dp_msg_builder *b, uint16_t type, uint32_t v)
{
	mb_put_uint(b, type, v, sizeof(v));
}

void
dp_mb_put_u64(struct dp_msg_builder *b, uint16_t type, uint64_t v)
{
	mb_put_uint(b, type, v, sizeof(v));
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
		dp_store_be16(p + sizeof(ep->ip), ep->port);
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
	dp_store_be16(b->buf + b->len, type);
	dp_store_be16(b->buf + b->len + 2, 0);
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
	dp_store_be16(b->buf + off + 2, (uint16_t)vlen);
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
	dp_store_be32(b->buf + 8, (uint32_t)(b->len - DP_MSG_HDR_LEN));
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
	vlen = dp_load_be16(it->p + 2);
	if (vlen > it->left - DP_ATTR_HDR_LEN)
		return -EPROTO;
	a->type = dp_load_be16(it->p);
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

/* An integer attribute: exactly width big-endian bytes. */
static int
attr_uint(const struct dp_attr *a, size_t width, uint64_t *v)
{
	uint64_t x = 0;

	if (a->len != width)
		return -EPROTO;
	for (size_t i = 0; i < width; i++)
		x = x << 8 | a->val[i];
	*v = x;
	return 0;
}

int
dp_attr_u8(const struct dp_attr *a, uint8_t *v)
{
	uint64_t x;

	if (attr_uint(a, sizeof(*v), &x) < 0)
		return -EPROTO;
	*v = (uint8_t)x;
	return 0;
}

int
dp_attr_u16(const struct dp_attr *a, uint16_t *v)
{
	uint64_t x;

	if (attr_uint(a, sizeof(*v), &x) < 0)
		return -EPROTO;
	*v = (uint16_t)x;
	return 0;
}

int
dp_attr_u32(const struct dp_attr *a, uint32_t *v)
{
	uint64_t x;

	if (attr_uint(a, sizeof(*v), &x) < 0)
		return -EPROTO;
	*v = (uint32_t)x;
	return 0;
}

int
dp_attr_u64(const struct dp_attr *a, uint64_t *v)
{
	return attr_uint(a, sizeof(*v), v);
}

int
dp_attr_endpoint(const struct dp_attr *a, struct dp_endpoint *ep)
{
	if (a->len != sizeof(ep->ip) + 2)
		return -EPROTO;
	memcpy(ep->ip, a->val, sizeof(ep->ip));
	ep->port = dp_load_be16(a->val + sizeof(ep->ip));
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

/* Where a walk through the attributes of one nest stands. */
struct nest_walk {
	void *out;                    /* what the nest decodes into */
	uint64_t seen;                /* single-valued types met so far */
	uint32_t counters_seen;       /* named counters met so far (counter_fields_get) */
};

/* How to decode one kind of nest. */
struct nest_kind {
	uint64_t singles;             /* its single-valued types (seen_once) */
	int (*attr)(const struct dp_attr *a, struct nest_walk *w);  /* one attribute */
	bool (*complete)(const struct nest_walk *w);                /* once all are read */
};

/*
 * Decodes a nest into out (out_len bytes): out starts zeroed, each attribute goes to
 * kind->attr once seen_once has passed it, the first error stops, and out is zeroed again
 * when the nest is refused. 0, -EPROTO when the attributes overrun the nest, -EINVAL when
 * type_ok is false or the nest is incomplete, or the error of kind->attr.
 */
static int
nest_decode(const struct dp_attr *nest, bool type_ok, const struct nest_kind *kind, void *out,
	    size_t out_len)
{
	struct nest_walk w = { .out = out };
	struct dp_attr_iter it;
	struct dp_attr a;
	int rc;

	memset(out, 0, out_len);
	if (!type_ok)
		return -EINVAL;
	dp_attr_iter_init(&it, nest->val, nest->len);
	while ((rc = dp_attr_next(&it, &a)) > 0) {
		rc = seen_once(&w.seen, kind->singles, a.type);
		if (rc == 0)
			rc = kind->attr(&a, &w);
		if (rc < 0)
			break;
	}
	if (rc == 0 && !kind->complete(&w))
		rc = -EINVAL;
	if (rc < 0)
		memset(out, 0, out_len);
	return rc;
}

static int
counter_attr(const struct dp_attr *a, struct nest_walk *w)
{
	struct dp_named_counter *c = w->out;

	switch (a->type) {
	case DP_ATTR_NAME:
		return attr_name(a, c->name, sizeof(c->name));
	case DP_ATTR_COUNTER:
		return dp_attr_u64(a, &c->value);
	default:
		return 0;
	}
}

static bool
counter_complete(const struct nest_walk *w)
{
	return seen_has(w->seen, DP_ATTR_NAME) && seen_has(w->seen, DP_ATTR_COUNTER);
}

/* Reads one DP_ATTR_NEST_COUNTER: exactly one NAME and one COUNTER. */
static int
counter_get(const struct dp_attr *nest, struct dp_named_counter *c)
{
	static const struct nest_kind kind = { COUNTER_SINGLES, counter_attr, counter_complete };

	return nest_decode(nest, true, &kind, c, sizeof(*c));
}

static void
counter_put(struct dp_msg_builder *b, const char *name, uint64_t value)
{
	dp_mb_nest_begin(b, DP_ATTR_NEST_COUNTER);
	dp_mb_put_str(b, DP_ATTR_NAME, name);
	dp_mb_put_u64(b, DP_ATTR_COUNTER, value);
	dp_mb_nest_end(b);
}

/*
 * A count that travels as a NEST_COUNTER named after its field, so that new ones need no
 * new attribute: where the field lies in its struct, and its size (uint32_t or uint64_t).
 */
struct counter_field {
	const char *name;
	size_t offset;
	size_t size;
};

#define COUNTER_FIELD(type, field) \
	{ #field, offsetof(type, field), sizeof(((type *)NULL)->field) }

static uint64_t
counter_field_load(const void *base, const struct counter_field *f)
{
	const void *p = (const uint8_t *)base + f->offset;

	return f->size == sizeof(uint32_t) ? *(const uint32_t *)p : *(const uint64_t *)p;
}

static void
counter_field_store(void *base, const struct counter_field *f, uint64_t value)
{
	void *p = (uint8_t *)base + f->offset;

	if (f->size == sizeof(uint32_t))
		*(uint32_t *)p = (uint32_t)value;
	else
		*(uint64_t *)p = value;
}

static void
counter_fields_put(struct dp_msg_builder *b, const struct counter_field *fields, size_t n,
		   const void *base)
{
	for (size_t i = 0; i < n; i++)
		counter_put(b, fields[i].name, counter_field_load(base, &fields[i]));
}

/*
 * Reads one NEST_COUNTER into the field of base that it names: each name once (bit i of
 * *seen stands for fields[i]) and a value the field holds whole. A name this reader does
 * not know passes.
 */
static int
counter_fields_get(const struct dp_attr *a, const struct counter_field *fields, size_t n,
		   void *base, uint32_t *seen)
{
	struct dp_named_counter c;
	int rc;

	rc = counter_get(a, &c);
	if (rc < 0)
		return rc;
	for (size_t i = 0; i < n; i++) {
		if (strcmp(c.name, fields[i].name) != 0)
			continue;
		if ((*seen & (1u << i)) != 0 ||
		    (fields[i].size == sizeof(uint32_t) && c.value > UINT32_MAX))
			return -EINVAL;
		*seen |= 1u << i;
		counter_field_store(base, &fields[i], c.value);
		return 0;
	}
	return 0;
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

/* Validates a key's length, when the spec has it: the suite's when known, else any suite's. */
static int
leg_key_check(const struct dp_leg_spec *spec, uint32_t has, uint8_t len, const char **why,
	      const char *mismatch, const char *unknown)
{
	if ((spec->has & has) == 0)
		return 0;
	if ((spec->has & DP_LEG_HAS_SUITE) != 0) {
		if (len != dp_suite_key_len(spec->suite) + dp_suite_salt_len(spec->suite))
			return fail(why, -EINVAL, mismatch);
	} else if (!suite_master_len_known(len)) {
		return fail(why, -EINVAL, unknown);
	}
	return 0;
}

/*
 * A field that a leg spec and a leg info carry alike, checked alike: 0, -EPROTO for a
 * wrong length or -EINVAL for a bad value, with *why. Other types pass untouched.
 */
static int
leg_field(const struct dp_attr *a, struct dp_leg_spec *spec, const char **why)
{
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
		break;
	}
	return 0;
}

/* A key of a NEST_LEG: master key || salt, the suite's length checked once all is read. */
static int
leg_key(const struct dp_attr *a, uint8_t *key, uint8_t *key_len)
{
	if (a->len == 0 || a->len > DP_MASTER_MAX)
		return -EPROTO;
	memcpy(key, a->val, a->len);
	*key_len = (uint8_t)a->len;
	return 0;
}

/* One attribute of a NEST_LEG. */
static int
leg_attr(const struct dp_attr *a, struct dp_leg_spec *spec, uint64_t *seen, const char **why)
{
	int rc;

	if (seen_once(seen, LEG_SINGLES, a->type) < 0)
		return fail(why, -EINVAL, "duplicate attribute");
	switch (a->type) {
	case DP_ATTR_KEY_IN:
		if (leg_key(a, spec->key_in, &spec->key_in_len) < 0)
			return fail(why, -EPROTO, "key_in has a wrong length");
		spec->has |= DP_LEG_HAS_KEY_IN;
		return 0;
	case DP_ATTR_KEY_OUT:
		if (leg_key(a, spec->key_out, &spec->key_out_len) < 0)
			return fail(why, -EPROTO, "key_out has a wrong length");
		spec->has |= DP_LEG_HAS_KEY_OUT;
		return 0;
	case DP_ATTR_REMOTE:
		rc = leg_field(a, spec, why);
		if (rc == 0 && endpoint_unspecified(&spec->remote))
			return fail(why, -EINVAL, "remote address is unspecified");
		return rc;
	default:
		return leg_field(a, spec, why);  /* unknown types: a newer peer's, ignored */
	}
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
	rc = leg_key_check(spec, DP_LEG_HAS_KEY_IN, spec->key_in_len, why,
			   "key_in length does not match suite", "key_in length matches no suite");
	if (rc < 0)
		return rc;
	return leg_key_check(spec, DP_LEG_HAS_KEY_OUT, spec->key_out_len, why,
			     "key_out length does not match suite",
			     "key_out length matches no suite");
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

#define LEG_COUNTER_ENTRY(name) COUNTER_FIELD(struct dp_leg_counters, name),
static const struct counter_field leg_counter_fields[] = {
	DP_LEG_COUNTERS(LEG_COUNTER_ENTRY)
};
#undef LEG_COUNTER_ENTRY

void
dp_proto_put_leg_info(struct dp_msg_builder *b, const struct dp_leg_info *info)
{
	const struct dp_leg_spec *s = &info->spec;
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
	counter_fields_put(b, leg_counter_fields, ARRAY_LEN(leg_counter_fields), &info->counters);
	dp_mb_nest_end(b);
}

static int
leg_info_attr(const struct dp_attr *a, struct nest_walk *w)
{
	struct dp_leg_info *info = w->out;
	const char *why;

	switch (a->type) {
	case DP_ATTR_OWNER:
		return dp_attr_u16(a, &info->owner_lcore);
	case DP_ATTR_LATCHED:
		if (dp_attr_endpoint(a, &info->latched_ep) < 0)
			return -EPROTO;
		info->latched = true;
		return info->latched_ep.port != 0 ? 0 : -EINVAL;
	case DP_ATTR_NEST_COUNTER:
		return counter_fields_get(a, leg_counter_fields, ARRAY_LEN(leg_counter_fields),
					  &info->counters, &w->counters_seen);
	default:
		/* keys included: a leg info never carries them */
		return leg_field(a, &info->spec, &why);
	}
}

static bool
leg_info_complete(const struct nest_walk *w)
{
	const struct dp_leg_info *info = w->out;

	return info->spec.leg_id != 0;
}

int
dp_proto_get_leg_info(const struct dp_attr *nest, struct dp_leg_info *info)
{
	static const struct nest_kind kind = { LEG_INFO_SINGLES, leg_info_attr,
					       leg_info_complete };

	return nest_decode(nest, nest->type == DP_ATTR_NEST_LEG_INFO, &kind, info, sizeof(*info));
}

/* ---- health ---- */

/* The health counts travel as named counters. */
static const struct counter_field health_count_fields[] = {
	COUNTER_FIELD(struct dp_health, workers),
	COUNTER_FIELD(struct dp_health, legs),
	COUNTER_FIELD(struct dp_health, conferences),
	COUNTER_FIELD(struct dp_health, ports_up),
	COUNTER_FIELD(struct dp_health, ports),
};

void
dp_proto_put_health(struct dp_msg_builder *b, const struct dp_health *h)
{
	dp_mb_nest_begin(b, DP_ATTR_NEST_HEALTH);
	dp_mb_put(b, DP_ATTR_VERSION, h->version, strnlen(h->version, sizeof(h->version)));
	dp_mb_put(b, DP_ATTR_SRTP_BACKEND, h->srtp_backend,
		  strnlen(h->srtp_backend, sizeof(h->srtp_backend)));
	dp_mb_put_u64(b, DP_ATTR_UPTIME, h->uptime_s);
	counter_fields_put(b, health_count_fields, ARRAY_LEN(health_count_fields), h);
	dp_mb_nest_end(b);
}

static int
health_attr(const struct dp_attr *a, struct nest_walk *w)
{
	struct dp_health *h = w->out;

	switch (a->type) {
	case DP_ATTR_VERSION:
		return dp_attr_str(a, h->version, sizeof(h->version));
	case DP_ATTR_SRTP_BACKEND:
		return dp_attr_str(a, h->srtp_backend, sizeof(h->srtp_backend));
	case DP_ATTR_UPTIME:
		return dp_attr_u64(a, &h->uptime_s);
	case DP_ATTR_NEST_COUNTER:
		return counter_fields_get(a, health_count_fields, ARRAY_LEN(health_count_fields),
					  h, &w->counters_seen);
	default:
		return 0;
	}
}

static bool
health_complete(const struct nest_walk *w)
{
	const struct dp_health *h = w->out;

	return seen_has(w->seen, DP_ATTR_VERSION) && seen_has(w->seen, DP_ATTR_UPTIME) &&
	       h->ports_up <= h->ports;
}

int
dp_proto_get_health(const struct dp_attr *nest, struct dp_health *h)
{
	static const struct nest_kind kind = { HEALTH_SINGLES, health_attr, health_complete };

	return nest_decode(nest, nest->type == DP_ATTR_NEST_HEALTH, &kind, h, sizeof(*h));
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
	rc = counter_get(a, c);
	if (rc < 0)
		return rc;
	for (uint32_t i = 0; i < g->n; i++)
		if (strcmp(g->c[i].name, c->name) == 0)
			return -EINVAL;
	g->n++;
	return 0;
}

static int
stats_attr(const struct dp_attr *a, struct nest_walk *w)
{
	struct dp_stats_group *g = w->out;
	uint8_t up = 0;
	int rc;

	switch (a->type) {
	case DP_ATTR_NAME:
		return attr_name(a, g->name, sizeof(g->name));
	case DP_ATTR_INDEX:
		return dp_attr_u32(a, &g->index);
	case DP_ATTR_LINK_UP:
		rc = dp_attr_u8(a, &up);
		if (rc == 0 && up > 1)
			rc = -EINVAL;
		g->link_up = up == 1;
		return rc;
	case DP_ATTR_NEST_COUNTER:
		return stats_counter(a, g);
	default:
		return 0;
	}
}

static bool
stats_complete(const struct nest_walk *w)
{
	return seen_has(w->seen, DP_ATTR_NAME);
}

int
dp_proto_get_stats_group(const struct dp_attr *nest, struct dp_stats_group *g)
{
	static const struct nest_kind kind = { STATS_SINGLES, stats_attr, stats_complete };

	return nest_decode(nest, stats_nest_type(nest->type), &kind, g, sizeof(*g));
}
