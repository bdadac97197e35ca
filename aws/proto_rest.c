/* The REST protocols: REST-JSON (GuardDuty) and REST-XML (the S3 reads parapet needs). Method
 * and URI come from the operation's declaration, path parameters are filled from the input and
 * UriEncoded, declared query keys go to the query string and the rest forms a JSON body
 * (aws-protocols.md section 2.4). */
#include "wire.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

static char *value_text(json_t *v)
{
    char num[64];
    switch (json_typeof(v)) {
    case JSON_STRING:
        return pp_xstrdup(json_string_value(v));
    case JSON_INTEGER:
        snprintf(num, sizeof(num), "%" JSON_INTEGER_FORMAT, json_integer_value(v));
        return pp_xstrdup(num);
    case JSON_REAL:
        snprintf(num, sizeof(num), "%.15g", json_real_value(v));
        return pp_xstrdup(num);
    case JSON_TRUE:
        return pp_xstrdup("true");
    case JSON_FALSE:
        return pp_xstrdup("false");
    default:
        return NULL;
    }
}

static bool key_listed(const char *list, const char *key)
{
    size_t n = strlen(key);
    for (const char *p = list; p && *p;) {
        const char *e = strchr(p, ',');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        if (len == n && memcmp(p, key, n) == 0)
            return true;
        p = e ? e + 1 : NULL;
    }
    return false;
}

static int add_query(pp_buf *q, const char *key, const char *value)
{
    char *k = pp_aws_uri_encode(key, strlen(key), false);
    char *v = pp_aws_uri_encode(value, strlen(value), false);
    int rc = pp_buf_printf(q, "%s%s=%s", q->len ? "&" : "", k, v);
    free(k);
    free(v);
    return rc;
}

/* A bucket name that can be a DNS label under a wildcard certificate. */
static bool dns_bucket(const char *b)
{
    size_t n = strlen(b);
    if (n < 3 || n > 63 || b[0] == '-' || b[n - 1] == '-')
        return false;
    for (size_t i = 0; i < n; i++)
        if (!(islower((unsigned char)b[i]) || isdigit((unsigned char)b[i]) || b[i] == '-'))
            return false;
    return true;
}

int pp_proto_rest_request(const pp_service *svc, const pp_op *op, json_t *input, bool s3_virtual,
                          pp_wire_req *out)
{
    int rc = 0;
    pp_buf path, query;
    json_t *used = json_object();
    pp_buf_init(&path, 8192);
    pp_buf_init(&query, 64 * 1024);
    if (input && !json_is_object(input) && !json_is_null(input)) {
        rc = pp_err_set(PP_EINVAL, "%s input must be a JSON object", op->name);
        goto _exit;
    }
    const char *tpl = op->uri ? op->uri : "/";
    const char *qmark = strchr(tpl, '?');
    size_t tpl_len = qmark ? (size_t)(qmark - tpl) : strlen(tpl);
    for (size_t i = 0; i < tpl_len && rc == 0;) {
        if (tpl[i] != '{') {
            rc = pp_buf_putc(&path, tpl[i++]);
            continue;
        }
        const char *close = memchr(tpl + i, '}', tpl_len - i);
        if (!close) {
            rc = pp_err_set(PP_EINTERNAL, "%s: bad URI template '%s'", op->name, tpl);
            break;
        }
        size_t nlen = (size_t)(close - (tpl + i + 1));
        bool greedy = nlen && tpl[i + nlen] == '+';
        char *name = pp_xstrndup(tpl + i + 1, greedy ? nlen - 1 : nlen);
        json_t *v = json_object_get(input, name);
        char *text = v ? value_text(v) : NULL;
        if (!text || !*text) {
            rc = pp_err_set(PP_EINVAL, "%s %s: input '%s' is required", svc->name, op->name, name);
        } else if (s3_virtual && strcmp(name, "Bucket") == 0 && i == 1 && dns_bucket(text)) {
            /* Virtual-hosted: the bucket moves into the host name. "/{Bucket}" leaves "/"
             * behind, or nothing when more path follows ("/{Bucket}/{Key+}" -> "/key"). */
            out->host_prefix = pp_xstrdup(text);
            if (close[1] == '/')
                pp_buf_reset(&path);
        } else {
            char *enc = pp_aws_uri_encode(text, strlen(text), greedy);
            rc = pp_buf_puts(&path, enc);
            free(enc);
        }
        if (v)
            json_object_set(used, name, json_true());
        free(name);
        free(text);
        i = (size_t)(close - tpl) + 1;
    }
    if (rc)
        goto _exit;
    if (path.len == 0)
        pp_buf_putc(&path, '/');
    if (qmark && qmark[1])
        rc = pp_buf_puts(&query, qmark + 1); /* literal sub-resource: "logging", "policy" */

    json_t *body = json_object();
    const char *k;
    json_t *v;
    json_object_foreach(input, k, v)
    {
        if (rc || json_object_get(used, k) || json_is_null(v))
            continue;
        if (key_listed(op->query_keys, k)) {
            if (json_is_array(v)) {
                size_t i;
                json_t *e;
                json_array_foreach(v, i, e)
                {
                    char *t = value_text(e);
                    if (t)
                        rc = rc ? rc : add_query(&query, k, t);
                    free(t);
                }
            } else {
                char *t = value_text(v);
                if (!t)
                    rc =
                        pp_err_set(PP_EINVAL, "%s: query input '%s' must be a scalar", op->name, k);
                else
                    rc = add_query(&query, k, t);
                free(t);
            }
        } else {
            json_object_set(body, k, v);
        }
    }
    const char *method = op->method ? op->method : "GET";
    bool bodyless =
        strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0 || strcmp(method, "DELETE") == 0;
    if (rc == 0 && bodyless && json_object_size(body) > 0) {
        const char *first = json_object_iter_key(json_object_iter(body));
        rc = pp_err_set(PP_EINVAL, "%s %s: input '%s' has no place in a %s request", svc->name,
                        op->name, first, method);
    }
    if (rc == 0 && !bodyless) {
        if (svc->proto == PP_PROTO_RESTXML) {
            /* S3 writes (remediation): the payload is given whole as "$body" (an XML document or
             * a bucket policy's JSON text), sent with its Content-MD5 as S3 wants for some. */
            const char *raw = json_string_value(json_object_get(body, "$body"));
            if (json_object_size(body) > (raw ? 1u : 0u)) {
                rc = pp_err_set(PP_EINVAL, "%s %s: an S3 request body is given as \"$body\"",
                                svc->name, op->name);
            } else if (raw) {
                unsigned char md[EVP_MAX_MD_SIZE];
                unsigned int mdlen = 0;
                char b64[64];
                EVP_Digest(raw, strlen(raw), md, &mdlen, EVP_md5(), NULL);
                EVP_EncodeBlock((unsigned char *)b64, md, (int)mdlen);
                out->body = pp_xstrdup(raw);
                out->body_len = strlen(raw);
                pp_wire_req_add_header(out, "Content-MD5", b64);
                pp_wire_req_add_header(out, "Content-Type",
                                       raw[0] == '<' ? "application/xml" : "application/json");
            }
        } else {
            char *text = json_dumps(body, JSON_COMPACT);
            out->body = text ? pp_xstrdup(text) : pp_xstrdup("{}");
            out->body_len = strlen(out->body);
            free(text);
            pp_wire_req_add_header(out, "Content-Type", "application/json");
        }
    }
    json_decref(body);
    if (rc)
        goto _exit;
    out->method = pp_xstrdup(method);
    out->path = pp_buf_steal(&path);
    out->query = query.len ? pp_buf_steal(&query) : NULL;
    out->s3 = svc->proto == PP_PROTO_RESTXML;

_exit:
    json_decref(used);
    pp_buf_free(&path);
    pp_buf_free(&query);
    return rc;
}

/* ---- decoding ----------------------------------------------------------------------------- */

static const pp_member *payload_member(const pp_shape *shape)
{
    for (size_t i = 0; shape && i < shape->n_members; i++)
        if (shape->members[i].payload)
            return &shape->members[i];
    return NULL;
}

static int s3_decode(const pp_service *svc, const pp_op *op, const char *body, size_t len,
                     pp_aws_resp *resp)
{
    int rc = 0;
    pp_decode_ctx ctx = {.proto = svc->proto, .service = svc->name, .operation = op->name};
    const pp_shape *shape = op->output ? pp_shape_find(svc->name, op->output) : NULL;
    const pp_member *pm = payload_member(shape);
    xmlDoc *doc = NULL;
    if (pm && (pm->shape->kind == PP_SH_JSON || pm->shape->kind == PP_SH_POLICY)) {
        /* GetBucketPolicy: the body is the policy's JSON text itself. */
        char *text = pp_xstrndup(body ? body : "", len);
        json_t *v = pp_shape_document(&ctx, text, pm->shape->kind == PP_SH_POLICY);
        free(text);
        resp->data = json_object();
        json_object_set_new(resp->data, pm->name, v);
        resp->ok = true;
        return 0;
    }
    if (len == 0 || (!shape && op->mutating)) {
        /* a write without output: S3 says 200 or 204 with nothing (moto: "True") */
        resp->data = json_object();
        resp->ok = true;
        return 0;
    }
    doc = pp_xml_parse(body, len);
    if (!doc)
        return pp_wire_fail(resp, "InvalidResponse", "%s %s: %s", svc->name, op->name,
                            pp_err_msg());
    xmlNode *root = xmlDocGetRootElement(doc);
    if (pp_xml_is(root, "Error") && pp_xml_child(root, "Code")) {
        /* S3 may report a failure with status 200. */
        xmlFreeDoc(doc);
        return pp_wire_xml_error(200, body, len, resp);
    }
    const char *expect = pm ? pm->wire : shape ? shape->name : NULL;
    if (expect && !pp_xml_is(root, expect)) {
        rc = pp_wire_fail(resp, "InvalidResponse", "%s %s: expected <%s>, got <%s>", svc->name,
                          op->name, expect, (const char *)root->name);
        goto _exit;
    }
    if (pm) {
        json_t *v;
        if (pm->shape->kind == PP_SH_STRING && !pp_xml_first_element(root)) {
            /* GetBucketLocation: <LocationConstraint/> is us-east-1, printed as null. */
            char *t = pp_xml_text(root);
            v = *t ? json_string(t) : json_null();
            free(t);
        } else {
            v = pp_shape_decode_xml_member(&ctx, pm, root);
        }
        resp->data = json_object();
        json_object_set_new(resp->data, pm->name, v);
    } else {
        resp->data = pp_shape_decode_xml(&ctx, shape, root);
    }
    rc = pp_shape_finish(&ctx, resp);

_exit:
    xmlFreeDoc(doc);
    return rc;
}

int pp_proto_rest_decode(const pp_service *svc, const pp_op *op, const char *operation, long status,
                         const pp_http_header *h, size_t n_h, const char *body, size_t len,
                         pp_aws_resp *resp)
{
    bool xml = svc->proto == PP_PROTO_RESTXML;
    if (status < 200 || status >= 300)
        return xml ? pp_wire_xml_error(status, body, len, resp)
                   : pp_proto_json_error(status, h, n_h, body, len, true, resp);
    if (xml)
        return s3_decode(svc, op, body, len, resp);
    json_t *doc = len ? pp_wire_json_parse(body, len) : json_object();
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
