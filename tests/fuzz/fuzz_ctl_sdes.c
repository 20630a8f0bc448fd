/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Fuzzes sluicectl's SDES key parsing: the input as inline key-params for every suite,
 * and as raw base64. An accepted key has exactly its suite's length.
 */
#include <stdint.h>
#include <string.h>

#include "ctl_sdes.h"
#include "dp_proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t master[DP_MASTER_MAX], out[96];
	char s[512], err[160];
	int n;

	if (size >= sizeof(s))
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	for (uint8_t suite = DP_SUITE_NONE; suite < DP_SUITE_MAX; suite++) {
		n = ctl_sdes_parse(s, suite, master, sizeof(master), err, sizeof(err));
		if (n < 0) {
			if (strnlen(err, sizeof(err)) == 0)
				__builtin_trap();
			continue;
		}
		if (suite != DP_SUITE_NONE &&
		    (size_t)n != dp_suite_key_len(suite) + dp_suite_salt_len(suite))
			__builtin_trap();
	}
	n = ctl_base64_decode((const char *)data, size, out, sizeof(out));
	if (n > 0 && (size_t)n != size / 4 * 3 - (data[size - 1] == '=') - (data[size - 2] == '='))
		__builtin_trap();
	return 0;
}
