/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Fuzzes the SRTP and SRTCP receive paths. The input is a received packet: it is
 * unprotected with every suite's inbound context (its header length as a parser would
 * compute it, and unclamped), and as SRTCP with every suite's SRTCP context, against a
 * replay state taken from the input. Since random input never authenticates, the input is
 * also protected as RTP/RTCP and unprotected again (RTCP: under an index and with room
 * taken from the input, and once more with a bit flipped), so that decryption, index
 * estimation and the window run too; a round trip that passes must give the input back,
 * a refusal must leave the replay state as it was. Each packet lives in a buffer of its
 * exact size (protect: of the room it is given), so ASan sees any overread or overwrite.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dp_drop.h"
#include "dp_proto.h"
#include "dp_srtp.h"

#define FZ_SUITES 4

static const uint8_t fz_suites[FZ_SUITES] = {
	DP_SUITE_AES_CM_128_HMAC_SHA1_80,
	DP_SUITE_AES_CM_128_HMAC_SHA1_32,
	DP_SUITE_AEAD_AES_128_GCM,
	DP_SUITE_AEAD_AES_256_GCM,
};
static const size_t fz_master_len[FZ_SUITES] = { 30, 30, 28, 44 };

static struct dp_srtp_ctx *fz_in[FZ_SUITES];
static struct dp_srtp_ctx *fz_out[FZ_SUITES];
static struct dp_srtp_ctx *fz_rtcp_in[FZ_SUITES];
static struct dp_srtp_ctx *fz_rtcp_out[FZ_SUITES];

static void
fz_init(void)
{
	uint8_t master[46];

	for (unsigned int i = 0; i < sizeof(master); i++)
		master[i] = (uint8_t)(0x11 * i + 3);
	for (unsigned int s = 0; s < FZ_SUITES; s++) {
		fz_in[s] = dp_srtp_ctx_create(fz_suites[s], master, fz_master_len[s],
					      DP_SRTP_INBOUND);
		fz_out[s] = dp_srtp_ctx_create(fz_suites[s], master, fz_master_len[s],
					       DP_SRTP_OUTBOUND);
		fz_rtcp_in[s] = dp_srtcp_ctx_create(fz_suites[s], master, fz_master_len[s],
						    DP_SRTP_INBOUND);
		fz_rtcp_out[s] = dp_srtcp_ctx_create(fz_suites[s], master, fz_master_len[s],
						     DP_SRTP_OUTBOUND);
		if (fz_in[s] == NULL || fz_out[s] == NULL || fz_rtcp_in[s] == NULL ||
		    fz_rtcp_out[s] == NULL)
			abort();
	}
}

/* RTP header length from the first bytes: 12 + CSRCs + extension, not clamped. */
static size_t
fz_hdr_len(const uint8_t *p, size_t len)
{
	size_t h = 12;

	if (len < 12)
		return len;
	h += 4 * (size_t)(p[0] & 0x0f);
	if ((p[0] & 0x10) != 0 && h + 4 <= len)
		h += 4 + 4 * (size_t)((unsigned int)p[h + 2] << 8 | p[h + 3]);
	return h;
}

static uint64_t
fz_rd(const uint8_t *p, size_t len, size_t off, unsigned int n)
{
	uint64_t v = 0;

	for (unsigned int i = 0; i < n; i++)
		v = v << 8 | (off + i < len ? p[off + i] : 0);
	return v;
}

static void
fz_unprotect(unsigned int s, const uint8_t *data, size_t size, size_t hdr_len)
{
	struct dp_srtp_replay r = { 0 };
	struct dp_srtp_pkt p;
	uint8_t *buf = malloc(size ? size : 1);

	if (buf == NULL)
		abort();
	memcpy(buf, data, size);
	memset(&p, 0, sizeof(p));
	p.buf = buf;
	p.len = (uint32_t)size;
	p.hdr_len = hdr_len > UINT16_MAX ? UINT16_MAX : (uint16_t)hdr_len;
	p.ctx = fz_in[s];
	p.replay = &r;
	if (dp_srtp_unprotect_burst(&p, 1) != (p.status == 0 ? 1u : 0u))
		abort();
	if (p.status != 0 && p.len != size)
		abort();
	free(buf);
}

/* Protect then unprotect; a packet that passes must come back as it was. */
static void
fz_roundtrip(unsigned int s, const uint8_t *data, size_t size, size_t hdr_len)
{
	struct dp_srtp_replay r = { 0 };
	struct dp_srtp_pkt p;
	unsigned int tag = dp_srtp_tag_len(fz_out[s]);
	uint64_t index;
	uint8_t *buf;

	if (size < 12 || hdr_len > size)
		return;
	buf = malloc(size + tag);
	if (buf == NULL)
		abort();
	memcpy(buf, data, size);
	/* ROC from the input; a replay state from the input too */
	index = fz_rd(data, size, 4, 2) << 16 | fz_rd(data, size, 2, 2);
	r.started = (data[1] & 1) != 0;
	r.top = fz_rd(data, size, 4, 4) & 0xffffffffffffull;
	r.window[0] = fz_rd(data, size, 8, 4) * 0x9e3779b97f4a7c15ull;
	r.window[1] = ~r.window[0];
	memset(&p, 0, sizeof(p));
	p.buf = buf;
	p.out = buf;
	p.len = (uint32_t)size;
	p.hdr_len = (uint16_t)hdr_len;
	p.index = index;
	p.ctx = fz_out[s];
	if (dp_srtp_protect_burst(&p, 1) != 1 || p.len != size + tag || p.index != index)
		abort();
	p.ctx = fz_in[s];
	p.replay = &r;
	dp_srtp_unprotect_burst(&p, 1);
	if (p.status == 0 && (p.len != size || p.index != index || memcmp(buf, data, size) != 0))
		abort();
	if (p.status != 0 && p.status != DP_DROP_SRTP_AUTH && p.status != DP_DROP_SRTP_REPLAY)
		abort();
	free(buf);
}

/* An SRTCP replay state from the input (any top below 2^31, any window). */
static void
fz_srtcp_replay(struct dp_srtp_replay *r, const uint8_t *data, size_t size)
{
	memset(r, 0, sizeof(*r));
	r->started = size > 1 && (data[1] & 1) != 0;
	r->top = fz_rd(data, size, 12, 4) & DP_SRTCP_INDEX_MAX;
	r->window[0] = fz_rd(data, size, 16, 4) * 0x9e3779b97f4a7c15ull;
	r->window[1] = ~r->window[0];
}

/* Unprotects buf (len bytes); a refusal must leave len and the replay state alone. */
static int
fz_srtcp_unprotect_one(unsigned int s, struct dp_srtp_replay *r, uint8_t *buf, uint32_t len,
		       uint32_t *out_len)
{
	struct dp_srtp_replay before = *r;
	uint32_t tag = dp_srtp_tag_len(fz_rtcp_in[s]);
	int rc;

	*out_len = len;
	rc = dp_srtcp_unprotect(fz_rtcp_in[s], r, buf, out_len);
	if (rc == 0 && (len < 8 + 4 + tag || *out_len != len - 4 - tag))
		abort();
	if (rc != 0 && (*out_len != len || memcmp(&before, r, sizeof(before)) != 0))
		abort();
	if (rc != 0 && rc != DP_DROP_SRTCP_SHORT && rc != DP_DROP_SRTCP_AUTH &&
	    rc != DP_DROP_SRTCP_REPLAY)
		abort();
	if ((rc == DP_DROP_SRTCP_SHORT) != (len < 8 + 4 + tag))
		abort();
	return rc;
}

static void
fz_srtcp(unsigned int s, const uint8_t *data, size_t size)
{
	struct dp_srtp_replay r;
	uint32_t tag = dp_srtp_tag_len(fz_rtcp_out[s]);
	uint32_t len, index, cap, got;
	uint8_t *buf;
	int rc;

	/* the input as received SRTCP */
	buf = malloc(size ? size : 1);
	if (buf == NULL)
		abort();
	memcpy(buf, data, size);
	fz_srtcp_replay(&r, data, size);
	fz_srtcp_unprotect_one(s, &r, buf, (uint32_t)size, &got);
	if (dp_srtcp_ssrc(data, (uint32_t)size) !=
	    (size < 8 ? -1 : (int64_t)fz_rd(data, size, 4, 4)))
		abort();
	free(buf);

	/* the input as RTCP to send: an index and room from the input (often too little) */
	index = (uint32_t)fz_rd(data, size, 8, 4);
	if (size > 1 && (data[1] & 2) != 0)
		index &= DP_SRTCP_INDEX_MAX;
	cap = (uint32_t)size + (size > 0 ? data[0] & 31 : 0);
	buf = malloc(cap ? cap : 1);
	if (buf == NULL)
		abort();
	memcpy(buf, data, size);
	len = (uint32_t)size;
	rc = dp_srtcp_protect(fz_rtcp_out[s], index, buf, &len, cap);
	if ((rc == 0) != (size >= 8 && index >= 1 && index <= DP_SRTCP_INDEX_MAX &&
			  cap - size >= DP_SRTCP_TRAILER_MAX))
		abort();
	if (rc != 0) {
		if (rc != DP_DROP_SRTCP_ERROR || len != size)
			abort();
		free(buf);
		return;
	}
	if (len != size + 4 + tag)
		abort();
	/* a bit flipped anywhere never passes */
	if (size > 2) {
		uint8_t *forged = malloc(len);
		uint32_t at = (uint32_t)fz_rd(data, size, 2, 2) % len;

		if (forged == NULL)
			abort();
		memcpy(forged, buf, len);
		forged[at] ^= (uint8_t)(1u << (data[0] >> 5));
		fz_srtcp_replay(&r, data, size);
		if (fz_srtcp_unprotect_one(s, &r, forged, len, &got) == 0)
			abort();
		free(forged);
	}
	/* the genuine packet passes unless the window refuses its index */
	fz_srtcp_replay(&r, data, size);
	rc = fz_srtcp_unprotect_one(s, &r, buf, len, &got);
	if (rc == 0 && (got != size || memcmp(buf, data, size) != 0 || r.top < index))
		abort();
	if (rc != 0 && rc != DP_DROP_SRTCP_REPLAY)
		abort();
	free(buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int ready;
	size_t h;

	if (!ready) {
		fz_init();
		ready = 1;
	}
	if (size > 4096)
		return 0;
	h = fz_hdr_len(data, size);
	for (unsigned int s = 0; s < FZ_SUITES; s++) {
		fz_unprotect(s, data, size, h > size ? size : h);
		fz_unprotect(s, data, size, h);
		fz_roundtrip(s, data, size, h);
		fz_srtcp(s, data, size);
	}
	return 0;
}
