/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * SRTCP (RFC 3711 3.4, RFC 7714 9) through libsrtp2. The only file of the product that
 * includes <srtp2/srtp.h> is dp_srtcp.c; libsrtp2's status codes do not leave it.
 *
 * One struct dp_srtcp per leg holds two libsrtp2 sessions: inbound (the leg's key, any
 * SSRC, streams created on the first authenticated packet) and outbound (the relay's key
 * for that leg, a stream per forwarded sender SSRC with its own SRTCP index). Each session
 * is made when its direction's first packet comes: dp_srtcp_create() only checks and keeps
 * the master keys (wiped once the session holds them, or at dp_srtcp_free()), so that a
 * leg install does not pay for libsrtp2's setup.
 * Used only by the leg's owner lcore, which makes the sessions; the control thread creates
 * and frees the struct before the owner sees it and after it no longer can.
 */
#ifndef DP_SRTCP_H
#define DP_SRTCP_H

#include <stddef.h>
#include <stdint.h>

/* Room an outbound SRTCP packet needs after the RTCP bytes: E-flag/index, MKI, tag. */
#define DP_SRTCP_MAX_TRAILER 32

/* Once per process, before any other call. 0 or -1. */
int dp_srtcp_init(void);
void dp_srtcp_shutdown(void);

/* "AES-128 counter mode using openssl": which crypto library libsrtp2 runs on. */
const char *dp_srtcp_backend(void);
/* libsrtp2's version string. */
const char *dp_srtcp_version(void);

struct dp_srtcp;

/* NULL when the suite is unknown, a key is missing or its length does not match the suite. */
struct dp_srtcp *dp_srtcp_create(uint8_t suite, const uint8_t *key_in, size_t in_len,
				 const uint8_t *key_out, size_t out_len);
void dp_srtcp_free(struct dp_srtcp *s);

/* In place; *len becomes the RTCP length. 0 or enum dp_drop (SRTCP_SHORT, SRTCP_AUTH,
 * SRTCP_REPLAY, SRTCP_ERROR: also when libsrtp2 cannot make the session, out of memory). */
int dp_srtcp_unprotect(struct dp_srtcp *s, uint8_t *pkt, uint32_t *len);

/* In place; cap is the writable room from pkt, at least *len + DP_SRTCP_MAX_TRAILER.
 * 0 or DP_DROP_SRTCP_ERROR. */
int dp_srtcp_protect(struct dp_srtcp *s, uint8_t *pkt, uint32_t *len, uint32_t cap);

#endif /* DP_SRTCP_H */
