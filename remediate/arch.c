/* The desired state that `provision` creates: policies/reference/architecture.yaml, read as JSON.
 * The file is also a params file of the reference pack (its top-level mapping is the pack's
 * parameters), so an environment overlay (environments/NAME.yaml, `params:`) changes it the same
 * way for rules and for provisioning: its keys replace the file's top-level keys. */
#include "rem_int.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <yaml.h>

#define ARCH_FILE "architecture.yaml"
#define MAX_DEPTH 64

typedef struct yreader {
    yaml_parser_t parser;
    const char *file;
    json_t *anchors;
    int depth;
} yreader;

static json_t *scalar(const yaml_event_t *ev)
{
    const char *v = (const char *)ev->data.scalar.value;
    size_t len = ev->data.scalar.length;
    if (ev->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
        return json_stringn(v, len);
    if (!strcmp(v, "true") || !strcmp(v, "True") || !strcmp(v, "yes"))
        return json_true();
    if (!strcmp(v, "false") || !strcmp(v, "False") || !strcmp(v, "no"))
        return json_false();
    if (!strcmp(v, "null") || !strcmp(v, "~") || len == 0)
        return json_null();
    long n;
    if (pp_parse_long(v, -9007199254740991L, 9007199254740991L, &n) == 0)
        return json_integer(n);
    char *end = NULL;
    double d = strtod(v, &end);
    if (end && *end == '\0' && end != v && strpbrk(v, ".eE"))
        return json_real(d);
    return json_stringn(v, len);
}

static int yfail(yreader *r, const yaml_mark_t *m, const char *what)
{
    return pp_err_set(PP_EINVAL, "%s:%zu:%zu: %s", r->file, m->line + 1, m->column + 1, what);
}

/* Reads the node that starts with ev (consumed by the caller) into *out. */
static int read_node(yreader *r, yaml_event_t *ev, json_t **out)
{
    int rc = 0;
    *out = NULL;
    if (++r->depth > MAX_DEPTH) {
        rc = yfail(r, &ev->start_mark, "nested too deeply");
        goto _exit;
    }
    const char *anchor = NULL;
    switch (ev->type) {
    case YAML_ALIAS_EVENT: {
        json_t *v = json_object_get(r->anchors, (const char *)ev->data.alias.anchor);
        if (!v)
            rc = yfail(r, &ev->start_mark, "unknown alias");
        else
            *out = json_deep_copy(v);
        goto _exit;
    }
    case YAML_SCALAR_EVENT:
        anchor = (const char *)ev->data.scalar.anchor;
        *out = scalar(ev);
        break;
    case YAML_SEQUENCE_START_EVENT:
    case YAML_MAPPING_START_EVENT: {
        bool map = ev->type == YAML_MAPPING_START_EVENT;
        anchor = map ? (const char *)ev->data.mapping_start.anchor
                     : (const char *)ev->data.sequence_start.anchor;
        json_t *c = map ? json_object() : json_array();
        for (;;) {
            yaml_event_t e;
            if (!yaml_parser_parse(&r->parser, &e)) {
                rc = yfail(r, &r->parser.problem_mark,
                           r->parser.problem ? r->parser.problem : "YAML error");
                json_decref(c);
                goto _exit;
            }
            if (e.type == YAML_SEQUENCE_END_EVENT || e.type == YAML_MAPPING_END_EVENT) {
                yaml_event_delete(&e);
                break;
            }
            json_t *k = NULL, *v = NULL;
            if (map) {
                if (e.type != YAML_SCALAR_EVENT) {
                    rc = yfail(r, &e.start_mark, "mapping keys must be scalars");
                    yaml_event_delete(&e);
                    json_decref(c);
                    goto _exit;
                }
                k = json_stringn((const char *)e.data.scalar.value, e.data.scalar.length);
                yaml_mark_t km = e.start_mark;
                yaml_event_delete(&e);
                if (!yaml_parser_parse(&r->parser, &e)) {
                    rc = yfail(r, &r->parser.problem_mark,
                               r->parser.problem ? r->parser.problem : "YAML error");
                    json_decref(k);
                    json_decref(c);
                    goto _exit;
                }
                if (json_object_get(c, json_string_value(k))) {
                    rc = yfail(r, &km, "duplicate key");
                    yaml_event_delete(&e);
                    json_decref(k);
                    json_decref(c);
                    goto _exit;
                }
            }
            rc = read_node(r, &e, &v);
            yaml_event_delete(&e);
            if (rc) {
                json_decref(k);
                json_decref(c);
                goto _exit;
            }
            if (map)
                json_object_set_new(c, json_string_value(k), v);
            else
                json_array_append_new(c, v);
            json_decref(k);
        }
        *out = c;
        break;
    }
    default:
        rc = yfail(r, &ev->start_mark, "unexpected YAML event");
        goto _exit;
    }
    if (anchor)
        json_object_set(r->anchors, anchor, *out);
_exit:
    r->depth--;
    return rc;
}

/* The first document of a YAML file as JSON. */
static int load_yaml(const char *path, json_t **out)
{
    *out = NULL;
    FILE *f = fopen(path, "rb");
    if (!f)
        return pp_err_set(PP_EINVAL, "%s: %s", path, strerror(errno));
    yreader r = {.file = path, .anchors = json_object()};
    yaml_parser_initialize(&r.parser);
    yaml_parser_set_input_file(&r.parser, f);
    int rc = 0;
    json_t *doc = NULL;
    for (;;) {
        yaml_event_t ev;
        if (!yaml_parser_parse(&r.parser, &ev)) {
            rc = yfail(&r, &r.parser.problem_mark,
                       r.parser.problem ? r.parser.problem : "YAML error");
            break;
        }
        yaml_event_type_t t = ev.type;
        if (t == YAML_STREAM_END_EVENT || t == YAML_DOCUMENT_END_EVENT) {
            yaml_event_delete(&ev);
            break;
        }
        if (t == YAML_STREAM_START_EVENT || t == YAML_DOCUMENT_START_EVENT) {
            yaml_event_delete(&ev);
            continue;
        }
        rc = read_node(&r, &ev, &doc);
        yaml_event_delete(&ev);
        break;
    }
    yaml_parser_delete(&r.parser);
    json_decref(r.anchors);
    fclose(f);
    if (rc == 0 && !json_is_object(doc)) {
        rc = pp_err_set(PP_EINVAL, "%s:1:1: the top level must be a mapping", path);
    }
    if (rc)
        json_decref(doc);
    else
        *out = doc;
    return rc;
}

static bool is_file(const char *p)
{
    struct stat sb;
    return stat(p, &sb) == 0 && S_ISREG(sb.st_mode);
}

/* dir/architecture.yaml, or <dir>/<pack>/architecture.yaml for a folder of packs. */
static char *find_arch(const char *dir)
{
    char *p = pp_xasprintf("%s/%s", dir, ARCH_FILE);
    if (is_file(p))
        return p;
    free(p);
    DIR *d = opendir(dir);
    if (!d)
        return NULL;
    char *found = NULL;
    struct dirent *e;
    while (!found && (e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        char *c = pp_xasprintf("%s/%s/%s", dir, e->d_name, ARCH_FILE);
        if (is_file(c))
            found = c;
        else
            free(c);
    }
    closedir(d);
    return found;
}

int pp_remediate_arch_load(const char *const *dirs, const char *env, json_t **out, char **path_out)
{
    *out = NULL;
    if (path_out)
        *path_out = NULL;
    char *path = NULL;
    for (size_t i = 0; dirs && dirs[i] && !path; i++)
        path = find_arch(dirs[i]);
    if (!path)
        return 0;
    json_t *arch = NULL, *overlay = NULL;
    int rc = load_yaml(path, &arch);
    if (rc == 0 && env && *env) {
        /* environments/NAME.yaml beside the file, or a path to an overlay file */
        char *ov = NULL;
        if (strchr(env, '/') || pp_str_endswith(env, ".yaml") || pp_str_endswith(env, ".yml")) {
            ov = pp_xstrdup(env);
        } else {
            char *slash = strrchr(path, '/');
            ov = pp_xasprintf("%.*s/environments/%s.yaml", (int)(slash - path), path, env);
        }
        if (is_file(ov)) {
            rc = load_yaml(ov, &overlay);
            const json_t *params = json_object_get(overlay, "params");
            const char *k;
            json_t *v;
            json_object_foreach((json_t *)params, k, v)
            {
                if (json_object_get(arch, k))
                    json_object_set(arch, k, v);
            }
        }
        free(ov);
    }
    json_decref(overlay);
    if (rc) {
        json_decref(arch);
        free(path);
        return rc;
    }
    *out = arch;
    if (path_out)
        *path_out = path;
    else
        free(path);
    return 0;
}
