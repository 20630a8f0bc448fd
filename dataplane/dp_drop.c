/* SPDX-License-Identifier: BSD-3-Clause */
#include <stddef.h>

#include "dp_drop.h"

static const char *const dp_drop_names[DP_DROP_MAX] = {
#define DP_DROP_NAME(id, name) [DP_DROP_##id] = name,
	DP_DROP_REASONS(DP_DROP_NAME)
#undef DP_DROP_NAME
};

const char *
dp_drop_name(enum dp_drop reason)
{
	if ((unsigned int)reason >= DP_DROP_MAX)
		return "?";
	return dp_drop_names[reason];
}
