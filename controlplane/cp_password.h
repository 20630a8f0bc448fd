/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Password hashing with Argon2id at OWASP's parameters (m = 19 MiB, t = 2, p = 1, 16-byte
 * random salt, 32-byte hash), stored in the PHC string format ("$argon2id$v=19$m=...").
 * The one file that calls libargon2.
 *
 * Return convention: 0 on success, negative errno: -EINVAL (policy or encoding), -EACCES
 * (mismatch), -ENOSPC, -ENOMEM, -EIO.
 */
#ifndef CP_PASSWORD_H
#define CP_PASSWORD_H

#include <stddef.h>

#define CP_PASSWORD_HASH_MAX 128
#define CP_PASSWORD_MIN 12      /* characters (bytes), OWASP's floor with MFA is 8 */
#define CP_PASSWORD_MAX 256

/* Policy: CP_PASSWORD_MIN..CP_PASSWORD_MAX bytes, no NUL or control bytes. 0 or -EINVAL. */
int cp_password_check_policy(const char *pw);
/* Hashes pw (after the policy check) into out. */
int cp_password_hash(const char *pw, char *out, size_t cap);
/* 0 when pw matches; -EACCES otherwise; -EINVAL when encoded is not an Argon2id string. */
int cp_password_verify(const char *encoded, const char *pw);
/*
 * Spends the time of one verification against a fixed dummy hash, so that a login for an
 * unknown user takes as long as one for a known user.
 */
void cp_password_dummy_verify(const char *pw);

#endif /* CP_PASSWORD_H */
