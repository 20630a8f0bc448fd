/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * SDES keys for sluicectl: where a key comes from (the argument, a file, standard input)
 * and how its inline key-params (RFC 4568) decode into master key || master salt.
 *
 * Return convention: 0 or a decoded length on success, -1 on failure with a short
 * explanation in err (never containing key material). Callers wipe every buffer that
 * held a key (dp_proto_wipe) as soon as it is used.
 */
#ifndef CTL_SDES_H
#define CTL_SDES_H

#include <stddef.h>
#include <stdint.h>

/* The longest key line accepted from an argument, a file or standard input. */
#define CTL_KEY_LINE_MAX 256

/*
 * Resolves a KEY argument into line (NUL-terminated, line end removed):
 *   "@FILE"  the first line of FILE
 *   "-"      one line of standard input, read byte by byte so that the next "-" gets
 *            the next line and no copy lingers in a stdio buffer
 *   else     the argument itself
 */
int ctl_key_source(const char *arg, char *line, size_t cap, char *err, size_t err_len);

/*
 * Strict base64 (RFC 4648, standard alphabet): length a multiple of 4, '=' only as the
 * final padding, unused bits zero, no whitespace. Returns the decoded length, or -1 when
 * s is not such base64 or the result does not fit in cap.
 */
int ctl_base64_decode(const char *s, size_t len, uint8_t *out, size_t cap);

/*
 * Parses "inline:BASE64KEYSALT[|LIFETIME][|MKI:LEN]". A lifetime ("2^31" or a decimal)
 * is accepted and ignored; an MKI is refused. The decoded length must be the suite's
 * key + salt; with DP_SUITE_NONE, the length of some suite. Writes master (cap >=
 * DP_MASTER_MAX) and returns its length, or -1.
 */
int ctl_sdes_parse(const char *s, uint8_t suite, uint8_t *master, size_t cap,
		   char *err, size_t err_len);

#endif /* CTL_SDES_H */
