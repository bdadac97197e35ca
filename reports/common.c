/* What every report writer shares: string cleaning, the rule/framework rollup, resource lookup
 * and the change set against a previous evaluation. Built once per writer call, linear in
 * findings. */
#include "report_int.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

/* ---- strings ------------------------------------------------------------------------------ */

/* Length of the valid UTF-8 sequence at s (at most n bytes), 0 when invalid. */
static size_t utf8_seq(const unsigned char *s, size_t n, unsigned long *cp)
{
    unsigned char c = s[0];
    size_t len;
    unsigned long v;
    if (c < 0x80) {
        *cp = c;
        return 1;
    }
    if (c >= 0xC2 && c <= 0xDF) {
        len = 2;
        v = c & 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
        len = 3;
        v = c & 0x0F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        len = 4;
        v = c & 0x07;
    } else {
        return 0;
    }
    if (len > n)
        return 0;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        v = (v << 6) | (s[i] & 0x3F);
    }
    /* overlong forms, surrogates and values past U+10FFFF are not UTF-8 */
    if ((len == 3 && v < 0x800) || (len == 4 && (v < 0x10000 || v > 0x10FFFF)) ||
        (v >= 0xD800 && v <= 0xDFFF))
        return 0;
    *cp = v;
    return len;
}

static bool xml_illegal(unsigned long cp)
{
    return (cp < 0x20 && cp != '\t' && cp != '\n' && cp != '\r') || cp == 0xFFFE || cp == 0xFFFF;
}

static bool clean_n(const char *s, size_t n, bool xml)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;
    while (i < n) {
        unsigned long cp;
        size_t len = utf8_seq(p + i, n - i, &cp);
        if (len == 0 || (xml && xml_illegal(cp)))
            return false;
        i += len;
    }
    return true;
}

static char *clean_copy_n(const char *s, size_t n, bool xml)
{
    const unsigned char *p = (const unsigned char *)s;
    /* each bad byte becomes three bytes of U+FFFD */
    char *out = pp_xmalloc(n * 3 + 1);
    size_t o = 0, i = 0;
    while (i < n) {
        unsigned long cp;
        size_t len = utf8_seq(p + i, n - i, &cp);
        if (len == 0 || (xml && xml_illegal(cp))) {
            memcpy(out + o, "\xEF\xBF\xBD", 3);
            o += 3;
            i += len ? len : 1;
            continue;
        }
        memcpy(out + o, p + i, len);
        o += len;
        i += len;
    }
    out[o] = '\0';
    return out;
}

bool rep_is_clean(const char *s, bool xml)
{
    return !s || clean_n(s, strlen(s), xml);
}

char *rep_clean(const char *s, bool xml)
{
    if (!s)
        return NULL;
    size_t n = strlen(s);
    if (clean_n(s, n, xml))
        return pp_xstrdup(s);
    return clean_copy_n(s, n, xml);
}

json_t *rep_jstr(const char *s)
{
    if (!s)
        return json_null();
    size_t n = strlen(s);
    if (clean_n(s, n, false))
        return json_stringn_nocheck(s, n);
    char *c = clean_copy_n(s, n, false);
    json_t *v = json_string_nocheck(c);
    free(c);
    return v;
}

int rep_put_str(pp_buf *b, const char *s)
{
    if (!s)
        return pp_buf_puts(b, "null");
    size_t n = strlen(s);
    if (clean_n(s, n, false))
        return pp_buf_json_string(b, s, n);
    char *c = clean_copy_n(s, n, false);
    int rc = pp_buf_json_string(b, c, strlen(c));
    free(c);
    return rc;
}

static bool json_is_clean(json_t *v)
{
    const char *key;
    json_t *item;
    size_t i;
    switch (json_typeof(v)) {
    case JSON_STRING:
        return clean_n(json_string_value(v), json_string_length(v), false);
    case JSON_OBJECT:
        json_object_foreach(v, key, item) if (!clean_n(key, strlen(key), false) ||
                                              !json_is_clean(item)) return false;
        return true;
    case JSON_ARRAY:
        json_array_foreach(v, i, item) if (!json_is_clean(item)) return false;
        return true;
    default:
        return true;
    }
}

static json_t *json_clean_copy(json_t *v)
{
    const char *key;
    json_t *item, *out;
    size_t i;
    switch (json_typeof(v)) {
    case JSON_STRING: {
        char *c = clean_copy_n(json_string_value(v), json_string_length(v), false);
        out = json_string_nocheck(c);
        free(c);
        return out;
    }
    case JSON_OBJECT:
        out = json_object();
        json_object_foreach(v, key, item)
        {
            char *k = clean_copy_n(key, strlen(key), false);
            json_object_set_new_nocheck(out, k, json_clean_copy(item));
            free(k);
        }
        return out;
    case JSON_ARRAY:
        out = json_array();
        json_array_foreach(v, i, item) json_array_append_new(out, json_clean_copy(item));
        return out;
    default:
        return json_incref(v);
    }
}

json_t *rep_jclean(json_t *v)
{
    if (!v)
        return json_null();
    return json_is_clean(v) ? json_incref(v) : json_clean_copy(v);
}

int rep_natcmp(const char *a, const char *b)
{
    while (*a && *b) {
        if (isdigit((unsigned char)*a) && isdigit((unsigned char)*b)) {
            while (*a == '0' && isdigit((unsigned char)a[1]))
                a++;
            while (*b == '0' && isdigit((unsigned char)b[1]))
                b++;
            size_t la = 0, lb = 0;
            while (isdigit((unsigned char)a[la]))
                la++;
            while (isdigit((unsigned char)b[lb]))
                lb++;
            if (la != lb)
                return la < lb ? -1 : 1;
            int c = memcmp(a, b, la);
            if (c)
                return c;
            a += la;
            b += lb;
            continue;
        }
        if (*a != *b)
            return (unsigned char)*a < (unsigned char)*b ? -1 : 1;
        a++;
        b++;
    }
    return *a ? 1 : *b ? -1 : 0;
}

json_t *rep_jtime(time_t t)
{
    if (t <= 0)
        return json_null();
    char buf[32];
    pp_time_format(t, buf);
    return json_string(buf);
}

/* jansson's json_dumpf makes one fwrite per token and escapes through a callback per piece; a
 * report of 200,000 findings spent most of its time there. Dump each value into memory
 * (pp_buf_json_value) and write it at once. */
int rep_dumpf(json_t *v, FILE *out)
{
    static _Thread_local pp_buf b;
    if (!b.max)
        pp_buf_init(&b, 0);
    pp_buf_reset(&b);
    if (pp_buf_json_value(&b, v) || fwrite(b.data, 1, b.len, out) != b.len || ferror(out))
        return pp_err_set(PP_EIO, "report: write error");
    if (b.cap > (1 << 20)) /* do not keep a huge value's buffer for the rest of the run */
        pp_buf_free(&b);
    return 0;
}

/* ---- maps --------------------------------------------------------------------------------- */

static uint64_t hash_bytes(const char *k, size_t n)
{
    uint64_t h = 1469598103934665603ULL;
    for (size_t i = 0; i < n; i++) {
        h ^= (unsigned char)k[i];
        h *= 1099511628211ULL;
    }
    return h;
}

void rep_map_init(rep_map *m, size_t expect)
{
    size_t cap = 16;
    while (cap < expect * 2)
        cap *= 2;
    m->cap = cap;
    m->n = 0;
    m->keys = pp_xcalloc(cap, sizeof(*m->keys));
    m->klen = pp_xcalloc(cap, sizeof(*m->klen));
    m->vals = pp_xcalloc(cap, sizeof(*m->vals));
}

void rep_map_free(rep_map *m)
{
    if (!m || !m->keys)
        return;
    for (size_t i = 0; i < m->cap; i++)
        free(m->keys[i]);
    free(m->keys);
    free(m->klen);
    free(m->vals);
    memset(m, 0, sizeof(*m));
}

static size_t map_slot(const rep_map *m, const char *key, size_t klen)
{
    size_t i = (size_t)hash_bytes(key, klen) & (m->cap - 1);
    while (m->keys[i] && (m->klen[i] != klen || memcmp(m->keys[i], key, klen) != 0))
        i = (i + 1) & (m->cap - 1);
    return i;
}

void rep_map_put(rep_map *m, const char *key, size_t klen, size_t val)
{
    if ((m->n + 1) * 10 > m->cap * 7) {
        rep_map old = *m;
        rep_map_init(m, old.cap);
        for (size_t i = 0; i < old.cap; i++) {
            if (!old.keys[i])
                continue;
            size_t s = map_slot(m, old.keys[i], old.klen[i]);
            m->keys[s] = old.keys[i];
            m->klen[s] = old.klen[i];
            m->vals[s] = old.vals[i];
            m->n++;
        }
        free(old.keys);
        free(old.klen);
        free(old.vals);
    }
    size_t s = map_slot(m, key, klen);
    if (!m->keys[s]) {
        m->keys[s] = pp_xmalloc(klen ? klen : 1);
        memcpy(m->keys[s], key, klen);
        m->klen[s] = klen;
        m->n++;
    }
    m->vals[s] = val;
}

bool rep_map_get(const rep_map *m, const char *key, size_t klen, size_t *val)
{
    if (!m->keys)
        return false;
    size_t s = map_slot(m, key, klen);
    if (!m->keys[s])
        return false;
    *val = m->vals[s];
    return true;
}

/* ---- rollup ------------------------------------------------------------------------------- */

const char *rep_status_name(int status)
{
    return status == REP_NA ? "NOT_APPLICABLE" : pp_status_name((enum pp_status)status);
}

int rep_status_rank(int status)
{
    switch (status) {
    case PP_STATUS_FAIL:
        return 5;
    case PP_STATUS_ERROR:
        return 4;
    case PP_STATUS_UNKNOWN:
        return 3;
    case PP_STATUS_MANUAL:
        return 2;
    case PP_STATUS_PASS:
        return 1;
    default:
        return 0;
    }
}

const char *rep_service_of(const char *type, char *buf, size_t bufsz)
{
    const pp_type *t = type ? pp_type_find(type) : NULL;
    if (t && t->service)
        return t->service;
    /* AWS::EC2::Thing -> ec2; AWS::::Account -> account */
    if (!type || !pp_str_startswith(type, "AWS::"))
        return "other";
    const char *s = type + 5;
    const char *end = strstr(s, "::");
    if (end == s) {
        s += 2;
        end = s + strlen(s);
    }
    size_t n = end ? (size_t)(end - s) : strlen(s);
    if (n == 0 || n >= bufsz)
        return "other";
    for (size_t i = 0; i < n; i++) {
        /* the name lands in attributes and JSON keys: keep it to plain ASCII */
        if (!isalnum((unsigned char)s[i]) && s[i] != '-')
            return "other";
        buf[i] = (char)tolower((unsigned char)s[i]);
    }
    buf[n] = '\0';
    return buf;
}

/* Key of a resource for the lookup map: the four identifying fields, NUL-separated. */
static void res_key(pp_buf *b, const char *type, const char *account, const char *region,
                    const char *id)
{
    const char *parts[] = {type, account, region, id};
    pp_buf_reset(b);
    for (size_t i = 0; i < 4; i++) {
        pp_buf_puts(b, parts[i] ? parts[i] : "");
        pp_buf_append(b, "", 1);
    }
}

static int control_cmp(const void *a, const void *b)
{
    return rep_natcmp(((const rep_control *)a)->id, ((const rep_control *)b)->id);
}

static int fw_cmp(const void *a, const void *b)
{
    return strcmp(((const rep_framework *)a)->name, ((const rep_framework *)b)->name);
}

static rep_framework *fw_get(rep_index *ix, const char *name)
{
    for (size_t i = 0; i < ix->n_fw; i++)
        if (strcmp(ix->fw[i].name, name) == 0)
            return &ix->fw[i];
    ix->fw = pp_xrealloc(ix->fw, (ix->n_fw + 1) * sizeof(*ix->fw));
    rep_framework *f = &ix->fw[ix->n_fw++];
    memset(f, 0, sizeof(*f));
    f->name = rep_clean(name, true);
    return f;
}

static void fw_add(rep_framework *f, const char *control, size_t rule)
{
    rep_control *c = NULL;
    for (size_t i = 0; i < f->n_controls; i++)
        if (strcmp(f->controls[i].id, control) == 0)
            c = &f->controls[i];
    if (!c) {
        f->controls = pp_xrealloc(f->controls, (f->n_controls + 1) * sizeof(*f->controls));
        c = &f->controls[f->n_controls++];
        memset(c, 0, sizeof(*c));
        c->id = rep_clean(control, true);
    }
    for (size_t i = 0; i < c->n_rules; i++)
        if (c->rules[i] == rule)
            return;
    c->rules = pp_xrealloc(c->rules, (c->n_rules + 1) * sizeof(*c->rules));
    c->rules[c->n_rules++] = rule;
}

static int rule_status(const size_t *unsupp, size_t total)
{
    if (total == 0)
        return REP_NA;
    int worst = PP_STATUS_PASS;
    for (int s = 0; s < PP_STATUS_COUNT; s++)
        if (unsupp[s] && rep_status_rank(s) > rep_status_rank(worst))
            worst = s;
    /* with only PASS-less suppressed findings, the accepted failures read as PASS */
    return worst;
}

int rep_index_build(rep_index *ix, const pp_report_input *in, bool with_resources)
{
    memset(ix, 0, sizeof(*ix));
    ix->in = in;
    ix->res = in->results;
    const pp_results *r = in->results;
    int rc = 0;
    rep_map rule_ix = {0};
    size_t(*unsupp)[PP_STATUS_COUNT] = NULL;
    size_t *fill = NULL;
    pp_buf key;
    pp_buf_init(&key, 0);

    ix->n_rules = r->n_rules;
    ix->rules = pp_xcalloc(r->n_rules ? r->n_rules : 1, sizeof(*ix->rules));
    rep_map_init(&rule_ix, r->n_rules);
    for (size_t i = 0; i < r->n_rules; i++) {
        const pp_rule_meta *m = r->rules[i];
        if (!m || !m->id) {
            rc = pp_err_set(PP_EINVAL, "report: rule %zu has no id", i);
            goto _exit;
        }
        ix->rules[i].meta = m;
        rep_map_put(&rule_ix, (const char *)&m, sizeof(m), i);
    }
    ix->rule_of = pp_xcalloc(r->n_findings ? r->n_findings : 1, sizeof(*ix->rule_of));
    unsupp = pp_xcalloc(r->n_rules ? r->n_rules : 1, sizeof(*unsupp));
    for (size_t i = 0; i < r->n_findings; i++) {
        const pp_finding *f = &r->findings[i];
        size_t ri;
        if (!f->rule || !rep_map_get(&rule_ix, (const char *)&f->rule, sizeof(f->rule), &ri)) {
            rc = pp_err_set(PP_EINVAL, "report: finding %zu has a rule the results do not list", i);
            goto _exit;
        }
        int st = (unsigned)f->status < PP_STATUS_COUNT ? (int)f->status : PP_STATUS_ERROR;
        ix->rule_of[i] = ri;
        rep_rule *rr = &ix->rules[ri];
        rr->n_findings++;
        rr->counts[st]++;
        ix->totals[st]++;
        int sev = (unsigned)rr->meta->severity <= PP_SEV_CRITICAL ? (int)rr->meta->severity : 0;
        ix->sev_counts[sev][st]++;
        if (f->suppressed) {
            rr->suppressed++;
            ix->suppressed++;
        } else {
            unsupp[ri][st]++;
        }
    }
    fill = pp_xcalloc(r->n_rules ? r->n_rules : 1, sizeof(*fill));
    for (size_t i = 0; i < r->n_rules; i++) {
        rep_rule *rr = &ix->rules[i];
        rr->findings = pp_xmalloc((rr->n_findings ? rr->n_findings : 1) * sizeof(size_t));
        rr->status = rule_status(unsupp[i], rr->n_findings);
        rr->service =
            rep_service_of(rr->meta->resource_type, rr->service_buf, sizeof(rr->service_buf));
    }
    for (size_t i = 0; i < r->n_findings; i++) {
        size_t ri = ix->rule_of[i];
        ix->rules[ri].findings[fill[ri]++] = i;
    }

    /* frameworks and their controls */
    for (size_t i = 0; i < r->n_rules; i++) {
        const pp_rule_meta *m = ix->rules[i].meta;
        const char *fname;
        json_t *ids;
        bool mapped = false;
        if (json_is_object(m->frameworks)) {
            json_object_foreach(m->frameworks, fname, ids)
            {
                rep_framework *f = fw_get(ix, fname);
                if (!f->version && m->pack && m->pack_version && strcmp(m->pack, fname) == 0)
                    f->version = rep_clean(m->pack_version, true);
                size_t j;
                json_t *id;
                if (json_is_string(ids)) {
                    fw_add(f, json_string_value(ids), i);
                    mapped = true;
                }
                json_array_foreach(ids, j, id)
                {
                    if (json_is_string(id)) {
                        fw_add(f, json_string_value(id), i);
                        mapped = true;
                    }
                }
            }
        }
        if (!mapped) {
            ix->unmapped = pp_xrealloc(ix->unmapped, (ix->n_unmapped + 1) * sizeof(size_t));
            ix->unmapped[ix->n_unmapped++] = i;
        }
    }
    if (ix->n_fw)
        qsort(ix->fw, ix->n_fw, sizeof(*ix->fw), fw_cmp);
    for (size_t i = 0; i < ix->n_fw; i++) {
        rep_framework *f = &ix->fw[i];
        qsort(f->controls, f->n_controls, sizeof(*f->controls), control_cmp);
        for (size_t c = 0; c < f->n_controls; c++) {
            rep_control *ctl = &f->controls[c];
            ctl->status = REP_NA;
            for (size_t k = 0; k < ctl->n_rules; k++) {
                const rep_rule *rr = &ix->rules[ctl->rules[k]];
                if (rep_status_rank(rr->status) > rep_status_rank(ctl->status))
                    ctl->status = rr->status;
                for (int s = 0; s < PP_STATUS_COUNT; s++)
                    ctl->counts[s] += rr->counts[s];
                ctl->suppressed += rr->suppressed;
            }
            f->status_controls[ctl->status]++;
        }
    }

    if (with_resources && in->inventory) {
        size_t n = pp_inventory_count(in->inventory);
        rep_map_init(&ix->resources, n);
        for (size_t i = 0; i < n; i++) {
            const pp_resource *res = pp_inventory_at(in->inventory, i);
            res_key(&key, res->type, res->account, res->region, res->id);
            rep_map_put(&ix->resources, key.data, key.len, i);
        }
        ix->have_resources = true;
    }

_exit:
    rep_map_free(&rule_ix);
    free(unsupp);
    free(fill);
    pp_buf_free(&key);
    if (rc < 0)
        rep_index_free(ix);
    return rc;
}

void rep_index_free(rep_index *ix)
{
    if (!ix)
        return;
    for (size_t i = 0; i < ix->n_rules; i++)
        free(ix->rules[i].findings);
    free(ix->rules);
    free(ix->rule_of);
    for (size_t i = 0; i < ix->n_fw; i++) {
        for (size_t c = 0; c < ix->fw[i].n_controls; c++) {
            free(ix->fw[i].controls[c].id);
            free(ix->fw[i].controls[c].rules);
        }
        free(ix->fw[i].controls);
        free(ix->fw[i].name);
        free(ix->fw[i].version);
    }
    free(ix->fw);
    free(ix->unmapped);
    rep_map_free(&ix->resources);
    memset(ix, 0, sizeof(*ix));
}

bool rep_resource_pos(const rep_index *ix, const pp_finding *f, size_t *pos)
{
    if (!ix->have_resources)
        return false;
    pp_buf key;
    pp_buf_init(&key, 0);
    res_key(&key, f->res_type ? f->res_type : f->rule->resource_type, f->account, f->region,
            f->res_id);
    bool found = rep_map_get(&ix->resources, key.data, key.len, pos);
    pp_buf_free(&key);
    return found;
}

const pp_resource *rep_resource(const rep_index *ix, const pp_finding *f)
{
    size_t pos;
    return rep_resource_pos(ix, f, &pos) ? pp_inventory_at(ix->in->inventory, pos) : NULL;
}

static void tags_from_list(json_t *out, json_t *list)
{
    size_t i;
    json_t *t;
    json_array_foreach(list, i, t)
    {
        json_t *k = json_object_get(t, "Key");
        if (!k)
            k = json_object_get(t, "key");
        json_t *v = json_object_get(t, "Value");
        if (!v)
            v = json_object_get(t, "value");
        if (json_is_string(k))
            json_object_set(out, json_string_value(k), json_is_string(v) ? v : json_null());
    }
}

json_t *rep_tags(const pp_resource *r)
{
    json_t *out = json_object();
    if (!r || !json_is_object(r->doc))
        return out;
    static const char *const keys[] = {"Tags", "TagList", "TagSet", "tags"};
    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
        json_t *t = json_object_get(r->doc, keys[i]);
        if (json_is_array(t)) {
            tags_from_list(out, t);
        } else if (json_is_object(t)) {
            const char *k;
            json_t *v;
            json_object_foreach(t, k, v)
                json_object_set(out, k, json_is_string(v) ? v : json_null());
        }
    }
    return out;
}

/* ---- changes ------------------------------------------------------------------------------ */

static void change_push(rep_change **arr, size_t *n, const pp_finding *now, const pp_finding *prev)
{
    /* grow in powers of two: n is the count, capacity follows it */
    if ((*n & (*n - 1)) == 0)
        *arr = pp_xrealloc(*arr, (*n ? *n * 2 : 1) * sizeof(**arr));
    (*arr)[*n].now = now;
    (*arr)[*n].prev = prev;
    (*n)++;
}

void rep_changes_build(rep_changes *c, const pp_report_input *in)
{
    memset(c, 0, sizeof(*c));
    const pp_results *prev = in->previous;
    const pp_results *cur = in->results;
    if (!prev)
        return;
    rep_map ids;
    rep_map_init(&ids, prev->n_findings);
    char buf[41];
    for (size_t i = 0; i < prev->n_findings; i++) {
        const char *id = rep_finding_id(&prev->findings[i], buf);
        rep_map_put(&ids, id, strlen(id), i);
    }
    bool *seen = pp_xcalloc(prev->n_findings ? prev->n_findings : 1, sizeof(bool));
    for (size_t i = 0; i < cur->n_findings; i++) {
        const pp_finding *f = &cur->findings[i];
        size_t pi;
        const pp_finding *p = NULL;
        const char *id = rep_finding_id(f, buf);
        if (rep_map_get(&ids, id, strlen(id), &pi)) {
            p = &prev->findings[pi];
            seen[pi] = true;
        }
        bool fail_now = f->status == PP_STATUS_FAIL;
        bool fail_before = p && p->status == PP_STATUS_FAIL;
        if (fail_now && !fail_before)
            change_push(&c->new_fail, &c->n_new, f, p);
        if (fail_before && !fail_now)
            change_push(&c->resolved, &c->n_resolved, f, p);
        if (p && p->status != f->status) {
            change_push(&c->changed, &c->n_changed, f, p);
            if (p->status == PP_STATUS_PASS && fail_now)
                c->n_regressed++;
        }
    }
    for (size_t i = 0; i < prev->n_findings; i++)
        if (!seen[i] && prev->findings[i].status == PP_STATUS_FAIL)
            change_push(&c->resolved, &c->n_resolved, NULL, &prev->findings[i]);
    free(seen);
    rep_map_free(&ids);
}

void rep_changes_free(rep_changes *c)
{
    if (!c)
        return;
    free(c->new_fail);
    free(c->resolved);
    free(c->changed);
    memset(c, 0, sizeof(*c));
}

/* ---- misc --------------------------------------------------------------------------------- */

const char *rep_finding_id(const pp_finding *f, char buf[41])
{
    if (f->id[0])
        return f->id;
    pp_finding copy = *f;
    pp_finding_set_id(&copy);
    memcpy(buf, copy.id, 41);
    return buf;
}

const char *rep_source_kind(const pp_report_input *in)
{
    if (in->source_kind)
        return in->source_kind;
    const char *s = in->snapshot ? in->snapshot->source : NULL;
    if (s) {
        if (strcmp(s, "terraform-plan") == 0)
            return "terraform-plan";
        if (strcmp(s, "import") == 0)
            return "snapshot";
        return "aws";
    }
    if (in->inventory) {
        switch (pp_inventory_source(in->inventory)) {
        case PP_SOURCE_PLAN:
            return "terraform-plan";
        case PP_SOURCE_IMPORT:
            return "snapshot";
        default:
            return "aws";
        }
    }
    return "aws";
}

static void put_scalar(pp_buf *b, json_t *v)
{
    if (json_is_string(v)) {
        pp_buf_puts(b, json_string_value(v));
    } else if (json_is_integer(v)) {
        pp_buf_printf(b, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
    } else if (json_is_real(v)) {
        pp_buf_printf(b, "%g", json_real_value(v));
    } else if (json_is_boolean(v)) {
        pp_buf_puts(b, json_is_true(v) ? "true" : "false");
    } else {
        char *s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
        if (s)
            pp_buf_puts(b, s);
        free(s);
    }
}

char *rep_remediation_text(const pp_rule_meta *m)
{
    json_t *rem = m ? m->remediation : NULL;
    if (!rem || json_is_null(rem))
        return NULL;
    pp_buf b;
    /* rule files are small; the cap only guards against a pathological remediation block */
    pp_buf_init(&b, 8192);
    if (json_is_string(rem)) {
        pp_buf_puts(&b, json_string_value(rem));
    } else if (json_is_object(rem)) {
        static const char *const prose[] = {"description", "text", "summary"};
        for (size_t i = 0; i < 3; i++) {
            json_t *t = json_object_get(rem, prose[i]);
            if (json_is_string(t)) {
                pp_buf_puts(&b, json_string_value(t));
                pp_buf_puts(&b, " ");
                break;
            }
        }
        json_t *action = json_object_get(rem, "action");
        if (json_is_string(action)) {
            pp_buf_puts(&b, "action: ");
            pp_buf_puts(&b, json_string_value(action));
        }
        const char *k;
        json_t *v;
        bool first = true;
        json_object_foreach(rem, k, v)
        {
            if (strcmp(k, "action") == 0 || strcmp(k, "description") == 0 ||
                strcmp(k, "text") == 0 || strcmp(k, "summary") == 0)
                continue;
            pp_buf_puts(&b, first ? " (" : ", ");
            first = false;
            pp_buf_puts(&b, k);
            pp_buf_puts(&b, ": ");
            put_scalar(&b, v);
        }
        if (!first)
            pp_buf_puts(&b, ")");
    } else {
        put_scalar(&b, rem);
    }
    if (b.len == 0) {
        pp_buf_free(&b);
        return NULL;
    }
    char *raw = pp_buf_steal(&b);
    char *out = rep_clean(raw, true);
    free(raw);
    return out;
}

char *rep_suppression_text(const json_t *s)
{
    if (!json_is_object(s))
        return NULL;
    const char *owner = json_string_value(json_object_get(s, "owner"));
    const char *reason = json_string_value(json_object_get(s, "reason"));
    const char *expires = json_string_value(json_object_get(s, "expires"));
    bool expired = json_is_true(json_object_get(s, "expired"));
    pp_buf b;
    pp_buf_init(&b, 8192);
    pp_buf_puts(&b, owner ? owner : "(no owner)");
    pp_buf_puts(&b, ": ");
    pp_buf_puts(&b, reason ? reason : "(no reason)");
    if (expires) {
        pp_buf_puts(&b, expired ? " (expired " : " (until ");
        pp_buf_puts(&b, expires);
        pp_buf_puts(&b, ")");
    }
    char *raw = pp_buf_steal(&b);
    char *out = rep_clean(raw, true);
    free(raw);
    return out;
}
