/*
 * h2.c - the nghttp2 server session: callbacks and per-stream calls.
 *
 * Callbacks only record and submit; they never call mem_recv/mem_send
 * (PROTOCOL.md rule 2.2.1). A struct nl_call is created at the first HEADERS
 * of a stream and is the stream's user data; request headers are copied
 * capped and counted against the header-list limit here, in on_header,
 * because nghttp2 stores SETTINGS_MAX_HEADER_LIST_SIZE but does not enforce
 * it on receive. Body bytes go through the shared framer, whose size check
 * runs before anything is allocated. Validation and dispatch are in
 * dispatch.c.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../common/log.h"
#include "server_int.h"

static struct nl_call *call_of(nghttp2_session *s, int32_t stream_id)
{
    return nghttp2_session_get_stream_user_data(s, stream_id);
}

void nl_call_charge(struct nl_call *call, size_t bytes)
{
    struct nl_conn *c = call->conn;

    if (c != NULL) {
        c->input_bytes = c->input_bytes - call->buffered + bytes;
        c->srv->input_bytes = c->srv->input_bytes - call->buffered + bytes;
        call->buffered = bytes;
    }
}

/* Charges what the call buffers now: its message and the framer's partial one. */
static void call_charge(struct nl_call *call)
{
    nl_call_charge(call, call->msg_len + (call->framer.msg != NULL ? call->framer.msg_len : 0));
}

void nl_call_free(struct nl_call *call)
{
    if (call == NULL)
        return;
    nl_call_charge(call, 0);
    if (call->heap_index != SIZE_MAX && call->conn != NULL)
        nl_deadlines_remove(call->conn->srv, call);
    nl_framer_release(&call->framer);
    free(call->msg);
    nl_buf_release(&call->resp);
    nl_token_wipe(&call->token);
    free(call);
}

/* Drops whatever the call buffered and ignores the rest of its body. */
static void call_discard_body(struct nl_call *call)
{
    call->discard = 1;
    nl_framer_release(&call->framer);
    free(call->msg);
    call->msg = NULL;
    call->msg_len = 0;
    call_charge(call);
}

static int on_begin_headers(nghttp2_session *s, const nghttp2_frame *frame, void *ud)
{
    struct nl_conn *c = ud;
    struct nl_server *srv = c->srv;

    if (frame->hd.type != NGHTTP2_HEADERS || frame->headers.cat != NGHTTP2_HCAT_REQUEST)
        return 0;
    struct nl_call *call = calloc(1, sizeof(*call));
    if (call == NULL)
        return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
    call->conn = c;
    call->stream_id = frame->hd.stream_id;
    call->id = ++srv->next_call_id;
    call->in_session = 1;
    call->heap_index = SIZE_MAX;
    call->start_ms = nl_now_ms();
    nl_framer_init(&call->framer, srv->cfg.max_message);
    nl_buf_init(&call->resp, NL_WIRE_PREFIX_LEN + srv->cfg.max_message);
    if (nghttp2_session_set_stream_user_data(s, frame->hd.stream_id, call) != 0) {
        nl_call_free(call);
        return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
    }
    call->next = c->calls;
    if (c->calls != NULL)
        c->calls->prev = call;
    c->calls = call;
    c->ncalls++;
    nl_conn_streams_changed(c);
    /* Until the headers are complete the call lives on the handshake timer's budget. */
    nl_deadlines_add(srv, call, nl_now_ms() + srv->cfg.handshake_timeout_ms);
    return 0;
}

static int streq(const uint8_t *p, size_t n, const char *lit)
{
    size_t l = strlen(lit);
    return n == l && memcmp(p, lit, l) == 0;
}

static int on_header(nghttp2_session *s, const nghttp2_frame *frame, const uint8_t *name,
                     size_t namelen, const uint8_t *value, size_t valuelen, uint8_t flags, void *ud)
{
    struct nl_conn *c = ud;
    struct nl_call *call = call_of(s, frame->hd.stream_id);

    (void)flags;
    if (call == NULL || frame->hd.type != NGHTTP2_HEADERS)
        return 0;
    call->hdr_bytes += (uint32_t)(namelen + valuelen + 32);
    call->hdr_fields++;
    if (call->hdr_bytes > c->srv->cfg.header_list_max ||
        call->hdr_fields > c->srv->cfg.header_fields_max) {
        nl_log_debug("conn=%lu call=%lu header list over the limit", c->id, call->id);
        nl_conn_misbehaved(c, "header list over the limit");
        return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
    }
    if (frame->headers.cat != NGHTTP2_HCAT_REQUEST)
        return 0; /* request trailers: counted above, otherwise ignored */

    if (streq(name, namelen, ":method")) {
        call->post = streq(value, valuelen, "POST");
    } else if (streq(name, namelen, ":path")) {
        call->saw_path = 1;
        call->method = nl_method_find((const char *)value, valuelen);
    } else if (streq(name, namelen, "content-type")) {
        call->saw_ct = 1;
        call->grpc_ct = nl_wire_is_grpc_content_type((const char *)value, valuelen) != 0;
    } else if (streq(name, namelen, "grpc-timeout")) {
        call->has_timeout = 1;
        call->bad_timeout =
            nl_wire_timeout_parse((const char *)value, valuelen, &call->timeout_ms) != 0;
    } else if (streq(name, namelen, "grpc-encoding")) {
        call->bad_encoding = !streq(value, valuelen, "identity");
    } else if (streq(name, namelen, "authorization")) {
        nl_dispatch_authorization(call, value, valuelen);
    }
    return 0;
}

static int on_data_chunk_recv(nghttp2_session *s, uint8_t flags, int32_t stream_id,
                              const uint8_t *data, size_t len, void *ud)
{
    struct nl_conn *c = ud;
    struct nl_call *call = call_of(s, stream_id);

    (void)flags;
    if (call == NULL || call->discard || call->responded)
        return 0;
    while (len > 0) {
        size_t used = 0;
        int rc = nl_framer_feed(&call->framer, data, len, &used);
        data += used;
        len -= used;
        if (rc == NL_FRAMER_TOOBIG || rc == NL_FRAMER_NOMEM) {
            call_discard_body(call);
            nl_dispatch_trailers_only(call, NL_RESOURCE_EXHAUSTED,
                                      rc == NL_FRAMER_TOOBIG
                                          ? "request message larger than the 4 MiB limit"
                                          : "out of memory");
            return 0;
        }
        if (rc == NL_FRAMER_MSG) {
            size_t mlen;
            int compressed;
            uint8_t *m = nl_framer_take(&call->framer, &mlen, &compressed);
            call->nmsgs++;
            if (call->nmsgs == 1) {
                call->msg = m;
                call->msg_len = mlen;
                call->compressed = compressed != 0;
            } else {
                /* A unary call has one message; stop buffering, answer at END_STREAM. */
                free(m);
                call_discard_body(call);
                return 0;
            }
        }
    }
    call_charge(call);
    if (c->input_bytes > c->srv->cfg.conn_input_max) {
        /* One connection may not hold more than its share of request bytes. */
        nl_conn_misbehaved(c, "connection input budget exceeded");
        call_discard_body(call);
        nl_dispatch_reset(call, NGHTTP2_ENHANCE_YOUR_CALM, NL_RESOURCE_EXHAUSTED);
    } else if (c->srv->input_bytes > c->srv->cfg.server_input_max) {
        /* The whole server holds too much unprocessed input: refuse, the client retries. */
        call_discard_body(call);
        nl_dispatch_trailers_only(call, NL_RESOURCE_EXHAUSTED, "server busy, retry later");
    }
    return 0;
}

static int on_frame_recv(nghttp2_session *s, const nghttp2_frame *frame, void *ud)
{
    struct nl_conn *c = ud;
    struct nl_call *call;

    switch (frame->hd.type) {
    case NGHTTP2_HEADERS:
        call = call_of(s, frame->hd.stream_id);
        if (call == NULL)
            return 0;
        if (frame->headers.cat == NGHTTP2_HCAT_REQUEST)
            nl_dispatch_headers_done(call);
        if (frame->hd.flags & NGHTTP2_FLAG_END_STREAM) {
            call->remote_closed = 1;
            nl_dispatch_end_stream(call);
        }
        break;
    case NGHTTP2_DATA:
        call = call_of(s, frame->hd.stream_id);
        if (frame->hd.length == 0 && !(frame->hd.flags & NGHTTP2_FLAG_END_STREAM))
            nl_conn_misbehaved(c, "empty DATA frame");
        if (call != NULL && (frame->hd.flags & NGHTTP2_FLAG_END_STREAM)) {
            call->remote_closed = 1;
            nl_dispatch_end_stream(call);
        }
        break;
    case NGHTTP2_SETTINGS:
        if (c->state == NL_CONN_PREFACE && !(frame->hd.flags & NGHTTP2_FLAG_ACK)) {
            c->state = NL_CONN_OPEN;
            nl_log_debug("conn=%lu state PREFACE -> OPEN", c->id);
            nl_conn_streams_changed(c);
        }
        break;
    case NGHTTP2_PING:
        if (!(frame->hd.flags & NGHTTP2_FLAG_ACK) && c->ncalls == 0) {
            /*
             * Pings are free while calls run; without calls at most one per
             * 30 s, and the second early one ends the connection
             * (PROTOCOL.md 7: district clients behind NAT ping every 60 s).
             */
            uint64_t now = nl_now_ms();
            if (c->idle_ping_ms != 0 && now - c->idle_ping_ms < 30000 && ++c->ping_strikes >= 2) {
                static const uint8_t why[] = "too_many_pings";
                nl_log_info("conn=%lu too many pings: GOAWAY", c->id);
                nghttp2_submit_goaway(s, NGHTTP2_FLAG_NONE,
                                      nghttp2_session_get_last_proc_stream_id(s),
                                      NGHTTP2_ENHANCE_YOUR_CALM, why, sizeof(why) - 1);
                c->fatal = 1; /* closes once the GOAWAY is written */
            }
            c->idle_ping_ms = now;
        }
        break;
    case NGHTTP2_PRIORITY:
        nl_conn_misbehaved(c, "PRIORITY frame");
        break;
    case NGHTTP2_RST_STREAM:
        nl_conn_misbehaved(c, "RST_STREAM received");
        break;
    case NGHTTP2_WINDOW_UPDATE:
        if (frame->window_update.window_size_increment == 0)
            nl_conn_misbehaved(c, "empty WINDOW_UPDATE");
        break;
    default:
        break;
    }
    return 0;
}

static int on_frame_send(nghttp2_session *s, const nghttp2_frame *frame, void *ud)
{
    struct nl_conn *c = ud;

    /*
     * Sending a response clears the ping strikes, as gRPC servers do: stock
     * clients (grpcio's BDP probe) ping after each burst of data they
     * receive, often just after the last call of the moment has finished.
     */
    if (frame->hd.type == NGHTTP2_HEADERS || frame->hd.type == NGHTTP2_DATA) {
        c->ping_strikes = 0;
        c->idle_ping_ms = 0;
    }
    if (frame->hd.type != NGHTTP2_HEADERS || !(frame->hd.flags & NGHTTP2_FLAG_END_STREAM))
        return 0;
    /*
     * We answered before the client finished sending (an early error): now
     * that our END_STREAM is out, tell it to stop (PROTOCOL.md 1.7). Submitted
     * here, never right after the response, because RST_STREAM cancels what
     * is still queued for the stream.
     */
    if (nghttp2_session_get_stream_remote_close(s, frame->hd.stream_id) == 0)
        nghttp2_submit_rst_stream(s, NGHTTP2_FLAG_NONE, frame->hd.stream_id, NGHTTP2_NO_ERROR);
    return 0;
}

static int on_stream_close(nghttp2_session *s, int32_t stream_id, uint32_t error_code, void *ud)
{
    struct nl_conn *c = ud;
    struct nl_call *call = call_of(s, stream_id);

    (void)error_code;
    if (call == NULL)
        return 0;
    nghttp2_session_set_stream_user_data(s, stream_id, NULL);
    if (call->prev != NULL)
        call->prev->next = call->next;
    else
        c->calls = call->next;
    if (call->next != NULL)
        call->next->prev = call->prev;
    call->prev = call->next = NULL;
    call->in_session = 0;
    c->ncalls--;
    if (!call->responded) {
        /* The client reset the stream (or the connection broke) before we answered. */
        call->responded = 1;
        nl_dispatch_count(c->srv, NL_CANCELLED);
    }
    nl_deadlines_remove(c->srv, call);
    if (call->job != NULL) {
        /* The job finishes on its thread; its completion frees the call. */
        atomic_store(&call->job->cancel, 1);
        nl_call_charge(call, 0);
        call->conn = NULL;
    } else {
        nl_call_free(call);
    }
    nl_conn_streams_changed(c);
    return 0;
}

static int on_invalid_frame_recv(nghttp2_session *s, const nghttp2_frame *frame, int lib_error,
                                 void *ud)
{
    struct nl_conn *c = ud;

    (void)s;
    nl_log_debug("conn=%lu invalid frame type %u: %s", c->id, frame->hd.type,
                 nghttp2_strerror(lib_error));
    nl_conn_misbehaved(c, "invalid frame");
    return 0;
}

static int on_error(nghttp2_session *s, int lib_error, const char *msg, size_t len, void *ud)
{
    struct nl_conn *c = ud;

    (void)s;
    (void)lib_error;
    nl_log_debug("conn=%lu nghttp2: %.*s", c->id, (int)len, msg);
    return 0;
}

int nl_h2_session_new(struct nl_conn *c)
{
    nghttp2_session_callbacks *cbs = NULL;
    nghttp2_option *opt = NULL;
    const struct nl_config *cfg = &c->srv->cfg;
    int rv;

    if ((rv = nghttp2_session_callbacks_new(&cbs)) != 0)
        return rv;
    if ((rv = nghttp2_option_new(&opt)) != 0) {
        nghttp2_session_callbacks_del(cbs);
        return rv;
    }
    nghttp2_session_callbacks_set_on_begin_headers_callback(cbs, on_begin_headers);
    nghttp2_session_callbacks_set_on_header_callback(cbs, on_header);
    nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cbs, on_data_chunk_recv);
    nghttp2_session_callbacks_set_on_frame_recv_callback(cbs, on_frame_recv);
    nghttp2_session_callbacks_set_on_frame_send_callback(cbs, on_frame_send);
    nghttp2_session_callbacks_set_on_stream_close_callback(cbs, on_stream_close);
    nghttp2_session_callbacks_set_on_invalid_frame_recv_callback(cbs, on_invalid_frame_recv);
    nghttp2_session_callbacks_set_error_callback2(cbs, on_error);

    nghttp2_option_set_no_closed_streams(opt, 1);
    nghttp2_option_set_stream_reset_rate_limit(opt, 200, 20);
    nghttp2_option_set_max_continuations(opt, 8);
    nghttp2_option_set_max_settings(opt, 32);
    nghttp2_option_set_max_outbound_ack(opt, 1000);

    rv = nghttp2_session_server_new2(&c->h2, cbs, c, opt);
    nghttp2_session_callbacks_del(cbs);
    nghttp2_option_del(opt);
    if (rv != 0)
        return rv;

    nghttp2_settings_entry iv[] = {
        {NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, cfg->max_streams},
        {NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, 65535},
        {NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE, cfg->header_list_max},
    };
    rv = nghttp2_submit_settings(c->h2, NGHTTP2_FLAG_NONE, iv, sizeof(iv) / sizeof(iv[0]));
    if (rv == 0)
        rv = nghttp2_session_set_local_window_size(c->h2, NGHTTP2_FLAG_NONE, 0, 1 << 20);
    if (rv != 0) {
        nghttp2_session_del(c->h2);
        c->h2 = NULL;
    }
    return rv;
}
