/* The query protocol (IAM, STS, SNS, CloudWatch) and its EC2 dialect: form-encoded requests with
 * flattened parameters, XML responses (aws-protocols.md sections 2.1 and 2.2). */
#include "wire.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- encoding ----------------------------------------------------------------------------- */

/* The body is application/x-www-form-urlencoded, so a space is '+' (as botocore sends it; a
 * literal '+' stays %2B). AWS reads either, but moto's auth mode re-encodes the form it parsed
 * before checking the signature, so only '+' verifies there. */
static char *form_encode(const char *s)
{
    char *e = pp_aws_uri_encode(s, strlen(s), false);
    char *w = e;
    for (const char *r = e; *r; r++) {
        if (r[0] == '%' && r[1] == '2' && r[2] == '0') {
            *w++ = '+';
            r += 2;
        } else {
            *w++ = *r;
        }
    }
    *w = '\0';
    return e;
}

static int put_pair(pp_buf *out, const char *key, const char *value)
{
    char *k = form_encode(key);
    char *v = form_encode(value);
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

/* The Error element of an XML error body, wherever the dialect puts it:
 *   <ErrorResponse><Error>..</Error><RequestId/></ErrorResponse>            (query)
 *   <Response><Errors><Error>..</Error></Errors><RequestID/></Response>     (EC2)
 *   <ErrorResponse><Errors><Error>..</Error></Errors></ErrorResponse>       (moto's auth layer)
 *   <Error><Code/><Message/><RequestId/></Error>                            (S3) */
static xmlNode *find_error(xmlNode *root)
{
    if (pp_xml_is(root, "Error"))
        return root;
    xmlNode *e = pp_xml_child(root, "Error");
    if (!e)
        e = pp_xml_child(pp_xml_child(root, "Errors"), "Error");
    return e;
}

int pp_wire_xml_error(long status, const char *body, size_t len, pp_aws_resp *resp)
{
    xmlDoc *doc = len ? pp_xml_parse(body, len) : NULL;
    xmlNode *root = doc ? xmlDocGetRootElement(doc) : NULL;
    xmlNode *err = root ? find_error(root) : NULL;
    char *code = err ? pp_xml_child_text(err, "Code") : NULL;
    int rc;
    if (!code || !*code) {
        rc = pp_wire_fail_http(resp, status, body, len);
    } else {
        char *msg = pp_xml_child_text(err, "Message");
        rc = pp_wire_fail(resp, code, "%s", msg ? msg : "");
        free(msg);
        const char *names[] = {"RequestId", "RequestID", "requestId"};
        for (size_t i = 0; i < 3 && !resp->request_id; i++) {
            resp->request_id = pp_xml_child_text(root, names[i]);
            if (!resp->request_id)
                resp->request_id = pp_xml_child_text(err, names[i]);
        }
    }
    free(code);
    xmlFreeDoc(doc);
    return rc;
}

int pp_proto_query_decode(const pp_service *svc, const pp_op *op, const char *operation,
                          long status, const char *body, size_t len, pp_aws_resp *resp)
{
    bool ec2 = svc->proto == PP_PROTO_EC2;
    int rc = 0;
    if (status < 200 || status >= 300)
        return pp_wire_xml_error(status, body, len, resp);
    xmlDoc *doc = pp_xml_parse(body, len);
    char *want = NULL;
    if (!doc)
        return pp_wire_fail(resp, "InvalidResponse", "%s %s: %s", svc->name, operation,
                            pp_err_msg());
    xmlNode *root = xmlDocGetRootElement(doc);
    if ((pp_xml_is(root, "ErrorResponse") || pp_xml_is(root, "Response") ||
         pp_xml_is(root, "Error")) &&
        pp_xml_child(find_error(root), "Code")) {
        /* An error document with a 2xx status is still an error. */
        xmlFreeDoc(doc);
        return pp_wire_xml_error(status, body, len, resp);
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
    rc = pp_shape_finish(&ctx, resp);

_exit:
    free(want);
    xmlFreeDoc(doc);
    return rc;
}
