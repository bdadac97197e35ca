/* A compact binary form of JSON values, for the resource documents the store keeps.
 *
 * `parapet evaluate` rebuilds every stored document as jansson values; from JSON text, jansson's
 * character-by-character parser was the largest single cost of the command (0.8 s of CPU for the
 * 47 MB of documents of 100,000 resources), and building the values is only half of it. This
 * form holds what a parser would have to find: each value is a tag byte and, for
 * numbers, strings, arrays and objects, its length or count up front, so decoding is copying.
 *
 *   document := 'J' 0x01 value
 *   value    := 'n' | 't' | 'f'
 *             | 'i' varint(zigzag(integer))
 *             | 'd' 8 bytes (IEEE-754 double, little-endian)
 *             | 's' varint(length) bytes
 *             | 'a' varint(count) value*
 *             | 'o' varint(count) (varint(length) key-bytes value)*
 *
 * Varints are little-endian base 128 (7 bits a byte, high bit = more). Object members keep their
 * order. Decoding trusts nothing: every length is checked against what is left, strings and keys
 * must be UTF-8 (jansson checks) and keys free of NUL bytes, nesting is bounded, and anything left
 * over is an error. */
#include "pp_core.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define JBIN_MAX_DEPTH 2048 /* jansson's parser allows as much */

static int put_varint(pp_buf *b, uint64_t v)
{
    unsigned char tmp[10];
    size_t n = 0;
    do {
        unsigned char c = v & 0x7F;
        v >>= 7;
        tmp[n++] = c | (v ? 0x80 : 0);
    } while (v);
    return pp_buf_append(b, tmp, n);
}

static int put_tag(pp_buf *b, char tag)
{
    return pp_buf_append(b, &tag, 1);
}

static int encode(const json_t *v, pp_buf *b, int depth)
{
    if (depth > JBIN_MAX_DEPTH)
        return pp_err_set(PP_EINVAL, "document nested deeper than %d", JBIN_MAX_DEPTH);
    int rc = 0;
    switch (json_typeof(v)) {
    case JSON_NULL:
        return put_tag(b, 'n');
    case JSON_TRUE:
        return put_tag(b, 't');
    case JSON_FALSE:
        return put_tag(b, 'f');
    case JSON_INTEGER: {
        uint64_t u = (uint64_t)json_integer_value(v);
        uint64_t zz = (u << 1) ^ (json_integer_value(v) < 0 ? UINT64_MAX : 0);
        rc = put_tag(b, 'i');
        return rc ? rc : put_varint(b, zz);
    }
    case JSON_REAL: {
        double d = json_real_value(v);
        uint64_t bits;
        unsigned char le[8];
        memcpy(&bits, &d, sizeof(bits));
        for (int i = 0; i < 8; i++)
            le[i] = (unsigned char)(bits >> (8 * i));
        rc = put_tag(b, 'd');
        return rc ? rc : pp_buf_append(b, le, 8);
    }
    case JSON_STRING: {
        size_t n = json_string_length(v);
        rc = put_tag(b, 's');
        rc = rc ? rc : put_varint(b, n);
        return rc ? rc : pp_buf_append(b, json_string_value(v), n);
    }
    case JSON_ARRAY: {
        size_t n = json_array_size(v);
        rc = put_tag(b, 'a');
        rc = rc ? rc : put_varint(b, n);
        for (size_t i = 0; !rc && i < n; i++)
            rc = encode(json_array_get(v, i), b, depth + 1);
        return rc;
    }
    case JSON_OBJECT: {
        rc = put_tag(b, 'o');
        rc = rc ? rc : put_varint(b, json_object_size(v));
        for (void *it = json_object_iter((json_t *)v); !rc && it;
             it = json_object_iter_next((json_t *)v, it)) {
            size_t kn = json_object_iter_key_len(it);
            if (memchr(json_object_iter_key(it), '\0', kn))
                return pp_err_set(PP_EINVAL, "object key with a NUL byte");
            rc = put_varint(b, kn);
            rc = rc ? rc : pp_buf_append(b, json_object_iter_key(it), kn);
            rc = rc ? rc : encode(json_object_iter_value(it), b, depth + 1);
        }
        return rc;
    }
    }
    return pp_err_set(PP_EINVAL, "not a JSON value");
}

int pp_jbin_encode(const json_t *v, pp_buf *out)
{
    if (!v)
        return pp_err_set(PP_EINVAL, "no document to encode");
    int rc = pp_buf_append(out, "J\x01", 2);
    return rc ? rc : encode(v, out, 0);
}

bool pp_jbin_is(const void *data, size_t len)
{
    return len >= 2 && memcmp(data, "J\x01", 2) == 0;
}

/* Short strings and integers repeat across documents ("tcp", "0.0.0.0/0", account ids, ports):
 * the decoder shares one value among them instead of allocating each again (jansson values are
 * reference-counted, and a loaded document is never changed), through a small table per thread
 * that remembers the last value of each hash slot. */
#define SHARE_SLOTS   4096
#define SHARE_MAX_LEN 48

struct share {
    json_t *v[SHARE_SLOTS];
};

static pthread_key_t share_key;
static pthread_once_t share_once = PTHREAD_ONCE_INIT;

static void share_free(void *p)
{
    struct share *t = p;
    for (size_t i = 0; i < SHARE_SLOTS; i++)
        json_decref(t->v[i]);
    free(t);
}

static void share_key_make(void)
{
    pthread_key_create(&share_key, share_free);
}

static struct share *share_table(void)
{
    pthread_once(&share_once, share_key_make);
    struct share *t = pthread_getspecific(share_key);
    if (!t) {
        t = pp_xcalloc(1, sizeof(*t));
        if (pthread_setspecific(share_key, t) != 0) {
            free(t);
            t = NULL;
        }
    }
    return t;
}

static json_t **share_slot(struct share *t, char tag, const void *data, size_t n)
{
    uint32_t h = 2166136261u ^ (unsigned char)tag; /* FNV-1a */
    for (size_t i = 0; i < n; i++)
        h = (h ^ ((const unsigned char *)data)[i]) * 16777619u;
    return &t->v[h & (SHARE_SLOTS - 1)];
}

/* v (which the caller owns) is now the slot's */
static json_t *share_keep(json_t **slot, json_t *v)
{
    if (v) {
        json_decref(*slot);
        *slot = json_incref(v);
    }
    return v;
}

static json_t *shared_string(struct share *t, const char *s, size_t n)
{
    if (!t || n > SHARE_MAX_LEN)
        return json_stringn(s, n);
    json_t **slot = share_slot(t, 's', s, n);
    if (json_is_string(*slot) && json_string_length(*slot) == n &&
        memcmp(json_string_value(*slot), s, n) == 0)
        return json_incref(*slot);
    return share_keep(slot, json_stringn(s, n));
}

static json_t *shared_integer(struct share *t, json_int_t i)
{
    if (!t)
        return json_integer(i);
    json_t **slot = share_slot(t, 'i', &i, sizeof(i));
    if (json_is_integer(*slot) && json_integer_value(*slot) == i)
        return json_incref(*slot);
    return share_keep(slot, json_integer(i));
}

struct reader {
    const unsigned char *p, *end;
    const char *why;     /* the first problem */
    struct share *share; /* this thread's shared values, or NULL */
};

static bool get_varint(struct reader *r, uint64_t *out)
{
    uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
        if (r->p == r->end) {
            r->why = "truncated number";
            return false;
        }
        unsigned char c = *r->p++;
        if (shift == 63 && c > 1) {
            r->why = "number too large";
            return false;
        }
        v |= (uint64_t)(c & 0x7F) << shift;
        if (!(c & 0x80)) {
            *out = v;
            return true;
        }
    }
    r->why = "number too large";
    return false;
}

/* A length or count that the rest of the input can hold (min_each bytes for each). */
static bool get_size(struct reader *r, size_t min_each, size_t *out)
{
    uint64_t v;
    if (!get_varint(r, &v))
        return false;
    if (v > (uint64_t)(r->end - r->p) / min_each) {
        r->why = "length past the end";
        return false;
    }
    *out = (size_t)v;
    return true;
}

static json_t *decode(struct reader *r, int depth)
{
    if (depth > JBIN_MAX_DEPTH) {
        r->why = "nested too deeply";
        return NULL;
    }
    if (r->p == r->end) {
        r->why = "truncated value";
        return NULL;
    }
    unsigned char tag = *r->p++;
    size_t n;
    uint64_t u;
    json_t *v = NULL;
    switch (tag) {
    case 'n':
        return json_null();
    case 't':
        return json_true();
    case 'f':
        return json_false();
    case 'i':
        if (!get_varint(r, &u))
            return NULL;
        return shared_integer(r->share, (json_int_t)((u >> 1) ^ (0 - (u & 1))));
    case 'd': {
        if (r->end - r->p < 8) {
            r->why = "truncated number";
            return NULL;
        }
        uint64_t bits = 0;
        for (int i = 0; i < 8; i++)
            bits |= (uint64_t)r->p[i] << (8 * i);
        r->p += 8;
        double d;
        memcpy(&d, &bits, sizeof(d));
        if (!(v = json_real(d))) /* NaN and infinities are not JSON */
            r->why = "not a JSON number";
        return v;
    }
    case 's':
        if (!get_size(r, 1, &n))
            return NULL;
        if (!(v = shared_string(r->share, (const char *)r->p, n)))
            r->why = "string not UTF-8";
        r->p += n;
        return v;
    case 'a':
        if (!get_size(r, 1, &n))
            return NULL;
        v = json_array();
        for (size_t i = 0; v && i < n; i++) {
            json_t *item = decode(r, depth + 1);
            if (!item || json_array_append_new(v, item)) {
                json_decref(v);
                v = NULL;
            }
        }
        return v;
    case 'o':
        if (!get_size(r, 2, &n)) /* at least a key length and a tag each */
            return NULL;
        v = json_object();
        for (size_t i = 0; v && i < n; i++) {
            size_t kn;
            if (!get_size(r, 1, &kn)) {
                json_decref(v);
                return NULL;
            }
            const char *key = (const char *)r->p;
            if (memchr(key, '\0', kn)) { /* JSON text cannot have them either */
                r->why = "key with a NUL byte";
                json_decref(v);
                return NULL;
            }
            r->p += kn;
            json_t *item = decode(r, depth + 1);
            if (item && json_object_setn_new(v, key, kn, item)) {
                r->why = "key not UTF-8";
                item = NULL;
            }
            if (!item) {
                json_decref(v);
                v = NULL;
            }
        }
        return v;
    default:
        r->why = "unknown tag";
        return NULL;
    }
}

json_t *pp_jbin_decode(const void *data, size_t len, char *err, size_t errlen)
{
    struct reader r = {(const unsigned char *)data, (const unsigned char *)data + len, NULL,
                       share_table()};
    json_t *v = NULL;
    if (!pp_jbin_is(data, len))
        r.why = "not a binary document";
    else {
        r.p += 2;
        v = decode(&r, 0);
        if (v && r.p != r.end) {
            r.why = "bytes after the document";
            json_decref(v);
            v = NULL;
        }
    }
    if (!v && err && errlen)
        snprintf(err, errlen, "%s at byte %zu", r.why ? r.why : "cannot decode",
                 (size_t)(r.p - (const unsigned char *)data));
    return v;
}
