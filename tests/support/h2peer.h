/*
 * h2peer.h - an nghttp2 client session piped to an in-memory server
 * connection, for tests and fuzz seeds: no sockets, the server's real glue.
 *
 * The peer records, per stream, the frames and header fields it received so
 * tests can assert the exact response shape (Trailers-Only, trailers with
 * END_STREAM, resets).
 */
#ifndef NL_H2PEER_H
#define NL_H2PEER_H

#include <stddef.h>
#include <stdint.h>

#include <nghttp2/nghttp2.h>
#include <uv.h>

struct nl_conn;

#define H2PEER_MAX_STREAMS 256

struct h2peer_stream {
    int32_t id;
    int headers_frames;   /* HEADERS frames received */
    int data_frames;      /* DATA frames received (non-empty or END_STREAM) */
    int end_stream;       /* END_STREAM seen */
    int closed;           /* on_stream_close called */
    uint32_t close_error; /* its error code */
    int rst_received;     /* RST_STREAM frame received */
    uint32_t rst_error;
    char status[8]; /* :status */
    char content_type[64];
    int grpc_status; /* -1 until seen */
    int grpc_status_in_trailers;
    char grpc_message[256];
    uint8_t body[8192]; /* DATA bytes (truncated) */
    size_t body_len;
    /* request body to send */
    const uint8_t *req;
    size_t req_len, req_off;
    int req_end_stream; /* send END_STREAM with the last byte (else defer forever) */
};

struct h2peer {
    nghttp2_session *session;
    struct nl_conn *conn;
    uv_loop_t *loop;
    struct h2peer_stream streams[H2PEER_MAX_STREAMS];
    int nstreams;
    int goaway_received;
    uint32_t goaway_error;
    int32_t goaway_last_stream;
    int server_closed;
};

/* Creates the client session for `conn` (borrowed) on `loop`. Returns 0 or -1. */
int h2peer_init(struct h2peer *p, struct nl_conn *conn, uv_loop_t *loop);

/* Deletes the client session (not the server connection). */
void h2peer_release(struct h2peer *p);

/*
 * Submits a request. `path`, `content_type` may be NULL to omit; `extra`
 * holds extra header pairs (name, value, ..., NULL). The body bytes are
 * borrowed until the call is done. Returns the stream record or NULL.
 */
struct h2peer_stream *h2peer_request(struct h2peer *p, const char *method, const char *path,
                                     const char *content_type, const char *const *extra,
                                     const uint8_t *body, size_t len, int end_stream);

/*
 * Moves bytes both ways and runs the loop without blocking until nothing
 * moves (bounded). Returns the number of rounds.
 */
int h2peer_pump(struct h2peer *p);

/* Packs a protobuf-c message with its 5-byte gRPC prefix into a malloc'd buffer. */
uint8_t *h2peer_frame_message(const void *msg, size_t *len);

#endif
