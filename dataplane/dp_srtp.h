/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * SRTP and SRTCP on the fast path (RFC 3711, RFC 7714), on OpenSSL EVP.
 *
 * The relay terminates SRTP on every hop: an inbound packet is replay-checked, authenticated
 * and decrypted with the sending leg's keys; every forwarded copy is encrypted with the
 * receiving leg's keys at the same packet index (the relay does not rewrite SSRC or SEQ, so
 * the ROC of a forwarded stream is the ROC of its source). Outbound contexts therefore keep
 * no per-stream state: the index travels with the packet.
 *
 * The API takes bursts (an array of packets in, a status per packet out) so that a
 * multi-buffer engine can replace the per-packet loop without touching the callers.
 * Results match libsrtp2 bit for bit (tests/unit/test_dp_srtp.c checks it).
 *
 * SRTCP (RFC 3711 3.4, RFC 7714 9) runs on the same primitives, one packet at a time (RTCP
 * is a few percent of the traffic): its contexts are keyed with the SRTCP labels, and the
 * caller owns the replay state and chooses the outbound SRTCP index.
 *
 * A context is used by one thread at a time (its leg's owner lcore); nothing here locks.
 */
#ifndef DP_SRTP_H
#define DP_SRTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DP_SRTP_MAX_TAG 16            /* the longest tag of any suite (GCM) */
#define DP_SRTP_KEY_LIMIT (1ull << 48) /* packets per master key, RFC 3711 9.2 */
#define DP_SRTP_REPLAY_WINDOW 128

enum dp_srtp_dir {
	DP_SRTP_INBOUND = 0,          /* unprotect: verify and decrypt */
	DP_SRTP_OUTBOUND = 1,         /* protect: encrypt and tag */
};

struct dp_srtp_ctx;

/*
 * Derives the RTP session keys (RFC 3711 4.3, key derivation rate 0) from master = key ||
 * salt for suite (enum dp_suite) and keys the OpenSSL contexts. Returns NULL when the
 * suite is unknown, master_len is not the suite's key + salt length, or OpenSSL fails.
 * The master and the derived keys are not kept beyond what OpenSSL holds; the caller wipes
 * its copy of master.
 */
struct dp_srtp_ctx *dp_srtp_ctx_create(uint8_t suite, const uint8_t *master, size_t master_len,
				       enum dp_srtp_dir dir);
void dp_srtp_ctx_free(struct dp_srtp_ctx *ctx);

/* Tag length of the context's suite: 10, 4 or 16. */
unsigned int dp_srtp_tag_len(const struct dp_srtp_ctx *ctx);
/* Packets processed with this context's key so far (those that failed do not count). */
uint64_t dp_srtp_packets(const struct dp_srtp_ctx *ctx);

/* Replay and ROC state of one inbound SSRC (RFC 3711 3.3.1, 3.3.2). Zero means "no packet yet". */
struct dp_srtp_replay {
	uint64_t top;                 /* highest authenticated index (ROC << 16 | SEQ; for
					 SRTCP the SRTCP index) */
	uint64_t window[DP_SRTP_REPLAY_WINDOW / 64]; /* bit k: index top - k was seen */
	bool started;
};

/* One packet of a burst. */
struct dp_srtp_pkt {
	uint8_t *buf;                 /* start of the RTP header */
	uint8_t *out;                 /* protect: where the SRTP packet goes (== buf for in place);
					 needs len + tag bytes. unprotect: unused */
	uint32_t len;                 /* in: packet length (with tag for unprotect); out: new length */
	uint16_t hdr_len;             /* RTP header incl. CSRCs and extension (dp_rtp_parse) */
	uint16_t seq;                 /* for the caller: the crypto reads SEQ and SSRC from */
	uint32_t ssrc;                /* the header itself */
	uint64_t index;               /* unprotect: out; protect: in (ROC << 16 | SEQ; the ROC
					 is taken from it, SEQ from the header) */
	struct dp_srtp_ctx *ctx;
	struct dp_srtp_replay *replay; /* unprotect only */
	uint16_t status;              /* out: 0, or enum dp_drop: SRTP_SHORT, SRTP_AUTH, SRTP_REPLAY,
					 SRTP_KEY_LIMIT */
};

/*
 * Unprotects n packets in place, in order (packets of the same stream may follow each other).
 * Per packet (RFC 3711 3.3): estimate the index from pkt->replay, reject a replay, verify the
 * tag, decrypt, and only then update the replay state. A packet that fails changes no state;
 * its bytes are unspecified afterwards (AES-GCM decrypts while it verifies), so it is dropped.
 * Returns the number of packets with status 0.
 */
unsigned int dp_srtp_unprotect_burst(struct dp_srtp_pkt *pkts, unsigned int n);

/*
 * Protects n packets: copies the header to out (unless out == buf), encrypts the payload
 * into out and appends the tag; len becomes the SRTP length. out is buf or does not overlap
 * it. Returns the number with status 0.
 */
unsigned int dp_srtp_protect_burst(struct dp_srtp_pkt *pkts, unsigned int n);

/*
 * Index estimation alone (RFC 3711 3.3.1 / appendix A), exposed for tests: the index of
 * `seq` given the replay state (top). Returns seq itself when the state has not started.
 */
uint64_t dp_srtp_estimate_index(const struct dp_srtp_replay *r, uint16_t seq);

/* Longest trailer an outbound SRTCP packet gets after its RTCP bytes: E flag and index (4)
 * and the tag (16 for GCM); no MKI. */
#define DP_SRTCP_TRAILER_MAX 20
#define DP_SRTCP_INDEX_MAX 0x7fffffffu

/*
 * A context for SRTCP: session keys derived with the SRTCP labels (3, 4, 5) from master =
 * key || salt. The AES-CM suites both use an 80-bit SRTCP tag (the 32-bit tag is for SRTP
 * only, RFC 4568 6.2.1), GCM 16 bytes. Same return and wiping rules as dp_srtp_ctx_create.
 * dp_srtp_tag_len(), dp_srtp_packets() and dp_srtp_ctx_free() work on it.
 */
struct dp_srtp_ctx *dp_srtcp_ctx_create(uint8_t suite, const uint8_t *master, size_t master_len,
					enum dp_srtp_dir dir);

/* The sender SSRC of an SRTCP packet (bytes 4..7), or -1 when len < 8: what the caller keys
 * its replay state on before dp_srtcp_unprotect. */
int64_t dp_srtcp_ssrc(const uint8_t *pkt, uint32_t len);

/*
 * Unprotects one SRTCP packet in place: reads the E flag and 31-bit index from the trailer,
 * rejects a replay against r (a struct dp_srtp_replay used with SRTCP indexes: top is the
 * highest index, the same 128-packet window), verifies the tag in constant time, decrypts,
 * and only then records the index in r. *len becomes the RTCP length. Returns 0 or enum
 * dp_drop: DP_DROP_SRTCP_SHORT (shorter than 8 + 4 + tag), DP_DROP_SRTCP_AUTH (tag, or the
 * E flag is 0: the relay accepts only encrypted SRTCP), DP_DROP_SRTCP_REPLAY. (No key limit:
 * 2^31 indexes bound SRTCP.) A packet that fails changes no state; its bytes are unspecified
 * afterwards.
 */
int dp_srtcp_unprotect(struct dp_srtp_ctx *ctx, struct dp_srtp_replay *r, uint8_t *pkt,
		       uint32_t *len);

/*
 * Protects one RTCP compound packet in place under SRTCP index `index` (1..DP_SRTCP_INDEX_MAX,
 * chosen by the caller, who must never use one twice under a key): encrypts everything after
 * the first 8 bytes, writes E=1 and the index, and the tag. cap is the writable room from
 * pkt, at least *len + DP_SRTCP_TRAILER_MAX. *len becomes the SRTCP length. 0 or
 * DP_DROP_SRTCP_ERROR (len < 8, no room, index out of range, OpenSSL failure).
 */
int dp_srtcp_protect(struct dp_srtp_ctx *ctx, uint32_t index, uint8_t *pkt, uint32_t *len,
		     uint32_t cap);

/* Constant-time comparison: 0 when equal. */
int dp_srtp_memcmp_ct(const void *a, const void *b, size_t len);

#endif /* DP_SRTP_H */
