/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Big-endian loads and stores, byte by byte: packet and message buffers are not aligned.
 * Header only, so that each library of the dataplane (sluice_dpproto included, which
 * sluicectl links) has them without linking anything.
 */
#ifndef DP_BE_H
#define DP_BE_H

#include <stdint.h>

static inline uint16_t
dp_load_be16(const uint8_t *p)
{
	return (uint16_t)((uint16_t)p[0] << 8 | p[1]);
}

static inline uint32_t
dp_load_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static inline uint64_t
dp_load_be64(const uint8_t *p)
{
	return (uint64_t)dp_load_be32(p) << 32 | dp_load_be32(p + 4);
}

static inline void
dp_store_be16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline void
dp_store_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static inline void
dp_store_be64(uint8_t *p, uint64_t v)
{
	dp_store_be32(p, (uint32_t)(v >> 32));
	dp_store_be32(p + 4, (uint32_t)v);
}

#endif /* DP_BE_H */
