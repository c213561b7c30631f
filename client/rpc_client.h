/*
 * rpc_client.h - unary gRPC calls over HTTP/2 for the CLI (PROTOCOL.md §10).
 *
 * A struct nl_rpc_client owns a private libuv loop and at most one HTTP/2
 * connection to one server, kept open across calls (paging) and re-opened
 * when it died. Calls are synchronous: nl_rpc_call() runs the private loop
 * until the call ends. Retries follow RELIABILITY.md §4 in simplified form:
 * UNAVAILABLE (connect failures, refused streams and lost connections
 * included) and server-sent RESOURCE_EXHAUSTED are retried with full-jitter
 * backoff (or the server's grpc-retry-pushback-ms), at most
 * NL_RPC_MAX_ATTEMPTS attempts, never past the call's deadline: a retry
 * that would not have time left to finish is not started, so the caller
 * sees the failure that made it retry, not a deadline it caused. Not
 * thread-safe: one client belongs to one thread. TLS and a bearer token are
 * options of nl_rpc_client_new_opts().
 */
#ifndef NL_RPC_CLIENT_H
#define NL_RPC_CLIENT_H

#include <stddef.h>
#include <stdint.h>

#include <protobuf-c/protobuf-c.h>

#include "status.h"

#define NL_RPC_MAX_ATTEMPTS 5

/* Size that always holds a whole status message of nl_rpc_call(). */
#define NL_RPC_MSG_MAX 512

struct nl_rpc_client;

/*
 * Creates an h2c client for `server` ("HOST:PORT", "[IPv6]:PORT"; see
 * nl_server_parse) without credentials. Nothing is resolved or connected
 * yet. Returns NULL when the address is malformed or memory runs out. Free
 * with nl_rpc_client_free().
 */
struct nl_rpc_client *nl_rpc_client_new(const char *server);

/* Transport and credentials of a client. Every pointer is borrowed. */
struct nl_rpc_opts {
    int tls;               /* 1: TLS >= 1.2 with ALPN h2 (PROTOCOL.md §5); 0: h2c */
    const char *ca_file;   /* TLS: PEM CA certificates; NULL: the system store */
    const char *cert_file; /* TLS: PEM client certificate (chain); NULL: none */
    const char *key_file;  /* TLS: its private key (PEM); NULL: in cert_file */
    const char *token;     /* sent as "authorization: Bearer <token>"; NULL: none */
};

/*
 * Creates a client for `server` with `o` (NULL: h2c, no token). With o->tls
 * the CA, certificate and key files are read now, and every connection
 * verifies the server's certificate chain and that it names the host of
 * `server` (DNS or IP subjectAltName). The client keeps its own copy of the
 * token and wipes it when freed. Returns the client, or NULL with a one-line
 * reason in err (errlen bytes; NL_RPC_MSG_MAX always fits): a malformed
 * address, a file that cannot be read or does not hold what it should, a
 * token that cannot go in a header (1..4096 visible ASCII characters; the
 * message never contains it), or no memory.
 *
 * Over TLS, nl_rpc_call() fails UNAVAILABLE without retrying when the
 * certificate does not verify ("cannot verify the certificate of HOST:PORT:
 * <reason>"), when the server sends a TLS alert or does not select ALPN h2:
 * those repeat on every attempt. With a token but without TLS, a server
 * that resolves to any non-loopback address fails the same way before any
 * connection is made ("not sending the token in cleartext to ...").
 */
struct nl_rpc_client *nl_rpc_client_new_opts(const char *server, const struct nl_rpc_opts *o,
                                             char *err, size_t errlen);

/*
 * Calls the unary method `path` ("/nhanluc.v1.Registry/GetUnit") with `req`
 * (borrowed) and waits for the reply, for at most `timeout_ms` in total
 * (resolve, connect, every attempt and every backoff; each attempt sends the
 * remaining time as grpc-timeout). On NL_OK, *resp receives the unpacked reply
 * of type `resp_desc`, which the caller frees with
 * protobuf_c_message_free_unpacked(*resp, NULL); on any other status *resp is
 * NULL. The status message (UTF-8, percent-decoded, control characters
 * replaced) is written to `msg` (msglen bytes, NUL-terminated; empty on OK).
 * Returns the gRPC status of the call; DEADLINE_EXCEEDED when the time ran out
 * locally, UNAVAILABLE for "cannot reach HOST:PORT: ..." after the last
 * attempt.
 */
enum nl_status nl_rpc_call(struct nl_rpc_client *c, const char *path, const ProtobufCMessage *req,
                           const ProtobufCMessageDescriptor *resp_desc, ProtobufCMessage **resp,
                           uint64_t timeout_ms, char *msg, size_t msglen);

/* Number of attempts the last nl_rpc_call() made (1..NL_RPC_MAX_ATTEMPTS). */
unsigned nl_rpc_client_attempts(const struct nl_rpc_client *c);

/*
 * Closes the connection (GOAWAY NO_ERROR, flush, close) and frees the
 * client, its loop and everything it holds. NULL is a no-op.
 */
void nl_rpc_client_free(struct nl_rpc_client *c);

#endif
