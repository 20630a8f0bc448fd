/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Crypto state that outlives the process (see dp_state.h): a file of fixed-size slots
 * behind a one-page header, mapped shared; the slots' free list and the orphans found at
 * open are the control thread's, in ordinary memory.
 */

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "dp_be.h"
#include "dp_state.h"

#define STATE_MAGIC "SLDPSTA1"
#define STATE_HDR_SIZE 4096u          /* slots start on a page */
#define STATE_SALT_LEN 16
#define STATE_SLOT_USED 0x534c4547u   /* "SLEG" */

struct state_hdr {
	char magic[8];
	uint32_t slot_size;           /* sizeof(struct dp_leg_state): the layout */
	uint32_t max_ssrcs;           /* DP_LEG_MAX_SSRCS */
	uint32_t window;              /* DP_SRTP_REPLAY_WINDOW */
	uint32_t slots;
	uint8_t salt[STATE_SALT_LEN]; /* per file: fingerprints do not match across relays */
};

struct state_orphan {
	uint8_t fp[DP_STATE_FP_LEN];
	uint32_t slot;
	bool claimed;
};

struct dp_state {
	int fd;                       /* -1: anonymous memory */
	uint8_t *map;
	size_t map_len;
	struct state_hdr *hdr;
	struct dp_leg_state *slots;
	uint32_t n_slots;
	uint32_t *free;               /* stack of free slot numbers */
	uint32_t n_free;
	struct state_orphan *orphans; /* sorted by fp */
	uint32_t n_orphans;
	uint32_t orphans_left;        /* not claimed, not wiped */
	uint32_t restored;
	uint32_t dropped;             /* saved states beyond a smaller size, at open */
	uint32_t orphan_ttl;
	uint64_t expire_at;           /* 0: not yet known (first tick) */
	uint64_t synced_at;           /* last write-back started */
	EVP_MD *sha256;               /* fetched once: an install hashes without a lookup */
	EVP_MD_CTX *md;               /* control thread only, reused for every fingerprint */
	bool expired;
};

static size_t
state_size(uint32_t slots)
{
	return STATE_HDR_SIZE + (size_t)slots * sizeof(struct dp_leg_state);
}

static int
orphan_cmp(const void *a, const void *b)
{
	return memcmp(a, b, DP_STATE_FP_LEN);
}

/* A slot marked used whose counts cannot be: wiped rather than trusted. */
static bool
slot_sane(const struct dp_leg_state *ls)
{
	return ls->rtp.n <= DP_LEG_MAX_SSRCS && ls->rtcp.n <= DP_LEG_MAX_SSRCS;
}

static void orphan_wipe(struct dp_state *st, struct state_orphan *o);

/*
 * Two slots of one fingerprint: a leg removed and added again with the same keys before the
 * first slot's grace period ended. The one that sent further wins; the other is wiped.
 */
static void
state_dedup(struct dp_state *st)
{
	for (uint32_t i = 1; i < st->n_orphans; i++) {
		struct state_orphan *a = &st->orphans[i - 1], *b = &st->orphans[i];

		if (a->claimed || memcmp(a->fp, b->fp, DP_STATE_FP_LEN) != 0)
			continue;
		if (st->slots[a->slot].rtcp_out_index > st->slots[b->slot].rtcp_out_index) {
			struct state_orphan t = *a;

			*a = *b;
			*b = t;
		}
		orphan_wipe(st, a);
	}
}

/* Builds the free stack and the orphan list from the slots. 0 or -1 (out of memory). */
static int
state_scan(struct dp_state *st)
{
	st->free = malloc(sizeof(uint32_t) * st->n_slots);
	st->orphans = calloc(st->n_slots, sizeof(struct state_orphan));
	if (st->free == NULL || st->orphans == NULL)
		return -1;
	/* Pushed from the top so that the lowest slots are used first. */
	for (uint32_t i = st->n_slots; i-- > 0;) {
		struct dp_leg_state *ls = &st->slots[i];

		if (ls->magic == STATE_SLOT_USED && slot_sane(ls)) {
			struct state_orphan *o = &st->orphans[st->n_orphans++];

			memcpy(o->fp, ls->fp, DP_STATE_FP_LEN);
			o->slot = i;
			continue;
		}
		if (ls->magic != 0)
			memset(ls, 0, sizeof(*ls));
		st->free[st->n_free++] = i;
	}
	qsort(st->orphans, st->n_orphans, sizeof(struct state_orphan), orphan_cmp);
	st->orphans_left = st->n_orphans;
	state_dedup(st);
	return 0;
}

/* Checks an existing file's header against this build's layout. 0 or -1 with err. */
static int
state_hdr_check(const struct state_hdr *h, const char *path, char *err, size_t errlen)
{
	if (memcmp(h->magic, STATE_MAGIC, sizeof(h->magic)) != 0) {
		snprintf(err, errlen, "%s: not a sluice-dp state file (move it away to start "
			 "without saved state)", path);
		return -1;
	}
	if (h->slot_size != sizeof(struct dp_leg_state) || h->max_ssrcs != DP_LEG_MAX_SSRCS ||
	    h->window != DP_SRTP_REPLAY_WINDOW) {
		snprintf(err, errlen, "%s: state file of another layout (slot %u bytes, this "
			 "build %zu); move it away to start without saved state", path,
			 h->slot_size, sizeof(struct dp_leg_state));
		return -1;
	}
	return 0;
}

/* The file's directory, 0700, when it does not exist yet (one level; errors show at open). */
static void
state_dir_make(const char *path)
{
	char dir[4096];
	char *slash;

	if (snprintf(dir, sizeof(dir), "%s", path) >= (int)sizeof(dir))
		return;
	slash = strrchr(dir, '/');
	if (slash == NULL || slash == dir)
		return;
	*slash = '\0';
	(void)mkdir(dir, 0700);
}

static bool
hdr_blank(const struct state_hdr *h)
{
	static const struct state_hdr zero;

	return memcmp(h, &zero, sizeof(zero)) == 0;
}

/* Opens, locks and sizes the file; fills st->fd and returns whether it is new, or -1. */
static int
state_file_open(struct dp_state *st, const char *path, uint32_t slots, char *err,
		size_t errlen)
{
	struct state_hdr h;
	struct stat sb;
	ssize_t n;
	int fd;

	state_dir_make(path);
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	st->fd = fd;
	if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
		snprintf(err, errlen, "%s: %s", path, errno == EWOULDBLOCK ?
			 "in use by another sluice-dp" : strerror(errno));
		return -1;
	}
	if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
		snprintf(err, errlen, "%s: not a regular file", path);
		return -1;
	}
	if (sb.st_uid != geteuid() || (sb.st_mode & 077) != 0) {
		snprintf(err, errlen, "%s: must belong to this user and be mode 0600", path);
		return -1;
	}
	if (sb.st_size == 0) {
		if (ftruncate(fd, (off_t)state_size(slots)) != 0) {
			snprintf(err, errlen, "%s: %s", path, strerror(errno));
			return -1;
		}
		return 1;
	}
	n = pread(fd, &h, sizeof(h), 0);
	if (n == (ssize_t)sizeof(h) && hdr_blank(&h)) {
		/* Created, then the process died before the header: nothing was ever kept. */
		if (ftruncate(fd, 0) != 0 || ftruncate(fd, (off_t)state_size(slots)) != 0) {
			snprintf(err, errlen, "%s: %s", path, strerror(errno));
			return -1;
		}
		return 1;
	}
	if (n != (ssize_t)sizeof(h) || (size_t)sb.st_size < STATE_HDR_SIZE) {
		snprintf(err, errlen, "%s: not a sluice-dp state file (move it away to start "
			 "without saved state)", path);
		return -1;
	}
	if (state_hdr_check(&h, path, err, errlen) != 0)
		return -1;
	if ((size_t)sb.st_size != state_size(h.slots)) {
		snprintf(err, errlen, "%s: truncated state file (move it away to start without "
			 "saved state)", path);
		return -1;
	}
	if (h.slots != slots) {
		uint32_t lost = 0;

		/* Slots beyond the new size go: count the legs whose state goes with them. */
		for (uint32_t i = slots; i < h.slots; i++) {
			uint32_t magic;

			if (pread(fd, &magic, sizeof(magic), (off_t)(STATE_HDR_SIZE +
				  (size_t)i * sizeof(struct dp_leg_state))) == sizeof(magic) &&
			    magic == STATE_SLOT_USED)
				lost++;
		}
		if (ftruncate(fd, (off_t)state_size(slots)) != 0) {
			snprintf(err, errlen, "%s: %s", path, strerror(errno));
			return -1;
		}
		h.slots = slots;
		if (pwrite(fd, &h, sizeof(h), 0) != (ssize_t)sizeof(h)) {
			snprintf(err, errlen, "%s: %s", path, strerror(errno));
			return -1;
		}
		st->dropped = lost;
	}
	return 0;
}

struct dp_state *
dp_state_open(const char *path, uint32_t slots, uint32_t orphan_ttl, char *err, size_t errlen)
{
	bool anon = path == NULL || path[0] == '\0';
	struct dp_state *st;
	int fresh = 1;

	if (slots == 0) {
		snprintf(err, errlen, "state: no slots");
		return NULL;
	}
	st = calloc(1, sizeof(*st));
	if (st == NULL) {
		snprintf(err, errlen, "state: out of memory");
		return NULL;
	}
	st->fd = -1;
	st->n_slots = slots;
	st->orphan_ttl = orphan_ttl;
	st->map_len = state_size(slots);
	if (!anon) {
		fresh = state_file_open(st, path, slots, err, errlen);
		if (fresh < 0)
			goto fail;
	}
	st->map = mmap(NULL, st->map_len, PROT_READ | PROT_WRITE,
		       anon ? MAP_PRIVATE | MAP_ANONYMOUS : MAP_SHARED, st->fd, 0);
	if (st->map == MAP_FAILED) {
		st->map = NULL;
		snprintf(err, errlen, "%s: mmap: %s", anon ? "state" : path, strerror(errno));
		goto fail;
	}
	st->hdr = (struct state_hdr *)st->map;
	st->slots = (struct dp_leg_state *)(st->map + STATE_HDR_SIZE);
	if (fresh) {
		struct state_hdr h = {
			.slot_size = sizeof(struct dp_leg_state),
			.max_ssrcs = DP_LEG_MAX_SSRCS,
			.window = DP_SRTP_REPLAY_WINDOW,
			.slots = slots,
		};

		memcpy(h.magic, STATE_MAGIC, sizeof(h.magic));
		if (getrandom(h.salt, sizeof(h.salt), 0) != (ssize_t)sizeof(h.salt)) {
			snprintf(err, errlen, "state: getrandom: %s", strerror(errno));
			goto fail;
		}
		*st->hdr = h;
	}
	st->sha256 = EVP_MD_fetch(NULL, "SHA256", NULL);
	st->md = EVP_MD_CTX_new();
	if (st->sha256 == NULL || st->md == NULL || state_scan(st) != 0) {
		snprintf(err, errlen, "state: out of memory");
		goto fail;
	}
	return st;
fail:
	dp_state_close(st);
	return NULL;
}

void
dp_state_close(struct dp_state *st)
{
	if (st == NULL)
		return;
	if (st->map != NULL) {
		if (st->fd >= 0)
			(void)msync(st->map, st->map_len, MS_SYNC);
		munmap(st->map, st->map_len);
	}
	if (st->fd >= 0)
		close(st->fd);        /* drops the lock */
	EVP_MD_CTX_free(st->md);
	EVP_MD_free(st->sha256);
	free(st->free);
	free(st->orphans);
	free(st);
}

int
dp_state_fingerprint(const struct dp_state *st, uint32_t leg_id, uint8_t suite,
		     const uint8_t *key_in, size_t in_len, const uint8_t *key_out,
		     size_t out_len, uint8_t fp[DP_STATE_FP_LEN])
{
	static const char label[] = "sluice-dp leg state";
	uint8_t md[EVP_MAX_MD_SIZE];
	uint8_t hdr[8];
	unsigned int md_len = 0;
	EVP_MD_CTX *c = st->md;
	int rc = -1;

	if (in_len > UINT8_MAX || out_len > UINT8_MAX)
		return -1;
	dp_store_be32(hdr, leg_id);
	hdr[4] = suite;
	hdr[5] = (uint8_t)in_len;
	hdr[6] = (uint8_t)out_len;
	hdr[7] = 0;
	if (EVP_DigestInit_ex(c, st->sha256, NULL) == 1 &&
	    EVP_DigestUpdate(c, st->hdr->salt, STATE_SALT_LEN) == 1 &&
	    EVP_DigestUpdate(c, label, sizeof(label)) == 1 &&
	    EVP_DigestUpdate(c, hdr, sizeof(hdr)) == 1 &&
	    EVP_DigestUpdate(c, key_in, in_len) == 1 &&
	    EVP_DigestUpdate(c, key_out, out_len) == 1 &&
	    EVP_DigestFinal_ex(c, md, &md_len) == 1 && md_len >= DP_STATE_FP_LEN) {
		memcpy(fp, md, DP_STATE_FP_LEN);
		rc = 0;
	}
	OPENSSL_cleanse(md, sizeof(md));
	return rc;
}

static void
orphan_wipe(struct dp_state *st, struct state_orphan *o)
{
	memset(&st->slots[o->slot], 0, sizeof(struct dp_leg_state));
	st->free[st->n_free++] = o->slot;
	o->claimed = true;            /* gone either way: not to be found again */
	st->orphans_left--;
}

/* The unclaimed orphan of fingerprint fp, or NULL. Equal ones lie side by side. */
static struct state_orphan *
orphan_find(struct dp_state *st, const uint8_t fp[DP_STATE_FP_LEN])
{
	struct state_orphan *o = bsearch(fp, st->orphans, st->n_orphans, sizeof(*o), orphan_cmp);
	struct state_orphan *end = st->orphans + st->n_orphans;

	if (o == NULL)
		return NULL;
	while (o > st->orphans && memcmp(o[-1].fp, fp, DP_STATE_FP_LEN) == 0)
		o--;
	for (; o < end && memcmp(o->fp, fp, DP_STATE_FP_LEN) == 0; o++)
		if (!o->claimed)
			return o;
	return NULL;
}

struct dp_leg_state *
dp_state_claim(struct dp_state *st, uint32_t leg_id, const uint8_t fp[DP_STATE_FP_LEN],
	       int *restored)
{
	struct state_orphan *o = NULL;
	struct dp_leg_state *ls;

	*restored = 0;
	if (st->orphans_left > 0)
		o = orphan_find(st, fp);
	if (o != NULL && st->slots[o->slot].leg_id == leg_id) {
		ls = &st->slots[o->slot];
		o->claimed = true;
		st->orphans_left--;
		st->restored++;
		/* Indexes sent after the last write-back may not be in the file (kernel crash). */
		ls->rtcp_out_index = ls->rtcp_out_index > DP_SRTCP_INDEX_MAX - DP_STATE_INDEX_SKIP ?
				     DP_SRTCP_INDEX_MAX : ls->rtcp_out_index + DP_STATE_INDEX_SKIP;
		*restored = 1;
		return ls;
	}
	if (st->n_free == 0 && st->orphans_left > 0) {
		/* Full: the orphan that waited longest for its leg gives way (any will do). */
		for (uint32_t i = st->n_orphans; i-- > 0;) {
			if (!st->orphans[i].claimed) {
				orphan_wipe(st, &st->orphans[i]);
				break;
			}
		}
	}
	if (st->n_free == 0)
		return NULL;
	ls = &st->slots[st->free[--st->n_free]];
	memset(ls, 0, sizeof(*ls));
	ls->leg_id = leg_id;
	memcpy(ls->fp, fp, DP_STATE_FP_LEN);
	ls->magic = STATE_SLOT_USED;
	return ls;
}

void
dp_state_release(struct dp_state *st, struct dp_leg_state *ls)
{
	if (ls == NULL)
		return;
	memset(ls, 0, sizeof(*ls));
	st->free[st->n_free++] = (uint32_t)(ls - st->slots);
}

void
dp_state_unclaim(struct dp_state *st, struct dp_leg_state *ls)
{
	uint32_t slot;

	if (ls == NULL)
		return;
	slot = (uint32_t)(ls - st->slots);
	for (uint32_t i = 0; i < st->n_orphans; i++) {
		struct state_orphan *o = &st->orphans[i];

		/* Claimed and not wiped: the slot still holds the orphan's fingerprint. */
		if (o->slot == slot && o->claimed && !st->expired &&
		    memcmp(ls->fp, o->fp, DP_STATE_FP_LEN) == 0 && ls->magic == STATE_SLOT_USED) {
			o->claimed = false;
			st->orphans_left++;
			st->restored--;
			return;
		}
	}
	dp_state_release(st, ls);
}

uint32_t
dp_state_tick(struct dp_state *st, uint64_t now_s)
{
	uint32_t wiped = 0;

	if (st->expire_at == 0)
		st->expire_at = now_s + st->orphan_ttl;
	if (!st->expired && now_s >= st->expire_at) {
		wiped = st->orphans_left;
		for (uint32_t i = 0; i < st->n_orphans; i++)
			if (!st->orphans[i].claimed)
				orphan_wipe(st, &st->orphans[i]);
		st->expired = true;
	}
	/*
	 * Starts write-back of what changed, without waiting for it. Each write-back makes the
	 * workers' next store to a page fault once (dirty tracking), so not more often than the
	 * index skip and the ROC estimate need: far less than 2^15 packets of a stream.
	 */
	if (st->fd >= 0 && now_s >= st->synced_at + DP_STATE_WRITEBACK_S) {
		(void)sync_file_range(st->fd, 0, 0, SYNC_FILE_RANGE_WRITE);
		st->synced_at = now_s;
	}
	return wiped;
}

void
dp_state_info(const struct dp_state *st, struct dp_state_info *info)
{
	info->slots = st->n_slots;
	info->orphans = st->orphans_left;
	info->claimed = st->n_slots - st->n_free - st->orphans_left;
	info->restored = st->restored;
	info->persistent = st->fd >= 0;
	info->dropped = st->dropped;
}

struct dp_srtp_replay *
dp_replay_find(struct dp_replay_set *set, uint32_t ssrc)
{
	for (uint32_t i = 0; i < set->n; i++)
		if (set->ssrc[i] == ssrc)
			return &set->r[i];
	return NULL;
}

struct dp_srtp_replay *
dp_replay_get(struct dp_replay_set *set, uint32_t ssrc, const uint32_t *keep,
	      unsigned int n_keep)
{
	struct dp_srtp_replay *found = dp_replay_find(set, ssrc);
	uint32_t i;

	if (found != NULL)
		return found;
	if (set->n < DP_LEG_MAX_SSRCS) {
		i = set->n++;
	} else {
		for (i = 0; i < DP_LEG_MAX_SSRCS; i++) {
			unsigned int k;

			for (k = 0; k < n_keep && keep[k] != set->ssrc[i]; k++)
				;
			if (k == n_keep)
				break;
		}
		if (i == DP_LEG_MAX_SSRCS)
			return NULL;
	}
	set->ssrc[i] = ssrc;
	memset(&set->r[i], 0, sizeof(set->r[i]));
	return &set->r[i];
}
