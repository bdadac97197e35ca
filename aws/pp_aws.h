/* parapet's AWS client: SigV4, credentials, endpoints, an HTTP engine on libcurl multi with the
 * SDKs' standard retry mode, and the five wire protocols (query, EC2 query, JSON 1.1, REST-JSON,
 * REST-XML) decoded into the AWS CLI's output shape. No SDK; ../shared/aws-protocols.md is the
 * cheat-sheet and docs/architecture.md explains the threading.
 *
 * Threading: one engine runs one event-loop thread that owns the curl multi handle. Callers (the
 * CLI thread, scanner workers, remediation workers) submit requests and block until their
 * responses are complete; the loop enforces the per-(client, service, region) in-flight bound,
 * EC2's request-rate buckets, backoff timers and re-signing on every attempt. */
#ifndef PP_AWS_H
#define PP_AWS_H

#include "pp_core.h"

/* ---- services ------------------------------------------------------------------------------ */

enum pp_proto {
    PP_PROTO_QUERY,    /* IAM, STS, SNS, CloudWatch */
    PP_PROTO_EC2,      /* EC2 */
    PP_PROTO_JSON,     /* JSON 1.1: KMS, CloudTrail, Config, CloudWatch Logs */
    PP_PROTO_RESTJSON, /* GuardDuty */
    PP_PROTO_RESTXML,  /* S3 */
};

typedef struct pp_service {
    const char *name;          /* parapet's name, used on the command line: "config" */
    const char *signing_name;  /* SigV4 scope service: "config", "monitoring" */
    const char *host_prefix;   /* "config" -> config.<region>.amazonaws.com */
    const char *env_name;      /* AWS_ENDPOINT_URL_<env_name>: "CONFIG_SERVICE" */
    const char *config_name;   /* key in a [services x] section: "config_service" */
    const char *api_version;   /* "2014-11-12" */
    const char *target_prefix; /* JSON 1.1 X-Amz-Target prefix, else NULL */
    const char *json_version;  /* "1.1" for JSON protocols */
    enum pp_proto proto;
    bool global; /* one endpoint per partition, signed in its home region (IAM) */
} pp_service;

/* iam sts ec2 kms cloudtrail config guardduty logs cloudwatch sns s3 */
const pp_service *pp_service_find(const char *name);
const pp_service *pp_service_at(size_t i); /* NULL past the end */

/* ---- operations ---------------------------------------------------------------------------
 * Every operation parapet calls is declared once (aws/operations.c): its IAM permission, how it is
 * paged, and the shape its output decodes through. Collectors and actions name operations; the
 * least-privilege policies are generated from these declarations. */
typedef struct pp_op {
    const char *service;    /* "iam" */
    const char *name;       /* "ListUsers" */
    const char *permission; /* "iam:ListUsers" */
    const char *method;     /* REST protocols: "GET"; NULL otherwise (POST) */
    const char *uri;        /* REST protocols: "/detector/{DetectorId}", "/{Bucket}?logging" */
    const char *query_keys; /* REST: comma-separated input keys sent in the query string */
    const char *output;     /* output shape name; NULL: decoded generically */
    /* paging, NULL when the operation is not paged */
    const char *in_token;    /* input key carrying the token: "Marker", "NextToken", "nextToken" */
    const char *out_token;   /* output key: "Marker", "NextMarker", "NextToken", "nextToken" */
    const char *more_key;    /* "IsTruncated" / "Truncated" when the service says so explicitly */
    const char *limit_key;   /* "MaxItems", "MaxResults", "Limit", "maxResults" */
    int limit;               /* page size parapet asks for */
    const char *result_keys; /* comma-separated list keys concatenated across pages */
    bool mutating;           /* a write: never retried unless idempotent (client token) */
} pp_op;

const pp_op *pp_op_find(const char *service, const char *name);
const pp_op *pp_op_at(size_t i);

/* ---- errors and responses ------------------------------------------------------------------- */

typedef struct pp_aws_resp {
    bool ok;
    json_t *data; /* decoded output in the AWS CLI's shape; NULL unless ok */
    long http_status;
    char *code;       /* AWS error code ("AccessDenied"), or a local one: "ConnectionError",
                         "Timeout", "RetryQuotaExceeded", "InvalidResponse", "ResponseTooLarge" */
    char *message;    /* redacted */
    char *request_id; /* x-amzn-RequestId / <RequestId> / <requestId> */
    int attempts;     /* total attempts over all pages */
    int pages;
} pp_aws_resp;

void pp_aws_resp_clear(pp_aws_resp *r); /* frees members, leaves a zeroed struct */
/* "Code: message" for coverage records and error lines (redacted, one line). */
char *pp_aws_resp_error(const pp_aws_resp *r);

/* ---- credentials ----------------------------------------------------------------------------- */

typedef struct pp_creds {
    char *access_key_id;
    char *secret_access_key;
    char *session_token; /* NULL for long-term keys */
    time_t expiration;   /* 0 when the credentials do not expire */
    char *source;        /* "environment", "profile audit (credentials file)", "assume-role ..." */
} pp_creds;

void pp_creds_clear(pp_creds *c);
int pp_creds_copy(pp_creds *dst, const pp_creds *src);

/* ---- configuration files -------------------------------------------------------------------
 * ~/.aws/config and ~/.aws/credentials (AWS_CONFIG_FILE, AWS_SHARED_CREDENTIALS_FILE). Parse
 * errors carry "file:line: message". */
typedef struct pp_aws_ini pp_aws_ini;
int pp_aws_ini_parse_file(pp_aws_ini **out, const char *path); /* missing file: empty, 0 */
int pp_aws_ini_parse(pp_aws_ini **out, const char *text, const char *filename);
void pp_aws_ini_free(pp_aws_ini *ini);
/* Section lookup: "default", "profile audit", "services local-emu"; NULL when absent. */
const char *pp_aws_ini_get(const pp_aws_ini *ini, const char *section, const char *key);
/* Sub-key of an indented block: services section, key "config_service", sub "endpoint_url". */
const char *pp_aws_ini_get_sub(const pp_aws_ini *ini, const char *section, const char *key,
                               const char *sub);
bool pp_aws_ini_has_section(const pp_aws_ini *ini, const char *section);

/* ---- SigV4 ------------------------------------------------------------------------------------
 */

typedef struct pp_http_header {
    const char *name;
    const char *value;
} pp_http_header;

typedef struct pp_sigv4_input {
    const char *method;
    const char *path;  /* as sent on the wire, already percent-encoded, without the query */
    const char *query; /* as sent on the wire, without '?', or NULL */
    const pp_http_header *headers; /* in arrival order; repeats allowed; must include host */
    size_t n_headers;
    const void *body;
    size_t body_len;
    const char *access_key_id;
    const char *secret_access_key;
    const char *session_token; /* when set, X-Amz-Security-Token is added and signed */
    const char *region;
    const char *service;
    const char *amz_date; /* "20150830T123600Z" */
    bool normalize_path;  /* false for S3 */
    bool s3_payload_hash; /* S3: sign x-amz-content-sha256 */
} pp_sigv4_input;

typedef struct pp_sigv4_output {
    char *canonical_request;
    char *string_to_sign;
    char *authorization; /* the Authorization header value */
    char *signed_headers;
    char *payload_hash;
} pp_sigv4_output;

int pp_sigv4_sign(const pp_sigv4_input *in, pp_sigv4_output *out);
void pp_sigv4_output_clear(pp_sigv4_output *o);
/* UriEncode of aws-protocols.md section 1; keep_slash for paths. Caller frees. */
char *pp_aws_uri_encode(const char *s, size_t len, bool keep_slash);

/* ---- the engine --------------------------------------------------------------------------- */

typedef struct pp_aws_engine pp_aws_engine;

typedef struct pp_aws_engine_options {
    int max_in_flight;       /* per client, service and region; 0 = 8 */
    int max_total;           /* across the engine; 0 = 64 */
    long connect_timeout_ms; /* 0 = 3000 */
    long timeout_ms;         /* whole request; 0 = 60000 */
    size_t max_response;     /* bytes; 0 = 64 MiB; larger bodies fail as ResponseTooLarge */
} pp_aws_engine_options;

typedef struct pp_aws_stats {
    long requests; /* attempts sent */
    long retries;
    long throttles;
    long errors; /* calls that failed after their retries */
} pp_aws_stats;

int pp_aws_engine_new(pp_aws_engine **out, const pp_aws_engine_options *opts);
void pp_aws_engine_free(pp_aws_engine *e);
void pp_aws_engine_stats(pp_aws_engine *e, pp_aws_stats *out);

/* ---- clients ------------------------------------------------------------------------------
 * A client is one identity (a credential provider), its endpoint configuration and its retry
 * quota. Temporary credentials are refreshed before they expire. */
typedef struct pp_aws_client pp_aws_client;

typedef struct pp_aws_client_options {
    const char *profile;          /* --profile: explicit, so environment keys are ignored */
    const char *endpoint_url;     /* --endpoint-url: for every service */
    const char *region;           /* --region's first value or NULL: env, then profile */
    int max_attempts;             /* 0: AWS_MAX_ATTEMPTS, else 3 */
    bool allow_insecure_endpoint; /* http:// to a non-loopback host */
} pp_aws_client_options;

int pp_aws_client_new(pp_aws_client **out, pp_aws_engine *e, const pp_aws_client_options *opts);
/* A client for role_arn assumed with base's credentials (cross-account scans); it shares base's
 * endpoint configuration. external_id and session_name may be NULL. */
int pp_aws_client_assume(pp_aws_client **out, pp_aws_client *base, const char *role_arn,
                         const char *external_id, const char *session_name);
void pp_aws_client_free(pp_aws_client *c);

/* The default region (never NULL: falls back to us-east-1). */
const char *pp_aws_client_region(const pp_aws_client *c);
/* Current credentials, refreshing them when they expire within five minutes. */
int pp_aws_client_creds(pp_aws_client *c, pp_creds *out);
/* Where the credentials came from, for `doctor`, without secrets. */
const char *pp_aws_client_cred_source(pp_aws_client *c);
/* Endpoint URL and signing region for a service in a region. Caller frees *url. */
int pp_aws_client_endpoint(pp_aws_client *c, const pp_service *svc, const char *region, char **url,
                           const char **signing_region);
/* S3 bucket addressing for the URL above: true (path-style, <url>/<bucket>/<key>) whenever the
 * endpoint is configured (--endpoint-url, AWS_ENDPOINT_URL*, profile), false for the AWS default,
 * where the bucket goes into the host (<bucket>.s3.<region>.amazonaws.com; SDKs still use
 * path-style for bucket names with dots, which a wildcard certificate cannot cover). */
bool pp_aws_client_path_style(pp_aws_client *c, const pp_service *svc);

/* ---- calls ----------------------------------------------------------------------------------
 * input uses the wire names of the operation's parameters, structured: for query and EC2 a list
 * becomes Name.member.N or Name.N and an object Name.Key (e.g. {"Filter": [{"Name": "vpc-id",
 * "Value": ["vpc-1"]}]} for EC2); for JSON protocols it is the request body; for REST protocols
 * keys fill the URI template, then the op's query_keys, and the rest forms the body. input may be
 * NULL. region NULL means the client's region (and the home region for global services). */
typedef struct pp_aws_req {
    const char *service;
    const char *operation;
    const char *region;
    json_t *input;                /* borrowed */
    bool paginate;                /* follow the op's paging and concatenate its result_keys */
    const char *client_token_key; /* writes: input key that makes a retry idempotent; a
                                     random UUID is filled in when the input has none */
} pp_aws_req;

/* Blocks until done. Returns 0 when resp->ok, else PP_EAWS with resp describing the failure;
 * resp is overwritten (not freed) and filled in both cases and must be cleared by the caller.
 * Local problems (unknown operation, a missing URI parameter, no credentials) fail with code
 * "InvalidRequest" / "CredentialsError" without sending anything. */
int pp_aws_call(pp_aws_client *c, const pp_aws_req *req, pp_aws_resp *resp);
/* n requests at once (bounded by the engine), waiting for all of them. Returns the number that
 * failed. */
size_t pp_aws_call_many(pp_aws_client *c, const pp_aws_req *reqs, size_t n, pp_aws_resp *resps);

/* ---- pieces exposed for unit tests ---------------------------------------------------------- */

/* Flattens a structured query input into ordered k=v pairs, form-encoded into out. A map
 * parameter (SNS Attributes) is written {"Attributes": {"$map": {"k": "v"}}} and becomes
 * Attributes.entry.N.key / .value; any other object is a structure (Name.Key). */
int pp_aws_query_encode(const pp_service *svc, const char *operation, json_t *input, pp_buf *out);
/* Decodes an HTTP response body for op into resp (data or error). */
int pp_aws_decode(const pp_service *svc, const pp_op *op, long http_status,
                  const pp_http_header *headers, size_t n_headers, const char *body, size_t len,
                  pp_aws_resp *resp);

enum pp_retry_kind { PP_RETRY_NO = 0, PP_RETRY_TRANSIENT, PP_RETRY_THROTTLE, PP_RETRY_TIMEOUT };
/* curl_code is a CURLcode (0 when a response arrived). */
enum pp_retry_kind pp_aws_retry_classify(int curl_code, long http_status, const char *code);
/* Full-jitter delay in milliseconds before retry `attempt` (1-based); r in [0,1). The base is
 * 1 s; the environment variable PARAPET_RETRY_BASE_MS replaces it and exists for tests only
 * (so that proving three attempts does not take seconds); the 20 s cap stays. */
long pp_aws_backoff_ms(int attempt, double r);

typedef struct pp_retry_quota {
    int capacity; /* 500 */
    int available;
} pp_retry_quota;
void pp_retry_quota_init(pp_retry_quota *q);
/* Takes the cost of a retry (5, or 10 after a timeout); false when the quota cannot pay. */
bool pp_retry_quota_acquire(pp_retry_quota *q, enum pp_retry_kind kind, int *cost);
/* After a success: refund `cost` if it was a retry, else 1. */
void pp_retry_quota_release(pp_retry_quota *q, int cost);

#endif
