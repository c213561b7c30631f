/*
 * h2peer.c - see h2peer.h.
 */
#include <stdlib.h>
#include <string.h>

#include <protobuf-c/protobuf-c.h>

#include "../../common/wire.h"
#include "../../server/server.h"
#include "h2peer.h"

static struct h2peer_stream *find(struct h2peer *p, int32_t id)
{
    for (int i = 0; i < p->nstreams; i++) {
        if (p->streams[i].id == id)
            return &p->streams[i];
    }
    return NULL;
}

static void copy(char *dst, size_t cap, const uint8_t *v, size_t n)
{
    if (n >= cap)
        n = cap - 1;
    memcpy(dst, v, n);
    dst[n] = '\0';
}

static int on_header(nghttp2_session *s, const nghttp2_frame *f, const uint8_t *name, size_t nl,
                     const uint8_t *value, size_t vl, uint8_t flags, void *ud)
{
    struct h2peer_stream *st = find(ud, f->hd.stream_id);

    (void)s;
    (void)flags;
    if (st == NULL)
        return 0;
    if (nl == 7 && memcmp(name, ":status", 7) == 0)
        copy(st->status, sizeof(st->status), value, vl);
    else if (nl == 12 && memcmp(name, "content-type", 12) == 0)
        copy(st->content_type, sizeof(st->content_type), value, vl);
    else if (nl == 11 && memcmp(name, "grpc-status", 11) == 0) {
        char tmp[16];
        copy(tmp, sizeof(tmp), value, vl);
        st->grpc_status = (int)strtol(tmp, NULL, 10);
        st->grpc_status_in_trailers = f->headers.cat == NGHTTP2_HCAT_HEADERS;
    } else if (nl == 12 && memcmp(name, "grpc-message", 12) == 0)
        copy(st->grpc_message, sizeof(st->grpc_message), value, vl);
    return 0;
}

static int on_frame_recv(nghttp2_session *s, const nghttp2_frame *f, void *ud)
{
    struct h2peer *p = ud;
    struct h2peer_stream *st = find(p, f->hd.stream_id);

    (void)s;
    if (f->hd.type == NGHTTP2_GOAWAY) {
        p->goaway_received++;
        p->goaway_error = f->goaway.error_code;
        p->goaway_last_stream = f->goaway.last_stream_id;
        return 0;
    }
    if (st == NULL)
        return 0;
    if (f->hd.type == NGHTTP2_HEADERS)
        st->headers_frames++;
    if (f->hd.type == NGHTTP2_DATA)
        st->data_frames++;
    if (f->hd.type == NGHTTP2_RST_STREAM) {
        st->rst_received = 1;
        st->rst_error = f->rst_stream.error_code;
    }
    if ((f->hd.type == NGHTTP2_HEADERS || f->hd.type == NGHTTP2_DATA) &&
        (f->hd.flags & NGHTTP2_FLAG_END_STREAM))
        st->end_stream = 1;
    return 0;
}

static int on_data(nghttp2_session *s, uint8_t flags, int32_t id, const uint8_t *data, size_t len,
                   void *ud)
{
    struct h2peer_stream *st = find(ud, id);

    (void)s;
    (void)flags;
    if (st != NULL && st->body_len + len <= sizeof(st->body)) {
        memcpy(st->body + st->body_len, data, len);
        st->body_len += len;
    }
    return 0;
}

static int on_close(nghttp2_session *s, int32_t id, uint32_t err, void *ud)
{
    struct h2peer_stream *st = find(ud, id);

    (void)s;
    if (st != NULL) {
        st->closed = 1;
        st->close_error = err;
    }
    return 0;
}

int h2peer_init(struct h2peer *p, struct nl_conn *conn, uv_loop_t *loop)
{
    nghttp2_session_callbacks *cbs;

    memset(p, 0, sizeof(*p));
    p->conn = conn;
    p->loop = loop;
    if (nghttp2_session_callbacks_new(&cbs) != 0)
        return -1;
    nghttp2_session_callbacks_set_on_header_callback(cbs, on_header);
    nghttp2_session_callbacks_set_on_frame_recv_callback(cbs, on_frame_recv);
    nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cbs, on_data);
    nghttp2_session_callbacks_set_on_stream_close_callback(cbs, on_close);
    int rv = nghttp2_session_client_new(&p->session, cbs, p);
    nghttp2_session_callbacks_del(cbs);
    if (rv != 0)
        return -1;
    nghttp2_settings_entry iv[] = {{NGHTTP2_SETTINGS_ENABLE_PUSH, 0}};
    return nghttp2_submit_settings(p->session, NGHTTP2_FLAG_NONE, iv, 1) == 0 ? 0 : -1;
}

void h2peer_release(struct h2peer *p)
{
    nghttp2_session_del(p->session);
    p->session = NULL;
}

static ssize_t req_read(nghttp2_session *s, int32_t id, uint8_t *buf, size_t length,
                        uint32_t *flags, nghttp2_data_source *src, void *ud)
{
    struct h2peer_stream *st = src->ptr;
    size_t left = st->req_len - st->req_off;
    size_t n = left < length ? left : length;

    (void)s;
    (void)id;
    (void)ud;
    if (n == 0 && !st->req_end_stream)
        return NGHTTP2_ERR_DEFERRED;
    if (n > 0)
        memcpy(buf, st->req + st->req_off, n);
    st->req_off += n;
    if (st->req_off == st->req_len && st->req_end_stream)
        *flags |= NGHTTP2_DATA_FLAG_EOF;
    return (ssize_t)n;
}

struct h2peer_stream *h2peer_request(struct h2peer *p, const char *method, const char *path,
                                     const char *content_type, const char *const *extra,
                                     const uint8_t *body, size_t len, int end_stream)
{
    nghttp2_nv nv[80];
    size_t n = 0;

#define ADD(k, v)                                                                                  \
    do {                                                                                           \
        nv[n].name = (uint8_t *)(uintptr_t)(k);                                                    \
        nv[n].value = (uint8_t *)(uintptr_t)(v);                                                   \
        nv[n].namelen = strlen(k);                                                                 \
        nv[n].valuelen = strlen(v);                                                                \
        nv[n].flags = NGHTTP2_NV_FLAG_NONE;                                                        \
        n++;                                                                                       \
    } while (0)
    if (p->nstreams == H2PEER_MAX_STREAMS)
        return NULL;
    ADD(":method", method);
    ADD(":scheme", "http");
    if (path != NULL)
        ADD(":path", path);
    ADD(":authority", "test");
    ADD("te", "trailers");
    if (content_type != NULL)
        ADD("content-type", content_type);
    for (size_t i = 0; extra != NULL && extra[i] != NULL && n + 1 < 80; i += 2)
        ADD(extra[i], extra[i + 1]);
#undef ADD
    struct h2peer_stream *st = &p->streams[p->nstreams];
    memset(st, 0, sizeof(*st));
    st->grpc_status = -1;
    st->req = body;
    st->req_len = len;
    st->req_end_stream = end_stream;
    nghttp2_data_provider prd = {.source.ptr = st, .read_callback = req_read};
    int32_t id = nghttp2_submit_request(p->session, NULL, nv, n, &prd, st);
    if (id < 0)
        return NULL;
    st->id = id;
    p->nstreams++;
    return st;
}

int h2peer_pump(struct h2peer *p)
{
    int rounds = 0;

    for (; rounds < 1000; rounds++) {
        int moved = 0;
        const uint8_t *data;
        ssize_t n;
        while ((n = nghttp2_session_mem_send(p->session, &data)) > 0) {
            if (!p->server_closed && nl_conn_feed(p->conn, data, (size_t)n) != 0)
                p->server_closed = 1;
            moved = 1;
        }
        uv_run(p->loop, UV_RUN_NOWAIT);
        uint8_t *out = NULL;
        size_t len = p->server_closed ? 0 : nl_conn_mem_take_output(p->conn, &out);
        if (len == 0 && nl_conn_mem_closed(p->conn))
            p->server_closed = 1;
        if (len > 0) {
            nghttp2_session_mem_recv(p->session, out, len);
            moved = 1;
        }
        free(out);
        if (!moved && !nghttp2_session_want_write(p->session))
            break;
    }
    return rounds;
}

uint8_t *h2peer_frame_message(const void *msg, size_t *len)
{
    const ProtobufCMessage *m = msg;
    size_t n = protobuf_c_message_get_packed_size(m);
    uint8_t *buf = malloc(NL_WIRE_PREFIX_LEN + n + 1);

    if (buf == NULL)
        return NULL;
    nl_wire_prefix_encode(buf, 0, (uint32_t)n);
    protobuf_c_message_pack(m, buf + NL_WIRE_PREFIX_LEN);
    *len = NL_WIRE_PREFIX_LEN + n;
    return buf;
}
