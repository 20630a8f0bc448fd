/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * TLS contexts for the HTTPS API (server) and the Redis connection (client). One policy for
 * both, after BSI TR-02102-2: TLS 1.2 or 1.3 only, forward-secret ECDHE key exchange, AEAD
 * (AES-GCM) only, the curves X25519/P-256/P-384, no compression (CRIME), no renegotiation,
 * no session tickets (their key would outlive the session and break forward secrecy).
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "cp_tls.h"

/* TLS 1.2: ECDHE with AES-GCM, ECDSA and RSA certificates, stronger first. */
#define CP_TLS12_CIPHERS \
	"ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:" \
	"ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256"
#define CP_TLS13_SUITES "TLS_AES_256_GCM_SHA384:TLS_AES_128_GCM_SHA256"
#define CP_TLS_GROUPS "X25519:P-256:P-384"

/* Writes "what: <first OpenSSL error>" into err and empties the thread's error queue. */
static void
tls_err(char *err, size_t err_len, const char *what)
{
	unsigned long e = ERR_peek_last_error();
	char reason[160];

	if (e != 0)
		ERR_error_string_n(e, reason, sizeof(reason));
	else
		snprintf(reason, sizeof(reason), "unknown error");
	ERR_clear_error();
	if (err != NULL && err_len > 0)
		snprintf(err, err_len, "%s: %s", what, reason);
}

/* The settings servers and clients share. */
static SSL_CTX *
tls_ctx_new(const SSL_METHOD *method, char *err, size_t err_len)
{
	char groups[] = CP_TLS_GROUPS;  /* the setter's macro casts away const */
	SSL_CTX *ctx;

	ERR_clear_error();
	ctx = SSL_CTX_new(method);
	if (ctx == NULL) {
		tls_err(err, err_len, "SSL_CTX_new");
		return NULL;
	}
	if (SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) != 1) {
		tls_err(err, err_len, "minimum protocol version");
		goto err_free;
	}
	if (SSL_CTX_set_cipher_list(ctx, CP_TLS12_CIPHERS) != 1) {
		tls_err(err, err_len, "TLS 1.2 cipher list");
		goto err_free;
	}
	if (SSL_CTX_set_ciphersuites(ctx, CP_TLS13_SUITES) != 1) {
		tls_err(err, err_len, "TLS 1.3 cipher suites");
		goto err_free;
	}
	if (SSL_CTX_set1_groups_list(ctx, groups) != 1) {
		tls_err(err, err_len, "groups");
		goto err_free;
	}
	SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION |
			    SSL_OP_NO_TICKET);
	return ctx;

err_free:
	SSL_CTX_free(ctx);
	return NULL;
}

SSL_CTX *
cp_tls_server_ctx(const char *cert_file, const char *key_file, char *err, size_t err_len)
{
	SSL_CTX *ctx;

	if (cert_file == NULL || cert_file[0] == '\0' || key_file == NULL ||
	    key_file[0] == '\0') {
		if (err != NULL && err_len > 0)
			snprintf(err, err_len, "certificate and key files are required");
		return NULL;
	}
	ctx = tls_ctx_new(TLS_server_method(), err, err_len);
	if (ctx == NULL)
		return NULL;
	SSL_CTX_set_options(ctx, SSL_OP_CIPHER_SERVER_PREFERENCE);
	/* TLS 1.3 sends tickets unless told not to, SSL_OP_NO_TICKET only makes them stateful. */
	if (SSL_CTX_set_num_tickets(ctx, 0) != 1) {
		tls_err(err, err_len, "session tickets");
		goto err_free;
	}
	if (SSL_CTX_use_certificate_chain_file(ctx, cert_file) != 1) {
		tls_err(err, err_len, cert_file);
		goto err_free;
	}
	if (SSL_CTX_use_PrivateKey_file(ctx, key_file, SSL_FILETYPE_PEM) != 1) {
		tls_err(err, err_len, key_file);
		goto err_free;
	}
	if (SSL_CTX_check_private_key(ctx) != 1) {
		tls_err(err, err_len, "key does not match the certificate");
		goto err_free;
	}
	return ctx;

err_free:
	SSL_CTX_free(ctx);
	return NULL;
}

SSL_CTX *
cp_tls_client_ctx(const char *ca_file, char *err, size_t err_len)
{
	SSL_CTX *ctx;
	int ok;

	ctx = tls_ctx_new(TLS_client_method(), err, err_len);
	if (ctx == NULL)
		return NULL;
	if (ca_file != NULL && ca_file[0] != '\0')
		ok = SSL_CTX_load_verify_locations(ctx, ca_file, NULL);
	else
		ok = SSL_CTX_set_default_verify_paths(ctx);
	if (ok != 1) {
		tls_err(err, err_len, ca_file != NULL && ca_file[0] != '\0' ? ca_file :
			"default CA paths");
		SSL_CTX_free(ctx);
		return NULL;
	}
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
	return ctx;
}

int
cp_tls_set_host(SSL *ssl, const char *host)
{
	char name[256];                 /* a DNS name has 253 characters at most */
	struct in6_addr a6;
	struct in_addr a4;

	if (ssl == NULL || host == NULL || host[0] == '\0' || strlen(host) >= sizeof(name))
		return -1;
	ERR_clear_error();
	if (inet_pton(AF_INET, host, &a4) == 1 || inet_pton(AF_INET6, host, &a6) == 1) {
		/* An IP literal is checked against iPAddress names and never sent as SNI. */
		if (X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), host) != 1)
			goto err;
		return 0;
	}
	SSL_set_hostflags(ssl, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
	if (SSL_set1_host(ssl, host) != 1)
		goto err;
	/* A copy, since the SNI setter's macro takes a non-const pointer. */
	memcpy(name, host, strlen(host) + 1);
	if (SSL_set_tlsext_host_name(ssl, name) != 1)
		goto err;
	return 0;

err:
	ERR_clear_error();
	return -1;
}
