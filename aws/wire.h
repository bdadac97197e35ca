/* Declarations shared by the transport and wire half of aws/ (engine.c, call.c, resp.c, xml.c,
 * shapes.c, proto_*.c) and nowhere else. The identity half only sees pp_aws.h and internal.h. */
#ifndef PP_AWS_WIRE_H
#define PP_AWS_WIRE_H

#include <pthread.h>
#include <stdint.h>

#include <libxml/tree.h>

#include "internal.h"

/* ---- shapes (shapes.c, definitions in shapes_def.c) --------------------------------------
 * An output shape says how one operation's response maps onto the AWS CLI's output: member
 * names, wire names, list wrappers and value types. */
enum pp_shape_kind {
    PP_SH_STRING = 0,
    PP_SH_INTEGER,
    PP_SH_LONG,
    PP_SH_DOUBLE,
    PP_SH_BOOLEAN,
    PP_SH_TIMESTAMP,
    PP_SH_POLICY, /* IAM policyDocumentType: URL-encoded JSON text */
    PP_SH_JSON,   /* a JSON document carried as text (KMS key policy, S3 bucket policy) */
    PP_SH_STRUCT,
    PP_SH_LIST,
    PP_SH_MAP,
};

typedef struct pp_shape pp_shape;

typedef struct pp_member {
    char *name; /* output key, the model's member name */
    char *wire; /* XML element or JSON key on the wire */
    const pp_shape *shape;
    char *item;       /* XML list element name; NULL accepts any element */
    char *entry[3];   /* XML map entry, key and value element names */
    char **json_keys; /* map: values under these keys are JSON documents */
    bool flat;        /* XML list without a wrapper: repeated <wire> elements */
    bool payload;     /* REST-XML: the response's root element is this member */
    bool attr;        /* XML: an attribute of the structure's element (S3 xsi:type) */
} pp_member;

struct pp_shape {
    enum pp_shape_kind kind;
    char *name;         /* named structures only */
    pp_member *members; /* PP_SH_STRUCT */
    size_t n_members;
    const pp_shape *elem; /* PP_SH_LIST element, PP_SH_MAP value */
    /* a list or map member's wire options live in the member; nested ones use defaults */
};

/* The definitions, one text per service (shapes_def.c), NULL-terminated. */
extern const char *const pp_shape_defs[];
/* The output shape `name` ("DescribeSecurityGroupsResult") of a service, or NULL. Shapes are
 * parsed once, on first use; a malformed definition is reported by pp_shapes_check() (which the
 * unit tests run) and leaves the rest usable. */
const pp_shape *pp_shape_find(const char *service, const char *name);
/* Checks every definition and reference; 0 or PP_EINTERNAL with the first problem. */
int pp_shapes_check(void);

typedef struct pp_decode_ctx {
    enum pp_proto proto;
    const char *service;
    const char *operation;
    int unknown;    /* elements decoded generically (not in the shape) */
    int bad_values; /* values that did not convert to their declared type */
    int bad_shape;  /* lists, structures or maps that arrived as something else */
} pp_decode_ctx;

/* XML element (a structure's element) -> JSON object in the CLI's shape. shape NULL decodes
 * generically. Never fails: unknown elements become generic members. */
json_t *pp_shape_decode_xml(pp_decode_ctx *ctx, const pp_shape *shape, xmlNode *node);
/* Decodes one member's value (list, map, scalar or structure) from its XML element. */
json_t *pp_shape_decode_xml_member(pp_decode_ctx *ctx, const pp_member *m, xmlNode *node);
/* JSON value in wire form -> the CLI's shape (renames, timestamps, policy documents). */
json_t *pp_shape_decode_json(pp_decode_ctx *ctx, const pp_shape *shape, json_t *v);
/* Ends a successful decode: resp->ok, unless a list, structure or map arrived as something else
 * ({"Keys": 5}, text inside <ipRanges>). Kept, such a value would read as empty to a collector
 * and to rules, so the call fails as InvalidResponse instead. Returns 0 or PP_EAWS. */
int pp_shape_finish(pp_decode_ctx *ctx, pp_aws_resp *resp);

/* A policy document carried as text (URL-encoded for IAM) -> JSON; stays a string, logged, when
 * it is not JSON. */
json_t *pp_shape_document(pp_decode_ctx *ctx, const char *text, bool percent_encoded);
/* "2023-04-01T10:00:00.000Z" or epoch seconds -> "2023-04-01T10:00:00Z"; NULL when invalid. */
json_t *pp_wire_timestamp(const char *s);
/* Percent-decoding of %XY only ('+' stays '+'), as IAM policy documents need. */
char *pp_wire_percent_decode(const char *s);
/* JSON text -> value, depth-limited; NULL when it is not JSON. */
json_t *pp_wire_json_parse(const char *text, size_t len);

/* ---- XML (xml.c) ------------------------------------------------------------------------- */
#define PP_XML_MAX_DEPTH 256
/* Parses without network access, entity expansion or DTDs, refusing documents deeper than
 * PP_XML_MAX_DEPTH. NULL on failure (pp_err_msg says why). */
xmlDoc *pp_xml_parse(const char *body, size_t len);
void pp_xml_init(void); /* libxml2's one-time setup; pp_xml_parse does it too */
xmlNode *pp_xml_child(xmlNode *parent, const char *name); /* first element child by local name */
xmlNode *pp_xml_first_element(xmlNode *parent);
/* Text of an element (all descendant text), caller frees; "" for an empty element. */
char *pp_xml_text(xmlNode *node);
/* Text of the first child element `name`, or NULL. */
char *pp_xml_child_text(xmlNode *parent, const char *name);
bool pp_xml_is(xmlNode *node, const char *name);

/* ---- protocols (proto_*.c) ---------------------------------------------------------------
 * A request ready to send, before signing: everything the engine needs to sign and send it. */
typedef struct pp_wire_req {
    char *method;
    char *scheme_host;       /* "https://iam.amazonaws.com" or "http://127.0.0.1:4566" */
    char *host;              /* Host header: "iam.amazonaws.com", "127.0.0.1:4566" */
    char *host_prefix;       /* S3 virtual-hosted: the bucket, prepended to the endpoint's host */
    char *path;              /* as sent, percent-encoded, starts with '/' */
    char *query;             /* as sent, without '?', or NULL */
    pp_http_header *headers; /* extra signed headers (names and values owned) */
    size_t n_headers;
    char *body;
    size_t body_len;
    bool s3; /* S3 signing: no path normalisation, x-amz-content-sha256 */
} pp_wire_req;

void pp_wire_req_clear(pp_wire_req *r);
void pp_wire_req_add_header(pp_wire_req *r, const char *name, const char *value);

/* Splits an endpoint URL into scheme://host[:port] and a base path ("" or "/x"). */
int pp_wire_split_url(const char *url, char **scheme_host, char **host, char **base_path);

/* Encoders: fill method, path, query, headers and body from the operation's input. */
int pp_proto_query_request(const pp_service *svc, const pp_op *op, const char *operation,
                           json_t *input, pp_wire_req *out);
int pp_proto_json_request(const pp_service *svc, const char *operation, json_t *input,
                          pp_wire_req *out);
/* s3_virtual: put a DNS-compatible {Bucket} into the host (out->host_prefix) instead of the
 * path. */
int pp_proto_rest_request(const pp_service *svc, const pp_op *op, json_t *input, bool s3_virtual,
                          pp_wire_req *out);

/* Decoders: a 2xx body into resp->data, or a failure into resp->code/message. */
int pp_proto_query_decode(const pp_service *svc, const pp_op *op, const char *operation,
                          long status, const char *body, size_t len, pp_aws_resp *resp);
int pp_proto_json_decode(const pp_service *svc, const pp_op *op, const char *operation, long status,
                         const pp_http_header *h, size_t n_h, const char *body, size_t len,
                         pp_aws_resp *resp);
/* Error bodies of the JSON protocols: code from __type / code (or the X-Amzn-ErrorType header,
 * first when header_first, as REST-JSON wants), message from message / Message. */
int pp_proto_json_error(long status, const pp_http_header *h, size_t n_h, const char *body,
                        size_t len, bool header_first, pp_aws_resp *resp);
int pp_proto_rest_decode(const pp_service *svc, const pp_op *op, const char *operation, long status,
                         const pp_http_header *h, size_t n_h, const char *body, size_t len,
                         pp_aws_resp *resp);

/* ---- responses (resp.c) -------------------------------------------------------------------- */
const char *pp_wire_header(const pp_http_header *h, size_t n, const char *name);
/* Sets a failure on resp (code, redacted message); returns PP_EAWS. */
int pp_wire_fail(pp_aws_resp *resp, const char *code, const char *fmt, ...) PP_PRINTF(3, 4);
/* A body that is neither the protocol's error format nor parseable: code "HTTP<status>" and
 * a short, printable, tag-free excerpt as the message. */
int pp_wire_fail_http(pp_aws_resp *resp, long status, const char *body, size_t len);
/* An XML error body (query, EC2, S3 or moto's variants) into resp; not XML or no <Code>: the
 * HTTP<status> form of pp_wire_fail_http(). Returns PP_EAWS. */
int pp_wire_xml_error(long status, const char *body, size_t len, pp_aws_resp *resp);
/* Request id from the standard headers, else NULL. */
const char *pp_wire_header_request_id(const pp_http_header *h, size_t n);
/* Upper-cases the first letter: generic member names for elements not in a shape. */
char *pp_wire_upper_first(const char *s);

/* ---- the engine (engine.c) -----------------------------------------------------------------
 * One transfer = one attempt. Callers fill the request part, submit, and wait on their waiter
 * until `done`; the loop thread signs it (fresh X-Amz-Date) when it starts it. */
typedef struct pp_xfer pp_xfer;

typedef struct pp_waiter {
    pthread_cond_t cond;
    int pending;   /* transfers submitted and not yet done */
    pp_xfer *done; /* done and not yet collected, through ->next */
} pp_waiter;

enum pp_ec2_category { PP_EC2_NONE = -1, PP_EC2_READ = 0, PP_EC2_READ_UNFILTERED, PP_EC2_WRITE };

struct pp_xfer {
    /* request, owned by the submitter until done */
    pp_wire_req req;
    pp_creds creds;
    const char *signing_region;
    const char *signing_name;
    /* scheduling */
    const pp_aws_client *client;
    const char *service;
    const char *region;
    enum pp_ec2_category ec2;
    int64_t not_before_ms; /* monotonic; 0 = now */
    pp_waiter *waiter;
    /* result, valid once done */
    bool done;
    int curl_code;
    char curl_error[256];
    long status;
    pp_buf body;
    pp_http_header *resp_headers; /* names and values owned */
    size_t n_resp_headers;
    bool too_large;
    bool local_error; /* never sent: no credentials, signing failed; curl_error says why */
    /* engine-private */
    void *owner; /* the submitter's context (call.c: its call) */
    void *priv;
    struct pp_xfer *next;
};

/* EC2's request-rate bucket for one (client, region, category): capacity and refill per second
 * from aws-protocols.md section 4. */
typedef struct pp_rate_bucket {
    double tokens, capacity, rate;
    int64_t last_ms;
} pp_rate_bucket;
void pp_rate_bucket_init(pp_rate_bucket *b, enum pp_ec2_category cat, int64_t now_ms);
/* Takes a token and returns 0, or returns how many milliseconds until one is there. */
int64_t pp_rate_bucket_take(pp_rate_bucket *b, int64_t now_ms);

/* The wall clock signatures are dated with (time(NULL)); a test may replace it before creating
 * an engine to see that every attempt is signed afresh. */
extern time_t (*pp_engine_sign_clock)(void);

void pp_xfer_clear(pp_xfer *x); /* frees request and result, keeps nothing */
void pp_xfer_reset_result(pp_xfer *x);

void pp_waiter_init(pp_waiter *w);
void pp_waiter_destroy(pp_waiter *w);
/* Queues x for sending; it becomes done (x->done) under the engine lock. */
void pp_engine_submit(pp_aws_engine *e, pp_xfer *x);
/* Blocks until some of the waiter's transfers are done and returns them (a list through ->next,
 * each result then readable without the lock); NULL at once when none is pending. */
pp_xfer *pp_engine_wait(pp_aws_engine *e, pp_waiter *w);
void pp_engine_lock(pp_aws_engine *e);
void pp_engine_unlock(pp_aws_engine *e);
int64_t pp_engine_now_ms(void);
void pp_engine_count(pp_aws_engine *e, long requests, long retries, long throttles, long errors);
size_t pp_engine_max_response(pp_aws_engine *e);

#endif
