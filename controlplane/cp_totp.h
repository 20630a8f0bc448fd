/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * HOTP (RFC 4226) and TOTP (RFC 6238): 30-second steps from the Unix epoch, six digits,
 * HMAC-SHA1 and 160-bit secrets for people; SHA-256/512 and 8 digits exist for the RFC's
 * test vectors. Base32 (RFC 4648, no padding) and otpauth:// URIs for enrolment.
 *
 * Return convention: 0 (or a length) on success, negative errno on failure.
 */
#ifndef CP_TOTP_H
#define CP_TOTP_H

#include <stddef.h>
#include <stdint.h>

#define CP_TOTP_SECRET_LEN 20   /* 160 bits */
#define CP_TOTP_DIGITS 6
#define CP_TOTP_STEP_S 30
#define CP_TOTP_DRIFT 1         /* steps accepted before now (network delay) */

enum cp_totp_alg {
	CP_TOTP_SHA1 = 1,
	CP_TOTP_SHA256 = 256,
	CP_TOTP_SHA512 = 512,
};

/* The HOTP value (digits 6..8) of counter under key. 0 or -EINVAL. */
int cp_hotp(enum cp_totp_alg alg, const uint8_t *key, size_t key_len, uint64_t counter,
	    unsigned int digits, uint32_t *code);

/* The time step of a Unix time (64-bit: good beyond 2038). */
uint64_t cp_totp_step(uint64_t unix_time);

/*
 * Verifies a code typed by a person: exactly CP_TOTP_DIGITS ASCII digits. Tries the steps
 * now and now - CP_TOTP_DRIFT, comparing every candidate in constant time; a step at or
 * before last_step (the last one accepted for this user) is never accepted, so each code
 * works once. On success *step is the step that matched (the caller stores it atomically).
 * Returns 0, -EINVAL (not six digits), -EACCES (wrong or expired), -EALREADY (the code
 * matches a step already used).
 */
int cp_totp_verify(const uint8_t key[CP_TOTP_SECRET_LEN], const char *code, uint64_t now,
		   uint64_t last_step, uint64_t *step);

/* Base32 without padding, upper case. Returns the text length or -ENOSPC. */
int cp_base32_encode(const uint8_t *in, size_t len, char *out, size_t cap);
/* Base32, case-insensitive, padding optional, no other characters. Returns the byte count. */
int cp_base32_decode(const char *in, uint8_t *out, size_t cap);

/*
 * otpauth://totp/ISSUER:ACCOUNT?secret=BASE32&issuer=ISSUER&algorithm=SHA1&digits=6&period=30
 * with issuer and account percent-encoded. Returns the length or -ENOSPC / -EINVAL.
 */
int cp_totp_uri(const char *issuer, const char *account, const uint8_t key[CP_TOTP_SECRET_LEN],
		char *out, size_t cap);

#endif /* CP_TOTP_H */
