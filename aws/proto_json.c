/* JSON 1.1 (KMS, CloudTrail, Config, CloudWatch Logs): POST / with X-Amz-Target and a JSON body;
 * JSON responses whose keys already are the model's member names, so decoding mostly converts
 * timestamps and policy documents (aws-protocols.md section 2.3). The error rules here are
 * shared with REST-JSON. */
#include "wire.h"

#include <stdlib.h>
#include <string.h>

int pp_proto_json_request(const pp_service *svc, const char *operation, json_t *input,
                          pp_wire_req *out)
{
    if (input && !json_is_object(input) && !json_is_null(input))
        return pp_err_set(PP_EINVAL, "%s input must be a JSON object", operation);
    char *body = NULL;
    if (input && json_is_object(input) && json_object_size(input) > 0)
        body = json_dumps(input, JSON_COMPACT);
    out->method = pp_xstrdup("POST");
    out->body = pp_xstrdup(body ? body : "{}"); /* JSON 1.1 always sends a body */
    out->body_len = strlen(out->body);
    free(body);
    char *ctype =
        pp_xasprintf("application/x-amz-json-%s", svc->json_version ? svc->json_version : "1.1");
    char *target = pp_xasprintf("%s.%s", svc->target_prefix ? svc->target_prefix : "", operation);
    pp_wire_req_add_header(out, "Content-Type", ctype);
    pp_wire_req_add_header(out, "X-Amz-Target", target);
    free(ctype);
    free(target);
    return 0;
}

/* "com.amazonaws.kms#NotFoundException:http://..." -> "NotFoundException" */
static char *clean_code(const char *raw)
{
    const char *hash = strrchr(raw, '#');
    const char *start = hash ? hash + 1 : raw;
    size_t n = strcspn(start, ":");
    while (n && (start[n - 1] == ' '))
        n--;
    return pp_xstrndup(start, n);
}

int pp_proto_json_error(long status, const pp_http_header *h, size_t n_h, const char *body,
                        size_t len, bool header_first, pp_aws_resp *resp)
{
    json_t *doc = len ? pp_wire_json_parse(body, len) : NULL;
    const char *raw = NULL;
    const char *header = pp_wire_header(h, n_h, "x-amzn-ErrorType");
    if (header_first && header && *header)
        raw = header;
    if (!raw && json_is_object(doc)) {
        raw = json_string_value(json_object_get(doc, "__type"));
        if (!raw)
            raw = json_string_value(json_object_get(doc, "code"));
        if (!raw)
            raw = json_string_value(json_object_get(doc, "Code"));
    }
    if (!raw && header && *header)
        raw = header;
    char *code = raw ? clean_code(raw) : NULL;
    if (!code || !*code) {
        free(code);
        json_decref(doc);
        /* A front end (or moto's auth layer) may answer a JSON service in XML. */
        return pp_wire_xml_error(status, body, len, resp);
    }
    const char *msg = NULL;
    if (json_is_object(doc)) {
        msg = json_string_value(json_object_get(doc, "message"));
        if (!msg)
            msg = json_string_value(json_object_get(doc, "Message"));
        if (!msg)
            msg = json_string_value(json_object_get(doc, "errorMessage"));
    }
    pp_wire_fail(resp, code, "%s", msg ? msg : "");
    free(code);
    json_decref(doc);
    return PP_EAWS;
}

int pp_proto_json_decode(const pp_service *svc, const pp_op *op, const char *operation, long status,
                         const pp_http_header *h, size_t n_h, const char *body, size_t len,
                         pp_aws_resp *resp)
{
    if (status < 200 || status >= 300)
        return pp_proto_json_error(status, h, n_h, body, len, false, resp);
    json_t *doc = len ? pp_wire_json_parse(body, len) : json_object();
    if (!doc && op && op->mutating && len >= 4 && memcmp(body, "null", 4) == 0) {
        /* a write without output (EnableKeyRotation): moto answers "null". The body need not be
         * NUL-terminated: look at its len bytes only. */
        size_t i = 4;
        while (i < len && strchr(" \t\r\n", body[i]) && body[i])
            i++;
        if (i == len)
            doc = json_object();
    }
    if (!doc)
        return pp_wire_fail(resp, "InvalidResponse", "%s %s: %s", svc->name, operation,
                            pp_err_msg());
    if (!json_is_object(doc)) {
        json_decref(doc);
        return pp_wire_fail(resp, "InvalidResponse", "%s %s: response is not a JSON object",
                            svc->name, operation);
    }
    pp_decode_ctx ctx = {.proto = svc->proto, .service = svc->name, .operation = operation};
    const pp_shape *shape = op && op->output ? pp_shape_find(svc->name, op->output) : NULL;
    resp->data = pp_shape_decode_json(&ctx, shape, doc);
    json_decref(doc);
    return pp_shape_finish(&ctx, resp);
}
