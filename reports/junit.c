/* report.junit.xml: JUnit XML as Jenkins' junit step reads it. One <testsuite> per rule, one
 * <testcase> per rule x resource with classname = the rule id; FAIL is a <failure>, ERROR an
 * <error>, UNKNOWN and MANUAL are <skipped>, and so is a suppressed finding (the failure is
 * accepted, with owner, reason and expiry in the message). Written through libxml2's text writer,
 * streaming, after removing the control characters XML 1.0 cannot carry. */
#include "report_int.h"

#include <libxml/xmlwriter.h>
#include <string.h>

#define W(call)                                                                                    \
    do {                                                                                           \
        if ((call) < 0) {                                                                          \
            rc = pp_err_set(PP_EIO, "report: cannot write the JUnit XML");                         \
            goto _exit;                                                                            \
        }                                                                                          \
    } while (0)

static int attr(xmlTextWriterPtr w, const char *name, const char *value)
{
    char *v = rep_clean(value ? value : "", true);
    int r = xmlTextWriterWriteAttribute(w, BAD_CAST name, BAD_CAST v);
    free(v);
    return r;
}

static int attr_count(xmlTextWriterPtr w, const char *name, size_t n)
{
    return xmlTextWriterWriteFormatAttribute(w, BAD_CAST name, "%zu", n);
}

static int text(xmlTextWriterPtr w, const char *value)
{
    char *v = rep_clean(value ? value : "", true);
    int r = xmlTextWriterWriteString(w, BAD_CAST v);
    free(v);
    return r;
}

static char *testcase_name(const pp_finding *f)
{
    if (f->address)
        return pp_xstrdup(f->address);
    const char *id = f->res_id ? f->res_id : "(no resource)";
    if (f->account || f->region)
        return pp_xasprintf("%s (%s/%s)", id, f->account ? f->account : "-",
                            f->region ? f->region : "-");
    return pp_xstrdup(id);
}

/* The body of a <failure>/<error>: where, what, evidence and the fix, for a person in Jenkins. */
static char *detail_text(const pp_finding *f)
{
    pp_buf b;
    pp_buf_init(&b, 4 * 1024 * 1024);
    const pp_rule_meta *m = f->rule;
    pp_buf_printf(&b, "Rule: %s (%s)\n", m->id, pp_severity_name(m->severity));
    pp_buf_printf(&b, "Resource: %s %s\n", f->res_type ? f->res_type : m->resource_type,
                  f->res_id ? f->res_id : "");
    if (f->address)
        pp_buf_printf(&b, "Address: %s\n", f->address);
    if (f->res_arn)
        pp_buf_printf(&b, "ARN: %s\n", f->res_arn);
    if (f->account || f->region)
        pp_buf_printf(&b, "Account/region: %s/%s\n", f->account ? f->account : "-",
                      f->region ? f->region : "-");
    if (f->message)
        pp_buf_printf(&b, "Message: %s\n", f->message);
    if (f->evidence) {
        char *ev = json_dumps(f->evidence, JSON_INDENT(2) | JSON_ENCODE_ANY);
        if (ev)
            pp_buf_printf(&b, "Evidence:\n%s\n", ev);
        free(ev);
    }
    char *rem = rep_remediation_text(m);
    if (rem)
        pp_buf_printf(&b, "Remediation: %s\n", rem);
    free(rem);
    return b.len ? pp_buf_steal(&b) : (pp_buf_free(&b), pp_xstrdup(""));
}

static int write_case(xmlTextWriterPtr w, const pp_finding *f)
{
    int rc = 0;
    const pp_rule_meta *m = f->rule;
    const char *title = m->title ? m->title : m->id;
    char *name = testcase_name(f);
    char *detail = NULL, *msg = NULL, *sup = NULL;

    W(xmlTextWriterStartElement(w, BAD_CAST "testcase"));
    W(attr(w, "classname", m->id));
    W(attr(w, "name", name));
    W(attr(w, "time", "0"));
    if (f->suppressed) {
        sup = rep_suppression_text(f->suppression);
        msg = pp_xasprintf("suppressed %s: %s", pp_status_name(f->status),
                           sup ? sup : "(no details)");
        W(xmlTextWriterStartElement(w, BAD_CAST "skipped"));
        W(attr(w, "message", msg));
        W(xmlTextWriterEndElement(w));
    } else if (f->status == PP_STATUS_FAIL || f->status == PP_STATUS_ERROR) {
        bool fail = f->status == PP_STATUS_FAIL;
        detail = detail_text(f);
        msg = f->message ? pp_xasprintf("%s: %s", title, f->message) : pp_xstrdup(title);
        W(xmlTextWriterStartElement(w, BAD_CAST(fail ? "failure" : "error")));
        W(attr(w, "message", msg));
        W(attr(w, "type", fail ? pp_severity_name(m->severity) : "ERROR"));
        W(text(w, detail));
        W(xmlTextWriterEndElement(w));
    } else if (f->status == PP_STATUS_UNKNOWN || f->status == PP_STATUS_MANUAL) {
        msg = f->status == PP_STATUS_UNKNOWN
                  ? pp_xasprintf("UNKNOWN: %s", f->message ? f->message : "known only after apply")
                  : pp_xasprintf("MANUAL: %s", f->message ? f->message : "a manual control");
        W(xmlTextWriterStartElement(w, BAD_CAST "skipped"));
        W(attr(w, "message", msg));
        W(xmlTextWriterEndElement(w));
    }
    W(xmlTextWriterEndElement(w));

_exit:
    free(name);
    free(detail);
    free(msg);
    free(sup);
    return rc;
}

int pp_report_junit(const pp_report_input *in, FILE *out)
{
    rep_index ix;
    int rc = rep_index_build(&ix, in, false);
    if (rc < 0)
        return rc;
    xmlTextWriterPtr w = NULL;
    xmlOutputBufferPtr ob = xmlOutputBufferCreateFile(out, NULL);
    if (!ob) {
        rc = pp_err_set(PP_EIO, "report: cannot write the JUnit XML");
        goto _exit;
    }
    w = xmlNewTextWriter(ob); /* owns ob from here */
    if (!w) {
        xmlOutputBufferClose(ob);
        rc = pp_err_set(PP_EIO, "report: cannot write the JUnit XML");
        goto _exit;
    }
    xmlTextWriterSetIndent(w, 1);
    xmlTextWriterSetIndentString(w, BAD_CAST "  ");

    /* per rule: tests, failures, errors, skipped */
    size_t tot[4] = {0};
    for (size_t i = 0; i < in->results->n_findings; i++) {
        const pp_finding *f = &in->results->findings[i];
        tot[0]++;
        if (f->suppressed || f->status == PP_STATUS_UNKNOWN || f->status == PP_STATUS_MANUAL)
            tot[3]++;
        else if (f->status == PP_STATUS_FAIL)
            tot[1]++;
        else if (f->status == PP_STATUS_ERROR)
            tot[2]++;
    }
    W(xmlTextWriterStartDocument(w, NULL, "UTF-8", NULL));
    W(xmlTextWriterStartElement(w, BAD_CAST "testsuites"));
    W(attr(w, "name", "parapet"));
    W(attr_count(w, "tests", tot[0]));
    W(attr_count(w, "failures", tot[1]));
    W(attr_count(w, "errors", tot[2]));
    W(attr_count(w, "skipped", tot[3]));
    W(attr(w, "time", "0"));
    char when[32] = "";
    if (in->results->evaluated_at > 0) {
        pp_time_format(in->results->evaluated_at, when);
        when[19] = '\0'; /* JUnit timestamps carry no zone */
    }
    for (size_t i = 0; i < ix.n_rules; i++) {
        const rep_rule *rr = &ix.rules[i];
        if (rr->n_findings == 0)
            continue;
        size_t failures = 0, errors = 0, skipped = 0;
        for (size_t k = 0; k < rr->n_findings; k++) {
            const pp_finding *f = &in->results->findings[rr->findings[k]];
            if (f->suppressed || f->status == PP_STATUS_UNKNOWN || f->status == PP_STATUS_MANUAL)
                skipped++;
            else if (f->status == PP_STATUS_FAIL)
                failures++;
            else if (f->status == PP_STATUS_ERROR)
                errors++;
        }
        W(xmlTextWriterStartElement(w, BAD_CAST "testsuite"));
        W(attr(w, "name", rr->meta->id));
        W(attr_count(w, "tests", rr->n_findings));
        W(attr_count(w, "failures", failures));
        W(attr_count(w, "errors", errors));
        W(attr_count(w, "skipped", skipped));
        W(attr(w, "time", "0"));
        if (when[0])
            W(attr(w, "timestamp", when));
        W(xmlTextWriterStartElement(w, BAD_CAST "properties"));
        const char *props[][2] = {
            {"title", rr->meta->title},
            {"severity", pp_severity_name(rr->meta->severity)},
            {"resource_type", rr->meta->resource_type},
            {"pack", rr->meta->pack},
            {"source", rep_source_kind(in)},
        };
        for (size_t p = 0; p < sizeof(props) / sizeof(props[0]); p++) {
            if (!props[p][1])
                continue;
            W(xmlTextWriterStartElement(w, BAD_CAST "property"));
            W(attr(w, "name", props[p][0]));
            W(attr(w, "value", props[p][1]));
            W(xmlTextWriterEndElement(w));
        }
        W(xmlTextWriterEndElement(w));
        for (size_t k = 0; k < rr->n_findings; k++) {
            rc = write_case(w, &in->results->findings[rr->findings[k]]);
            if (rc < 0)
                goto _exit;
        }
        W(xmlTextWriterEndElement(w));
    }
    W(xmlTextWriterEndElement(w));
    W(xmlTextWriterEndDocument(w));
    W(xmlTextWriterFlush(w));

_exit:
    xmlFreeTextWriter(w);
    rep_index_free(&ix);
    return rc;
}
