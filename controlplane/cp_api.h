/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The API's requests in flight: routing, authentication of the bearer, and the state a
 * handler carries between its Redis and dataplane steps (controlplane/API.md describes the
 * API). Handlers finish a call with exactly one cp_call_reply or cp_call_error, which frees
 * it and wipes everything secret it held.
 */
#ifndef CP_API_H
#define CP_API_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "cp_crypto.h"
#include "cp_http.h"
#include "dp_proto.h"

struct cp_server;
struct cp_call;

enum cp_role {
	CP_ROLE_ADMIN = 1u << 0,
	CP_ROLE_ORGANIZER = 1u << 1,
	CP_ROLE_PARTICIPANT = 1u << 2,
	CP_ROLE_GUEST = 1u << 3,
};
#define CP_ROLE_ANY (CP_ROLE_ADMIN | CP_ROLE_ORGANIZER | CP_ROLE_PARTICIPANT | CP_ROLE_GUEST)
#define CP_ROLE_STAFF (CP_ROLE_ADMIN | CP_ROLE_ORGANIZER)

/* The role's bit from its name ("admin"...), 0 when unknown. */
unsigned int cp_role_parse(const char *name);

typedef void (*cp_handler)(struct cp_call *c);

struct cp_call {
	struct cp_server *s;
	struct cp_req *req;
	json_t *body;                 /* checked against the route's fields */
	char arg[2][72];              /* path parameters, in order */
	unsigned int roles;           /* roles the route admits; 0: no token needed */
	cp_handler handler;

	/* who calls, after authentication */
	char sub[80];                 /* user name, or "guest-" and a token prefix */
	char role[16];
	unsigned int role_bit;
	uint32_t guest_conf;          /* a guest's conference */
	char tokhash[CP_LOOKUP_HASH_LEN];

	/* state of multi-step handlers */
	uint32_t conf_id;
	uint32_t leg_id;
	unsigned int attempts;
	uint64_t step;                /* login: the TOTP step that matched */
	long long pttl;               /* join: the conference's time left (ms) */
	int dp_status;                /* join: the dataplane's refusal */
	bool recovery;                /* login: with a recovery code */
	char src[32];                 /* pseudonym of the client address */
	char token[64];               /* a new bearer token, until replied */
	char totp_sealed[160];        /* login: the user's sealed TOTP secret (base64) */
	uint64_t last_step;           /* login: the last TOTP step accepted */
	struct dp_leg_spec spec;      /* join: the leg (keys wiped on free) */
	json_t *reply;                /* a reply document being built */
};

/* Replies and frees the call. doc: a stolen reference, or NULL for no body. */
void cp_call_reply(struct cp_call *c, int status, json_t *doc);
void cp_call_error(struct cp_call *c, int status, const char *code, const char *message);
/* 503 "unavailable": Redis or the dataplane cannot be reached. */
void cp_call_unavailable(struct cp_call *c);

/* The HTTP handler of the API listener (arg: struct cp_server). */
void cp_api_handle(struct cp_req *req, void *arg);

/* Authentication (cp_auth.c). */
void cp_auth_login(struct cp_call *c);
void cp_auth_logout(struct cp_call *c);
/* Resolves the bearer token of c, then runs c->handler, or answers 401/403/503. */
void cp_auth_bearer(struct cp_call *c);
/*
 * A new TOTP secret and recovery codes for user `name`: fills *totp_sealed (base64 of the
 * sealed secret; caller frees), rc_hashes[10] (keyed hashes), and adds "totp_secret",
 * "totp_uri" and "recovery_codes" to doc. 0 or -errno.
 */
#define CP_RECOVERY_CODES 10
int cp_auth_enrol(struct cp_server *s, const char *name, char **totp_sealed,
		  char rc_hashes[CP_RECOVERY_CODES][CP_LOOKUP_HASH_LEN], json_t *doc);
/*
 * Argon2id for c on a worker thread: with encoded, verifies password against it ("" for an
 * unknown user: the time is spent and rc is -EACCES); with encoded NULL, hashes password.
 * done then runs on the loop with the result (and the hash). 0, or -EBUSY / -ENOMEM when
 * nothing was started (the caller answers).
 */
typedef void (*cp_auth_pw_done)(struct cp_call *c, int rc, const char *hash);
int cp_auth_password(struct cp_call *c, const char *password, const char *encoded,
		     cp_auth_pw_done done);
/* A new bearer token: text into c->token, its keyed hash into out. 0 or -EIO. */
int cp_auth_new_token(struct cp_call *c, char out[CP_LOOKUP_HASH_LEN]);

#endif /* CP_API_H */
