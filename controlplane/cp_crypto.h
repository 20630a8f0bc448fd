/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The control plane's cryptography, the one file that calls OpenSSL's libcrypto (TLS is in
 * cp_tls.c): random bytes, hashes and MACs, constant-time comparison, wiping, encodings, and
 * the local keyring that seals secrets before they go to Redis.
 *
 * Keyring file (sluice-cp's `key_file`, made by `sluice-cp --gen-key FILE`): text, one key a
 * line, "ID HEX" with ID 1..255 and HEX 64 hex digits (32 bytes); '#' starts a comment line.
 * The first key seals; every key opens (rotation: put a new key first, keep the old ones until
 * every sealed value has been rewritten or has expired). The file must be a regular file not
 * readable or writable by group or others.
 *
 * Sealed value: u8 key id | 12-byte random nonce | ciphertext | 16-byte tag (AES-256-GCM).
 * The associated data names what the value is ("totp:alice", "leg:42:in"), so that a value
 * moved to another Redis field does not open.
 *
 * Return convention: int functions return 0 (or a length) on success and a negative errno:
 *   -EINVAL bad input or encoding, -ENOSPC output buffer too small, -EACCES a seal that does
 *   not open (wrong key, tampered, wrong AAD), -ENOKEY no key with that id, -EIO OpenSSL failed,
 *   -EPERM key file permissions too open, other -errno from the file system.
 */
#ifndef CP_CRYPTO_H
#define CP_CRYPTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CP_KEY_LEN 32
#define CP_SHA256_LEN 32
#define CP_SHA1_LEN 20
#define CP_SEAL_NONCE_LEN 12
#define CP_SEAL_TAG_LEN 16
#define CP_SEAL_OVERHEAD (1 + CP_SEAL_NONCE_LEN + CP_SEAL_TAG_LEN)
#define CP_KEYRING_MAX 16

/* Fills buf with len random bytes (OpenSSL DRBG). 0 or -EIO. */
int cp_random(void *buf, size_t len);
/* A uniformly random u32 in 1..UINT32_MAX (ids: 0 is never valid). */
uint32_t cp_random_id(void);

/* Overwrites memory so that the compiler cannot drop it. */
void cp_wipe(void *p, size_t len);
/* Constant-time equality of two buffers of the same length. */
bool cp_equal(const void *a, const void *b, size_t len);
/* Constant-time equality of two strings (time depends on the lengths only). */
bool cp_str_equal(const char *a, const char *b);

void cp_sha256(const void *data, size_t len, uint8_t out[CP_SHA256_LEN]);
void cp_hmac_sha256(const void *key, size_t key_len, const void *data, size_t len,
		    uint8_t out[CP_SHA256_LEN]);
/* HMAC with SHA-1, SHA-256 or SHA-512 (md: 1, 256, 512), for HOTP. Returns the MAC length
 * (20, 32, 64) or -EINVAL. out must hold 64 bytes. */
int cp_hmac(int md, const void *key, size_t key_len, const void *data, size_t len, uint8_t *out);

/* Lower-case hex; out holds 2 * len + 1. Returns 2 * len or -ENOSPC. */
int cp_hex_encode(const void *in, size_t len, char *out, size_t cap);
/* Hex (either case) to bytes; returns the byte count or -EINVAL / -ENOSPC. */
int cp_hex_decode(const char *in, uint8_t *out, size_t cap);
/*
 * Digits of a power-of-two radix (hex, base32, base64): each range lo..hi of characters
 * stands for the values first, first + 1, ... A decoder tests every range for every
 * character, so its time does not depend on the text (keys pass through it).
 */
struct cp_alphabet {
	unsigned int bits;            /* per digit: 4, 5 or 6 */
	unsigned int n;               /* ranges used */
	struct {
		unsigned char lo, hi, first;
	} r[5];
};
extern const struct cp_alphabet cp_alphabet_hex;
extern const struct cp_alphabet cp_alphabet_b64;   /* RFC 4648 section 4, no padding */
/*
 * Decodes n digits (no padding) into out, which holds n * bits / 8 bytes; bits left over
 * after the last byte must be zero. Returns the byte count, or -EINVAL (out wiped).
 */
int cp_radix_decode(const struct cp_alphabet *a, const char *in, size_t n, uint8_t *out);

/* Standard base64 with padding (RFC 4648 §4), as SDES inline keys use. NUL-terminated. */
int cp_b64_encode(const void *in, size_t len, char *out, size_t cap);
/* Strict: padding required, no whitespace, no trailing bits set. Returns the byte count. */
int cp_b64_decode(const char *in, uint8_t *out, size_t cap);
/* base64url without padding (RFC 4648 §5), for bearer tokens. */
int cp_b64url_encode(const void *in, size_t len, char *out, size_t cap);
int cp_b64url_decode(const char *in, uint8_t *out, size_t cap);

struct cp_keyring {
	unsigned int n;
	uint8_t id[CP_KEYRING_MAX];
	uint8_t key[CP_KEYRING_MAX][CP_KEY_LEN];
};

/* Loads a keyring file; errors name the line in err. 0 or -errno (the ring is wiped). */
int cp_keyring_load(const char *path, struct cp_keyring *ring, char *err, size_t err_len);
/* Parses keyring text (the file's content, len bytes, NUL bytes refused); as cp_keyring_load. */
int cp_keyring_parse(const char *text, size_t len, struct cp_keyring *ring, char *err,
		     size_t err_len);
/* Creates a new keyring file with one random key (mode 0600, fails if it exists). */
int cp_keyring_generate(const char *path);
void cp_keyring_wipe(struct cp_keyring *ring);

/* Seals len bytes; out needs len + CP_SEAL_OVERHEAD. Returns the sealed length. */
int cp_seal(const struct cp_keyring *ring, const char *aad, const void *in, size_t len,
	    uint8_t *out, size_t cap);
/* Opens a sealed value; out needs len - CP_SEAL_OVERHEAD. Returns the plaintext length. */
int cp_open(const struct cp_keyring *ring, const char *aad, const uint8_t *in, size_t len,
	    uint8_t *out, size_t cap);

/*
 * A keyed hash for values looked up by hash (bearer tokens, recovery codes): HMAC-SHA256
 * under a subkey derived from the keyring's last key and `purpose`, as lower-case hex
 * (65 bytes with the NUL). A Redis dump alone cannot be used to test guesses. The last key
 * is the oldest: a rotation puts a new key first and keeps the old ones (they open what they
 * sealed), so sessions and recovery codes outlive it.
 */
#define CP_LOOKUP_HASH_LEN 65
void cp_lookup_hash(const struct cp_keyring *ring, const char *purpose, const void *data,
		    size_t len, char out[CP_LOOKUP_HASH_LEN]);

#endif /* CP_CRYPTO_H */
