/* The --accounts file: a YAML list of accounts to scan through AssumeRole.
 *   - id: "111122223333"
 *     role_arn: arn:aws:iam::111122223333:role/ParapetAudit
 *     external_id: our-external-id     # optional
 *     regions: [us-east-1, eu-west-1]  # optional, overrides --region
 *     name: production                 # optional label
 * Every problem is reported as file:line:col. */
#include "pp_scanner.h"

#include <ctype.h>
#include <stdarg.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

static int node_error(const char *path, const yaml_node_t *n, const char *fmt, ...) PP_PRINTF(3, 4);

static int node_error(const char *path, const yaml_node_t *n, const char *fmt, ...)
{
    char msg[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    return pp_err_set(PP_EINVAL, "%s:%zu:%zu: %s", path, n->start_mark.line + 1,
                      n->start_mark.column + 1, msg);
}

static const char *scalar(const yaml_node_t *n)
{
    return n && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value : NULL;
}

static bool all_digits(const char *s, size_t n)
{
    if (strlen(s) != n)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!isdigit((unsigned char)s[i]))
            return false;
    return true;
}

static int parse_account(const char *path, yaml_document_t *doc, yaml_node_t *item,
                         pp_scan_account *a)
{
    if (item->type != YAML_MAPPING_NODE)
        return node_error(path, item, "an account must be a mapping");
    for (yaml_node_pair_t *p = item->data.mapping.pairs.start; p < item->data.mapping.pairs.top;
         p++) {
        yaml_node_t *k = yaml_document_get_node(doc, p->key);
        yaml_node_t *v = yaml_document_get_node(doc, p->value);
        const char *key = scalar(k);
        if (!key)
            return node_error(path, k, "keys must be strings");
        if (strcmp(key, "regions") == 0) {
            if (v->type != YAML_SEQUENCE_NODE)
                return node_error(path, v, "regions must be a list");
            size_t n = (size_t)(v->data.sequence.items.top - v->data.sequence.items.start);
            free(a->regions);
            a->regions = pp_xcalloc(n + 1, sizeof(*a->regions));
            for (size_t i = 0; i < n; i++) {
                yaml_node_t *r = yaml_document_get_node(doc, v->data.sequence.items.start[i]);
                if (!scalar(r) || !*scalar(r))
                    return node_error(path, r, "a region must be a name");
                a->regions[i] = pp_xstrdup(scalar(r));
            }
            continue;
        }
        const char *val = scalar(v);
        char **slot = NULL;
        if (strcmp(key, "id") == 0)
            slot = &a->id;
        else if (strcmp(key, "role_arn") == 0)
            slot = &a->role_arn;
        else if (strcmp(key, "external_id") == 0)
            slot = &a->external_id;
        else if (strcmp(key, "name") == 0)
            slot = &a->name;
        else
            return node_error(
                path, k, "unknown key '%s' (expected id, role_arn, external_id, regions, name)",
                key);
        if (!val)
            return node_error(path, v, "'%s' must be a string", key);
        free(*slot);
        *slot = pp_xstrdup(val);
    }
    if (!a->role_arn)
        return node_error(path, item, "an account needs role_arn");
    if (!pp_str_startswith(a->role_arn, "arn:") || !strstr(a->role_arn, ":role/"))
        return node_error(path, item, "role_arn '%s' is not a role ARN", a->role_arn);
    if (a->id && !all_digits(a->id, 12))
        return node_error(path, item, "id '%s' is not a 12-digit account id", a->id);
    if (a->external_id)
        pp_redact_register(a->external_id);
    return 0;
}

int pp_scan_accounts_load(const char *path, pp_scan_account **out, size_t *n_out)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return pp_err_set(PP_EINVAL, "%s: %s", path, strerror(errno));
    yaml_parser_t parser;
    yaml_document_t doc;
    bool have_doc = false;
    pp_scan_account *accts = NULL;
    size_t n = 0;
    int rc = 0;
    yaml_parser_initialize(&parser);
    yaml_parser_set_input_file(&parser, f);
    if (!yaml_parser_load(&parser, &doc)) {
        rc = pp_err_set(PP_EINVAL, "%s:%zu:%zu: %s", path, parser.problem_mark.line + 1,
                        parser.problem_mark.column + 1,
                        parser.problem ? parser.problem : "invalid YAML");
        goto _exit;
    }
    have_doc = true;
    yaml_node_t *root = yaml_document_get_root_node(&doc);
    if (!root) {
        rc = pp_err_set(PP_EINVAL, "%s: no accounts", path);
        goto _exit;
    }
    if (root->type != YAML_SEQUENCE_NODE) {
        rc = node_error(path, root, "expected a list of accounts");
        goto _exit;
    }
    size_t count = (size_t)(root->data.sequence.items.top - root->data.sequence.items.start);
    if (count == 0) {
        rc = node_error(path, root, "the list of accounts is empty");
        goto _exit;
    }
    accts = pp_xcalloc(count, sizeof(*accts));
    for (size_t i = 0; i < count; i++) {
        yaml_node_t *item = yaml_document_get_node(&doc, root->data.sequence.items.start[i]);
        n++;
        if ((rc = parse_account(path, &doc, item, &accts[i])))
            goto _exit;
    }
    *out = accts;
    *n_out = n;
    accts = NULL;

_exit:
    if (accts)
        pp_scan_accounts_free(accts, n);
    if (have_doc)
        yaml_document_delete(&doc);
    yaml_parser_delete(&parser);
    fclose(f);
    return rc;
}

void pp_scan_accounts_free(pp_scan_account *a, size_t n)
{
    if (!a)
        return;
    for (size_t i = 0; i < n; i++) {
        free(a[i].role_arn);
        free(a[i].external_id);
        free(a[i].name);
        free(a[i].id);
        pp_strv_free(a[i].regions);
    }
    free(a);
}
