/* report.ocsf.json: one OCSF Detection Finding (class_uid 2004) per finding, in a JSON array,
 * with the top-level keys Prowler writes so the file drops into the same pipelines.
 *
 * status_code is PASS, FAIL or MANUAL. ERROR (could not be evaluated) and UNKNOWN (a plan value
 * known only after apply) have no OCSF counterpart: both become MANUAL, since a person has to
 * decide, and the native status stays in status_detail ("ERROR: ...") and unmapped.status.
 * status/status_id say New (1) or Suppressed (3) as Prowler does for muted findings. */
#include "report_int.h"

#include <string.h>

#define OCSF_VERSION "1.1.0"

static const char *const severity_label[] = {"Informational", "Low", "Medium", "High", "Critical"};

static const char *status_code(enum pp_status s)
{
    switch (s) {
    case PP_STATUS_PASS:
        return "PASS";
    case PP_STATUS_FAIL:
        return "FAIL";
    default:
        return "MANUAL";
    }
}

/* "aws", "aws-cn", "aws-us-gov" from an ARN; "aws" without one. */
static json_t *partition_of(const char *arn)
{
    if (arn && pp_str_startswith(arn, "arn:")) {
        const char *p = arn + 4;
        const char *e = strchr(p, ':');
        if (e && e > p && e - p < 32)
            return json_stringn(p, (size_t)(e - p));
    }
    return json_string("aws");
}

static void set_opt(json_t *o, const char *key, const char *val)
{
    if (val)
        json_object_set_new(o, key, rep_jstr(val));
}

static json_t *finding_obj(const rep_index *ix, size_t i, json_int_t ms, json_t *time_dt)
{
    const pp_finding *f = &ix->res->findings[i];
    const rep_rule *rr = &ix->rules[ix->rule_of[i]];
    const pp_rule_meta *m = rr->meta;
    const pp_report_input *in = ix->in;
    int sev = (unsigned)m->severity <= PP_SEV_CRITICAL ? (int)m->severity : 0;
    const char *title = m->title ? m->title : m->id;
    const char *type = f->res_type ? f->res_type : m->resource_type;
    char idbuf[41];
    const char *fid = rep_finding_id(f, idbuf);
    json_t *o = json_object();

    json_object_set_new(o, "message", rep_jstr(f->message ? f->message : title));

    json_t *meta = json_object();
    json_object_set_new(meta, "event_code", rep_jstr(m->id));
    json_t *product = json_object();
    json_object_set_new(product, "name", json_string("parapet"));
    json_object_set_new(product, "uid", json_string("parapet"));
    json_object_set_new(product, "vendor_name", json_string("parapet"));
    json_object_set_new(product, "version", json_string(PP_VERSION));
    json_object_set_new(meta, "product", product);
    json_object_set_new(meta, "profiles", json_pack("[ss]", "cloud", "datetime"));
    json_object_set_new(meta, "version", json_string(OCSF_VERSION));
    json_object_set_new(o, "metadata", meta);

    json_object_set_new(o, "severity_id", json_integer(sev + 1));
    json_object_set_new(o, "severity", json_string(severity_label[sev]));
    json_object_set_new(o, "status", json_string(f->suppressed ? "Suppressed" : "New"));
    json_object_set_new(o, "status_code", json_string(status_code(f->status)));
    if (f->status == PP_STATUS_ERROR || f->status == PP_STATUS_UNKNOWN) {
        char *d = pp_xasprintf("%s: %s", pp_status_name(f->status),
                               f->message ? f->message : "not evaluated");
        json_object_set_new(o, "status_detail", rep_jstr(d));
        free(d);
    } else {
        json_object_set_new(o, "status_detail", rep_jstr(f->message ? f->message : title));
    }
    json_object_set_new(o, "status_id", json_integer(f->suppressed ? 3 : 1));

    json_t *un = json_object();
    json_object_set_new(un, "compliance",
                        rep_jclean(m->frameworks ? m->frameworks : json_object()));
    json_object_set_new(un, "status", json_string(pp_status_name(f->status)));
    json_object_set_new(un, "finding_id", json_string(fid));
    if (in->snapshot && in->snapshot->id > 0)
        json_object_set_new(un, "scan_id", json_integer(in->snapshot->id));
    set_opt(un, "pack", m->pack);
    set_opt(un, "pack_version", m->pack_version);
    set_opt(un, "env", ix->res->env);
    set_opt(un, "address", f->address);
    if (f->evidence)
        json_object_set_new(un, "evidence", rep_jclean(f->evidence));
    if (f->suppression)
        json_object_set_new(un, "suppression", rep_jclean(f->suppression));
    json_object_set_new(o, "unmapped", un);

    json_object_set_new(o, "activity_name", json_string("Create"));
    json_object_set_new(o, "activity_id", json_integer(1));

    json_t *fi = json_object();
    char *uid = pp_xasprintf("parapet-%s", fid);
    json_object_set_new(fi, "uid", json_string(uid));
    free(uid);
    json_object_set_new(fi, "title", rep_jstr(title));
    json_object_set_new(fi, "desc", rep_jstr(m->description ? m->description : title));
    json_object_set_new(fi, "types", json_pack("[o]", rep_jstr(m->pack ? m->pack : "parapet")));
    json_object_set_new(fi, "created_time", json_integer(ms));
    json_object_set_new(fi, "created_time_dt", json_incref(time_dt));
    set_opt(fi, "name", f->res_id);
    json_t *an = json_object();
    json_object_set_new(an, "uid", rep_jstr(m->id));
    json_object_set_new(an, "name", rep_jstr(m->id));
    json_object_set_new(an, "type", json_string("Rule"));
    json_object_set_new(an, "type_id", json_integer(1));
    json_object_set_new(an, "category", json_string(rr->service));
    json_object_set_new(fi, "analytic", an);
    json_object_set_new(o, "finding_info", fi);

    json_t *res = json_object();
    json_object_set_new(res, "uid",
                        rep_jstr(f->res_arn   ? f->res_arn
                                 : f->address ? f->address
                                              : f->res_id));
    set_opt(res, "name", f->res_id);
    set_opt(res, "type", type);
    set_opt(res, "region", f->region);
    json_object_set_new(res, "cloud_partition", partition_of(f->res_arn));
    json_object_set_new(res, "group", json_pack("{ss}", "name", rr->service));
    json_t *tags = rep_tags(rep_resource(ix, f));
    json_t *labels = json_array();
    const char *k;
    json_t *v;
    json_object_foreach(tags, k, v)
    {
        char *l = pp_xasprintf("%s:%s", k, json_is_string(v) ? json_string_value(v) : "");
        json_array_append_new(labels, rep_jstr(l));
        free(l);
    }
    json_object_set_new(res, "labels", labels);
    json_t *data = json_object();
    set_opt(data, "details", f->message);
    if (json_object_size(tags))
        json_object_set_new(data, "metadata", json_pack("{so}", "tags", rep_jclean(tags)));
    json_decref(tags);
    json_object_set_new(res, "data", data);
    json_object_set_new(o, "resources", json_pack("[o]", res));

    json_object_set_new(o, "category_name", json_string("Findings"));
    json_object_set_new(o, "category_uid", json_integer(2));
    json_object_set_new(o, "class_name", json_string("Detection Finding"));
    json_object_set_new(o, "class_uid", json_integer(2004));

    json_t *cloud = json_object();
    json_object_set_new(cloud, "provider", json_string("AWS"));
    set_opt(cloud, "region", f->region);
    if (f->account) {
        json_t *acct = json_object();
        json_object_set_new(acct, "uid", rep_jstr(f->account));
        json_object_set_new(acct, "type", json_string("AWS Account"));
        json_object_set_new(acct, "type_id", json_integer(10));
        json_object_set_new(cloud, "account", acct);
    }
    json_object_set_new(o, "cloud", cloud);

    json_t *rem = json_object();
    char *rt = rep_remediation_text(m);
    json_object_set_new(rem, "desc", rep_jstr(rt ? rt : ""));
    free(rt);
    json_object_set_new(rem, "references", json_array());
    json_object_set_new(o, "remediation", rem);
    json_object_set_new(o, "risk_details", rep_jstr(m->description ? m->description : title));

    json_object_set_new(o, "time", json_integer(ms));
    json_object_set_new(o, "time_dt", json_incref(time_dt));
    json_object_set_new(o, "type_uid", json_integer(200401));
    json_object_set_new(o, "type_name", json_string("Detection Finding: Create"));
    return o;
}

int pp_report_ocsf(const pp_report_input *in, FILE *out)
{
    rep_index ix;
    int rc = rep_index_build(&ix, in, true);
    if (rc < 0)
        return rc;
    time_t t = in->results->evaluated_at > 0 ? in->results->evaluated_at : pp_time_now();
    json_int_t ms = (json_int_t)t * 1000;
    json_t *time_dt = rep_jtime(t);

    fputs("[", out);
    for (size_t i = 0; i < in->results->n_findings; i++) {
        fputs(i ? ",\n" : "\n", out);
        json_t *o = finding_obj(&ix, i, ms, time_dt);
        rc = rep_dumpf(o, out);
        json_decref(o);
        if (rc < 0)
            goto _exit;
    }
    fputs("\n]\n", out);

_exit:
    json_decref(time_dt);
    rep_index_free(&ix);
    return rc;
}
