/* ~/.aws/config and ~/.aws/credentials: the INI dialect botocore reads through Python's
 * configparser. Sections "[name]"; "key = value" (or "key: value") with the whole rest of the line
 * as the value, since botocore sets no inline comment prefixes; whole-line comments start with '#'
 * or ';'; indented lines are "sub = value" pairs under the key above them ([services x] blocks).
 * Keys are case-insensitive (configparser lower-cases them), section names are not. Duplicate
 * sections and keys are errors, as in configparser's strict mode. */
#include "pp_aws.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Far above any real config file; keeps a hostile or mistaken path (a device, a log) bounded. */
#define INI_MAX_BYTES ((size_t)4 * 1024 * 1024)

typedef struct ini_sub {
    char *key;
    char *value;
} ini_sub;

typedef struct ini_entry {
    char *key;
    char *value;
    int line;
    ini_sub *subs;
    size_t n_subs;
} ini_entry;

typedef struct ini_section {
    char *name;
    int line;
    ini_entry *entries;
    size_t n_entries;
} ini_section;

struct pp_aws_ini {
    ini_section *sections;
    size_t n_sections;
};

void pp_aws_ini_free(pp_aws_ini *ini)
{
    if (!ini)
        return;
    for (size_t i = 0; i < ini->n_sections; i++) {
        ini_section *s = &ini->sections[i];
        for (size_t j = 0; j < s->n_entries; j++) {
            ini_entry *e = &s->entries[j];
            for (size_t k = 0; k < e->n_subs; k++) {
                free(e->subs[k].key);
                free(e->subs[k].value);
            }
            free(e->subs);
            free(e->key);
            free(e->value);
        }
        free(s->entries);
        free(s->name);
    }
    free(ini->sections);
    free(ini);
}

static const char *skip_ws(const char *p, const char *end)
{
    while (p < end && (*p == ' ' || *p == '\t'))
        p++;
    return p;
}

static const char *trim_end(const char *start, const char *end)
{
    while (end > start && (end[-1] == ' ' || end[-1] == '\t'))
        end--;
    return end;
}

/* "profile   audit" and "profile audit" name the same section: collapse inner whitespace. */
static char *section_name(const char *p, const char *end)
{
    pp_buf b;
    pp_buf_init(&b, 0);
    bool space = false;
    for (; p < end; p++) {
        if (*p == ' ' || *p == '\t') {
            space = true;
            continue;
        }
        if (space && b.len)
            pp_buf_putc(&b, ' ');
        space = false;
        pp_buf_putc(&b, *p);
    }
    return b.data ? pp_buf_steal(&b) : pp_xstrdup("");
}

static char *lower_dup(const char *p, size_t n)
{
    char *s = pp_xstrndup(p, n);
    for (char *q = s; *q; q++)
        *q = (char)tolower((unsigned char)*q);
    return s;
}

static ini_section *find_section(const pp_aws_ini *ini, const char *name)
{
    for (size_t i = 0; ini && name && i < ini->n_sections; i++) {
        if (strcmp(ini->sections[i].name, name) == 0)
            return &ini->sections[i];
    }
    return NULL;
}

static ini_entry *find_entry(const ini_section *s, const char *key)
{
    for (size_t i = 0; s && key && i < s->n_entries; i++) {
        if (strcasecmp(s->entries[i].key, key) == 0)
            return &s->entries[i];
    }
    return NULL;
}

/* Splits "key = value" at the first '=' or ':'; both sides trimmed, key lower-cased. */
static int split_pair(const char *p, const char *end, char **key, char **value)
{
    const char *d = p;
    while (d < end && *d != '=' && *d != ':')
        d++;
    if (d == end)
        return PP_EINVAL;
    const char *kend = trim_end(p, d);
    if (kend == p)
        return PP_EINVAL;
    const char *v = skip_ws(d + 1, end);
    *key = lower_dup(p, (size_t)(kend - p));
    *value = pp_xstrndup(v, (size_t)(trim_end(v, end) - v));
    return 0;
}

int pp_aws_ini_parse(pp_aws_ini **out, const char *text, const char *filename)
{
    int rc = 0;
    pp_aws_ini *ini = pp_xcalloc(1, sizeof(*ini));
    ini_section *cur = NULL;
    ini_entry *last = NULL;
    const char *fn = filename ? filename : "<config>";
    const char *p = text ? text : "";
    int line = 0;
    char *key = NULL, *value = NULL;

    *out = NULL;
    while (*p) {
        const char *eol = strchr(p, '\n');
        const char *end = eol ? eol : p + strlen(p);
        const char *next = eol ? eol + 1 : end;
        line++;
        if (end > p && end[-1] == '\r')
            end--;
        const char *s = skip_ws(p, end);
        bool indented = s > p;
        if (s == end || *s == '#' || *s == ';') {
            p = next;
            continue;
        }
        if (indented && cur) {
            if (!last) {
                rc = pp_err_set(PP_EINVAL, "%s:%d: indented line without a key above it", fn, line);
                goto _exit;
            }
            if (split_pair(s, end, &key, &value)) {
                rc = pp_err_set(PP_EINVAL, "%s:%d: expected 'key = value' in an indented block", fn,
                                line);
                goto _exit;
            }
            for (size_t k = 0; k < last->n_subs; k++) {
                if (strcmp(last->subs[k].key, key) == 0) {
                    rc = pp_err_set(PP_EINVAL, "%s:%d: duplicate key '%s' under '%s'", fn, line,
                                    key, last->key);
                    goto _exit;
                }
            }
            last->subs = pp_xrealloc(last->subs, (last->n_subs + 1) * sizeof(*last->subs));
            last->subs[last->n_subs++] = (ini_sub){key, value};
            key = value = NULL;
        } else if (*s == '[') {
            const char *close = trim_end(s, end);
            while (close > s && close[-1] != ']')
                close--;
            if (close == s || close - 1 == s) {
                rc = pp_err_set(PP_EINVAL, "%s:%d: section header without ']'", fn, line);
                goto _exit;
            }
            const char *after = skip_ws(close, end);
            if (after < end && *after != '#' && *after != ';') {
                rc = pp_err_set(PP_EINVAL, "%s:%d: unexpected text after section header", fn, line);
                goto _exit;
            }
            const char *ns = skip_ws(s + 1, close - 1);
            char *name = section_name(ns, trim_end(ns, close - 1));
            if (!*name) {
                free(name);
                rc = pp_err_set(PP_EINVAL, "%s:%d: empty section name", fn, line);
                goto _exit;
            }
            ini_section *dup = find_section(ini, name);
            if (dup) {
                rc = pp_err_set(PP_EINVAL, "%s:%d: section [%s] already defined on line %d", fn,
                                line, name, dup->line);
                free(name);
                goto _exit;
            }
            ini->sections =
                pp_xrealloc(ini->sections, (ini->n_sections + 1) * sizeof(*ini->sections));
            cur = &ini->sections[ini->n_sections++];
            *cur = (ini_section){.name = name, .line = line};
            last = NULL;
        } else {
            if (!cur) {
                /* Name only the key: the value may be a secret. */
                size_t klen = strcspn(s, "=:\r\n");
                klen = (size_t)(trim_end(s, s + klen) - s);
                rc = pp_err_set(PP_EINVAL, "%s:%d: '%.*s' before any [section] header", fn, line,
                                (int)(klen > 40 ? 40 : klen), s);
                goto _exit;
            }
            if (split_pair(s, end, &key, &value)) {
                rc = pp_err_set(PP_EINVAL, "%s:%d: expected 'key = value'", fn, line);
                goto _exit;
            }
            ini_entry *dup = find_entry(cur, key);
            if (dup) {
                rc = pp_err_set(PP_EINVAL, "%s:%d: key '%s' already set in [%s] on line %d", fn,
                                line, key, cur->name, dup->line);
                goto _exit;
            }
            cur->entries = pp_xrealloc(cur->entries, (cur->n_entries + 1) * sizeof(*cur->entries));
            last = &cur->entries[cur->n_entries++];
            *last = (ini_entry){.key = key, .value = value, .line = line};
            key = value = NULL;
        }
        p = next;
    }
    *out = ini;
    ini = NULL;

_exit:
    free(key);
    free(value);
    pp_aws_ini_free(ini);
    return rc;
}

int pp_aws_ini_parse_file(pp_aws_ini **out, const char *path)
{
    int rc = 0;
    FILE *f = NULL;
    pp_buf b;
    pp_buf_init(&b, INI_MAX_BYTES);
    *out = NULL;

    f = fopen(path, "rb");
    if (!f) {
        if (errno == ENOENT || errno == ENOTDIR)
            return pp_aws_ini_parse(out, "", path);
        return pp_err_set(PP_EIO, "%s: %s", path, strerror(errno));
    }
    char chunk[8192];
    size_t n;
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
        if (pp_buf_append(&b, chunk, n)) {
            rc = pp_err_set(PP_EINVAL, "%s: larger than %zu bytes", path, INI_MAX_BYTES);
            goto _exit;
        }
    }
    if (ferror(f)) {
        rc = pp_err_set(PP_EIO, "%s: %s", path, strerror(errno));
        goto _exit;
    }
    if (memchr(pp_buf_cstr(&b), '\0', b.len)) {
        rc = pp_err_set(PP_EINVAL, "%s: binary data (NUL byte) in a config file", path);
        goto _exit;
    }
    rc = pp_aws_ini_parse(out, pp_buf_cstr(&b), path);

_exit:
    if (f)
        fclose(f);
    pp_buf_free(&b);
    return rc;
}

const char *pp_aws_ini_get(const pp_aws_ini *ini, const char *section, const char *key)
{
    const ini_entry *e = find_entry(find_section(ini, section), key);
    return e ? e->value : NULL;
}

const char *pp_aws_ini_get_sub(const pp_aws_ini *ini, const char *section, const char *key,
                               const char *sub)
{
    const ini_entry *e = find_entry(find_section(ini, section), key);
    for (size_t i = 0; e && sub && i < e->n_subs; i++) {
        if (strcasecmp(e->subs[i].key, sub) == 0)
            return e->subs[i].value;
    }
    return NULL;
}

bool pp_aws_ini_has_section(const pp_aws_ini *ini, const char *section)
{
    return find_section(ini, section) != NULL;
}
