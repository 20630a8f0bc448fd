/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * TLS contexts (OpenSSL libssl), the one file that configures them: TLS 1.2 minimum, the
 * cipher suites of BSI TR-02102-2 (TLS 1.2: ECDHE with AES-GCM only; TLS 1.3: AES-GCM
 * suites), groups X25519/P-256/P-384, no compression, no renegotiation, no session tickets.
 *
 * Constructors return a context or NULL with a reason in err.
 */
#ifndef CP_TLS_H
#define CP_TLS_H

#include <stddef.h>

#include <openssl/ssl.h>

/* A server context with a PEM certificate chain and its key (the key must match). */
SSL_CTX *cp_tls_server_ctx(const char *cert_file, const char *key_file, char *err, size_t err_len);
/* A client context that verifies the server against ca_file (NULL: the system's CAs). */
SSL_CTX *cp_tls_client_ctx(const char *ca_file, char *err, size_t err_len);
/* Requires the peer's certificate to match host (DNS name or IP literal) on ssl. 0 or -1. */
int cp_tls_set_host(SSL *ssl, const char *host);

#endif /* CP_TLS_H */
