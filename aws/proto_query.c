/* The query protocol (IAM, STS, SNS, CloudWatch) and its EC2 dialect: form-encoded requests with
 * flattened parameters, XML responses (aws-protocols.md sections 2.1 and 2.2). */
#include "wire.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- encoding ----------------------------------------------------------------------------- */

static int put_pair(pp_buf *out, const char *key, const char *value)
{
    char *k = pp_aws_uri_encode(key, strlen(key), false);
    char *v = pp_aws_uri_encode(value, strlen(value), false);
    int rc = pp_buf_printf(out, "&%s=%s", k, v);
    free(k);
    free(v);
    return rc;
}

static int scalar_text(json_t *v, char *buf, size_t n, const char **out)
{
    switch (json_typeof(v)) {
    case JSON_STRING:
        *out = json_string_value(v);
        return 0;
    case JSON_INTEGER:
        snprintf(buf, n, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
        break;
    case JSON_REAL:
        snprintf(buf, n, "%.15g", json_real_value(v));
        break;
    case JSON_TRUE:
        snprintf(buf, n, "true");
        break;
    case JSON_FALSE:
        snprintf(buf, n, "false");
        break;
    default:
        return -1;
    }
    *out = buf;
    return 0;
}

/* Flattens v under `prefix`: objects as Prefix.Key, lists as Prefix.member.N (query) or
 * Prefix.N (EC2), {"$map": {...}} as Prefix.entry.N.key / .value. */
static int flatten(pp_buf *out, const char *prefix, json_t *v, bool ec2, int depth)
{
    int rc = 0;
    if (depth > 32)
        return pp_err_set(PP_EINVAL, "query input nested too deeply at '%s'", prefix);
    if (json_is_null(v))
        return 0;
    if (json_is_object(v)) {
        json_t *map = json_object_get(v, "$map");
        if (map && json_object_size(v) == 1) {
            if (!json_is_object(map))
                return pp_err_set(PP_EINVAL, "'%s': $map needs an object", prefix);
            const char *k;
            json_t *c;
            size_t i = 0;
            json_object_foreach(map, k, c)
            {
                i++;
                char *kk = pp_xasprintf("%s.entry.%zu.key", prefix, i);
                char *vk = pp_xasprintf("%s.entry.%zu.value", prefix, i);
                rc = put_pair(out, kk, k);
                if (rc == 0)
                    rc = flatten(out, vk, c, ec2, depth + 1);
                free(kk);
                free(vk);
                if (rc)
                    return rc;
            }
            return 0;
        }
        const char *k;
        json_t *c;
        json_object_foreach(v, k, c)
        {
            char *key = *prefix ? pp_xasprintf("%s.%s", prefix, k) : pp_xstrdup(k);
            rc = flatten(out, key, c, ec2, depth + 1);
            free(key);
            if (rc)
                return rc;
        }
        return 0;
    }
    if (json_is_array(v)) {
        if (!*prefix)
            return pp_err_set(PP_EINVAL, "query input must be an object");
        if (json_array_size(v) == 0)
            return ec2 ? 0 : put_pair(out, prefix, ""); /* query: an empty list is "Name=" */
        size_t i;
        json_t *c;
        json_array_foreach(v, i, c)
        {
            char *key = ec2 ? pp_xasprintf("%s.%zu", prefix, i + 1)
                            : pp_xasprintf("%s.member.%zu", prefix, i + 1);
            rc = flatten(out, key, c, ec2, depth + 1);
            free(key);
            if (rc)
                return rc;
        }
        return 0;
    }
    char num[64];
    const char *text = NULL;
    if (!*prefix || scalar_text(v, num, sizeof(num), &text))
        return pp_err_set(PP_EINVAL, "query input must be an object");
    return put_pair(out, prefix, text);
}

int pp_aws_query_encode(const pp_service *svc, const char *operation, json_t *input, pp_buf *out)
{
    if (!svc || !operation)
        return pp_err_set(PP_EINVAL, "query encoding needs a service and an operation");
    if (input && !json_is_object(input) && !json_is_null(input))
        return pp_err_set(PP_EINVAL, "%s input must be a JSON object", operation);
    char *action = pp_aws_uri_encode(operation, strlen(operation), false);
    char *version = pp_aws_uri_encode(svc->api_version, strlen(svc->api_version), false);
    int rc = pp_buf_printf(out, "Action=%s&Version=%s", action, version);
    free(action);
    free(version);
    if (rc == 0 && input)
        rc = flatten(out, "", input, svc->proto == PP_PROTO_EC2, 0);
    return rc;
}

int pp_proto_query_request(const pp_service *svc, const pp_op *op, const char *operation,
                           json_t *input, pp_wire_req *out)
{
    pp_buf b;
    pp_buf_init(&b, 1024 * 1024);
    int rc = pp_aws_query_encode(svc, operation, input, &b);
    if (rc) {
        pp_buf_free(&b);
        return rc;
    }
    out->method = pp_xstrdup("POST");
    out->body_len = b.len;
    out->body = pp_buf_steal(&b);
    if (!out->body)
        out->body = pp_xstrdup("");
    pp_wire_req_add_header(out, "Content-Type", "application/x-www-form-urlencoded; charset=utf-8");
    (void)op;
    return 0;
}

/* ---- decoding ----------------------------------------------------------------------------- */

static void set_request_id(pp_aws_resp *resp, xmlNode *node)
{
    if (!node || resp->request_id)
        return;
    resp->request_id = pp_xml_text(node);
}

/* <ErrorResponse><Error><Code/><Message/></Error><RequestId/></ErrorResponse> (query) and
 * <Response><Errors><Error>...</Error></Errors><RequestID/></Response> (EC2). */
static int decode_error(xmlNode *root, long status, pp_aws_resp *resp, const char *body, size_t len)
{
    xmlNode *err = NULL;
    if (pp_xml_is(root, "ErrorResponse")) {
        err = pp_xml_child(root, "Error");
        set_request_id(resp, pp_xml_child(root, "RequestId"));
    } else if (pp_xml_is(root, "Response")) {
        err = pp_xml_child(pp_xml_child(root, "Errors"), "Error");
        set_request_id(resp, pp_xml_child(root, "RequestID"));
        set_request_id(resp, pp_xml_child(root, "RequestId"));
    } else if (pp_xml_is(root, "Error")) {
        err = root; /* some endpoints answer with a bare <Error> */
        set_request_id(resp, pp_xml_child(root, "RequestId"));
    }
    char *code = err ? pp_xml_child_text(err, "Code") : NULL;
    if (!code || !*code) {
        free(code);
        return pp_wire_fail_http(resp, status, body, len);
    }
    char *msg = pp_xml_child_text(err, "Message");
    pp_wire_fail(resp, code, "%s", msg ? msg : "");
    free(code);
    free(msg);
    return PP_EAWS;
}

int pp_proto_query_decode(const pp_service *svc, const pp_op *op, const char *operation,
                          long status, const char *body, size_t len, pp_aws_resp *resp)
{
    bool ec2 = svc->proto == PP_PROTO_EC2;
    int rc = 0;
    xmlDoc *doc = pp_xml_parse(body, len);
    char *want = NULL;
    if (!doc) {
        if (status >= 200 && status < 300)
            return pp_wire_fail(resp, "InvalidResponse", "%s %s: %s", svc->name, operation,
                                pp_err_msg());
        return pp_wire_fail_http(resp, status, body, len);
    }
    xmlNode *root = xmlDocGetRootElement(doc);
    if (status < 200 || status >= 300 || pp_xml_is(root, "ErrorResponse") ||
        (pp_xml_is(root, "Response") && pp_xml_child(root, "Errors"))) {
        rc = decode_error(root, status, resp, body, len);
        goto _exit;
    }
    want = pp_xasprintf("%sResponse", operation);
    if (!pp_xml_is(root, want)) {
        rc = pp_wire_fail(resp, "InvalidResponse", "%s %s: expected <%s>, got <%s>", svc->name,
                          operation, want, (const char *)root->name);
        goto _exit;
    }
    pp_decode_ctx ctx = {.proto = svc->proto, .service = svc->name, .operation = operation};
    const pp_shape *shape = op && op->output ? pp_shape_find(svc->name, op->output) : NULL;
    if (ec2) {
        /* EC2: the output members are the root's children, after <requestId>. */
        xmlNode *rid = pp_xml_child(root, "requestId");
        set_request_id(resp, rid);
        if (rid) {
            xmlUnlinkNode(rid);
            xmlFreeNode(rid);
        }
        resp->data = pp_shape_decode_xml(&ctx, shape, root);
    } else {
        set_request_id(resp, pp_xml_child(pp_xml_child(root, "ResponseMetadata"), "RequestId"));
        char *result_name = pp_xasprintf("%sResult", operation);
        xmlNode *result = pp_xml_child(root, result_name);
        free(result_name);
        /* Operations without output (most writes) carry only ResponseMetadata. */
        resp->data = result ? pp_shape_decode_xml(&ctx, shape, result) : json_object();
    }
    resp->ok = true;

_exit:
    free(want);
    xmlFreeDoc(doc);
    return rc;
}
