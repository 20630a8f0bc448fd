/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Logging of sluice-cp: one line per event on stderr (journald adds the time), with a level.
 * Never pass a key, token, password, TOTP code or recovery code to these functions.
 *
 * The audit log records logins, failures and admin actions as one JSON object a line (to a
 * file, or to stderr with an "audit: " prefix). Client addresses are pseudonymised: a
 * keyed hash (HMAC-SHA256, first 12 bytes as hex) under a random key that lives only in
 * memory and is replaced every UTC day, so pseudonyms link events within one day and
 * nothing links them across days or back to an address.
 */
#ifndef CP_LOG_H
#define CP_LOG_H

#include <stdarg.h>
#include <stdint.h>

enum cp_log_level {
	CP_LOG_ERROR,
	CP_LOG_WARNING,
	CP_LOG_INFO,
	CP_LOG_DEBUG,
};

/* Parses "error" | "warning" | "info" | "debug"; -1 when unknown. */
int cp_log_level_parse(const char *name);
void cp_log_set_level(enum cp_log_level level);
void cp_log(enum cp_log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define CP_LOG(level, ...) cp_log(CP_LOG_##level, __VA_ARGS__)

/* Opens the audit log (path, or NULL/"" for stderr). 0 or -errno. */
int cp_audit_open(const char *path);
/* Reopens the file (log rotation, on SIGHUP). */
int cp_audit_reopen(void);
void cp_audit_close(void);

#define CP_PSEUDONYM_LEN 25    /* 24 hex digits + NUL */
/* The day's pseudonym of an address (any text form); rotates the key at UTC midnight. */
void cp_pseudonym(const char *address, char out[CP_PSEUDONYM_LEN]);

/*
 * One audit record: event ("login", "login_failed", "user_add", ...), the acting user (or
 * NULL), the client address (pseudonymised here; NULL for none), the outcome ("ok",
 * "bad_credentials", ...), then pairs of extra string fields (name, value) ending in NULL.
 * Values are escaped as JSON strings.
 */
void cp_audit(const char *event, const char *actor, const char *address, const char *outcome,
	      ...);

#endif /* CP_LOG_H */
