/* reports: the writer table, the rollup and changes, and every writer on hand-built and
 * synthetic inputs, hostile values included (markup, script, formulas, invalid UTF-8). */
#include "pp_reports.h"
#include "report_int.h"
#include "pp_test.h"

#include "../../bench/reports/synth.h"

#include <dirent.h>
#include <errno.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libxml/HTMLparser.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <openssl/evp.h>
#include <openssl/sha.h>

/* ---- helpers ------------------------------------------------------------------------------- */

static char tmpdir[64];

static const char *tmp_path(const char *name)
{
    static char buf[256];
    if (!tmpdir[0]) {
        snprintf(tmpdir, sizeof(tmpdir), "/tmp/pp-test-reports-XXXXXX");
        if (!mkdtemp(tmpdir))
            abort();
    }
    snprintf(buf, sizeof(buf), "%s/%s", tmpdir, name);
    return buf;
}

static void rm_tree(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return;
    struct dirent *e;
    char path[512];
    while ((e = readdir(d))) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
        struct stat st;
        if (lstat(path, &st) == 0 && S_ISDIR(st.st_mode))
            rm_tree(path);
        else
            unlink(path);
    }
    closedir(d);
    rmdir(dir);
}

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    pp_buf b;
    pp_buf_init(&b, 0);
    char chunk[65536];
    size_t n;
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
        pp_buf_append(&b, chunk, n);
    fclose(f);
    if (len)
        *len = b.len;
    return b.data ? pp_buf_steal(&b) : pp_xstrdup("");
}

static pp_rule_meta *rule(const char *id, enum pp_severity sev, const char *fw, const char *ctl)
{
    pp_rule_meta *m = pp_xcalloc(1, sizeof(*m));
    m->id = pp_xstrdup(id);
    m->title = pp_xasprintf("Title of %s", id);
    m->description = pp_xstrdup("why it matters");
    m->pack = pp_xstrdup("cis-aws-3.0");
    m->pack_version = pp_xstrdup("3.0.0");
    m->severity = sev;
    m->resource_type = pp_xstrdup("AWS::EC2::SecurityGroup");
    m->frameworks = json_object();
    if (fw)
        json_object_set_new(m->frameworks, fw, json_pack("[s]", ctl));
    m->remediation = json_pack("{ss}", "action", "revoke-ingress");
    return m;
}

static pp_finding *finding(pp_results *r, const pp_rule_meta *m, const char *res_id,
                           enum pp_status st)
{
    pp_finding *f = pp_results_add(r, m);
    f->status = st;
    f->res_type = pp_xstrdup(m->resource_type);
    f->res_id = pp_xstrdup(res_id);
    f->account = pp_xstrdup("111122223333");
    f->region = pp_xstrdup("eu-west-1");
    f->message = pp_xasprintf("%s is %s", res_id, pp_status_name(st));
    pp_finding_set_id(f);
    return f;
}

static json_t *load_json(const char *path)
{
    json_error_t err;
    json_t *v = json_load_file(path, 0, &err);
    if (!v)
        fprintf(stderr, "%s:%d: %s\n", path, err.line, err.text);
    return v;
}

/* ---- table and strings ------------------------------------------------------------------- */

static void writer_table(void)
{
    const char *names[] = {"json", "html", "ocsf", "csv", "sarif", "junit"};
    const char *files[] = {"report.json", "report.html",  "report.ocsf.json",
                           "report.csv",  "report.sarif", "report.junit.xml"};
    for (size_t i = 0; i < 6; i++) {
        const pp_report_writer *w = pp_report_writer_find(names[i]);
        CHECK(w != NULL);
        if (w)
            CHECK_STR(w->filename, files[i]);
    }
    CHECK(pp_report_writer_find("pdf") == NULL);
    CHECK(pp_report_writer_find(NULL) == NULL);
    size_t n = 0;
    while (pp_report_writer_at(n))
        n++;
    CHECK_INT(n, 6);
}

static void natural_order(void)
{
    CHECK(rep_natcmp("1.2", "1.10") < 0);
    CHECK(rep_natcmp("1.10", "1.2") > 0);
    CHECK(rep_natcmp("1.10", "2.1") < 0);
    CHECK(rep_natcmp("5.2", "5.2") == 0);
    CHECK(rep_natcmp("NET-2", "NET-10") < 0);
    CHECK(rep_natcmp("1.02", "1.2") == 0);
    CHECK(rep_natcmp("1", "1.1") < 0);
}

static void clean_strings(void)
{
    char *c = rep_clean("ok\xff\xfe\xc3(", false);
    CHECK_STR(c, "ok\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD(");
    free(c);
    /* overlong '/' and a UTF-16 surrogate are not UTF-8 */
    c = rep_clean("\xc0\xaf|\xed\xa0\x80", false);
    CHECK_STR(c, "\xEF\xBF\xBD\xEF\xBF\xBD|\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");
    free(c);
    c = rep_clean("a\x01"
                  "b\tc\n",
                  true);
    CHECK_STR(c, "a\xEF\xBF\xBD"
                 "b\tc\n");
    free(c);
    c = rep_clean("a\x01"
                  "b",
                  false);
    CHECK_STR(c, "a\x01"
                 "b");
    free(c);
    CHECK(rep_is_clean("h\xC3\xA9llo \xF0\x9F\x94\x92", true));
    CHECK(!rep_is_clean("\xf5\x80\x80\x80", false));
    CHECK(rep_clean(NULL, false) == NULL);

    json_t *dirty = json_pack("{s[o]}", "k", json_string_nocheck("x\xff"));
    json_t *fixed = rep_jclean(dirty);
    CHECK(fixed != dirty);
    CHECK_STR(json_string_value(json_array_get(json_object_get(fixed, "k"), 0)), "x\xEF\xBF\xBD");
    json_t *same = rep_jclean(fixed);
    CHECK(same == fixed);
    json_decref(same);
    json_decref(fixed);
    json_decref(dirty);
    json_t *null = rep_jclean(NULL);
    CHECK(json_is_null(null));
    json_decref(null);
}

/* ---- rollup and changes -------------------------------------------------------------------- */

static void rollup(void)
{
    pp_results *r = pp_results_new();
    pp_rule_meta *a = pp_results_add_rule(r, rule("A", PP_SEV_HIGH, "cis-aws-3.0", "1.10"));
    pp_rule_meta *b = pp_results_add_rule(r, rule("B", PP_SEV_LOW, "cis-aws-3.0", "1.2"));
    pp_rule_meta *c = pp_results_add_rule(r, rule("C", PP_SEV_MEDIUM, "cis-aws-3.0", "1.10"));
    pp_rule_meta *d = pp_results_add_rule(r, rule("D", PP_SEV_MEDIUM, NULL, NULL));
    pp_rule_meta *e = pp_results_add_rule(r, rule("E", PP_SEV_INFO, "reference", "NET-1"));
    /* A: its only failure is suppressed -> PASS */
    finding(r, a, "sg-1", PP_STATUS_FAIL)->suppressed = true;
    finding(r, a, "sg-2", PP_STATUS_PASS);
    /* B: nothing evaluated */
    /* C: FAIL beats ERROR */
    finding(r, c, "sg-1", PP_STATUS_ERROR);
    finding(r, c, "sg-2", PP_STATUS_FAIL);
    /* D: ERROR beats PASS; no framework */
    finding(r, d, "sg-1", PP_STATUS_ERROR);
    finding(r, d, "sg-2", PP_STATUS_PASS);
    /* E: MANUAL beats PASS */
    finding(r, e, "x", PP_STATUS_MANUAL);
    finding(r, e, "y", PP_STATUS_PASS);
    (void)b;

    pp_report_input in = {.results = r};
    rep_index ix;
    CHECK_INT(rep_index_build(&ix, &in, false), 0);
    CHECK_STR(rep_status_name(ix.rules[0].status), "PASS");
    CHECK_INT(ix.rules[0].suppressed, 1);
    CHECK_STR(rep_status_name(ix.rules[1].status), "NOT_APPLICABLE");
    CHECK_STR(rep_status_name(ix.rules[2].status), "FAIL");
    CHECK_STR(rep_status_name(ix.rules[3].status), "ERROR");
    CHECK_STR(rep_status_name(ix.rules[4].status), "MANUAL");
    CHECK_INT(ix.n_fw, 2);
    CHECK_STR(ix.fw[0].name, "cis-aws-3.0");
    CHECK_STR(ix.fw[1].name, "reference");
    CHECK_INT(ix.fw[0].n_controls, 2);
    CHECK_STR(ix.fw[0].controls[0].id, "1.2");
    CHECK_STR(ix.fw[0].controls[1].id, "1.10");
    /* 1.10 is implemented by A (PASS) and C (FAIL) */
    CHECK_INT(ix.fw[0].controls[1].n_rules, 2);
    CHECK_STR(rep_status_name(ix.fw[0].controls[1].status), "FAIL");
    CHECK_INT(ix.fw[0].controls[1].counts[PP_STATUS_FAIL], 2);
    CHECK_INT(ix.fw[0].controls[1].suppressed, 1);
    CHECK_STR(rep_status_name(ix.fw[0].controls[0].status), "NOT_APPLICABLE");
    CHECK_INT(ix.n_unmapped, 1);
    CHECK_INT(ix.unmapped[0], 3);
    CHECK_INT(ix.totals[PP_STATUS_FAIL], 2);
    CHECK_INT(ix.totals[PP_STATUS_PASS], 3);
    CHECK_INT(ix.sev_counts[PP_SEV_HIGH][PP_STATUS_FAIL], 1);
    CHECK_STR(ix.rules[0].service, "ec2");
    rep_index_free(&ix);
    rep_index_free(NULL);

    /* a finding whose rule is not in the results is refused, not misfiled */
    pp_rule_meta *stray = rule("STRAY", PP_SEV_LOW, NULL, NULL);
    finding(r, stray, "sg-9", PP_STATUS_FAIL);
    CHECK_INT(rep_index_build(&ix, &in, false), PP_EINVAL);
    CHECK(strstr(pp_err_msg(), "rule") != NULL);
    CHECK_INT(pp_report_write("json", &in, tmp_path("stray.json")), PP_EINVAL);
    CHECK(access(tmp_path("stray.json"), F_OK) != 0);
    pp_rule_meta_free(stray);
    pp_results_free(r);
}

static void changes(void)
{
    pp_results *prev = pp_results_new(), *cur = pp_results_new();
    pp_rule_meta *p = pp_results_add_rule(prev, rule("R", PP_SEV_HIGH, NULL, NULL));
    pp_rule_meta *c = pp_results_add_rule(cur, rule("R", PP_SEV_HIGH, NULL, NULL));
    finding(prev, p, "a", PP_STATUS_FAIL);
    finding(prev, p, "b", PP_STATUS_PASS);
    finding(prev, p, "c", PP_STATUS_FAIL); /* gone now */
    finding(prev, p, "e", PP_STATUS_FAIL);
    finding(cur, c, "a", PP_STATUS_FAIL);  /* unchanged */
    finding(cur, c, "b", PP_STATUS_FAIL);  /* regressed */
    finding(cur, c, "d", PP_STATUS_FAIL);  /* new */
    finding(cur, c, "e", PP_STATUS_ERROR); /* FAIL -> ERROR: resolved as a failure, changed */
    pp_report_input in = {.results = cur, .previous = prev, .previous_snapshot = 7};
    rep_changes ch;
    rep_changes_build(&ch, &in);
    CHECK_INT(ch.n_new, 2);
    CHECK_STR(ch.new_fail[0].now->res_id, "b");
    CHECK(ch.new_fail[0].prev && ch.new_fail[0].prev->status == PP_STATUS_PASS);
    CHECK_STR(ch.new_fail[1].now->res_id, "d");
    CHECK(ch.new_fail[1].prev == NULL);
    CHECK_INT(ch.n_resolved, 2);
    CHECK_STR(ch.resolved[0].prev->res_id, "e");
    CHECK_STR(ch.resolved[1].prev->res_id, "c");
    CHECK(ch.resolved[1].now == NULL);
    CHECK_INT(ch.n_changed, 2);
    CHECK_INT(ch.n_regressed, 1);
    rep_changes_free(&ch);

    CHECK_INT(pp_report_write("json", &in, tmp_path("changes.json")), 0);
    json_t *doc = load_json(tmp_path("changes.json"));
    json_t *chg = json_object_get(doc, "changes");
    CHECK_INT(json_integer_value(json_object_get(chg, "previous_snapshot")), 7);
    CHECK_INT(json_integer_value(json_object_get(json_object_get(chg, "counts"), "regressed")), 1);
    json_t *gone = json_array_get(json_object_get(chg, "resolved"), 1);
    CHECK_STR(json_string_value(json_object_get(gone, "resource")), "c");
    CHECK(json_is_null(json_object_get(gone, "to")));
    CHECK_STR(json_string_value(json_object_get(gone, "from")), "FAIL");
    json_decref(doc);

    /* without a previous evaluation there is no changes member */
    in.previous = NULL;
    CHECK_INT(pp_report_write("json", &in, tmp_path("nochanges.json")), 0);
    doc = load_json(tmp_path("nochanges.json"));
    CHECK(json_object_get(doc, "changes") == NULL);
    json_decref(doc);
    pp_results_free(prev);
    pp_results_free(cur);
}

/* ---- JSON ---------------------------------------------------------------------------------- */

static void json_contract(void)
{
    pp_results *r = pp_results_new();
    r->evaluated_at = 1714564800;
    pp_rule_meta *m = pp_results_add_rule(r, rule("CIS-5.2", PP_SEV_HIGH, "cis-aws-3.0", "5.2"));
    pp_finding *f = finding(r, m, "sg-1", PP_STATUS_FAIL);
    f->address = pp_xstrdup("module.net.aws_security_group.ssh[0]");
    f->evidence = json_pack("{s[{ss}]}", "IpRanges", "CidrIp", "0.0.0.0/0");
    pp_finding_set_id(f);
    pp_finding *g = finding(r, m, "sg-2", PP_STATUS_PASS);
    /* a producer that left the id empty still gets the stable one */
    char expect[41];
    memcpy(expect, g->id, 41);
    g->id[0] = '\0';
    pp_report_input in = {.results = r, .source_kind = "terraform-plan", .plan_path = "p.json"};
    CHECK_INT(pp_report_write("json", &in, tmp_path("contract.json")), 0);
    json_t *doc = load_json(tmp_path("contract.json"));
    CHECK(doc != NULL);
    CHECK_STR(json_string_value(json_object_get(doc, "schema")), "parapet/report/v1");
    json_t *src = json_object_get(doc, "source");
    CHECK_STR(json_string_value(json_object_get(src, "kind")), "terraform-plan");
    CHECK_STR(json_string_value(json_object_get(src, "plan")), "p.json");
    json_t *fs = json_object_get(doc, "findings");
    CHECK_INT(json_array_size(fs), 2);
    json_t *f0 = json_array_get(fs, 0), *f1 = json_array_get(fs, 1);
    CHECK_STR(json_string_value(json_object_get(f0, "id")), f->id);
    CHECK_STR(json_string_value(json_object_get(f1, "id")), expect);
    CHECK_STR(json_string_value(json_object_get(json_object_get(f0, "resource"), "address")),
              "module.net.aws_security_group.ssh[0]");
    CHECK(json_object_get(json_object_get(f1, "resource"), "address") == NULL);
    CHECK_STR(json_string_value(json_object_get(json_object_get(f0, "remediation"), "action")),
              "revoke-ingress");
    CHECK(json_is_null(json_object_get(f1, "remediation")));
    CHECK(json_equal(json_object_get(f0, "evidence"), f->evidence));
    json_t *sum = json_object_get(doc, "summary");
    CHECK_INT(json_integer_value(json_object_get(sum, "FAIL")), 1);
    CHECK_INT(json_integer_value(json_object_get(sum, "PASS")), 1);
    CHECK_INT(json_integer_value(json_object_get(
                  json_object_get(json_object_get(sum, "by_severity"), "high"), "FAIL")),
              1);
    json_t *ctl = json_array_get(json_object_get(doc, "controls"), 0);
    CHECK_STR(json_string_value(json_object_get(ctl, "status")), "FAIL");
    CHECK_STR(json_string_value(json_object_get(json_object_get(doc, "scan"), "evaluated_at")),
              "2024-05-01T12:00:00Z");
    json_decref(doc);
    pp_results_free(r);
}

/* ---- CSV ----------------------------------------------------------------------------------- */

/* A strict RFC 4180 reader: every field quoted (as we write them), CRLF after each record. */
static int csv_parse(const char *s, char ***cells_out, size_t *n_out, size_t *records)
{
    char **cells = NULL;
    size_t n = 0;
    *records = 0;
    while (*s) {
        for (;;) {
            if (*s != '"')
                return -1;
            s++;
            pp_buf b;
            pp_buf_init(&b, 0);
            for (;;) {
                if (!*s)
                    return -1;
                if (*s == '"' && s[1] == '"') {
                    pp_buf_putc(&b, '"');
                    s += 2;
                } else if (*s == '"') {
                    s++;
                    break;
                } else {
                    pp_buf_putc(&b, *s++);
                }
            }
            cells = pp_xrealloc(cells, (n + 1) * sizeof(*cells));
            cells[n++] = b.data ? pp_buf_steal(&b) : pp_xstrdup("");
            if (*s == ',') {
                s++;
                continue;
            }
            if (s[0] == '\r' && s[1] == '\n') {
                s += 2;
                (*records)++;
                break;
            }
            return -1;
        }
    }
    *cells_out = cells;
    *n_out = n;
    return 0;
}

static void csv_injection(void)
{
    pp_results *r = pp_results_new();
    pp_rule_meta *m = pp_results_add_rule(r, rule("R-1", PP_SEV_LOW, "cis-aws-3.0", "1.1"));
    free(m->title);
    m->title = pp_xstrdup("  =1+1 title");
    pp_finding *f = finding(r, m, SYNTH_CSV_FORMULA, PP_STATUS_FAIL);
    free(f->message);
    f->message = pp_xstrdup("+SUM(A1) \"quoted\",\r\nnext line");
    free(f->account);
    f->account = pp_xstrdup("-2+3");
    free(f->region);
    f->region = pp_xstrdup("@region\xff");
    f->res_arn = pp_xstrdup("\tarn");
    pp_finding *g = finding(r, m, "ok-id", PP_STATUS_PASS);
    g->res_arn = pp_xstrdup("\rarn");
    pp_report_input in = {.results = r};
    CHECK_INT(pp_report_write("csv", &in, tmp_path("inj.csv")), 0);
    char *text = slurp(tmp_path("inj.csv"), NULL);
    char **cells = NULL;
    size_t n = 0, records = 0;
    CHECK_INT(csv_parse(text, &cells, &n, &records), 0);
    CHECK_INT(records, 3);
    CHECK_INT(n, 48);
    if (n == 48) {
        CHECK_STR(cells[0], "finding_id");
        CHECK_STR(cells[16 + 2], "'  =1+1 title");
        CHECK_STR(cells[16 + 7], "'-2+3");
        CHECK_STR(cells[16 + 8], "'@region\xEF\xBF\xBD");
        CHECK_STR(cells[16 + 10], "'" SYNTH_CSV_FORMULA);
        CHECK_STR(cells[16 + 11], "'\tarn");
        CHECK_STR(cells[16 + 13], "'+SUM(A1) \"quoted\",\r\nnext line");
        CHECK_STR(cells[16 + 6], "cis-aws-3.0 1.1");
        CHECK_STR(cells[16 + 14], "action: revoke-ingress");
        CHECK_STR(cells[32 + 11], "'\rarn");
        CHECK_STR(cells[32 + 14], ""); /* no remediation on a PASS */
        for (size_t i = 0; i < n; i++) {
            const char *c = cells[i];
            while (*c == ' ')
                c++;
            CHECK(strchr("=+-@\t\r", *c) == NULL || *c == '\0');
        }
    }
    for (size_t i = 0; i < n; i++)
        free(cells[i]);
    free(cells);
    free(text);
    pp_results_free(r);
}

/* ---- HTML ---------------------------------------------------------------------------------- */

typedef struct html_scan {
    size_t scripts, styles, controls, imgs, handlers, external;
    char *csp;
    char *script_js, *style_css, *data;
    char first_ids[8][16];
    size_t n_ids;
    bool hostile_text; /* the hostile img markup found as a text node */
} html_scan;

static void scan_node(xmlNodePtr n, html_scan *s)
{
    for (; n; n = n->next) {
        if (n->type == XML_TEXT_NODE && n->content &&
            strstr((const char *)n->content, "onerror=\"document.title"))
            s->hostile_text = true;
        if (n->type != XML_ELEMENT_NODE)
            continue;
        const char *name = (const char *)n->name;
        for (xmlAttrPtr a = n->properties; a; a = a->next) {
            if (strncmp((const char *)a->name, "on", 2) == 0)
                s->handlers++;
            if (strcmp((const char *)a->name, "src") == 0)
                s->external++;
            if (strcmp((const char *)a->name, "href") == 0) {
                xmlChar *v = xmlGetProp(n, a->name);
                if (v && v[0] != '#')
                    s->external++;
                xmlFree(v);
            }
        }
        if (strcmp(name, "img") == 0 || strcmp(name, "iframe") == 0 || strcmp(name, "link") == 0)
            s->imgs++;
        if (strcmp(name, "meta") == 0) {
            xmlChar *eq = xmlGetProp(n, BAD_CAST "http-equiv");
            if (eq && strcmp((const char *)eq, "Content-Security-Policy") == 0)
                s->csp = (char *)xmlGetProp(n, BAD_CAST "content");
            xmlFree(eq);
        }
        if (strcmp(name, "script") == 0) {
            s->scripts++;
            xmlChar *type = xmlGetProp(n, BAD_CAST "type");
            char *body = (char *)xmlNodeGetContent(n);
            if (type && strcmp((const char *)type, "application/json") == 0)
                s->data = body;
            else
                s->script_js = body;
            xmlFree(type);
        }
        if (strcmp(name, "style") == 0) {
            s->styles++;
            s->style_css = (char *)xmlNodeGetContent(n);
        }
        xmlChar *fw =
            strcmp(name, "details") == 0 ? xmlGetProp(n, BAD_CAST "data-framework") : NULL;
        if (fw) {
            s->controls++;
            if (fw && strcmp((const char *)fw, "cis-aws-3.0") == 0 && s->n_ids < 8) {
                xmlNodePtr sum = n->children;
                while (sum && (sum->type != XML_ELEMENT_NODE ||
                               strcmp((const char *)sum->name, "summary") != 0))
                    sum = sum->next;
                if (sum && sum->children) {
                    xmlChar *id = xmlNodeGetContent(sum->children);
                    snprintf(s->first_ids[s->n_ids++], 16, "%s", (const char *)id);
                    xmlFree(id);
                }
            }
            xmlFree(fw);
        }
        scan_node(n->children, s);
    }
}

static bool csp_allows(const char *csp, const char *body)
{
    unsigned char md[SHA256_DIGEST_LENGTH];
    SHA256((const unsigned char *)body, strlen(body), md);
    char b64[64], want[80];
    EVP_EncodeBlock((unsigned char *)b64, md, SHA256_DIGEST_LENGTH);
    snprintf(want, sizeof(want), "'sha256-%s'", b64);
    return csp && strstr(csp, want) != NULL;
}

static void html_hostile(void)
{
    synth_opts o = {.resources = 40, .hostile = true, .previous = true, .history = true};
    synth s;
    synth_build(&o, &s);
    pp_report_input in;
    synth_input(&s, &in);
    const char *path = tmp_path("hostile.html");
    CHECK_INT(pp_report_write("html", &in, path), 0);
    size_t len = 0;
    char *text = slurp(path, &len);
    CHECK(text && pp_str_startswith(text, "<!DOCTYPE html>"));
    /* the raw hostile markup never appears as markup */
    CHECK(strstr(text, "<img") == NULL);
    CHECK(strstr(text, "<svg onload") == NULL);
    CHECK(strstr(text, "<div id=\"pwned\"") == NULL);
    CHECK(strstr(text, "</script><script>document.title") == NULL);
    CHECK(strstr(text, "&lt;b&gt;outside&lt;/b&gt;") != NULL);

    htmlDocPtr doc = htmlReadMemory(text, (int)len, "r.html", "UTF-8",
                                    HTML_PARSE_NOERROR | HTML_PARSE_NOWARNING | HTML_PARSE_NONET);
    CHECK(doc != NULL);
    html_scan sc = {0};
    if (doc)
        scan_node(xmlDocGetRootElement(doc), &sc);
    CHECK_INT(sc.scripts, 2);
    CHECK_INT(sc.styles, 1);
    CHECK_INT(sc.imgs, 0);
    CHECK_INT(sc.handlers, 0);
    CHECK_INT(sc.external, 0);
    CHECK(sc.hostile_text);
    CHECK(sc.csp && strstr(sc.csp, "default-src 'none'") != NULL);
    CHECK(sc.csp && strstr(sc.csp, "img-src data:") != NULL);
    CHECK(sc.csp && strstr(sc.csp, "unsafe") == NULL);
    CHECK(sc.script_js && csp_allows(sc.csp, sc.script_js));
    CHECK(sc.style_css && csp_allows(sc.csp, sc.style_css));
    CHECK(sc.data && strchr(sc.data, '<') == NULL);
    json_error_t err;
    json_t *data = sc.data ? json_loads(sc.data, 0, &err) : NULL;
    CHECK(data != NULL);
    /* the hostile tag survives as data, decoded back to the original text */
    char *dump = data ? json_dumps(json_object_get(data, "res"), JSON_ENCODE_ANY) : NULL;
    CHECK(dump && strstr(dump, "onerror=\\\"document.title='pwned-img'") != NULL);
    free(dump);
    /* every CIS control in natural order: 1.1 1.2 1.4 1.8 1.10 3.6 3.7 5.1 */
    const char *expect[] = {"1.1", "1.2", "1.4", "1.8", "1.10", "3.6", "3.7", "5.1"};
    CHECK_INT(sc.n_ids, 8);
    for (size_t i = 0; i < sc.n_ids && i < 8; i++)
        CHECK_STR(sc.first_ids[i], expect[i]);
    /* 11 CIS controls + 5 reference + 1 rule outside any framework */
    CHECK_INT(sc.controls, 17);
    json_decref(data);
    xmlFree(sc.csp);
    xmlFree(sc.script_js);
    xmlFree(sc.style_css);
    xmlFree(sc.data);
    if (doc)
        xmlFreeDoc(doc);
    free(text);
    synth_free(&s);
}

static void html_evidence_budget(void)
{
    /* 1200 failures with distinct 7 KB evidence: more than the page carries */
    pp_results *r = pp_results_new();
    pp_rule_meta *m = pp_results_add_rule(r, rule("BIG", PP_SEV_HIGH, NULL, NULL));
    char *blob = pp_xmalloc(7001);
    memset(blob, 'x', 7000);
    blob[7000] = '\0';
    for (int i = 0; i < 1200; i++) {
        char id[32];
        snprintf(id, sizeof(id), "sg-%04d", i);
        pp_finding *f = finding(r, m, id, PP_STATUS_FAIL);
        f->evidence = json_pack("{siss}", "n", i, "blob", blob);
    }
    /* and one piece of evidence too large for any page */
    char *huge = pp_xmalloc(20001);
    memset(huge, 'y', 20000);
    huge[20000] = '\0';
    finding(r, m, "sg-huge", PP_STATUS_FAIL)->evidence = json_pack("{ss}", "blob", huge);
    pp_report_input in = {.results = r};
    CHECK_INT(pp_report_write("html", &in, tmp_path("budget.html")), 0);
    size_t len = 0;
    char *text = slurp(tmp_path("budget.html"), &len);
    CHECK(text && strstr(text, "findings is left out of this page to keep it small") != NULL);
    CHECK(text && strstr(text, "20011 bytes of evidence: see report.json") != NULL);
    CHECK(len < (size_t)8 * 1024 * 1024);
    free(text);
    free(blob);
    free(huge);
    pp_results_free(r);
}

static void html_trend_flat(void)
{
    /* history entries may carry framework counts beside snapshot and time */
    pp_results *r = pp_results_new();
    pp_rule_meta *m = pp_results_add_rule(r, rule("T-1", PP_SEV_LOW, "cis-aws-3.0", "1.1"));
    finding(r, m, "sg-1", PP_STATUS_FAIL);
    json_t *hist = json_pack("[{sisssi}{sisssi}]", "snapshot", 1, "time", "2024-01-01T00:00:00Z",
                             "cis-aws-3.0", 3, "snapshot", 2, "time", "2024-01-02T00:00:00Z",
                             "cis-aws-3.0", 1);
    pp_report_input in = {.results = r, .history = hist};
    CHECK_INT(pp_report_write("html", &in, tmp_path("trend.html")), 0);
    char *text = slurp(tmp_path("trend.html"), NULL);
    CHECK(text && strstr(text, "<polyline") != NULL);
    CHECK(text && strstr(text, "cis-aws-3.0: 3 failed (snapshot 1, 2024-01-01T00:00:00Z)") != NULL);
    CHECK(text && strstr(text, "cis-aws-3.0: 1 failed (snapshot 2") != NULL);
    free(text);
    /* and no trend section without a history */
    in.history = NULL;
    CHECK_INT(pp_report_write("html", &in, tmp_path("notrend.html")), 0);
    text = slurp(tmp_path("notrend.html"), NULL);
    CHECK(text && strstr(text, "<polyline") == NULL);
    free(text);
    json_decref(hist);
    pp_results_free(r);
}

/* ---- SARIF, JUnit, OCSF -------------------------------------------------------------------- */

static void sarif_plan(void)
{
    synth_opts o = {.resources = 60, .plan = true, .hostile = true};
    synth s;
    synth_build(&o, &s);
    pp_report_input in;
    synth_input(&s, &in);
    CHECK_INT(pp_report_write("sarif", &in, tmp_path("plan.sarif")), 0);
    json_t *doc = load_json(tmp_path("plan.sarif"));
    CHECK_STR(json_string_value(json_object_get(doc, "version")), "2.1.0");
    json_t *run = json_array_get(json_object_get(doc, "runs"), 0);
    json_t *rules =
        json_object_get(json_object_get(json_object_get(run, "tool"), "driver"), "rules");
    CHECK_INT(json_array_size(rules), s.results->n_rules);
    size_t i, j;
    json_t *rr, *res;
    json_array_foreach(rules, i, rr)
    {
        json_t *props = json_object_get(rr, "properties");
        CHECK(json_is_string(json_object_get(props, "security-severity")));
        CHECK(json_is_string(json_object_get(json_object_get(rr, "help"), "text")));
        for (j = i + 1; j < json_array_size(rules); j++)
            CHECK(!pp_str_eq(json_string_value(json_object_get(rr, "id")),
                             json_string_value(json_object_get(json_array_get(rules, j), "id"))));
    }
    size_t fails = 0, in_module = 0, in_plan = 0;
    json_array_foreach(json_object_get(run, "results"), i, res)
    {
        json_int_t ri = json_integer_value(json_object_get(res, "ruleIndex"));
        CHECK_STR(json_string_value(json_object_get(res, "ruleId")),
                  json_string_value(json_object_get(json_array_get(rules, (size_t)ri), "id")));
        json_t *loc = json_object_get(json_array_get(json_object_get(res, "locations"), 0),
                                      "physicalLocation");
        const char *uri =
            json_string_value(json_object_get(json_object_get(loc, "artifactLocation"), "uri"));
        json_int_t line =
            json_integer_value(json_object_get(json_object_get(loc, "region"), "startLine"));
        if (pp_str_eq(uri, "modules/net/main.tf")) {
            in_module++;
            CHECK_INT(line, 12);
        } else if (pp_str_eq(uri, "plans/tfplan.json")) {
            in_plan++;
            CHECK_INT(line, 1);
        } else {
            CHECK_STR(uri, "iam%20users.tf");
        }
        const char *st =
            json_string_value(json_object_get(json_object_get(res, "properties"), "status"));
        CHECK(!pp_str_eq(st, "PASS") && !pp_str_eq(st, "MANUAL"));
        fails += pp_str_eq(st, "FAIL");
        if (pp_str_eq(st, "UNKNOWN"))
            CHECK_STR(json_string_value(json_object_get(res, "level")), "note");
        CHECK(json_is_string(json_object_get(json_object_get(res, "partialFingerprints"),
                                             "primaryLocationLineHash")));
    }
    CHECK(fails > 0);
    CHECK(in_module > 0);
    CHECK(in_plan > 0);
    json_decref(doc);
    synth_free(&s);
}

static void junit_counts(void)
{
    pp_results *r = pp_results_new();
    pp_rule_meta *m = pp_results_add_rule(r, rule("R.1", PP_SEV_HIGH, NULL, NULL));
    finding(r, m, "pass", PP_STATUS_PASS);
    finding(r, m, "fail\x01<&>", PP_STATUS_FAIL);
    pp_finding *sup = finding(r, m, "accepted", PP_STATUS_FAIL);
    sup->suppressed = true;
    sup->suppression =
        json_pack("{ssssss}", "owner", "ops", "reason", "legacy", "expires", "2099-01-01");
    finding(r, m, "err", PP_STATUS_ERROR);
    finding(r, m, "unk", PP_STATUS_UNKNOWN);
    pp_report_input in = {.results = r};
    CHECK_INT(pp_report_write("junit", &in, tmp_path("j.xml")), 0);
    xmlDocPtr doc = xmlReadFile(tmp_path("j.xml"), NULL, XML_PARSE_NONET);
    CHECK(doc != NULL); /* the control character did not make it invalid XML */
    xmlNodePtr root = doc ? xmlDocGetRootElement(doc) : NULL;
    CHECK(root && strcmp((const char *)root->name, "testsuites") == 0);
    if (root) {
        xmlChar *v = xmlGetProp(root, BAD_CAST "tests");
        CHECK_STR((const char *)v, "5");
        xmlFree(v);
        v = xmlGetProp(root, BAD_CAST "failures");
        CHECK_STR((const char *)v, "1");
        xmlFree(v);
        v = xmlGetProp(root, BAD_CAST "errors");
        CHECK_STR((const char *)v, "1");
        xmlFree(v);
        v = xmlGetProp(root, BAD_CAST "skipped");
        CHECK_STR((const char *)v, "2");
        xmlFree(v);
        size_t cases = 0, failures = 0, skipped = 0, errors = 0;
        for (xmlNodePtr suite = root->children; suite; suite = suite->next) {
            if (suite->type != XML_ELEMENT_NODE)
                continue;
            for (xmlNodePtr tc = suite->children; tc; tc = tc->next) {
                if (tc->type != XML_ELEMENT_NODE || strcmp((const char *)tc->name, "testcase"))
                    continue;
                cases++;
                xmlChar *cls = xmlGetProp(tc, BAD_CAST "classname");
                CHECK_STR((const char *)cls, "R.1");
                xmlFree(cls);
                for (xmlNodePtr k = tc->children; k; k = k->next) {
                    if (k->type != XML_ELEMENT_NODE)
                        continue;
                    failures += strcmp((const char *)k->name, "failure") == 0;
                    errors += strcmp((const char *)k->name, "error") == 0;
                    if (strcmp((const char *)k->name, "skipped") == 0) {
                        skipped++;
                        xmlChar *msg = xmlGetProp(k, BAD_CAST "message");
                        CHECK(msg && (strstr((const char *)msg, "ops: legacy (until 2099-01-01)") ||
                                      strstr((const char *)msg, "UNKNOWN")));
                        xmlFree(msg);
                    }
                }
            }
        }
        CHECK_INT(cases, 5);
        CHECK_INT(failures, 1);
        CHECK_INT(errors, 1);
        CHECK_INT(skipped, 2);
    }
    if (doc)
        xmlFreeDoc(doc);
    pp_results_free(r);
}

static void ocsf_mapping(void)
{
    pp_results *r = pp_results_new();
    pp_rule_meta *m = pp_results_add_rule(r, rule("R-9", PP_SEV_CRITICAL, "cis-aws-3.0", "1.4"));
    finding(r, m, "a", PP_STATUS_FAIL)->suppressed = true;
    finding(r, m, "b", PP_STATUS_ERROR);
    finding(r, m, "c", PP_STATUS_UNKNOWN);
    finding(r, m, "d", PP_STATUS_PASS);
    pp_report_input in = {.results = r};
    CHECK_INT(pp_report_write("ocsf", &in, tmp_path("o.json")), 0);
    json_t *doc = load_json(tmp_path("o.json"));
    CHECK_INT(json_array_size(doc), 4);
    const char *codes[] = {"FAIL", "MANUAL", "MANUAL", "PASS"};
    size_t i;
    json_t *e;
    json_array_foreach(doc, i, e)
    {
        CHECK_INT(json_object_size(e), 24);
        CHECK_INT(json_integer_value(json_object_get(e, "class_uid")), 2004);
        CHECK_INT(json_integer_value(json_object_get(e, "severity_id")), 5);
        CHECK_STR(json_string_value(json_object_get(e, "severity")), "Critical");
        CHECK_STR(json_string_value(json_object_get(e, "status_code")), codes[i]);
        json_t *comp = json_object_get(json_object_get(e, "unmapped"), "compliance");
        CHECK_STR(json_string_value(json_array_get(json_object_get(comp, "cis-aws-3.0"), 0)),
                  "1.4");
    }
    CHECK_STR(json_string_value(json_object_get(json_array_get(doc, 0), "status")), "Suppressed");
    CHECK_INT(json_integer_value(json_object_get(json_array_get(doc, 0), "status_id")), 3);
    CHECK(pp_str_startswith(
        json_string_value(json_object_get(json_array_get(doc, 1), "status_detail")), "ERROR: "));
    CHECK(pp_str_startswith(
        json_string_value(json_object_get(json_array_get(doc, 2), "status_detail")), "UNKNOWN: "));
    json_decref(doc);
    pp_results_free(r);
}

/* ---- entry points -------------------------------------------------------------------------- */

static void write_all_and_errors(void)
{
    synth_opts o = {.resources = 30, .hostile = true, .previous = true};
    synth s;
    synth_build(&o, &s);
    pp_report_input in;
    synth_input(&s, &in);
    const char *dir = pp_xstrdup(tmp_path("all"));

    CHECK_INT(pp_report_write_all("json,nope", &in, dir), PP_EINVAL);
    CHECK(strstr(pp_err_msg(), "'nope'") != NULL);
    CHECK(access(dir, F_OK) != 0); /* nothing written, not even the folder */
    CHECK_INT(pp_report_write_all("", &in, dir), PP_EINVAL);
    CHECK_INT(pp_report_write_all("json", NULL, dir), PP_EINVAL);

    CHECK_INT(pp_report_write_all("json, html ,ocsf,csv,sarif,junit,json", &in, dir), 0);
    struct stat st;
    CHECK_INT(stat(dir, &st), 0);
    CHECK_INT(st.st_mode & 0777, 0700);
    const char *files[] = {"report.json", "report.html",  "report.ocsf.json",
                           "report.csv",  "report.sarif", "report.junit.xml"};
    for (size_t i = 0; i < 6; i++) {
        char *p = pp_xasprintf("%s/%s", dir, files[i]);
        CHECK_INT(stat(p, &st), 0);
        CHECK_INT(st.st_mode & 0777, 0600);
        CHECK(st.st_size > 0);
        free(p);
    }
    /* the hostile tags carried invalid UTF-8: every JSON file still loads (jansson checks) */
    const char *jsons[] = {"report.json", "report.ocsf.json", "report.sarif"};
    for (size_t i = 0; i < 3; i++) {
        char *p = pp_xasprintf("%s/%s", dir, jsons[i]);
        json_t *doc = load_json(p);
        CHECK(doc != NULL);
        json_decref(doc);
        free(p);
    }
    char *jp = pp_xasprintf("%s/report.json", dir);
    char *jtext = slurp(jp, NULL);
    CHECK(jtext && strstr(jtext, "sg-<i>hostile</i>\\\"'") != NULL);
    free(jtext);
    free(jp);
    size_t n = 0;
    DIR *d = opendir(dir);
    struct dirent *e;
    while (d && (e = readdir(d)))
        n += e->d_name[0] != '.';
    if (d)
        closedir(d);
    CHECK_INT(n, 6); /* no temporary file left behind */

    CHECK_INT(pp_report_write("json", &in, "/nonexistent-dir/x/report.json"), PP_EIO);
    CHECK(strstr(pp_err_msg(), "/nonexistent-dir/x/report.json") != NULL);
    CHECK_INT(pp_report_write("yaml", &in, tmp_path("x.yaml")), PP_EINVAL);
    /* a file where the folder should be */
    CHECK_INT(pp_report_write_all("json", &in, tmp_path("all/report.json")), PP_EIO);
    free((char *)dir);
    synth_free(&s);
}

static void empty_results(void)
{
    pp_results *r = pp_results_new();
    pp_report_input in = {.results = r};
    const char *dir = tmp_path("empty");
    CHECK_INT(pp_report_write_all("json,html,ocsf,csv,sarif,junit", &in, dir), 0);
    char *p = pp_xasprintf("%s/report.json", dir);
    json_t *doc = load_json(p);
    CHECK_INT(json_array_size(json_object_get(doc, "findings")), 0);
    CHECK_STR(json_string_value(json_object_get(json_object_get(doc, "source"), "kind")), "aws");
    json_decref(doc);
    free(p);
    p = pp_xasprintf("%s/report.ocsf.json", dir);
    doc = load_json(p);
    CHECK(json_is_array(doc) && json_array_size(doc) == 0);
    json_decref(doc);
    free(p);
    pp_results_free(r);
}

static void deterministic(void)
{
    synth_opts o = {.resources = 50, .previous = true, .history = true};
    const char *fmts[] = {"json", "html", "ocsf", "csv", "sarif", "junit"};
    for (size_t k = 0; k < 6; k++) {
        char *a = NULL, *b = NULL;
        size_t la = 0, lb = 0;
        for (int run = 0; run < 2; run++) {
            synth s;
            synth_build(&o, &s);
            pp_report_input in;
            synth_input(&s, &in);
            char name[32];
            snprintf(name, sizeof(name), "det%d.%s", run, fmts[k]);
            CHECK_INT(pp_report_write(fmts[k], &in, tmp_path(name)), 0);
            if (run == 0)
                a = slurp(tmp_path(name), &la);
            else
                b = slurp(tmp_path(name), &lb);
            synth_free(&s);
        }
        CHECK(a && b && la == lb && memcmp(a, b, la) == 0);
        free(a);
        free(b);
    }
}

static void cleanup(void)
{
    if (tmpdir[0])
        rm_tree(tmpdir);
    xmlCleanupParser();
}

/* The report serializer must write exactly what jansson's compact dump writes, escapes and key
 * order included: report.json is byte-identical across runs and tools diff it. */
static void serializer_matches_jansson(void)
{
    const char *const docs[] = {
        "{}",
        "[]",
        "{\"a\":1,\"b\":[true,false,null],\"c\":{\"d\":\"e\"}}",
        "[\"quote \\\" backslash \\\\ slash / tab \\t nl \\n cr \\r ff \\f bs \\b\"]",
        "[\"\\u0001\\u001f\\u007f\\u0000mid\", \"\\u00e9\\u4e2d\\ud83d\\ude00\"]",
        "{\"z\":1,\"a\":2,\"m\":{\"y\":[1,-2,9223372036854775807]}}",
        "[1.5, 0.1, 1e300, -0.0, 100.0]",
        "\"bare string\"",
        "42",
    };
    for (size_t i = 0; i < sizeof(docs) / sizeof(docs[0]); i++) {
        json_error_t err;
        json_t *v = json_loads(docs[i], JSON_DECODE_ANY | JSON_ALLOW_NUL, &err);
        CHECK(v != NULL);
        if (!v)
            continue;
        char *want = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
        pp_buf b;
        pp_buf_init(&b, 0);
        CHECK_INT(pp_buf_json_value(&b, v), 0);
        CHECK_STR(pp_buf_cstr(&b), want);
        pp_buf_free(&b);
        free(want);
        json_decref(v);
    }
}

/* report.json writes findings directly; the bytes must be those of the finding object, hostile
 * and plan values included (invalid UTF-8 replaced, addresses, suppressions, evidence). */
static void finding_writer_matches_objects(void)
{
    for (int plan = 0; plan < 2; plan++) {
        synth_opts o = {.resources = 80, .hostile = true, .plan = plan != 0, .previous = true};
        synth s;
        synth_build(&o, &s);
        pp_buf b;
        pp_buf_init(&b, 0);
        size_t checked = 0;
        for (size_t i = 0; i < s.results->n_findings; i++) {
            const pp_finding *f = &s.results->findings[i];
            json_t *obj = rep_finding_obj(f);
            char *want = json_dumps(obj, JSON_COMPACT);
            pp_buf_reset(&b);
            CHECK_INT(rep_finding_dump(f, &b), 0);
            if (!pp_str_eq(pp_buf_cstr(&b), want)) {
                CHECK_STR(pp_buf_cstr(&b), want);
                i = s.results->n_findings; /* one diff is enough to read */
            }
            checked++;
            free(want);
            json_decref(obj);
        }
        CHECK(checked > 50);
        pp_buf_free(&b);
        synth_free(&s);
    }
}

/* report.json renders its findings in slices on two threads and writes them in order: across
 * many slices (more than the window held at once) every finding is there, once, in place. */
static void json_findings_sliced_in_order(void)
{
    synth_opts o = {.resources = 12000, .hostile = true};
    synth s;
    synth_build(&o, &s);
    CHECK(s.results->n_findings > 1024 * 8 * 2);
    pp_report_input in = {.results = s.results};
    CHECK_INT(pp_report_write("json", &in, tmp_path("sliced.json")), 0);
    json_t *doc = load_json(tmp_path("sliced.json"));
    json_t *fs = json_object_get(doc, "findings");
    CHECK_INT(json_array_size(fs), s.results->n_findings);
    size_t same = 0;
    for (size_t i = 0; i < json_array_size(fs) && i < s.results->n_findings; i++) {
        json_t *want = rep_finding_obj(&s.results->findings[i]);
        same += json_equal(json_array_get(fs, i), want);
        json_decref(want);
    }
    CHECK_INT(same, s.results->n_findings);
    json_decref(doc);
    synth_free(&s);
}

PP_TEST_MAIN(TEST(serializer_matches_jansson), TEST(finding_writer_matches_objects),
             TEST(json_findings_sliced_in_order), TEST(writer_table), TEST(natural_order),
             TEST(clean_strings), TEST(rollup), TEST(changes), TEST(json_contract),
             TEST(csv_injection), TEST(html_hostile), TEST(html_evidence_budget),
             TEST(html_trend_flat), TEST(sarif_plan), TEST(junit_counts), TEST(ocsf_mapping),
             TEST(write_all_and_errors), TEST(empty_results), TEST(deterministic), TEST(cleanup))
