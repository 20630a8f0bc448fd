/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Argon2id password hashes through libargon2's encoded-string API; the salt comes from
 * cp_random. Verification compares in constant time inside libargon2.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdint.h>
#include <string.h>

#include <argon2.h>

#include "cp_crypto.h"
#include "cp_password.h"

#define PW_MAX_M_KIB (256u * 1024)
#define PW_MAX_T 16
#define PW_MAX_P 8

#define ARGON2_T 2
#define ARGON2_M_KIB 19456
#define ARGON2_P 1
#define SALT_LEN 16
#define HASH_LEN 32

/*
 * A hash with our parameters of a password nobody has, made once offline: verifying
 * against it costs what a real verification costs, from the first call on.
 */
static const char dummy_hash[] =
	"$argon2id$v=19$m=19456,t=2,p=1$c2x1aWNlLWNwLWR1bW15IQ$"
	"iW8m38HhPhmiR50TTxLequa4NdwG8ygVviGN86Ls838";

static int
argon2_errno(int rc)
{
	switch (rc) {
	case ARGON2_OK:
		return 0;
	case ARGON2_VERIFY_MISMATCH:
		return -EACCES;
	case ARGON2_MEMORY_ALLOCATION_ERROR:
		return -ENOMEM;
	case ARGON2_ENCODING_FAIL:
		return -ENOSPC;
	case ARGON2_DECODING_FAIL:
	case ARGON2_INCORRECT_TYPE:
	case ARGON2_SALT_TOO_SHORT:
	case ARGON2_SALT_TOO_LONG:
	case ARGON2_OUTPUT_TOO_SHORT:
	case ARGON2_OUTPUT_TOO_LONG:
	case ARGON2_TIME_TOO_SMALL:
	case ARGON2_TIME_TOO_LARGE:
	case ARGON2_MEMORY_TOO_LITTLE:
	case ARGON2_MEMORY_TOO_MUCH:
	case ARGON2_LANES_TOO_FEW:
	case ARGON2_LANES_TOO_MANY:
	case ARGON2_THREADS_TOO_FEW:
	case ARGON2_THREADS_TOO_MANY:
	case ARGON2_PWD_TOO_LONG:
	case ARGON2_INCORRECT_PARAMETER:
		return -EINVAL;
	default:
		return -EIO;
	}
}

int
cp_password_check_policy(const char *pw)
{
	size_t n;

	if (pw == NULL)
		return -EINVAL;
	n = strnlen(pw, CP_PASSWORD_MAX + 1);
	if (n < CP_PASSWORD_MIN || n > CP_PASSWORD_MAX)
		return -EINVAL;
	/* Bytes from 0x80 up are UTF-8 and welcome; C0 controls and DEL are not. */
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)pw[i];

		if (c < 0x20 || c == 0x7f)
			return -EINVAL;
	}
	return 0;
}

int
cp_password_hash(const char *pw, char *out, size_t cap)
{
	uint8_t salt[SALT_LEN];
	int rc;

	rc = cp_password_check_policy(pw);
	if (rc != 0)
		return rc;
	if (out == NULL ||
	    cap < argon2_encodedlen(ARGON2_T, ARGON2_M_KIB, ARGON2_P, SALT_LEN, HASH_LEN,
				    Argon2_id))
		return -ENOSPC;
	rc = cp_random(salt, sizeof(salt));
	if (rc != 0)
		return rc;
	rc = argon2_errno(argon2id_hash_encoded(ARGON2_T, ARGON2_M_KIB, ARGON2_P, pw, strlen(pw),
						salt, sizeof(salt), HASH_LEN, out, cap));
	cp_wipe(salt, sizeof(salt));
	if (rc != 0)
		cp_wipe(out, cap);
	return rc;
}

/*
 * The cost a stored hash asks for stays within bounds, so that a tampered Redis value
 * cannot make a login allocate gigabytes or spin for minutes: m <= 256 MiB, t <= 16, p <= 8.
 */
static bool
params_sane(const char *encoded)
{
	unsigned long m, t, p;
	int used = 0;

	if (sscanf(encoded, "$argon2id$v=19$m=%lu,t=%lu,p=%lu$%n", &m, &t, &p, &used) != 3 ||
	    used == 0)
		return false;
	return m >= 8 && m <= PW_MAX_M_KIB && t >= 1 && t <= PW_MAX_T && p >= 1 && p <= PW_MAX_P;
}

int
cp_password_verify(const char *encoded, const char *pw)
{
	if (encoded == NULL || pw == NULL)
		return -EINVAL;
	/* libargon2 parses the type out of the string; refuse other types up front. */
	if (strncmp(encoded, "$argon2id$", 10) != 0)
		return -EINVAL;
	if (!params_sane(encoded))
		return -EINVAL;
	return argon2_errno(argon2id_verify(encoded, pw, strlen(pw)));
}

void
cp_password_dummy_verify(const char *pw)
{
	if (pw == NULL)
		pw = "";
	(void)argon2id_verify(dummy_hash, pw, strlen(pw));
}
