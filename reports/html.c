/* report.html: one self-contained file for auditors. Built as a libxml2 HTML tree, so every value
 * that came from an account (names, tags, messages, descriptions) is a text node or an attribute
 * value and is escaped by the serializer; nothing is ever pasted in as markup. The page loads
 * nothing: CSS and JS are inline and allowed by their SHA-256 in a strict Content-Security-Policy,
 * charts are inline SVG.
 *
 * Scale: PASS results are folded into counts per control; the failing (and unevaluated,
 * suppressed) findings and the resource table travel as one JSON data block that the script
 * renders on demand (a control's resources when it is opened, the resource table a page at a
 * time). Strings in that block escape <, > and & so it cannot close its <script> element. */
#include "report_int.h"

#include <stdarg.h>
#include <string.h>

#include <libxml/HTMLparser.h>
#include <libxml/HTMLtree.h>
#include <openssl/evp.h>
#include <openssl/sha.h>

extern const unsigned char pp_report_asset_css[];
extern const size_t pp_report_asset_css_len;
extern const unsigned char pp_report_asset_js[];
extern const size_t pp_report_asset_js_len;

/* Evidence larger than this is replaced by a pointer to report.json, to keep the page small. */
#define EVIDENCE_MAX 8192
/* Distinct evidence carried in the page: at most EVIDENCE_BUDGET, less when the rows alone
 * bring the page near PAGE_TARGET, never less than EVIDENCE_MIN. Past it rows point to
 * report.json. */
#define EVIDENCE_BUDGET ((size_t)6 * 1024 * 1024)
#define EVIDENCE_MIN    ((size_t)1024 * 1024)
#define PAGE_TARGET     ((size_t)22 * 1024 * 1024)
/* Rows of each change list shown in the summary; report.json has them all. */
#define CHANGES_SHOWN 100

/* ---- tree helpers -------------------------------------------------------------------------- */

static xmlNodePtr el(xmlNodePtr parent, const char *tag, const char *cls, const char *text)
{
    xmlNodePtr n = xmlNewChild(parent, NULL, BAD_CAST tag, NULL);
    if (cls)
        xmlSetProp(n, BAD_CAST "class", BAD_CAST cls);
    if (text) {
        char *c = rep_clean(text, true);
        xmlNodeAddContent(n, BAD_CAST c);
        free(c);
    }
    return n;
}

static xmlNodePtr elf(xmlNodePtr parent, const char *tag, const char *cls, const char *fmt, ...)
    PP_PRINTF(4, 5);
static xmlNodePtr elf(xmlNodePtr parent, const char *tag, const char *cls, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    pp_buf b;
    pp_buf_init(&b, 1 << 20);
    pp_buf_vprintf(&b, fmt, ap);
    va_end(ap);
    xmlNodePtr n = el(parent, tag, cls, pp_buf_cstr(&b));
    pp_buf_free(&b);
    return n;
}

static void add_text(xmlNodePtr n, const char *text)
{
    char *c = rep_clean(text ? text : "", true);
    xmlNodeAddContent(n, BAD_CAST c);
    free(c);
}

static void attr(xmlNodePtr n, const char *name, const char *value)
{
    char *c = rep_clean(value ? value : "", true);
    xmlSetProp(n, BAD_CAST name, BAD_CAST c);
    free(c);
}

static void attrf(xmlNodePtr n, const char *name, const char *fmt, ...) PP_PRINTF(3, 4);
static void attrf(xmlNodePtr n, const char *name, const char *fmt, ...)
{
    char buf[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    xmlSetProp(n, BAD_CAST name, BAD_CAST buf);
}

/* "sha256-<base64>" of data, for the CSP. */
static void csp_hash(const unsigned char *data, size_t len, char out[64])
{
    unsigned char md[SHA256_DIGEST_LENGTH];
    SHA256(data, len, md);
    memcpy(out, "sha256-", 7);
    EVP_EncodeBlock((unsigned char *)out + 7, md, SHA256_DIGEST_LENGTH);
}

/* ---- JSON data block ------------------------------------------------------------------------ */

/* Appends s as a JSON string that is also safe inside <script>: <, > and & become \u escapes. */
static void js_str(pp_buf *b, const char *s)
{
    char *c = rep_clean(s ? s : "", false);
    pp_buf_putc(b, '"');
    for (const unsigned char *p = (const unsigned char *)c; *p; p++) {
        switch (*p) {
        case '"':
            pp_buf_puts(b, "\\\"");
            break;
        case '\\':
            pp_buf_puts(b, "\\\\");
            break;
        case '<':
        case '>':
        case '&':
            pp_buf_printf(b, "\\u%04x", *p);
            break;
        default:
            if (*p < 0x20)
                pp_buf_printf(b, "\\u%04x", *p);
            else
                pp_buf_putc(b, (char)*p);
        }
    }
    pp_buf_putc(b, '"');
    free(c);
}

static void js_str_or0(pp_buf *b, const char *s)
{
    if (s && *s)
        js_str(b, s);
    else
        pp_buf_putc(b, '0');
}

/* Appends a JSON value (compact) with <, > and & escaped; they can only occur inside strings. */
static void js_value(pp_buf *b, json_t *v)
{
    json_t *clean = rep_jclean(v);
    char *s = json_dumps(clean, JSON_COMPACT | JSON_ENCODE_ANY);
    json_decref(clean);
    if (!s) {
        pp_buf_putc(b, '0');
        return;
    }
    if (strlen(s) > EVIDENCE_MAX) {
        char *note = pp_xasprintf("(%zu bytes of evidence: see report.json)", strlen(s));
        js_str(b, note);
        free(note);
        free(s);
        return;
    }
    for (const char *p = s; *p; p++) {
        if (*p == '<' || *p == '>' || *p == '&')
            pp_buf_printf(b, "\\u%04x", (unsigned char)*p);
        else
            pp_buf_putc(b, *p);
    }
    free(s);
}

/* A string table: index of a value in a list the data block carries once. */
typedef struct strtab {
    rep_map map;
    char **v;
    size_t n;
} strtab;

static int strtab_id(strtab *t, const char *s)
{
    if (!s)
        return -1;
    size_t id;
    if (rep_map_get(&t->map, s, strlen(s), &id))
        return (int)id;
    t->v = pp_xrealloc(t->v, (t->n + 1) * sizeof(*t->v));
    t->v[t->n] = pp_xstrdup(s);
    rep_map_put(&t->map, s, strlen(s), t->n);
    return (int)t->n++;
}

static void strtab_free(strtab *t)
{
    for (size_t i = 0; i < t->n; i++)
        free(t->v[i]);
    free(t->v);
    rep_map_free(&t->map);
}

static int strcmp_p(const void *a, const void *b)
{
    return rep_natcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorted copy of a table's values (borrowed strings). */
static const char **strtab_sorted(const strtab *t)
{
    const char **v = pp_xcalloc(t->n + 1, sizeof(*v));
    if (t->n) {
        memcpy(v, t->v, t->n * sizeof(*v));
        qsort(v, t->n, sizeof(*v), strcmp_p);
    }
    return v;
}

/* A row of the resource table: an inventory resource, or the subject of an account- or
 * region-scoped finding (existence rules) that no resource stands for. */
typedef struct row {
    const pp_resource *res;
    const pp_finding *subject;
    int type, acct, reg;
    int worst;  /* worst unsuppressed status; REP_NA when no finding */
    bool supp;  /* some finding suppressed */
    bool found; /* some finding at all */
} row;

typedef struct html_ctx {
    const pp_report_input *in;
    rep_index ix;
    rep_changes ch;
    row *rows;
    size_t n_rows;
    size_t *row_of; /* finding -> row */
    strtab types, accts, regs, services;
    int *type_svc; /* type index -> service index */
    size_t n_nonpass;
    size_t ev_omitted; /* findings whose evidence the page leaves to report.json */
} html_ctx;

static void ctx_free(html_ctx *c)
{
    rep_index_free(&c->ix);
    rep_changes_free(&c->ch);
    free(c->rows);
    free(c->row_of);
    strtab_free(&c->types);
    strtab_free(&c->accts);
    strtab_free(&c->regs);
    strtab_free(&c->services);
    free(c->type_svc);
}

static size_t add_row(html_ctx *c, const pp_resource *res, const pp_finding *subject,
                      const char *type, const char *acct, const char *reg)
{
    if ((c->n_rows & (c->n_rows - 1)) == 0)
        c->rows = pp_xrealloc(c->rows, (c->n_rows ? c->n_rows * 2 : 1) * sizeof(*c->rows));
    row *r = &c->rows[c->n_rows];
    memset(r, 0, sizeof(*r));
    r->res = res;
    r->subject = subject;
    r->type = strtab_id(&c->types, type ? type : "");
    r->acct = strtab_id(&c->accts, acct);
    r->reg = strtab_id(&c->regs, reg);
    r->worst = REP_NA;
    return c->n_rows++;
}

static void build_rows(html_ctx *c)
{
    const pp_results *res = c->in->results;
    size_t n_inv = c->in->inventory ? pp_inventory_count(c->in->inventory) : 0;
    rep_map extra;
    rep_map_init(&extra, 64);
    for (size_t i = 0; i < n_inv; i++) {
        const pp_resource *r = pp_inventory_at(c->in->inventory, i);
        add_row(c, r, NULL, r->type, r->account, r->region);
    }
    c->row_of = pp_xcalloc(res->n_findings ? res->n_findings : 1, sizeof(*c->row_of));
    pp_buf key;
    pp_buf_init(&key, 0);
    for (size_t i = 0; i < res->n_findings; i++) {
        const pp_finding *f = &res->findings[i];
        size_t at = 0;
        const char *type = f->res_type ? f->res_type : f->rule->resource_type;
        /* inventory positions are row numbers */
        if (!rep_resource_pos(&c->ix, f, &at)) {
            pp_buf_reset(&key);
            const char *parts[] = {type, f->account, f->region, f->res_id, f->address};
            for (size_t p = 0; p < 5; p++) {
                pp_buf_puts(&key, parts[p] ? parts[p] : "");
                pp_buf_append(&key, "", 1);
            }
            if (!rep_map_get(&extra, key.data, key.len, &at)) {
                at = add_row(c, NULL, f, type, f->account, f->region);
                rep_map_put(&extra, key.data, key.len, at);
            }
        }
        c->row_of[i] = at;
        row *rw = &c->rows[at];
        rw->found = true;
        if (f->suppressed) {
            rw->supp = true;
        } else if (rw->worst == REP_NA ||
                   rep_status_rank((int)f->status) > rep_status_rank(rw->worst)) {
            rw->worst = (int)f->status;
        }
        if (f->status != PP_STATUS_PASS || f->suppressed)
            c->n_nonpass++;
    }
    for (size_t i = 0; i < c->n_rows; i++)
        if (c->rows[i].found && c->rows[i].worst == REP_NA)
            c->rows[i].worst = PP_STATUS_PASS; /* only accepted (suppressed) findings */
    c->type_svc = pp_xcalloc(c->types.n + 1, sizeof(int));
    for (size_t i = 0; i < c->types.n; i++) {
        char buf[32];
        c->type_svc[i] = strtab_id(&c->services, rep_service_of(c->types.v[i], buf, sizeof(buf)));
    }
    pp_buf_free(&key);
    rep_map_free(&extra);
}

static const char *tag_name(json_t *tags)
{
    json_t *v = json_object_get(tags, "Name");
    return json_is_string(v) ? json_string_value(v) : NULL;
}

static void strtab_json(pp_buf *b, const strtab *t)
{
    pp_buf_putc(b, '[');
    for (size_t i = 0; i < t->n; i++) {
        if (i)
            pp_buf_putc(b, ',');
        js_str(b, t->v[i]);
    }
    pp_buf_putc(b, ']');
}

/* Appends a JSON array of a table's raw (already encoded) entries. */
static void rawtab_json(pp_buf *b, const strtab *t)
{
    pp_buf_putc(b, '[');
    for (size_t i = 0; i < t->n; i++) {
        if (i)
            pp_buf_putc(b, ',');
        pp_buf_puts(b, t->v[i]);
    }
    pp_buf_putc(b, ']');
}

/* The data block. Repeated values travel once: tag pairs (env=production on thousands of
 * resources) and evidence (the same open rule on many groups) sit in tables the rows index.
 * Evidence past EVIDENCE_BUDGET bytes is left out (the row says so; report.json has it), so a
 * huge failing estate cannot make the page unopenable. */
static int build_data(html_ctx *c, pp_buf *b)
{
    const pp_results *res = c->in->results;
    int rc = 0;
    strtab tagp = {0}, ev = {0};
    pp_buf rows, finds, tmp;
    size_t ev_bytes = 0;
    c->ev_omitted = 0;
    rep_map_init(&tagp.map, 256);
    rep_map_init(&ev.map, 256);
    pp_buf_init(&rows, b->max);
    pp_buf_init(&finds, b->max);
    pp_buf_init(&tmp, b->max);

    for (size_t i = 0; i < c->n_rows; i++) {
        const row *r = &c->rows[i];
        json_t *tags = rep_tags(r->res);
        pp_buf_printf(&rows, "%s[%d,", i ? ",\n" : "", r->type);
        if (r->res) {
            js_str(&rows, r->res->id);
            pp_buf_putc(&rows, ',');
            js_str_or0(&rows, r->res->arn);
        } else {
            js_str(&rows, r->subject->res_id);
            pp_buf_putc(&rows, ',');
            js_str_or0(&rows, r->subject->res_arn);
        }
        pp_buf_printf(&rows, ",%d,%d,", r->acct, r->reg);
        js_str_or0(&rows, tag_name(tags));
        pp_buf_putc(&rows, ',');
        /* the Name tag travels as the name above */
        size_t n_other = json_object_size(tags) - (tag_name(tags) ? 1 : 0);
        if (n_other) {
            const char *k;
            json_t *v;
            bool first = true;
            pp_buf_putc(&rows, '[');
            json_object_foreach(tags, k, v)
            {
                if (strcmp(k, "Name") == 0 && json_is_string(v))
                    continue;
                pp_buf_reset(&tmp);
                pp_buf_putc(&tmp, '[');
                js_str(&tmp, k);
                pp_buf_putc(&tmp, ',');
                js_str(&tmp, json_is_string(v) ? json_string_value(v) : "");
                pp_buf_putc(&tmp, ']');
                pp_buf_printf(&rows, "%s%d", first ? "" : ",", strtab_id(&tagp, pp_buf_cstr(&tmp)));
                first = false;
            }
            pp_buf_putc(&rows, ']');
        } else {
            pp_buf_putc(&rows, '0');
        }
        json_decref(tags);
        pp_buf_printf(&rows, ",%d,", r->worst);
        js_str_or0(&rows, r->res ? r->res->address : r->subject->address);
        if (pp_buf_putc(&rows, ']') < 0)
            goto _too_big;
    }

    /* what the finding rows will take without their evidence, to size the evidence budget */
    size_t est = rows.len, budget = EVIDENCE_BUDGET;
    for (size_t i = 0; i < res->n_findings; i++) {
        const pp_finding *f = &res->findings[i];
        if (f->status != PP_STATUS_PASS || f->suppressed)
            est += 40 + (f->message ? strlen(f->message) : 0) + (f->suppression ? 80 : 0);
    }
    if (est + budget > PAGE_TARGET)
        budget = est + EVIDENCE_MIN < PAGE_TARGET ? PAGE_TARGET - est : EVIDENCE_MIN;

    bool first = true;
    for (size_t i = 0; i < res->n_findings; i++) {
        const pp_finding *f = &res->findings[i];
        if (f->status == PP_STATUS_PASS && !f->suppressed)
            continue;
        pp_buf_printf(&finds, "%s[%zu,%zu,%d,%d,", first ? "" : ",\n", c->ix.rule_of[i],
                      c->row_of[i], (int)f->status, f->suppressed ? 1 : 0);
        first = false;
        js_str_or0(&finds, f->message);
        pp_buf_putc(&finds, ',');
        int evi = -1;
        if (f->evidence && !json_is_null(f->evidence)) {
            pp_buf_reset(&tmp);
            js_value(&tmp, f->evidence);
            size_t known;
            if (rep_map_get(&ev.map, tmp.data, tmp.len, &known)) {
                evi = (int)known;
            } else if (ev_bytes + tmp.len <= budget) {
                ev_bytes += tmp.len;
                evi = strtab_id(&ev, pp_buf_cstr(&tmp));
            } else {
                evi = -2;
                c->ev_omitted++;
            }
        }
        pp_buf_printf(&finds, "%d,", evi);
        char *sup = rep_suppression_text(f->suppression);
        js_str_or0(&finds, sup);
        free(sup);
        if (pp_buf_putc(&finds, ']') < 0)
            goto _too_big;
    }

    pp_buf_puts(b, "{\"types\":");
    strtab_json(b, &c->types);
    pp_buf_puts(b, ",\"svc\":[");
    for (size_t i = 0; i < c->types.n; i++) {
        if (i)
            pp_buf_putc(b, ',');
        js_str(b, c->services.v[c->type_svc[i]]);
    }
    pp_buf_puts(b, "],\"acct\":");
    strtab_json(b, &c->accts);
    pp_buf_puts(b, ",\"reg\":");
    strtab_json(b, &c->regs);
    pp_buf_puts(b, ",\"rules\":[");
    for (size_t i = 0; i < c->ix.n_rules; i++) {
        const pp_rule_meta *m = c->ix.rules[i].meta;
        pp_buf_puts(b, i ? ",{\"id\":" : "{\"id\":");
        js_str(b, m->id);
        pp_buf_printf(b, ",\"sev\":%d,\"fw\":[", (int)m->severity);
        const char *fw;
        json_t *ids;
        bool first_fw = true;
        json_object_foreach(m->frameworks, fw, ids)
        {
            if (!first_fw)
                pp_buf_putc(b, ',');
            first_fw = false;
            js_str(b, fw);
        }
        pp_buf_puts(b, "]}");
    }
    pp_buf_puts(b, "],\"tagp\":");
    rawtab_json(b, &tagp);
    pp_buf_puts(b, ",\"ev\":");
    rawtab_json(b, &ev);
    pp_buf_puts(b, ",\"res\":[");
    pp_buf_append(b, rows.data, rows.len);
    pp_buf_puts(b, "],\"f\":[");
    pp_buf_append(b, finds.data, finds.len);
    if (pp_buf_puts(b, "]}") < 0)
        goto _too_big;
    goto _exit;

_too_big:
    rc = pp_err_set(PP_EINVAL, "report: the HTML data block exceeds %zu bytes", b->max);
_exit:
    strtab_free(&tagp);
    strtab_free(&ev);
    pp_buf_free(&rows);
    pp_buf_free(&finds);
    pp_buf_free(&tmp);
    return rc;
}

/* ---- cover --------------------------------------------------------------------------------- */

static void fact(xmlNodePtr dl, const char *name, const char *value)
{
    el(dl, "dt", NULL, name);
    el(dl, "dd", NULL, value && *value ? value : "-");
}

static char *join_array(json_t *a)
{
    pp_buf b;
    pp_buf_init(&b, 1 << 20);
    size_t i;
    json_t *v;
    json_array_foreach(a, i, v)
    {
        if (!json_is_string(v))
            continue;
        if (b.len)
            pp_buf_puts(&b, ", ");
        pp_buf_puts(&b, json_string_value(v));
    }
    return b.len ? pp_buf_steal(&b) : (pp_buf_free(&b), pp_xstrdup(""));
}

static char *join_tab(const strtab *t)
{
    pp_buf b;
    pp_buf_init(&b, 1 << 20);
    const char **v = strtab_sorted(t);
    for (size_t i = 0; i < t->n; i++) {
        if (b.len)
            pp_buf_puts(&b, ", ");
        pp_buf_puts(&b, v[i]);
    }
    free(v);
    return b.len ? pp_buf_steal(&b) : (pp_buf_free(&b), pp_xstrdup(""));
}

static void time_fact(xmlNodePtr dl, const char *name, time_t t)
{
    char buf[32] = "";
    if (t > 0)
        pp_time_format(t, buf);
    fact(dl, name, buf);
}

static const char *source_label(const char *kind)
{
    if (strcmp(kind, "terraform-plan") == 0)
        return "Terraform plan (pre-merge check)";
    if (strcmp(kind, "snapshot") == 0)
        return "stored snapshot (imported or re-evaluated)";
    return "AWS accounts (live scan)";
}

static void coverage_statement(html_ctx *c, xmlNodePtr parent)
{
    const pp_report_input *in = c->in;
    const pp_inventory *inv = in->inventory;
    size_t n_cov = inv ? pp_inventory_coverage_count(inv) : 0;
    size_t n_err = 0, calls = 0, retries = 0;
    strtab ok_services = {0};
    rep_map_init(&ok_services.map, 16);
    for (size_t i = 0; i < n_cov; i++) {
        const pp_coverage *cv = pp_inventory_coverage_at(inv, i);
        calls += cv->calls > 0 ? (size_t)cv->calls : 1;
        retries += cv->retries > 0 ? (size_t)cv->retries : 0;
        if (!cv->ok)
            n_err++;
        else if (cv->service)
            strtab_id(&ok_services, cv->service);
    }
    xmlNodePtr box = el(parent, "section", n_err ? "coverage gaps" : "coverage", NULL);
    attr(box, "id", "coverage");
    el(box, "h2", NULL, "Coverage");
    size_t n_res = inv ? pp_inventory_count(inv) : 0;
    size_t n_types = 0;
    if (inv)
        pp_inventory_types(inv, &n_types);
    /* the snapshot's scope when there is one; "global" (IAM, account) is not a region */
    const pp_snapshot_info *snap = in->snapshot;
    size_t n_acct =
        snap && json_array_size(snap->accounts) ? json_array_size(snap->accounts) : c->accts.n;
    size_t n_reg = c->regs.n;
    size_t dummy;
    if (snap && json_array_size(snap->regions))
        n_reg = json_array_size(snap->regions);
    else if (n_reg && rep_map_get(&c->regs.map, "global", 6, &dummy))
        n_reg--;
    elf(box, "p", NULL,
        "Assessed: %zu resources of %zu types in %zu account(s) and %zu region(s), against %zu "
        "rules; %zu findings.",
        n_res, n_types, n_acct, n_reg, c->ix.n_rules, in->results->n_findings);
    if (n_types) {
        xmlNodePtr det = el(box, "details", "types", NULL);
        el(det, "summary", NULL, "Resources assessed, by type");
        xmlNodePtr t = el(det, "table", NULL, NULL);
        xmlNodePtr tr = el(el(t, "thead", NULL, NULL), "tr", NULL, NULL);
        el(tr, "th", NULL, "Type");
        el(tr, "th", NULL, "Resources");
        xmlNodePtr tb = el(t, "tbody", NULL, NULL);
        const char *const *types = pp_inventory_types(inv, &n_types);
        const char **sorted = pp_xcalloc(n_types + 1, sizeof(*sorted));
        memcpy(sorted, types, n_types * sizeof(*sorted));
        qsort(sorted, n_types, sizeof(*sorted), strcmp_p);
        for (size_t i = 0; i < n_types; i++) {
            size_t n = 0;
            pp_inventory_of_type(inv, sorted[i], &n);
            tr = el(tb, "tr", NULL, NULL);
            el(tr, "td", "mono", sorted[i]);
            elf(tr, "td", NULL, "%zu", n);
        }
        free(sorted);
    }
    if (n_cov) {
        char *svc = join_tab(&ok_services);
        elf(box, "p", NULL, "Services read: %s. API calls: %zu (%zu retries), %zu failed.", svc,
            calls, retries, n_err);
        free(svc);
    } else if (strcmp(rep_source_kind(in), "terraform-plan") == 0) {
        el(box, "p", NULL,
           "Source: a Terraform plan. Nothing was read from AWS; rules that need the whole "
           "account, and values known only after apply, are UNKNOWN.");
    } else {
        el(box, "p", NULL, "No API call records came with this snapshot.");
    }
    if (n_err) {
        el(box, "h3", NULL, "What could not be assessed, and why");
        el(box, "p", NULL,
           "These calls failed after their retries. Rules whose resources depend on them are "
           "ERROR for that account and region, never PASS.");
        xmlNodePtr t = el(box, "table", "gaps", NULL);
        xmlNodePtr tr = el(el(t, "thead", NULL, NULL), "tr", NULL, NULL);
        const char *heads[] = {"Account", "Region", "Service", "Operation", "Error"};
        for (size_t i = 0; i < 5; i++)
            el(tr, "th", NULL, heads[i]);
        xmlNodePtr tb = el(t, "tbody", NULL, NULL);
        for (size_t i = 0; i < n_cov; i++) {
            const pp_coverage *cv = pp_inventory_coverage_at(inv, i);
            if (cv->ok)
                continue;
            tr = el(tb, "tr", NULL, NULL);
            el(tr, "td", NULL, cv->account);
            el(tr, "td", NULL, cv->region);
            el(tr, "td", NULL, cv->service);
            el(tr, "td", "mono", cv->operation);
            el(tr, "td", NULL, cv->error);
        }
    } else if (n_cov) {
        el(box, "p", NULL, "Every API call succeeded: nothing in scope was left unassessed.");
    }
    /* rules that could not be decided, whatever the cause */
    xmlNodePtr list = NULL;
    for (size_t i = 0; i < c->ix.n_rules; i++) {
        const rep_rule *rr = &c->ix.rules[i];
        size_t n = rr->counts[PP_STATUS_ERROR] + rr->counts[PP_STATUS_UNKNOWN];
        if (!n)
            continue;
        if (!list) {
            el(box, "h3", NULL, "Rules with findings that could not be decided");
            list = el(box, "ul", NULL, NULL);
        }
        xmlNodePtr li = el(list, "li", NULL, NULL);
        el(li, "span", "mono", rr->meta->id);
        char *t = pp_xasprintf(": %zu ERROR, %zu UNKNOWN", rr->counts[PP_STATUS_ERROR],
                               rr->counts[PP_STATUS_UNKNOWN]);
        add_text(li, t);
        free(t);
    }
    strtab_free(&ok_services);
}

static void cover(html_ctx *c, xmlNodePtr body)
{
    const pp_report_input *in = c->in;
    const pp_snapshot_info *s = in->snapshot;
    const char *kind = rep_source_kind(in);
    xmlNodePtr hdr = el(body, "header", "cover", NULL);
    attr(hdr, "id", "cover");
    xmlNodePtr inner = el(hdr, "div", "cover-inner", NULL);
    el(inner, "h1", NULL, "Security and compliance report");
    elf(inner, "p", "subtitle", "parapet %s: %s", PP_VERSION, source_label(kind));
    xmlNodePtr dl = el(inner, "dl", "facts", NULL);

    char *accounts =
        s && json_array_size(s->accounts) ? join_array(s->accounts) : join_tab(&c->accts);
    char *regions = s && json_array_size(s->regions) ? join_array(s->regions) : join_tab(&c->regs);
    fact(dl, "Accounts", accounts);
    fact(dl, "Regions", regions);
    free(accounts);
    free(regions);
    if (strcmp(kind, "terraform-plan") == 0)
        fact(dl, "Plan", in->plan_path);
    if (s && s->id > 0) {
        char *snap = pp_xasprintf("#%lld%s", (long long)s->id,
                                  s->complete ? "" : " (incomplete: some calls failed)");
        fact(dl, "Snapshot", snap);
        free(snap);
    }
    time_fact(dl, "Scan started (UTC)", s ? s->started_at : 0);
    time_fact(dl, "Scan finished (UTC)", s ? s->finished_at : 0);
    time_fact(dl, "Evaluated (UTC)", in->results->evaluated_at);
    char *tool = s && s->tool_version && strcmp(s->tool_version, PP_VERSION) != 0
                     ? pp_xasprintf("parapet %s (scanned with %s)", PP_VERSION, s->tool_version)
                     : pp_xasprintf("parapet %s", PP_VERSION);
    fact(dl, "Tool", tool);
    free(tool);
    pp_buf packs;
    pp_buf_init(&packs, 1 << 20);
    size_t i;
    json_t *p;
    json_array_foreach(in->results->packs, i, p)
    {
        const char *name = json_string_value(json_object_get(p, "name"));
        const char *ver = json_string_value(json_object_get(p, "version"));
        pp_buf_printf(&packs, "%s%s%s%s", packs.len ? ", " : "", name ? name : "(unnamed)",
                      ver ? " " : "", ver ? ver : "");
    }
    fact(dl, "Policy packs", pp_buf_cstr(&packs));
    pp_buf_free(&packs);
    fact(dl, "Environment", in->results->env ? in->results->env : "default (no overlay)");
    coverage_statement(c, inner);
}

/* ---- summary ------------------------------------------------------------------------------- */

static xmlNodePtr svg_root(xmlNodePtr parent, int w, int h, const char *label)
{
    xmlNodePtr svg = el(parent, "svg", NULL, NULL);
    attrf(svg, "viewBox", "0 0 %d %d", w, h);
    attrf(svg, "width", "%d", w);
    attrf(svg, "height", "%d", h);
    attr(svg, "role", "img");
    attr(svg, "aria-label", label);
    el(svg, "title", NULL, label);
    return svg;
}

static void svg_rect(xmlNodePtr svg, const char *cls, double x, double y, double w, double h)
{
    xmlNodePtr r = el(svg, "rect", cls, NULL);
    attrf(r, "x", "%.1f", x);
    attrf(r, "y", "%.1f", y);
    attrf(r, "width", "%.1f", w < 0 ? 0 : w);
    attrf(r, "height", "%.1f", h);
}

static xmlNodePtr svg_text(xmlNodePtr svg, double x, double y, const char *anchor, const char *text)
{
    xmlNodePtr t = el(svg, "text", NULL, text);
    attrf(t, "x", "%.1f", x);
    attrf(t, "y", "%.1f", y);
    if (anchor)
        attr(t, "text-anchor", anchor);
    return t;
}

static void framework_chart(html_ctx *c, xmlNodePtr parent)
{
    size_t n = c->ix.n_fw;
    if (!n)
        return;
    xmlNodePtr fig = el(parent, "figure", "chart", NULL);
    attr(fig, "id", "chart-frameworks");
    el(fig, "figcaption", NULL, "Score per framework (controls that pass, of those assessed)");
    int w = 640, row_h = 30, h = (int)n * row_h + 10;
    xmlNodePtr svg = svg_root(fig, w, h, "Score per framework");
    for (size_t i = 0; i < n; i++) {
        const rep_framework *f = &c->ix.fw[i];
        size_t pass = f->status_controls[PP_STATUS_PASS];
        size_t fail = f->status_controls[PP_STATUS_FAIL];
        size_t assessed = pass + fail + f->status_controls[PP_STATUS_ERROR] +
                          f->status_controls[PP_STATUS_UNKNOWN];
        double y = 5 + (double)i * row_h;
        char name[40];
        snprintf(name, sizeof(name), "%.37s", f->name);
        svg_text(svg, 0, y + 17, NULL, name);
        double bx = 150, bw = 200;
        svg_rect(svg, "bar-bg", bx, y + 4, bw, 18);
        if (assessed) {
            svg_rect(svg, "bar-pass", bx, y + 4, bw * (double)pass / (double)assessed, 18);
            svg_rect(svg, "bar-fail", bx + bw * (double)pass / (double)assessed, y + 4,
                     bw * (double)fail / (double)assessed, 18);
        }
        /* the control score is strict (one failing resource fails the control); the share of
         * findings that pass says how far from passing it is */
        size_t fpass = 0, fall = 0;
        for (size_t k = 0; k < f->n_controls; k++) {
            const size_t *cnt = f->controls[k].counts;
            fpass += cnt[PP_STATUS_PASS];
            fall += cnt[PP_STATUS_PASS] + cnt[PP_STATUS_FAIL] + cnt[PP_STATUS_ERROR] +
                    cnt[PP_STATUS_UNKNOWN];
        }
        char *label = assessed ? pp_xasprintf("%zu%%: %zu of %zu controls; %zu%% of findings pass",
                                              pass * 100 / assessed, pass, assessed,
                                              fall ? fpass * 100 / fall : 100)
                               : pp_xstrdup("nothing assessed");
        svg_text(svg, bx + bw + 8, y + 17, NULL, label);
        free(label);
    }
}

static void severity_chart(html_ctx *c, xmlNodePtr parent)
{
    xmlNodePtr fig = el(parent, "figure", "chart", NULL);
    attr(fig, "id", "chart-severity");
    el(fig, "figcaption", NULL, "Findings per severity (failed / passed / other)");
    int w = 560, row_h = 30, h = 5 * row_h + 10;
    xmlNodePtr svg = svg_root(fig, w, h, "Findings per severity");
    for (int s = PP_SEV_CRITICAL, i = 0; s >= PP_SEV_INFO; s--, i++) {
        const size_t *cnt = c->ix.sev_counts[s];
        size_t total = 0;
        for (int st = 0; st < PP_STATUS_COUNT; st++)
            total += cnt[st];
        double y = 5 + (double)i * row_h;
        svg_text(svg, 0, y + 17, NULL, pp_severity_name((enum pp_severity)s));
        double bx = 80, bw = 300;
        svg_rect(svg, "bar-bg", bx, y + 4, bw, 18);
        if (total) {
            double fw = bw * (double)cnt[PP_STATUS_FAIL] / (double)total;
            double pw = bw * (double)cnt[PP_STATUS_PASS] / (double)total;
            svg_rect(svg, "bar-fail", bx, y + 4, fw, 18);
            svg_rect(svg, "bar-pass", bx + fw, y + 4, pw, 18);
            svg_rect(svg, "bar-other", bx + fw + pw, y + 4, bw - fw - pw, 18);
        }
        char *label = pp_xasprintf("%zu failed, %zu passed of %zu", cnt[PP_STATUS_FAIL],
                                   cnt[PP_STATUS_PASS], total);
        svg_text(svg, bx + bw + 8, y + 17, NULL, label);
        free(label);
    }
}

/* FAIL count of one framework in a history entry, or -1. */
static json_int_t history_count(json_t *entry, const char *fw)
{
    json_t *v = json_object_get(json_object_get(entry, "frameworks"), fw);
    if (!v)
        v = json_object_get(entry, fw);
    return json_is_integer(v) ? json_integer_value(v) : -1;
}

static void trend_chart(html_ctx *c, xmlNodePtr parent)
{
    json_t *hist = c->in->history;
    size_t n = json_array_size(hist);
    if (n == 0)
        return;
    /* the frameworks the history mentions, in first-seen order */
    strtab fws = {0};
    rep_map_init(&fws.map, 8);
    json_int_t max = 0;
    size_t i;
    json_t *e;
    json_array_foreach(hist, i, e)
    {
        json_t *src = json_object_get(e, "frameworks");
        if (!json_is_object(src))
            src = e;
        const char *k;
        json_t *v;
        json_object_foreach(src, k, v)
        {
            if (!json_is_integer(v) || strcmp(k, "snapshot") == 0)
                continue;
            strtab_id(&fws, k);
            if (json_integer_value(v) > max)
                max = json_integer_value(v);
        }
    }
    xmlNodePtr sec = el(parent, "section", "trend", NULL);
    attr(sec, "id", "trend");
    el(sec, "h3", NULL, "Trend: failed findings per framework");
    int w = 640, h = 240, left = 50, right = 20, top = 15, bottom = 40;
    xmlNodePtr svg =
        svg_root(sec, w, h + (int)fws.n * 18, "Failed findings per framework over time");
    double pw = w - left - right, ph = h - top - bottom;
    if (max <= 0)
        max = 1;
    xmlNodePtr axis = el(svg, "line", "axis", NULL);
    attrf(axis, "x1", "%d", left);
    attrf(axis, "y1", "%d", top);
    attrf(axis, "x2", "%d", left);
    attrf(axis, "y2", "%d", h - bottom);
    axis = el(svg, "line", "axis", NULL);
    attrf(axis, "x1", "%d", left);
    attrf(axis, "y1", "%d", h - bottom);
    attrf(axis, "x2", "%d", w - right);
    attrf(axis, "y2", "%d", h - bottom);
    char buf[64];
    snprintf(buf, sizeof(buf), "%lld", (long long)max);
    svg_text(svg, left - 6, top + 4, "end", buf);
    svg_text(svg, left - 6, h - bottom + 4, "end", "0");
    const char *t0 = json_string_value(json_object_get(json_array_get(hist, 0), "time"));
    const char *t1 = json_string_value(json_object_get(json_array_get(hist, n - 1), "time"));
    svg_text(svg, left, h - bottom + 18, "start", t0 ? t0 : "");
    if (n > 1)
        svg_text(svg, w - right, h - bottom + 18, "end", t1 ? t1 : "");
    for (size_t k = 0; k < fws.n; k++) {
        char cls[32];
        snprintf(cls, sizeof(cls), "line c%zu", k % 6);
        pp_buf pts;
        pp_buf_init(&pts, 1 << 20);
        json_array_foreach(hist, i, e)
        {
            json_int_t v = history_count(e, fws.v[k]);
            if (v < 0)
                continue;
            double x = left + (n > 1 ? pw * (double)i / (double)(n - 1) : pw / 2);
            double y = top + ph - ph * (double)v / (double)max;
            pp_buf_printf(&pts, "%s%.1f,%.1f", pts.len ? " " : "", x, y);
            xmlNodePtr dot = el(svg, "circle", cls + 5, NULL);
            attrf(dot, "cx", "%.1f", x);
            attrf(dot, "cy", "%.1f", y);
            attr(dot, "r", "3");
            const char *when = json_string_value(json_object_get(e, "time"));
            json_t *snap = json_object_get(e, "snapshot");
            char *tip =
                pp_xasprintf("%s: %lld failed (snapshot %lld, %s)", fws.v[k], (long long)v,
                             (long long)(json_is_integer(snap) ? json_integer_value(snap) : 0),
                             when ? when : "");
            el(dot, "title", NULL, tip);
            free(tip);
        }
        xmlNodePtr line = el(svg, "polyline", cls, NULL);
        attr(line, "points", pp_buf_cstr(&pts));
        pp_buf_free(&pts);
        double ly = h + (double)k * 18;
        svg_rect(svg, cls + 5, left, ly - 9, 12, 10);
        svg_text(svg, left + 18, ly, NULL, fws.v[k]);
    }
    strtab_free(&fws);
}

static void change_table(xmlNodePtr parent, const char *title, const rep_change *arr, size_t n)
{
    if (!n) {
        elf(parent, "h4", NULL, "%s: none", title);
        return;
    }
    /* folded: the cards above carry the counts, the lists can be long */
    parent = el(parent, "details", "changes-list", NULL);
    elf(el(parent, "summary", NULL, NULL), "span", NULL, "%s: %zu", title, n);
    xmlNodePtr t = el(parent, "table", NULL, NULL);
    xmlNodePtr tr = el(el(t, "thead", NULL, NULL), "tr", NULL, NULL);
    el(tr, "th", NULL, "Rule");
    el(tr, "th", NULL, "Resource");
    el(tr, "th", NULL, "Account / region");
    el(tr, "th", NULL, "Status");
    xmlNodePtr tb = el(t, "tbody", NULL, NULL);
    for (size_t i = 0; i < n && i < CHANGES_SHOWN; i++) {
        const pp_finding *f = arr[i].now ? arr[i].now : arr[i].prev;
        tr = el(tb, "tr", NULL, NULL);
        el(tr, "td", "mono", f->rule ? f->rule->id : "");
        el(tr, "td", NULL, f->address ? f->address : f->res_id);
        elf(tr, "td", NULL, "%s / %s", f->account ? f->account : "-", f->region ? f->region : "-");
        elf(tr, "td", "from-to", "%s -> %s",
            arr[i].prev ? pp_status_name(arr[i].prev->status) : "(new)",
            arr[i].now ? pp_status_name(arr[i].now->status) : "(gone)");
    }
    if (n > CHANGES_SHOWN)
        elf(parent, "p", "note", "%zu more in report.json (changes).", n - CHANGES_SHOWN);
}

static void summary(html_ctx *c, xmlNodePtr page)
{
    xmlNodePtr sec = el(page, "section", "summary", NULL);
    attr(sec, "id", "summary");
    el(sec, "h2", NULL, "Summary");
    xmlNodePtr cards = el(sec, "div", "cards", NULL);
    for (int s = 0; s < PP_STATUS_COUNT; s++) {
        const char *name = pp_status_name((enum pp_status)s);
        char cls[32];
        snprintf(cls, sizeof(cls), "card st-%s", name);
        xmlNodePtr card = el(cards, "div", cls, NULL);
        elf(card, "span", "num", "%zu", c->ix.totals[s]);
        el(card, "span", "label", name);
    }
    xmlNodePtr card = el(cards, "div", "card", NULL);
    elf(card, "span", "num", "%zu", c->ix.suppressed);
    el(card, "span", "label", "suppressed");
    size_t failed_rules = 0;
    for (size_t i = 0; i < c->ix.n_rules; i++)
        failed_rules += c->ix.rules[i].status == PP_STATUS_FAIL;
    elf(sec, "p", NULL,
        "%zu of %zu rules failed. Counts are findings (one per rule and resource); suppressed "
        "findings keep their status and are counted apart as accepted.",
        failed_rules, c->ix.n_rules);

    xmlNodePtr charts = el(sec, "div", "charts", NULL);
    framework_chart(c, charts);
    severity_chart(c, charts);

    xmlNodePtr chg = el(sec, "section", "changes", NULL);
    attr(chg, "id", "changes");
    el(chg, "h3", NULL, "Changes since the previous snapshot");
    if (!c->in->previous) {
        el(chg, "p", "note", "No previous snapshot to compare with.");
    } else {
        char when[32] = "";
        if (c->in->previous->evaluated_at > 0)
            pp_time_format(c->in->previous->evaluated_at, when);
        if (c->in->previous_snapshot > 0)
            elf(chg, "p", NULL, "Compared with snapshot #%lld %s.",
                (long long)c->in->previous_snapshot, when);
        else
            elf(chg, "p", NULL, "Compared with the evaluation of %s.", when[0] ? when : "-");
        xmlNodePtr cc = el(chg, "div", "cards", NULL);
        const char *labels[] = {"new failures", "resolved", "regressed (PASS to FAIL)",
                                "status changes"};
        size_t nums[] = {c->ch.n_new, c->ch.n_resolved, c->ch.n_regressed, c->ch.n_changed};
        for (size_t i = 0; i < 4; i++) {
            xmlNodePtr k = el(cc, "div",
                              i == 0 || i == 2 ? "card st-FAIL"
                              : i == 1         ? "card st-PASS"
                                               : "card",
                              NULL);
            attrf(k, "id", "chg-%zu", i);
            elf(k, "span", "num", "%zu", nums[i]);
            el(k, "span", "label", labels[i]);
        }
        change_table(chg, "New failures", c->ch.new_fail, c->ch.n_new);
        change_table(chg, "Resolved", c->ch.resolved, c->ch.n_resolved);
    }
    trend_chart(c, sec);
}

/* ---- filters ------------------------------------------------------------------------------- */

static xmlNodePtr select_box(xmlNodePtr form, const char *id, const char *label)
{
    xmlNodePtr l = el(form, "label", NULL, label);
    xmlNodePtr s = el(l, "select", NULL, NULL);
    attr(s, "id", id);
    attr(s, "name", id);
    xmlNodePtr o = el(s, "option", NULL, "all");
    attr(o, "value", "");
    return s;
}

static void option(xmlNodePtr sel, const char *value, const char *label)
{
    xmlNodePtr o = el(sel, "option", NULL, label ? label : value);
    attr(o, "value", value);
}

static void options_from(xmlNodePtr sel, const strtab *t)
{
    const char **v = strtab_sorted(t);
    for (size_t i = 0; i < t->n; i++)
        if (v[i][0])
            option(sel, v[i], NULL);
    free(v);
}

static void filters(html_ctx *c, xmlNodePtr page)
{
    xmlNodePtr form = el(page, "form", "filters", NULL);
    attr(form, "id", "filters");
    xmlNodePtr s = select_box(form, "f-status", "Status");
    for (int i = 0; i <= REP_NA; i++)
        option(s, rep_status_name(i), NULL);
    s = select_box(form, "f-severity", "Severity");
    for (int i = PP_SEV_CRITICAL; i >= PP_SEV_INFO; i--)
        option(s, pp_severity_name((enum pp_severity)i), NULL);
    /* services of rules and of resources */
    for (size_t i = 0; i < c->ix.n_rules; i++)
        strtab_id(&c->services, c->ix.rules[i].service);
    options_from(select_box(form, "f-service", "Service"), &c->services);
    options_from(select_box(form, "f-region", "Region"), &c->regs);
    options_from(select_box(form, "f-account", "Account"), &c->accts);
    s = select_box(form, "f-framework", "Framework");
    for (size_t i = 0; i < c->ix.n_fw; i++)
        option(s, c->ix.fw[i].name, NULL);
    if (c->ix.n_unmapped)
        option(s, "(none)", "rules outside any framework");
    xmlNodePtr l = el(form, "label", NULL, "Search");
    xmlNodePtr in = el(l, "input", NULL, NULL);
    attr(in, "id", "f-text");
    attr(in, "type", "search");
    attr(in, "placeholder", "resource, tag, rule, message");
    xmlNodePtr b = el(form, "button", NULL, "Clear filters");
    attr(b, "type", "reset");
    b = el(form, "button", NULL, "Open failing controls");
    attr(b, "type", "button");
    attr(b, "id", "open-failing");
    b = el(form, "button", NULL, "Close all");
    attr(b, "type", "button");
    attr(b, "id", "close-all");
    xmlNodePtr p = el(page, "p", NULL, NULL);
    attr(p, "id", "filter-count");
    attr(p, "aria-live", "polite");
}

/* ---- framework view ------------------------------------------------------------------------ */

static void counts_text(pp_buf *b, const size_t counts[PP_STATUS_COUNT], size_t suppressed)
{
    static const char *const words[] = {"passed", "failed", "error", "unknown", "manual"};
    static const int order[] = {PP_STATUS_FAIL, PP_STATUS_PASS, PP_STATUS_ERROR, PP_STATUS_UNKNOWN,
                                PP_STATUS_MANUAL};
    size_t total = 0;
    for (size_t i = 0; i < 5; i++) {
        size_t n = counts[order[i]];
        total += n;
        if (n || order[i] == PP_STATUS_FAIL || order[i] == PP_STATUS_PASS)
            pp_buf_printf(b, "%s%zu %s", b->len ? " · " : "", n, words[order[i]]);
    }
    if (suppressed)
        pp_buf_printf(b, " · %zu suppressed", suppressed);
    if (!total)
        pp_buf_puts(b, " · no resource in scope");
}

static void rule_block(html_ctx *c, xmlNodePtr parent, size_t ri)
{
    const rep_rule *rr = &c->ix.rules[ri];
    const pp_rule_meta *m = rr->meta;
    xmlNodePtr d = el(parent, "div", "rule", NULL);
    xmlNodePtr h = el(d, "h4", NULL, NULL);
    el(h, "span", "mono", m->id);
    add_text(h, ": ");
    add_text(h, m->title ? m->title : m->id);
    xmlNodePtr meta = el(d, "p", NULL, NULL);
    add_text(meta, "Severity ");
    xmlNodePtr sev = el(meta, "span", NULL, pp_severity_name(m->severity));
    char cls[32];
    snprintf(cls, sizeof(cls), "sev %s", pp_severity_name(m->severity));
    attr(sev, "class", cls);
    pp_buf b;
    pp_buf_init(&b, 1 << 20);
    pp_buf_printf(&b, " · resource type %s", m->resource_type ? m->resource_type : "-");
    if (m->pack)
        pp_buf_printf(&b, " · pack %s %s", m->pack, m->pack_version ? m->pack_version : "");
    pp_buf_printf(&b, " · status %s", rep_status_name(rr->status));
    counts_text(&b, rr->counts, rr->suppressed);
    add_text(meta, pp_buf_cstr(&b));
    pp_buf_free(&b);
    if (m->description) {
        xmlNodePtr p = el(d, "p", "rationale", NULL);
        el(p, "span", "label", "Rationale: ");
        add_text(p, m->description);
    }
    char *rem = rep_remediation_text(m);
    if (rem) {
        xmlNodePtr p = el(d, "p", "remediation", NULL);
        el(p, "span", "label", "Remediation: ");
        add_text(p, rem);
        char *cmd = pp_xasprintf(" (plan it with: parapet remediate --rules %s)", m->id);
        add_text(p, cmd);
        free(cmd);
        free(rem);
    }
    xmlNodePtr box = el(d, "div", "rule-findings", NULL);
    attrf(box, "data-rule", "%zu", ri);
    el(box, "p", "none", "Failing resources appear here when the control is open.");
}

static void control_details(html_ctx *c, xmlNodePtr parent, const char *fw, const char *id,
                            const size_t *rules, size_t n_rules, int status,
                            const size_t counts[PP_STATUS_COUNT], size_t suppressed)
{
    char cls[48];
    snprintf(cls, sizeof(cls), "control st-%s", rep_status_name(status));
    xmlNodePtr d = el(parent, "details", cls, NULL);
    attr(d, "data-framework", fw);
    attr(d, "data-status", rep_status_name(status));
    pp_buf b, sev, svc, text, has;
    pp_buf_init(&b, 1 << 20);
    pp_buf_init(&sev, 1 << 20);
    pp_buf_init(&svc, 1 << 20);
    pp_buf_init(&text, 1 << 20);
    pp_buf_init(&has, 1 << 20);
    pp_buf_printf(&text, "%s", id);
    for (size_t k = 0; k < n_rules; k++) {
        const rep_rule *rr = &c->ix.rules[rules[k]];
        pp_buf_printf(&b, "%s%zu", k ? " " : "", rules[k]);
        pp_buf_printf(&sev, "%s%s", k ? " " : "", pp_severity_name(rr->meta->severity));
        pp_buf_printf(&svc, "%s%s", k ? " " : "", rr->service);
        pp_buf_printf(&text, " %s %s", rr->meta->id, rr->meta->title ? rr->meta->title : "");
    }
    for (int s = 0; s < PP_STATUS_COUNT; s++)
        if (counts[s])
            pp_buf_printf(&has, "%s%s", has.len ? " " : "", pp_status_name((enum pp_status)s));
    attr(d, "data-rules", pp_buf_cstr(&b));
    attr(d, "data-severity", pp_buf_cstr(&sev));
    attr(d, "data-services", pp_buf_cstr(&svc));
    attr(d, "data-text", pp_buf_cstr(&text));
    attr(d, "data-has", pp_buf_cstr(&has));

    xmlNodePtr sum = el(d, "summary", NULL, NULL);
    el(sum, "span", "ctl-id", id);
    const rep_rule *first = n_rules ? &c->ix.rules[rules[0]] : NULL;
    const char *title = first && first->meta->title ? first->meta->title : id;
    if (n_rules > 1)
        elf(sum, "span", "ctl-title", "%s (and %zu more rule%s)", title, n_rules - 1,
            n_rules > 2 ? "s" : "");
    else
        el(sum, "span", "ctl-title", title);
    snprintf(cls, sizeof(cls), "badge st-%s", rep_status_name(status));
    el(sum, "span", cls, rep_status_name(status));
    pp_buf_reset(&b);
    counts_text(&b, counts, suppressed);
    el(sum, "span", "counts", pp_buf_cstr(&b));

    xmlNodePtr body = el(d, "div", "ctl-body", NULL);
    for (size_t k = 0; k < n_rules; k++)
        rule_block(c, body, rules[k]);
    pp_buf_free(&b);
    pp_buf_free(&sev);
    pp_buf_free(&svc);
    pp_buf_free(&text);
    pp_buf_free(&has);
}

static void frameworks(html_ctx *c, xmlNodePtr page)
{
    xmlNodePtr sec = el(page, "section", "frameworks", NULL);
    attr(sec, "id", "frameworks");
    el(sec, "h2", NULL, "Controls by framework");
    el(sec, "p", "note",
       "Every control of every framework in order. PASS results are counted, not listed; open a "
       "control for its failing, unevaluated and suppressed resources with the evidence that "
       "matched. report.json holds every finding.");
    if (c->ev_omitted)
        elf(sec, "p", "note",
            "The evidence of %zu findings is left out of this page to keep it small; report.json "
            "carries it.",
            c->ev_omitted);
    for (size_t i = 0; i < c->ix.n_fw; i++) {
        const rep_framework *f = &c->ix.fw[i];
        xmlNodePtr fs = el(sec, "section", "framework", NULL);
        attrf(fs, "id", "fw-%zu", i);
        attr(fs, "data-framework", f->name);
        if (f->version)
            elf(fs, "h3", NULL, "%s (version %s)", f->name, f->version);
        else
            el(fs, "h3", NULL, f->name);
        pp_buf b;
        pp_buf_init(&b, 1 << 20);
        pp_buf_printf(&b, "%zu controls: ", f->n_controls);
        for (int s = 0; s <= REP_NA; s++)
            pp_buf_printf(&b, "%s%zu %s", s ? ", " : "", f->status_controls[s], rep_status_name(s));
        el(fs, "p", "framework-score", pp_buf_cstr(&b));
        pp_buf_free(&b);
        for (size_t k = 0; k < f->n_controls; k++) {
            const rep_control *ctl = &f->controls[k];
            control_details(c, fs, f->name, ctl->id, ctl->rules, ctl->n_rules, ctl->status,
                            ctl->counts, ctl->suppressed);
        }
    }
    if (c->ix.n_unmapped) {
        xmlNodePtr fs = el(sec, "section", "framework", NULL);
        attr(fs, "id", "fw-none");
        attr(fs, "data-framework", "(none)");
        el(fs, "h3", NULL, "Rules outside any framework");
        for (size_t k = 0; k < c->ix.n_unmapped; k++) {
            const rep_rule *rr = &c->ix.rules[c->ix.unmapped[k]];
            control_details(c, fs, "(none)", rr->meta->id, &c->ix.unmapped[k], 1, rr->status,
                            rr->counts, rr->suppressed);
        }
    }
}

static void resources(html_ctx *c, xmlNodePtr page)
{
    xmlNodePtr sec = el(page, "section", "resources", NULL);
    attr(sec, "id", "resources");
    el(sec, "h2", NULL, "Resources");
    elf(sec, "p", "note",
        "%zu resources and finding subjects with their tags. The status is the worst of the "
        "resource's findings, suppressed findings aside; NOT_APPLICABLE means no rule applied.",
        c->n_rows);
    xmlNodePtr pager = el(sec, "div", "pager", NULL);
    xmlNodePtr b = el(pager, "button", NULL, "Previous");
    attr(b, "type", "button");
    attr(b, "id", "res-prev");
    xmlNodePtr info = el(pager, "span", NULL, NULL);
    attr(info, "id", "res-page");
    b = el(pager, "button", NULL, "Next");
    attr(b, "type", "button");
    attr(b, "id", "res-next");
    xmlNodePtr t = el(sec, "table", "resources", NULL);
    attr(t, "id", "res-table");
    xmlNodePtr tr = el(el(t, "thead", NULL, NULL), "tr", NULL, NULL);
    const char *heads[] = {"Type", "Resource", "Account", "Region", "Tags", "Status", "Findings"};
    for (size_t i = 0; i < 7; i++)
        el(tr, "th", NULL, heads[i]);
    xmlNodePtr tb = el(t, "tbody", NULL, NULL);
    attr(tb, "id", "res-body");
}

/* ---- the document -------------------------------------------------------------------------- */

int pp_report_html(const pp_report_input *in, FILE *out)
{
    html_ctx c;
    memset(&c, 0, sizeof(c));
    c.in = in;
    int rc = 0;
    htmlDocPtr doc = NULL;
    xmlOutputBufferPtr ob = NULL;
    pp_buf data;
    /* 100k resources make ~20 MB; past this the report would not open usefully anyway */
    pp_buf_init(&data, (size_t)512 * 1024 * 1024);
    rep_map_init(&c.types.map, 64);
    rep_map_init(&c.accts.map, 16);
    rep_map_init(&c.regs.map, 32);
    rep_map_init(&c.services.map, 32);

    rc = rep_index_build(&c.ix, in, true);
    if (rc < 0) {
        memset(&c.ix, 0, sizeof(c.ix));
        goto _exit;
    }
    rep_changes_build(&c.ch, in);
    build_rows(&c);
    if ((rc = build_data(&c, &data)) < 0)
        goto _exit;

    doc = htmlNewDocNoDtD(NULL, NULL);
    xmlCreateIntSubset(doc, BAD_CAST "html", NULL, NULL);
    xmlNodePtr html = xmlNewDocNode(doc, NULL, BAD_CAST "html", NULL);
    xmlDocSetRootElement(doc, html);
    attr(html, "lang", "en");
    xmlNodePtr head = el(html, "head", NULL, NULL);
    xmlNodePtr meta = el(head, "meta", NULL, NULL);
    attr(meta, "charset", "utf-8");
    char css_hash[64], js_hash[64];
    csp_hash(pp_report_asset_css, pp_report_asset_css_len, css_hash);
    csp_hash(pp_report_asset_js, pp_report_asset_js_len, js_hash);
    char *csp = pp_xasprintf("default-src 'none'; script-src '%s'; style-src '%s'; img-src data:; "
                             "base-uri 'none'; form-action 'none'",
                             js_hash, css_hash);
    meta = el(head, "meta", NULL, NULL);
    attr(meta, "http-equiv", "Content-Security-Policy");
    attr(meta, "content", csp);
    free(csp);
    meta = el(head, "meta", NULL, NULL);
    attr(meta, "name", "referrer");
    attr(meta, "content", "no-referrer");
    meta = el(head, "meta", NULL, NULL);
    attr(meta, "name", "viewport");
    attr(meta, "content", "width=device-width, initial-scale=1");
    meta = el(head, "meta", NULL, NULL);
    attr(meta, "name", "generator");
    attr(meta, "content", "parapet " PP_VERSION);
    char when[32] = "";
    if (in->results->evaluated_at > 0)
        pp_time_format(in->results->evaluated_at, when);
    elf(head, "title", NULL, "parapet report %s", when);
    el(head, "style", NULL, (const char *)pp_report_asset_css);

    xmlNodePtr body = el(html, "body", NULL, NULL);
    cover(&c, body);
    xmlNodePtr page = el(body, "main", NULL, NULL);
    xmlNodePtr nav = el(page, "nav", "toc", NULL);
    const char *links[][2] = {{"#cover", "Cover"},
                              {"#summary", "Summary"},
                              {"#filters", "Filters"},
                              {"#frameworks", "Controls"},
                              {"#resources", "Resources"}};
    for (size_t i = 0; i < 5; i++) {
        xmlNodePtr a = el(nav, "a", NULL, links[i][1]);
        attr(a, "href", links[i][0]);
    }
    summary(&c, page);
    el(page, "h2", NULL, "Filters");
    filters(&c, page);
    frameworks(&c, page);
    resources(&c, page);
    xmlNodePtr ns = el(page, "noscript", NULL, NULL);
    el(ns, "p", NULL,
       "Failing resources, filters and the resource table need JavaScript; the counts above and "
       "report.json do not.");
    elf(page, "footer", NULL,
        "Generated by parapet %s. Source: %s. report.json carries every finding, PASS included.",
        PP_VERSION, rep_source_kind(in));

    xmlNodePtr ds = el(body, "script", NULL, NULL);
    attr(ds, "type", "application/json");
    attr(ds, "id", "pp-data");
    /* already valid UTF-8 and free of <, > and & (js_str, js_value) */
    xmlNodeAddContentLen(ds, BAD_CAST data.data, (int)data.len);
    pp_buf_free(&data);
    el(body, "script", NULL, (const char *)pp_report_asset_js);

    ob = xmlOutputBufferCreateFile(out, NULL);
    if (!ob) {
        rc = pp_err_set(PP_EIO, "report: cannot write the HTML report");
        goto _exit;
    }
    htmlDocContentDumpFormatOutput(ob, doc, "UTF-8", 1);
    if (xmlOutputBufferClose(ob) < 0) {
        ob = NULL;
        rc = pp_err_set(PP_EIO, "report: cannot write the HTML report");
        goto _exit;
    }
    ob = NULL;

_exit:
    pp_buf_free(&data);
    if (doc)
        xmlFreeDoc(doc);
    ctx_free(&c);
    return rc;
}
