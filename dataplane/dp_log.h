/* SPDX-License-Identifier: BSD-3-Clause */
/* Logging of sluice-dp: one DPDK log type ("sluice.dp"). Never log a key or a payload. */
#ifndef DP_LOG_H
#define DP_LOG_H

#include <rte_log.h>

extern int dp_logtype;

/* DP_LOG(ERR, "port %s: %s", ...): level is a DPDK log level name without RTE_LOG_. */
#define DP_LOG(level, fmt, ...) \
	rte_log(RTE_LOG_##level, dp_logtype, "sluice-dp: " fmt "\n", ##__VA_ARGS__)

#endif /* DP_LOG_H */
