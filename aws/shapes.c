/* Output shapes: the small text format of shapes_def.c, parsed once into a type graph, and the
 * two decoders that walk a response (an XML tree or a JSON value) through it into the AWS CLI's
 * output shape. Elements a shape does not declare are never dropped: they are decoded
 * generically and logged at debug level. In XML that means the first letter upper-cased and text
 * as strings; JSON 1.1 keys already are member names and stay as they are; REST-JSON keys get
 * their first letter upper-cased, recursively. A JSON null is an absent member, as in the SDKs. */
#include "wire.h"

#include <ctype.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

typedef struct shape_service {
    char *name;
    enum pp_proto proto;
    pp_shape **shapes;
    size_t n, cap;
} shape_service;

static shape_service *services;
static size_t n_services, cap_services;
static pthread_once_t shapes_once = PTHREAD_ONCE_INIT;
static char parse_error[256];

/* A reference to a named structure not yet resolved; replaced after the whole text is read. */
#define PP_SH_REF ((enum pp_shape_kind)100)

static pp_shape scalars[] = {
    [PP_SH_STRING] = {.kind = PP_SH_STRING},   [PP_SH_INTEGER] = {.kind = PP_SH_INTEGER},
    [PP_SH_LONG] = {.kind = PP_SH_LONG},       [PP_SH_DOUBLE] = {.kind = PP_SH_DOUBLE},
    [PP_SH_BOOLEAN] = {.kind = PP_SH_BOOLEAN}, [PP_SH_TIMESTAMP] = {.kind = PP_SH_TIMESTAMP},
    [PP_SH_POLICY] = {.kind = PP_SH_POLICY},   [PP_SH_JSON] = {.kind = PP_SH_JSON},
};

static const struct {
    const char *word;
    enum pp_shape_kind kind;
} scalar_words[] = {
    {"str", PP_SH_STRING},    {"int", PP_SH_INTEGER},  {"long", PP_SH_LONG},
    {"double", PP_SH_DOUBLE}, {"bool", PP_SH_BOOLEAN}, {"time", PP_SH_TIMESTAMP},
    {"policy", PP_SH_POLICY}, {"json", PP_SH_JSON},
};

static const struct {
    const char *word;
    enum pp_proto proto;
} proto_words[] = {
    {"query", PP_PROTO_QUERY},       {"ec2", PP_PROTO_EC2},         {"json", PP_PROTO_JSON},
    {"restjson", PP_PROTO_RESTJSON}, {"restxml", PP_PROTO_RESTXML},
};

/* ---- parsing ------------------------------------------------------------------------------ */

static pp_shape *new_shape(enum pp_shape_kind kind, const char *name, size_t name_len)
{
    pp_shape *s = pp_xcalloc(1, sizeof(*s));
    s->kind = kind;
    if (name)
        s->name = pp_xstrndup(name, name_len);
    return s;
}

/* Parses TYPE at *p: scalar word, [TYPE], {TYPE} or a structure name. */
static pp_shape *parse_type(const char **p)
{
    const char *s = *p;
    if (*s == '[' || *s == '{') {
        char close = *s == '[' ? ']' : '}';
        const char *inner = s + 1;
        pp_shape *elem = parse_type(&inner);
        if (!elem || *inner != close)
            return NULL;
        pp_shape *t = new_shape(*s == '[' ? PP_SH_LIST : PP_SH_MAP, NULL, 0);
        t->elem = elem;
        *p = inner + 1;
        return t;
    }
    const char *e = s;
    while (isalnum((unsigned char)*e) || *e == '_')
        e++;
    if (e == s)
        return NULL;
    *p = e;
    for (size_t i = 0; i < sizeof(scalar_words) / sizeof(scalar_words[0]); i++)
        if (strlen(scalar_words[i].word) == (size_t)(e - s) &&
            memcmp(scalar_words[i].word, s, (size_t)(e - s)) == 0)
            return &scalars[scalar_words[i].kind];
    return new_shape(PP_SH_REF, s, (size_t)(e - s));
}

static char *default_wire(enum pp_proto proto, const char *name)
{
    char *w = pp_xstrdup(name);
    /* EC2 and REST-JSON put lower-camel locationNames on the wire; query, JSON 1.1 and S3 the
     * member names themselves. Exceptions are written out with wire=. */
    if (proto == PP_PROTO_EC2 || proto == PP_PROTO_RESTJSON)
        w[0] = (char)tolower((unsigned char)w[0]);
    return w;
}

static int parse_member(shape_service *svc, pp_shape *st, char **tok, size_t n_tok)
{
    if (n_tok < 2)
        return -1;
    const char *tp = tok[1];
    const pp_shape *type = parse_type(&tp);
    if (!type || *tp)
        return -1;
    st->members = pp_xrealloc(st->members, (st->n_members + 1) * sizeof(pp_member));
    pp_member *m = &st->members[st->n_members++];
    memset(m, 0, sizeof(*m));
    m->name = pp_xstrdup(tok[0]);
    m->shape = type;
    for (size_t i = 2; i < n_tok; i++) {
        const char *o = tok[i];
        if (pp_str_startswith(o, "wire=")) {
            m->wire = pp_xstrdup(o + 5);
        } else if (pp_str_startswith(o, "item=")) {
            m->item = pp_xstrdup(o + 5);
        } else if (strcmp(o, "flat") == 0) {
            m->flat = true;
        } else if (strcmp(o, "payload") == 0) {
            m->payload = true;
        } else if (strcmp(o, "attr") == 0) {
            m->attr = true;
        } else if (pp_str_startswith(o, "entry=")) {
            size_t n = 0;
            char **v = pp_str_split(o + 6, ',', &n);
            if (n != 3) {
                pp_strv_free(v);
                return -1;
            }
            for (int k = 0; k < 3; k++)
                m->entry[k] = v[k];
            free(v);
        } else if (pp_str_startswith(o, "jsonkeys=")) {
            m->json_keys = pp_str_split(o + 9, ',', NULL);
        } else {
            return -1;
        }
    }
    if (!m->wire)
        m->wire = default_wire(svc->proto, m->name);
    if (!m->entry[0]) {
        m->entry[0] = pp_xstrdup("entry");
        m->entry[1] = pp_xstrdup("key");
        m->entry[2] = pp_xstrdup("value");
    }
    if (!m->item && type->kind == PP_SH_LIST && svc->proto != PP_PROTO_RESTXML)
        m->item = pp_xstrdup(svc->proto == PP_PROTO_EC2 ? "item" : "member");
    if (m->flat && type->kind != PP_SH_LIST)
        return -1;
    return 0;
}

static pp_shape *lookup(shape_service *svc, const char *name)
{
    for (size_t i = 0; i < svc->n; i++)
        if (strcmp(svc->shapes[i]->name, name) == 0)
            return svc->shapes[i];
    return NULL;
}

static int resolve(shape_service *svc, const pp_shape **slot)
{
    pp_shape *s = (pp_shape *)*slot;
    if (s->kind == PP_SH_REF) {
        pp_shape *target = lookup(svc, s->name);
        if (!target) {
            snprintf(parse_error, sizeof(parse_error), "%s: unknown shape '%s'", svc->name,
                     s->name);
            return -1;
        }
        free(s->name);
        free(s);
        *slot = target;
        return 0;
    }
    if (s->kind == PP_SH_LIST || s->kind == PP_SH_MAP)
        return resolve(svc, &s->elem);
    return 0;
}

static void parse_all(void)
{
    shape_service *cur = NULL;
    pp_shape *st = NULL;
    for (size_t d = 0; pp_shape_defs[d]; d++) {
        char **lines = pp_str_split(pp_shape_defs[d], '\n', NULL);
        for (size_t li = 0; lines[li]; li++) {
            char *line = lines[li];
            if (line[0] == '#')
                continue;
            size_t n_tok = 0;
            char **tok = pp_str_split(line, ' ', &n_tok);
            int bad = 0;
            if (strcmp(tok[0], "service") == 0 && n_tok == 3) {
                if (n_services == cap_services) {
                    cap_services = cap_services ? cap_services * 2 : 16;
                    services = pp_xrealloc(services, cap_services * sizeof(*services));
                }
                cur = &services[n_services++];
                memset(cur, 0, sizeof(*cur));
                cur->name = pp_xstrdup(tok[1]);
                bad = 1;
                for (size_t i = 0; i < sizeof(proto_words) / sizeof(proto_words[0]); i++) {
                    if (strcmp(tok[2], proto_words[i].word) == 0) {
                        cur->proto = proto_words[i].proto;
                        bad = 0;
                    }
                }
                st = NULL;
            } else if (strcmp(tok[0], "shape") == 0 && n_tok == 2 && cur) {
                if (lookup(cur, tok[1])) {
                    bad = 1;
                } else {
                    st = new_shape(PP_SH_STRUCT, tok[1], strlen(tok[1]));
                    if (cur->n == cur->cap) {
                        cur->cap = cur->cap ? cur->cap * 2 : 32;
                        cur->shapes = pp_xrealloc(cur->shapes, cur->cap * sizeof(pp_shape *));
                    }
                    cur->shapes[cur->n++] = st;
                }
            } else if (st && cur) {
                bad = parse_member(cur, st, tok, n_tok);
            } else {
                bad = 1;
            }
            if (bad && !parse_error[0])
                snprintf(parse_error, sizeof(parse_error), "shape definitions: bad line '%s'",
                         line);
            pp_strv_free(tok);
        }
        pp_strv_free(lines);
    }
    for (size_t i = 0; i < n_services; i++) {
        shape_service *svc = &services[i];
        for (size_t j = 0; j < svc->n; j++) {
            pp_shape *s = svc->shapes[j];
            for (size_t k = 0; k < s->n_members; k++)
                if (resolve(svc, &s->members[k].shape) && !parse_error[0])
                    snprintf(parse_error, sizeof(parse_error), "shape definitions: %s.%s", s->name,
                             s->members[k].name);
        }
    }
}

static void ensure_parsed(void)
{
    pthread_once(&shapes_once, parse_all);
}

int pp_shapes_check(void)
{
    ensure_parsed();
    if (parse_error[0])
        return pp_err_set(PP_EINTERNAL, "%s", parse_error);
    return 0;
}

const pp_shape *pp_shape_find(const char *service, const char *name)
{
    ensure_parsed();
    if (!service || !name)
        return NULL;
    for (size_t i = 0; i < n_services; i++) {
        if (strcmp(services[i].name, service) == 0) {
            pp_shape *s = lookup(&services[i], name);
            return s && s->kind == PP_SH_STRUCT ? s : NULL;
        }
    }
    return NULL;
}

/* ---- values ------------------------------------------------------------------------------ */

json_t *pp_wire_timestamp(const char *s)
{
    time_t t;
    char out[32];
    if (!s || pp_time_parse(s, &t) != 0)
        return NULL;
    pp_time_format(t, out);
    return json_string(out);
}

char *pp_wire_percent_decode(const char *s)
{
    size_t n = strlen(s);
    char *out = pp_xmalloc(n + 1);
    size_t j = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '%' && isxdigit((unsigned char)s[i + 1]) && isxdigit((unsigned char)s[i + 2])) {
            char hex[3] = {s[i + 1], s[i + 2], 0};
            out[j++] = (char)strtol(hex, NULL, 16);
            i += 2;
        } else {
            out[j++] = s[i];
        }
    }
    out[j] = '\0';
    return out;
}

#define PP_JSON_MAX_DEPTH 256

static bool json_too_deep(json_t *v, int depth)
{
    if (depth > PP_JSON_MAX_DEPTH)
        return true;
    if (json_is_object(v)) {
        const char *k;
        json_t *c;
        json_object_foreach(v, k, c)
        {
            if (json_too_deep(c, depth + 1))
                return true;
        }
    } else if (json_is_array(v)) {
        size_t i;
        json_t *c;
        json_array_foreach(v, i, c)
        {
            if (json_too_deep(c, depth + 1))
                return true;
        }
    }
    return false;
}

json_t *pp_wire_json_parse(const char *text, size_t len)
{
    json_error_t err;
    json_t *v = json_loadb(text, len, JSON_REJECT_DUPLICATES, &err);
    if (!v) {
        pp_err_set(PP_EINVAL, "malformed JSON at line %d: %s", err.line, err.text);
        return NULL;
    }
    if (json_too_deep(v, 1)) {
        json_decref(v);
        pp_err_set(PP_EINVAL, "JSON nested deeper than %d levels", PP_JSON_MAX_DEPTH);
        return NULL;
    }
    return v;
}

json_t *pp_shape_document(pp_decode_ctx *ctx, const char *text, bool percent_encoded)
{
    char *plain = percent_encoded ? pp_wire_percent_decode(text) : NULL;
    const char *src = plain ? plain : text;
    json_t *v = pp_wire_json_parse(src, strlen(src));
    free(plain);
    if (v && !json_is_object(v) && !json_is_array(v)) {
        json_decref(v);
        v = NULL;
    }
    if (!v) {
        ctx->bad_values++;
        pp_log(PP_LOG_WARN, "aws", "%s %s: policy document is not JSON, kept as text", ctx->service,
               ctx->operation);
        json_t *s = json_string(text);
        return s ? s : json_string("(policy document is not UTF-8)");
    }
    return v;
}

static json_t *scalar_from_text(pp_decode_ctx *ctx, enum pp_shape_kind kind, const char *text)
{
    json_t *v = NULL;
    switch (kind) {
    case PP_SH_INTEGER:
    case PP_SH_LONG: {
        char *end = NULL;
        long long n = strtoll(text, &end, 10);
        if (*text && end && *end == '\0')
            v = json_integer(n);
        break;
    }
    case PP_SH_DOUBLE: {
        char *end = NULL;
        double d = strtod(text, &end);
        if (*text && end && *end == '\0')
            v = json_real(d);
        break;
    }
    case PP_SH_BOOLEAN:
        if (strcmp(text, "true") == 0)
            v = json_true();
        else if (strcmp(text, "false") == 0)
            v = json_false();
        break;
    case PP_SH_TIMESTAMP:
        v = pp_wire_timestamp(text);
        break;
    case PP_SH_POLICY:
        return pp_shape_document(ctx, text, true);
    case PP_SH_JSON:
        return pp_shape_document(ctx, text, false);
    default:
        return json_string(text);
    }
    if (!v) {
        ctx->bad_values++;
        pp_log(PP_LOG_DEBUG, "aws", "%s %s: value '%.64s' does not match its type, kept as text",
               ctx->service, ctx->operation, text);
        v = json_string(text);
    }
    return v;
}

static bool in_keys(char *const *keys, const char *k)
{
    return keys && pp_strv_contains(keys, k);
}

/* ---- XML ---------------------------------------------------------------------------------- */

static json_t *xml_generic(pp_decode_ctx *ctx, xmlNode *node, int depth);

static void object_add_repeat(json_t *obj, const char *key, json_t *v)
{
    json_t *old = json_object_get(obj, key);
    if (!old) {
        json_object_set_new(obj, key, v);
    } else if (json_is_array(old)) {
        json_array_append_new(old, v);
    } else {
        json_t *arr = json_array();
        json_array_append(arr, old);
        json_array_append_new(arr, v);
        json_object_set_new(obj, key, arr);
    }
}

static json_t *xml_generic(pp_decode_ctx *ctx, xmlNode *node, int depth)
{
    size_t n_el = 0, n_items = 0;
    for (xmlNode *c = node->children; c; c = c->next) {
        if (c->type != XML_ELEMENT_NODE)
            continue;
        n_el++;
        if (pp_xml_is(c, "item") || pp_xml_is(c, "member"))
            n_items++;
    }
    if (n_el == 0) {
        char *t = pp_xml_text(node);
        json_t *v = json_string(t);
        free(t);
        return v ? v : json_string("");
    }
    if (n_items == n_el) {
        json_t *arr = json_array();
        for (xmlNode *c = node->children; c; c = c->next)
            if (c->type == XML_ELEMENT_NODE)
                json_array_append_new(arr, xml_generic(ctx, c, depth + 1));
        return arr;
    }
    json_t *obj = json_object();
    for (xmlNode *c = node->children; c; c = c->next) {
        if (c->type != XML_ELEMENT_NODE)
            continue;
        char *key = pp_wire_upper_first((const char *)c->name);
        object_add_repeat(obj, key, xml_generic(ctx, c, depth + 1));
        free(key);
    }
    return obj;
}

static json_t *xml_value(pp_decode_ctx *ctx, const pp_shape *s, const pp_member *m, xmlNode *node);

/* Text directly inside an element that should hold elements: a hostile or broken answer. */
static void check_no_text(pp_decode_ctx *ctx, xmlNode *node)
{
    for (xmlNode *c = node->children; c; c = c->next) {
        if (c->type != XML_TEXT_NODE && c->type != XML_CDATA_SECTION_NODE)
            continue;
        for (const xmlChar *t = c->content; t && *t; t++)
            if (*t != ' ' && *t != '\t' && *t != '\n' && *t != '\r') {
                ctx->bad_shape++;
                pp_log(PP_LOG_DEBUG, "aws", "%s %s: text inside <%s>, which holds elements",
                       ctx->service, ctx->operation, (const char *)node->name);
                return;
            }
    }
}

static json_t *xml_struct(pp_decode_ctx *ctx, const pp_shape *s, xmlNode *node)
{
    if (s)
        check_no_text(ctx, node);
    json_t *obj = json_object();
    for (size_t i = 0; s && i < s->n_members; i++) {
        const pp_member *m = &s->members[i];
        if (!m->attr)
            continue;
        /* Matched by local name: xsi:type is "type" whatever its namespace prefix. */
        for (xmlAttr *a = node->properties; a; a = a->next) {
            if (strcmp((const char *)a->name, m->wire) == 0) {
                xmlChar *v = xmlNodeListGetString(node->doc, a->children, 1);
                json_object_set_new(
                    obj, m->name, scalar_from_text(ctx, m->shape->kind, v ? (const char *)v : ""));
                xmlFree(v);
                break;
            }
        }
    }
    for (xmlNode *c = node->children; c; c = c->next) {
        if (c->type != XML_ELEMENT_NODE)
            continue;
        const char *wire = (const char *)c->name;
        const pp_member *m = NULL;
        for (size_t i = 0; s && i < s->n_members; i++) {
            if (!s->members[i].attr && strcmp(s->members[i].wire, wire) == 0) {
                m = &s->members[i];
                break;
            }
        }
        if (m && m->flat) {
            json_t *arr = json_object_get(obj, m->name);
            if (!arr) {
                arr = json_array();
                json_object_set_new(obj, m->name, arr);
            }
            json_array_append_new(arr, xml_value(ctx, m->shape->elem, NULL, c));
        } else if (m) {
            json_object_set_new(obj, m->name, xml_value(ctx, m->shape, m, c));
        } else {
            ctx->unknown++;
            pp_log(PP_LOG_DEBUG, "aws", "%s %s: element <%s> is not in the %s shape", ctx->service,
                   ctx->operation, wire, s && s->name ? s->name : "output");
            char *key = pp_wire_upper_first(wire);
            object_add_repeat(obj, key, xml_generic(ctx, c, 0));
            free(key);
        }
    }
    return obj;
}

static json_t *xml_value(pp_decode_ctx *ctx, const pp_shape *s, const pp_member *m, xmlNode *node)
{
    switch (s->kind) {
    case PP_SH_STRUCT:
        return xml_struct(ctx, s, node);
    case PP_SH_LIST: {
        json_t *arr = json_array();
        check_no_text(ctx, node);
        for (xmlNode *c = node->children; c; c = c->next) {
            if (c->type != XML_ELEMENT_NODE)
                continue;
            if (m && m->item && !pp_xml_is(c, m->item)) {
                ctx->unknown++;
                pp_log(PP_LOG_DEBUG, "aws", "%s %s: unexpected <%s> in list <%s>", ctx->service,
                       ctx->operation, (const char *)c->name, (const char *)node->name);
            }
            json_array_append_new(arr, xml_value(ctx, s->elem, NULL, c));
        }
        return arr;
    }
    case PP_SH_MAP: {
        json_t *obj = json_object();
        const char *entry = m ? m->entry[0] : "entry";
        const char *kname = m ? m->entry[1] : "key";
        const char *vname = m ? m->entry[2] : "value";
        for (xmlNode *c = node->children; c; c = c->next) {
            if (!pp_xml_is(c, entry))
                continue;
            char *k = pp_xml_child_text(c, kname);
            xmlNode *vn = pp_xml_child(c, vname);
            if (!k) {
                ctx->bad_values++;
                continue;
            }
            json_t *v;
            if (!vn) {
                v = json_null();
            } else if (m && in_keys(m->json_keys, k)) {
                char *t = pp_xml_text(vn);
                v = pp_shape_document(ctx, t, false);
                free(t);
            } else {
                v = xml_value(ctx, s->elem, NULL, vn);
            }
            json_object_set_new(obj, k, v);
            free(k);
        }
        return obj;
    }
    default: {
        char *t = pp_xml_text(node);
        json_t *v = scalar_from_text(ctx, s->kind, t);
        free(t);
        return v;
    }
    }
}

json_t *pp_shape_decode_xml(pp_decode_ctx *ctx, const pp_shape *shape, xmlNode *node)
{
    if (!shape)
        return xml_struct(ctx, NULL, node);
    return xml_value(ctx, shape, NULL, node);
}

json_t *pp_shape_decode_xml_member(pp_decode_ctx *ctx, const pp_member *m, xmlNode *node)
{
    return xml_value(ctx, m->shape, m, node);
}

/* ---- JSON --------------------------------------------------------------------------------- */

/* REST-JSON wire keys are camelCase and the CLI prints the model's PascalCase members: an
 * undeclared key gets its first letter upper-cased, recursively (maps are always declared). */
static json_t *json_generic(pp_decode_ctx *ctx, json_t *v)
{
    if (ctx->proto != PP_PROTO_RESTJSON)
        return json_incref(v);
    if (json_is_object(v)) {
        json_t *obj = json_object();
        const char *k;
        json_t *c;
        json_object_foreach(v, k, c)
        {
            char *key = pp_wire_upper_first(k);
            json_object_set_new(obj, key, json_generic(ctx, c));
            free(key);
        }
        return obj;
    }
    if (json_is_array(v)) {
        json_t *arr = json_array();
        size_t i;
        json_t *c;
        json_array_foreach(v, i, c)
        {
            json_array_append_new(arr, json_generic(ctx, c));
        }
        return arr;
    }
    return json_incref(v);
}

static json_t *json_value(pp_decode_ctx *ctx, const pp_shape *s, const pp_member *m, json_t *v)
{
    switch (s->kind) {
    case PP_SH_STRUCT: {
        if (!json_is_object(v)) {
            ctx->bad_values++;
            ctx->bad_shape++;
            return json_incref(v);
        }
        json_t *obj = json_object();
        const char *k;
        json_t *c;
        json_object_foreach(v, k, c)
        {
            /* As the SDKs parse JSON: a null member is an absent member. */
            if (json_is_null(c))
                continue;
            const pp_member *mm = NULL;
            for (size_t i = 0; i < s->n_members; i++) {
                if (strcmp(s->members[i].wire, k) == 0) {
                    mm = &s->members[i];
                    break;
                }
            }
            if (mm) {
                json_object_set_new(obj, mm->name, json_value(ctx, mm->shape, mm, c));
            } else {
                ctx->unknown++;
                pp_log(PP_LOG_DEBUG, "aws", "%s %s: key '%s' is not in the %s shape", ctx->service,
                       ctx->operation, k, s->name ? s->name : "output");
                char *key =
                    ctx->proto == PP_PROTO_RESTJSON ? pp_wire_upper_first(k) : pp_xstrdup(k);
                json_object_set_new(obj, key, json_generic(ctx, c));
                free(key);
            }
        }
        return obj;
    }
    case PP_SH_LIST: {
        if (!json_is_array(v)) {
            ctx->bad_values++;
            ctx->bad_shape++;
            return json_incref(v);
        }
        json_t *arr = json_array();
        size_t i;
        json_t *c;
        json_array_foreach(v, i, c)
        {
            json_array_append_new(arr, json_value(ctx, s->elem, NULL, c));
        }
        return arr;
    }
    case PP_SH_MAP: {
        if (!json_is_object(v)) {
            ctx->bad_values++;
            ctx->bad_shape++;
            return json_incref(v);
        }
        json_t *obj = json_object();
        const char *k;
        json_t *c;
        json_object_foreach(v, k, c)
        {
            if (m && in_keys(m->json_keys, k) && json_is_string(c))
                json_object_set_new(obj, k, pp_shape_document(ctx, json_string_value(c), false));
            else
                json_object_set_new(obj, k, json_value(ctx, s->elem, NULL, c));
        }
        return obj;
    }
    case PP_SH_TIMESTAMP: {
        json_t *t = NULL;
        if (json_is_number(v)) {
            double d = json_number_value(v);
            if (d >= 0 && d < 1e12) {
                char out[32];
                pp_time_format((time_t)d, out);
                t = json_string(out);
            }
        } else if (json_is_string(v)) {
            t = pp_wire_timestamp(json_string_value(v));
        }
        if (!t) {
            ctx->bad_values++;
            t = json_incref(v);
        }
        return t;
    }
    case PP_SH_POLICY:
    case PP_SH_JSON:
        if (json_is_string(v))
            return pp_shape_document(ctx, json_string_value(v), s->kind == PP_SH_POLICY);
        return json_incref(v);
    default:
        return json_incref(v);
    }
}

json_t *pp_shape_decode_json(pp_decode_ctx *ctx, const pp_shape *shape, json_t *v)
{
    if (!shape)
        return json_generic(ctx, v);
    return json_value(ctx, shape, NULL, v);
}

int pp_shape_finish(pp_decode_ctx *ctx, pp_aws_resp *resp)
{
    if (ctx->bad_shape == 0) {
        resp->ok = true;
        return 0;
    }
    json_decref(resp->data);
    resp->data = NULL;
    return pp_wire_fail(resp, "InvalidResponse",
                        "%s %s: %d value%s of the wrong type where a list or structure belongs",
                        ctx->service, ctx->operation, ctx->bad_shape,
                        ctx->bad_shape == 1 ? "" : "s");
}
