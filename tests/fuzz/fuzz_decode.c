/* Fuzz target: the AWS response decoders (pp_aws_decode): one protocol per build, chosen with
 * -DFUZZ_PROTO_<NAME> (XML for query and EC2, JSON for JSON 1.1, RESTJSON, RESTXML). The input's
 * first line says what answered: "<Operation> <status>[ h]" (h adds error-type, request-id and
 * bucket-region headers); a line that names no operation of the protocol picks one by its bytes.
 * The rest is the body. Besides crashes it checks the decoder's contract: data exactly when ok,
 * an error code and a one-line message otherwise, and output that serialises as JSON. */
#include "fuzz.h"
#include "wire.h"

#include <stdio.h>

#if defined(FUZZ_PROTO_XML)
static bool wanted(enum pp_proto p)
{
    return p == PP_PROTO_QUERY || p == PP_PROTO_EC2;
}
#elif defined(FUZZ_PROTO_JSON)
static bool wanted(enum pp_proto p)
{
    return p == PP_PROTO_JSON;
}
#elif defined(FUZZ_PROTO_RESTJSON)
static bool wanted(enum pp_proto p)
{
    return p == PP_PROTO_RESTJSON;
}
#elif defined(FUZZ_PROTO_RESTXML)
static bool wanted(enum pp_proto p)
{
    return p == PP_PROTO_RESTXML;
}
#else
#error "define FUZZ_PROTO_XML, FUZZ_PROTO_JSON, FUZZ_PROTO_RESTJSON or FUZZ_PROTO_RESTXML"
#endif

static const long statuses[] = {200, 200, 200, 200, 200, 200, 204, 301,
                                400, 403, 404, 409, 429, 500, 503, 302};

static const pp_op *ops[128];
static size_t n_ops;

static void init(void)
{
    if (n_ops)
        return;
    for (size_t i = 0; pp_op_at(i) && n_ops < 128; i++) {
        const pp_service *svc = pp_service_find(pp_op_at(i)->service);
        if (svc && wanted(svc->proto))
            ops[n_ops++] = pp_op_at(i);
    }
    if (!n_ops)
        abort();
    pp_shapes_check();
    pp_xml_init();
}

static void check_text(const char *what, const char *s)
{
    if (!s)
        return;
    for (const char *p = s; *p; p++)
        if (*p == '\n' || *p == '\r') {
            fprintf(stderr, "%s spans lines: %s\n", what, s);
            abort();
        }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    init();
    const uint8_t *nl = memchr(data, '\n', size < 80 ? size : 80);
    size_t hlen = nl ? (size_t)(nl - data) : 0;
    char head[81];
    memcpy(head, data, hlen);
    head[hlen] = '\0';
    if (nl) {
        data += hlen + 1;
        size -= hlen + 1;
    }
    unsigned hash = 5381;
    for (size_t i = 0; i < hlen; i++)
        hash = hash * 33 + (unsigned char)head[i];
    const pp_op *op = ops[hash % n_ops];
    long status = statuses[(hash >> 8) % (sizeof(statuses) / sizeof(statuses[0]))];
    char *sp = strchr(head, ' ');
    if (sp)
        *sp = '\0';
    for (size_t i = 0; i < n_ops; i++)
        if (strcmp(ops[i]->name, head) == 0)
            op = ops[i];
    long v;
    char *flag = sp ? strchr(sp + 1, ' ') : NULL;
    if (flag)
        *flag++ = '\0';
    if (sp && pp_parse_long(sp + 1, 100, 599, &v) == 0)
        status = v;
    unsigned st = flag && *flag == 'h' ? 0x80 : 0;
    if (flag && flag[0] && flag[1] == 't')
        st |= 0x40;
    const pp_service *svc = pp_service_find(op->service);
    pp_http_header h[] = {
        {"x-amzn-ErrorType",
         st & 0x40 ? "ThrottlingException:http://internal.amazon.com/" : "AccessDeniedException"},
        {"x-amzn-RequestId", "00000000-0000-4000-8000-000000000000"},
        {"x-amz-bucket-region", "eu-west-1"},
    };
    size_t nh = st & 0x80 ? 3 : 0;
    /* An exact-size body: a read past its end is a bug ASan reports. */
    char *body = pp_xmalloc(size ? size : 1);
    if (size)
        memcpy(body, data, size);
    pp_aws_resp r = {0};
    int rc = pp_aws_decode(svc, op, status, h, nh, body, size, &r);
    if ((rc == 0) != r.ok || (r.ok && !r.data) || (!r.ok && r.data)) {
        fprintf(stderr, "%s %s: rc %d, ok %d, data %p\n", svc->name, op->name, rc, r.ok,
                (void *)r.data);
        abort();
    }
    if (r.ok) {
        char *s = json_dumps(r.data, JSON_COMPACT | JSON_ENCODE_ANY);
        if (!s) {
            fprintf(stderr, "%s %s: decoded data does not serialise\n", svc->name, op->name);
            abort();
        }
        free(s);
    } else {
        if (!r.code || !*r.code || !r.message) {
            fprintf(stderr, "%s %s: a failure without a code or message\n", svc->name, op->name);
            abort();
        }
        check_text("error code", r.code);
        check_text("error message", r.message);
        char *line = pp_aws_resp_error(&r);
        check_text("error line", line);
        free(line);
        (void)pp_aws_retry_classify(0, status, r.code);
    }
    pp_aws_resp_clear(&r);
    free(body);
    return 0;
}
