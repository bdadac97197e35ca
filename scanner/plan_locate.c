/* Where a Terraform address is declared: a small lexer over .tf files (comments, strings with
 * interpolations, heredocs, braces) finds the `resource "T" "N"` and `module "M"` blocks and the
 * `# parapet:ignore` comments on, directly above, or inside them. No HCL library: blocks and
 * comments are all `parapet check` needs, and the lexer never evaluates anything. */
#include "plan_internal.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define MAX_TF_BYTES ((size_t)16 * 1024 * 1024)
#define IGNORE_TAG   "parapet:ignore"

/* ---- inline ignore comments -------------------------------------------------------------- */

void pp_tf_ignore_clear(pp_tf_ignore *ig)
{
    if (!ig)
        return;
    free(ig->rule);
    free(ig->reason);
    free(ig->until);
    free(ig->file);
    memset(ig, 0, sizeof(*ig));
}

/* "YYYY-MM-DD" exactly; *end_of_day is the first second after that day (UTC). */
static int parse_day(const char *s, time_t *end_of_day)
{
    if (strlen(s) != 10 || s[4] != '-' || s[7] != '-')
        return PP_EINVAL;
    for (int i = 0; i < 10; i++)
        if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9'))
            return PP_EINVAL;
    time_t t;
    if (pp_time_parse(s, &t) < 0)
        return PP_EINVAL;
    *end_of_day = t + 86400;
    return 0;
}

int pp_tf_ignore_parse(const char *comment, pp_tf_ignore *out)
{
    memset(out, 0, sizeof(*out));
    const char *p = comment;
    while (*p == ' ' || *p == '\t')
        p++;
    if (strncmp(p, IGNORE_TAG, strlen(IGNORE_TAG)) != 0)
        return PP_ENOTFOUND;
    p += strlen(IGNORE_TAG);
    if (*p && *p != ' ' && *p != '\t')
        return *p == ':' || *p == '='
                   ? pp_err_set(PP_EINVAL, "write `parapet:ignore RULE reason until=YYYY-MM-DD`")
                   : PP_ENOTFOUND;
    int rc = 0;
    pp_buf reason;
    pp_buf_init(&reason, 4096);
    char **words = pp_str_split(p, ' ', NULL);
    for (char **w = words; w && *w; w++) {
        /* tabs inside words: treat as separators too */
        char *word = *w;
        if (!out->rule) {
            out->rule = pp_xstrdup(word);
            continue;
        }
        if (strncmp(word, "until=", 6) == 0) {
            if (out->until) {
                rc = pp_err_set(PP_EINVAL, "until= given twice");
                goto _exit;
            }
            if (parse_day(word + 6, &out->expires) < 0) {
                rc = pp_err_set(PP_EINVAL, "until=%s is not a date (YYYY-MM-DD)", word + 6);
                goto _exit;
            }
            out->until = pp_xstrdup(word + 6);
            continue;
        }
        if (reason.len)
            pp_buf_putc(&reason, ' ');
        pp_buf_puts(&reason, word);
    }
    if (!out->rule) {
        rc = pp_err_set(PP_EINVAL, "parapet:ignore needs a rule id");
        goto _exit;
    }
    if (reason.len)
        out->reason = pp_buf_steal(&reason);
_exit:
    pp_strv_free(words);
    pp_buf_free(&reason);
    if (rc < 0)
        pp_tf_ignore_clear(out);
    return rc;
}

/* ---- the lexer ------------------------------------------------------------------------------ */

typedef struct tf_comment {
    int line;
    bool alone; /* nothing but the comment on its line */
    char *text; /* after the marker */
} tf_comment;

typedef struct tf_block {
    char *kind;   /* "resource", "module", "data" */
    char *type;   /* resource type, or the module name */
    char *name;   /* resource name, or NULL for modules */
    char *source; /* module source */
    int line, end_line;
    pp_tf_ignore *ignores;
    size_t n_ignores;
} tf_block;

typedef struct tf_file {
    char *rel; /* repo-relative path */
    tf_block *blocks;
    size_t n_blocks;
} tf_file;

typedef struct tf_dir {
    tf_file *files;
    size_t n_files;
} tf_dir;

typedef struct lexer {
    const char *p, *end;
    int line;
    /* per-line: saw something other than whitespace and comments */
    bool line_has_code;
    tf_comment *comments;
    size_t n_comments, cap_comments;
    /* top-level header being read: block type and labels */
    char *hdr[4];
    size_t n_hdr;
    int hdr_line;
    /* the block being read */
    tf_block *cur;
    int depth;
    /* attribute at depth 1: `source = "..."` */
    char *attr;
    bool attr_eq;
    tf_block *blocks;
    size_t n_blocks, cap_blocks;
} lexer;

static void lx_comment(lexer *lx, const char *start, size_t n, int line, bool alone)
{
    if (lx->n_comments == lx->cap_comments) {
        lx->cap_comments = lx->cap_comments ? lx->cap_comments * 2 : 16;
        lx->comments = pp_xrealloc(lx->comments, lx->cap_comments * sizeof(*lx->comments));
    }
    tf_comment *c = &lx->comments[lx->n_comments++];
    c->line = line;
    c->alone = alone;
    c->text = pp_xstrndup(start, n);
}

static void hdr_reset(lexer *lx)
{
    for (size_t i = 0; i < lx->n_hdr; i++)
        free(lx->hdr[i]);
    lx->n_hdr = 0;
}

static void hdr_push(lexer *lx, const char *s, size_t n)
{
    if (lx->n_hdr == 0)
        lx->hdr_line = lx->line;
    if (lx->n_hdr < 4)
        lx->hdr[lx->n_hdr++] = pp_xstrndup(s, n);
}

static void code(lexer *lx)
{
    lx->line_has_code = true;
}

static void newline(lexer *lx)
{
    lx->line++;
    lx->line_has_code = false;
    if (lx->depth == 0)
        hdr_reset(lx);
    if (lx->depth == 1) {
        free(lx->attr);
        lx->attr = NULL;
        lx->attr_eq = false;
    }
}

/* Skips a quoted string starting at '"'; *val receives its text when it has no interpolation
 * (enough for labels and `source`). */
static void lx_string(lexer *lx, char **val)
{
    const char *start = ++lx->p;
    bool plain = true;
    int interp = 0;
    while (lx->p < lx->end) {
        char c = *lx->p;
        if (interp > 0) {
            if (c == '"') {
                /* a string inside an interpolation: skip it */
                lx->p++;
                while (lx->p < lx->end && *lx->p != '"' && *lx->p != '\n') {
                    if (*lx->p == '\\')
                        lx->p++;
                    lx->p++;
                }
                if (lx->p < lx->end && *lx->p == '"')
                    lx->p++;
                continue;
            }
            if (c == '{')
                interp++;
            else if (c == '}')
                interp--;
            else if (c == '\n')
                lx->line++; /* HCL allows newlines inside interpolations */
            lx->p++;
            continue;
        }
        if (c == '\\' && lx->p + 1 < lx->end) {
            plain = false;
            lx->p += 2;
            continue;
        }
        if ((c == '$' || c == '%') && lx->p + 1 < lx->end && lx->p[1] == '{') {
            plain = false;
            interp = 1;
            lx->p += 2;
            continue;
        }
        if (c == '"' || c == '\n')
            break;
        lx->p++;
    }
    if (val)
        *val = plain ? pp_xstrndup(start, (size_t)(lx->p - start)) : NULL;
    if (lx->p < lx->end && *lx->p == '"')
        lx->p++;
}

/* <<EOF / <<-EOF: skips to the line holding only the marker. */
static void lx_heredoc(lexer *lx)
{
    const char *p = lx->p + 2;
    if (p < lx->end && *p == '-')
        p++;
    const char *m = p;
    while (p < lx->end && (*p == '_' || *p == '-' || (*p >= 'A' && *p <= 'Z') ||
                           (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9')))
        p++;
    size_t mlen = (size_t)(p - m);
    if (!mlen) {
        lx->p += 2;
        return;
    }
    /* to the end of the opening line */
    while (p < lx->end && *p != '\n')
        p++;
    while (p < lx->end) {
        p++; /* past '\n' */
        lx->line++;
        const char *ls = p;
        while (p < lx->end && *p != '\n')
            p++;
        const char *a = ls, *b = p;
        while (a < b && (*a == ' ' || *a == '\t'))
            a++;
        while (b > a && (b[-1] == ' ' || b[-1] == '\t' || b[-1] == '\r'))
            b--;
        if ((size_t)(b - a) == mlen && memcmp(a, m, mlen) == 0)
            break;
    }
    lx->p = p;
}

static void block_open(lexer *lx)
{
    if (lx->depth == 0 && lx->n_hdr >= 2 &&
        (strcmp(lx->hdr[0], "resource") == 0 || strcmp(lx->hdr[0], "data") == 0 ||
         strcmp(lx->hdr[0], "module") == 0)) {
        bool module = strcmp(lx->hdr[0], "module") == 0;
        if ((module && lx->n_hdr == 2) || (!module && lx->n_hdr == 3)) {
            if (lx->n_blocks == lx->cap_blocks) {
                lx->cap_blocks = lx->cap_blocks ? lx->cap_blocks * 2 : 16;
                lx->blocks = pp_xrealloc(lx->blocks, lx->cap_blocks * sizeof(*lx->blocks));
            }
            tf_block *b = &lx->blocks[lx->n_blocks++];
            memset(b, 0, sizeof(*b));
            b->kind = pp_xstrdup(lx->hdr[0]);
            b->type = pp_xstrdup(lx->hdr[1]);
            b->name = module ? NULL : pp_xstrdup(lx->hdr[2]);
            b->line = lx->hdr_line;
            lx->cur = b;
        }
    }
    hdr_reset(lx);
    lx->depth++;
}

static void block_close(lexer *lx)
{
    if (lx->depth > 0)
        lx->depth--;
    if (lx->depth == 0 && lx->cur) {
        lx->cur->end_line = lx->line;
        lx->cur = NULL;
    }
    free(lx->attr);
    lx->attr = NULL;
    lx->attr_eq = false;
}

static void lex(lexer *lx)
{
    while (lx->p < lx->end) {
        char c = *lx->p;
        if (c == '\n') {
            newline(lx);
            lx->p++;
            continue;
        }
        if (c == ' ' || c == '\t' || c == '\r') {
            lx->p++;
            continue;
        }
        if (c == '#' || (c == '/' && lx->p + 1 < lx->end && lx->p[1] == '/')) {
            const char *s = lx->p + (c == '#' ? 1 : 2);
            const char *e = s;
            while (e < lx->end && *e != '\n')
                e++;
            const char *t = e;
            while (t > s && (t[-1] == '\r' || t[-1] == ' ' || t[-1] == '\t'))
                t--;
            lx_comment(lx, s, (size_t)(t - s), lx->line, !lx->line_has_code);
            lx->p = e;
            continue;
        }
        if (c == '/' && lx->p + 1 < lx->end && lx->p[1] == '*') {
            const char *s = lx->p + 2;
            const char *e = s;
            int start_line = lx->line;
            bool alone = !lx->line_has_code;
            while (e + 1 < lx->end && !(e[0] == '*' && e[1] == '/')) {
                if (*e == '\n')
                    lx->line++;
                e++;
            }
            lx_comment(lx, s, (size_t)(e - s), start_line, alone);
            lx->p = e + 1 < lx->end ? e + 2 : lx->end;
            continue;
        }
        code(lx);
        if (c == '"') {
            char *val = NULL;
            lx_string(lx, &val);
            if (lx->depth == 0 && val) {
                hdr_push(lx, val, strlen(val));
            } else if (lx->depth == 1 && lx->cur && lx->attr && lx->attr_eq && val &&
                       strcmp(lx->attr, "source") == 0 && !lx->cur->source &&
                       strcmp(lx->cur->kind, "module") == 0) {
                lx->cur->source = pp_xstrdup(val);
            }
            free(val);
            continue;
        }
        if (c == '<' && lx->p + 1 < lx->end && lx->p[1] == '<') {
            lx_heredoc(lx);
            continue;
        }
        if (c == '{') {
            block_open(lx);
            lx->p++;
            continue;
        }
        if (c == '}') {
            block_close(lx);
            lx->p++;
            continue;
        }
        if (c == '=') {
            if (lx->depth == 1)
                lx->attr_eq = true;
            if (lx->depth == 0)
                hdr_reset(lx);
            lx->p++;
            continue;
        }
        if (c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) {
            const char *s = lx->p;
            while (lx->p < lx->end &&
                   (*lx->p == '_' || *lx->p == '-' || (*lx->p >= 'a' && *lx->p <= 'z') ||
                    (*lx->p >= 'A' && *lx->p <= 'Z') || (*lx->p >= '0' && *lx->p <= '9')))
                lx->p++;
            size_t n = (size_t)(lx->p - s);
            if (lx->depth == 0)
                hdr_push(lx, s, n);
            else if (lx->depth == 1 && !lx->attr) {
                lx->attr = pp_xstrndup(s, n);
                lx->attr_eq = false;
            }
            continue;
        }
        lx->p++;
    }
}

/* The first comment on or after `line` (comments are recorded in line order). */
static size_t first_comment_at(const lexer *lx, int line)
{
    size_t lo = 0, hi = lx->n_comments;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (lx->comments[mid].line < line)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static void add_problem(json_t *problems, const char *rel, int line)
{
    json_t *pb = json_pack("{s:s, s:i, s:s}", "file", rel, "line", line, "error", pp_err_msg());
    size_t k;
    json_t *o;
    json_array_foreach(problems, k, o)
    {
        if (json_equal(o, pb)) {
            json_decref(pb);
            return;
        }
    }
    json_array_append_new(problems, pb);
}

/* The comments that belong to a block: the run of comment-only lines directly above it, its
 * first line, and everything inside it. alone[l]: line l holds nothing but a comment. */
static void attach_ignores(lexer *lx, tf_block *b, const bool *alone, const char *rel,
                           json_t *problems)
{
    int start = b->line;
    while (start > 1 && alone[start - 1])
        start--;
    for (size_t i = first_comment_at(lx, start);
         i < lx->n_comments && lx->comments[i].line <= b->end_line; i++) {
        tf_comment *c = &lx->comments[i];
        pp_tf_ignore ig;
        int rc = pp_tf_ignore_parse(c->text, &ig);
        if (rc == PP_ENOTFOUND)
            continue;
        if (rc < 0) {
            add_problem(problems, rel, c->line);
            continue;
        }
        ig.file = pp_xstrdup(rel);
        ig.line = c->line;
        b->ignores = pp_xrealloc(b->ignores, (b->n_ignores + 1) * sizeof(*b->ignores));
        b->ignores[b->n_ignores++] = ig;
    }
}

static void block_clear(tf_block *b)
{
    free(b->kind);
    free(b->type);
    free(b->name);
    free(b->source);
    for (size_t i = 0; i < b->n_ignores; i++)
        pp_tf_ignore_clear(&b->ignores[i]);
    free(b->ignores);
}

/* Lexes one file into f (blocks with their ignores). */
static void lex_file(const char *text, size_t len, const char *rel, tf_file *f, json_t *problems)
{
    lexer lx = {.p = text, .end = text + len, .line = 1};
    lex(&lx);
    if (lx.cur) /* unterminated block: it runs to the end of the file */
        lx.cur->end_line = lx.line;
    bool *alone = pp_xcalloc((size_t)lx.line + 2, sizeof(*alone));
    for (size_t i = 0; i < lx.n_comments; i++)
        if (lx.comments[i].alone && lx.comments[i].line <= lx.line)
            alone[lx.comments[i].line] = true;
    for (size_t i = 0; i < lx.n_blocks; i++)
        attach_ignores(&lx, &lx.blocks[i], alone, rel, problems);
    free(alone);
    f->rel = pp_xstrdup(rel);
    f->blocks = lx.blocks;
    f->n_blocks = lx.n_blocks;
    hdr_reset(&lx);
    free(lx.attr);
    for (size_t i = 0; i < lx.n_comments; i++)
        free(lx.comments[i].text);
    free(lx.comments);
}

/* ---- the locator --------------------------------------------------------------------------- */

typedef struct located {
    pp_tf_location loc;
    pp_tf_ignore *ignores; /* copies (file strings borrowed from blocks) */
} located;

struct pp_plan_locator {
    char *root;
    json_t *sources;      /* {"module.a": "./a"} from the plan, or NULL */
    pp_plan_smap dirs;    /* repo-relative dir -> tf_dir */
    pp_plan_smap results; /* address without instance keys -> located (or a miss marker) */
    json_t *problems;
};

static char miss_marker;

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static tf_dir *dir_load(pp_plan_locator *l, const char *rel)
{
    tf_dir *d = pp_plan_smap_get(&l->dirs, rel);
    if (d)
        return d;
    d = pp_xcalloc(1, sizeof(*d));
    pp_plan_smap_put(&l->dirs, rel, d);
    char *abs = *rel ? pp_xasprintf("%s/%s", l->root, rel) : pp_xstrdup(l->root);
    DIR *dh = opendir(abs);
    char **names = NULL;
    size_t n = 0;
    if (dh) {
        struct dirent *de;
        while ((de = readdir(dh))) {
            if (!pp_str_endswith(de->d_name, ".tf") || de->d_name[0] == '.')
                continue;
            names = pp_xrealloc(names, (n + 1) * sizeof(*names));
            names[n++] = pp_xstrdup(de->d_name);
        }
        closedir(dh);
    }
    if (n)
        qsort(names, n, sizeof(*names), cmp_str);
    d->files = pp_xcalloc(n ? n : 1, sizeof(*d->files));
    for (size_t i = 0; i < n; i++) {
        char *path = pp_xasprintf("%s/%s", abs, names[i]);
        char *frel = *rel ? pp_xasprintf("%s/%s", rel, names[i]) : pp_xstrdup(names[i]);
        FILE *fh = fopen(path, "rb");
        struct stat st;
        if (fh && fstat(fileno(fh), &st) == 0 && S_ISREG(st.st_mode) &&
            (size_t)st.st_size <= MAX_TF_BYTES) {
            size_t len = (size_t)st.st_size;
            char *buf = pp_xmalloc(len + 1);
            size_t got = fread(buf, 1, len, fh);
            buf[got] = '\0';
            lex_file(buf, got, frel, &d->files[d->n_files++], l->problems);
            free(buf);
        } else {
            pp_log(PP_LOG_WARN, "plan", "%s: cannot read (%s)", frel,
                   fh ? "not a regular file or too large" : strerror(errno));
        }
        if (fh)
            fclose(fh);
        free(path);
        free(frel);
        free(names[i]);
    }
    free(names);
    free(abs);
    return d;
}

static tf_block *dir_find(tf_dir *d, const char *kind, const char *type, const char *name,
                          tf_file **file)
{
    for (size_t i = 0; i < d->n_files; i++)
        for (size_t j = 0; j < d->files[i].n_blocks; j++) {
            tf_block *b = &d->files[i].blocks[j];
            if (strcmp(b->kind, kind) == 0 && strcmp(b->type, type) == 0 &&
                pp_str_eq(b->name, name)) {
                *file = &d->files[i];
                return b;
            }
        }
    return NULL;
}

/* dir + "/" + source, with "." and ".." resolved; NULL when it leaves the repository. */
static char *path_join(const char *dir, const char *source)
{
    char *joined = *dir ? pp_xasprintf("%s/%s", dir, source) : pp_xstrdup(source);
    size_t n = 0;
    char **parts = pp_str_split(joined, '/', &n);
    char **out = pp_xcalloc(n + 1, sizeof(*out));
    size_t k = 0;
    bool escaped = false;
    for (size_t i = 0; i < n; i++) {
        if (strcmp(parts[i], ".") == 0)
            continue;
        if (strcmp(parts[i], "..") == 0) {
            if (k == 0)
                escaped = true;
            else
                k--;
            continue;
        }
        out[k++] = parts[i];
    }
    char *res = NULL;
    if (!escaped) {
        pp_buf b;
        pp_buf_init(&b, 0);
        for (size_t i = 0; i < k; i++)
            pp_buf_printf(&b, "%s%s", i ? "/" : "", out[i]);
        res = b.data ? pp_buf_steal(&b) : pp_xstrdup("");
    }
    free(out);
    pp_strv_free(parts);
    free(joined);
    return res;
}

static bool local_source(const char *s)
{
    return s && (pp_str_startswith(s, "./") || pp_str_startswith(s, "../") || strcmp(s, ".") == 0 ||
                 strcmp(s, "..") == 0);
}

static void add_ignores(located *r, const tf_block *b)
{
    if (!b->n_ignores)
        return;
    r->ignores = pp_xrealloc(r->ignores, (r->loc.n_ignores + b->n_ignores) * sizeof(*r->ignores));
    /* shallow copies: the strings stay owned by the block */
    memcpy(r->ignores + r->loc.n_ignores, b->ignores, b->n_ignores * sizeof(*b->ignores));
    r->loc.n_ignores += b->n_ignores;
}

static located *locate(pp_plan_locator *l, const char *key)
{
    size_t n = 0;
    char **seg = pp_plan_addr_split(key, &n);
    located *r = pp_xcalloc(1, sizeof(*r));
    char *dir = pp_xstrdup("");
    pp_buf modpath;
    pp_buf_init(&modpath, 0);
    size_t i = 0;
    bool found = false;
    while (i + 1 < n && strcmp(seg[i], "module") == 0) {
        const char *call = seg[i + 1];
        pp_buf_printf(&modpath, "%smodule.%s", modpath.len ? "." : "", call);
        tf_file *f = NULL;
        tf_block *mb = dir_find(dir_load(l, dir), "module", call, NULL, &f);
        const char *src = json_string_value(json_object_get(l->sources, pp_buf_cstr(&modpath)));
        if (!src && mb)
            src = mb->source;
        if (mb)
            add_ignores(r, mb);
        i += 2;
        char *next = local_source(src) ? path_join(dir, src) : NULL;
        if (!next) {
            /* a registry or git module: its code is not in this repository, so the finding
             * belongs to the module block that instantiates it */
            if (mb) {
                r->loc.file = f->rel;
                r->loc.line = mb->line;
                r->loc.end_line = mb->end_line;
                found = true;
            }
            goto _exit;
        }
        free(dir);
        dir = next;
    }
    const char *kind = "resource";
    if (i < n && strcmp(seg[i], "data") == 0) {
        kind = "data";
        i++;
    }
    if (i + 2 == n) {
        tf_file *f = NULL;
        tf_block *b = dir_find(dir_load(l, dir), kind, seg[i], seg[i + 1], &f);
        if (b) {
            r->loc.file = f->rel;
            r->loc.line = b->line;
            r->loc.end_line = b->end_line;
            add_ignores(r, b);
            found = true;
        }
    }
_exit:
    r->loc.ignores = r->ignores;
    pp_buf_free(&modpath);
    free(dir);
    pp_strv_free(seg);
    if (!found) {
        free(r->ignores);
        free(r);
        return NULL;
    }
    return r;
}

int pp_plan_locator_new(const char *repo_root, const pp_plan *plan, pp_plan_locator **out)
{
    struct stat st;
    *out = NULL;
    if (!repo_root || stat(repo_root, &st) != 0 || !S_ISDIR(st.st_mode))
        return pp_err_set(PP_EINVAL, "%s: not a directory", repo_root ? repo_root : "(null)");
    pp_plan_locator *l = pp_xcalloc(1, sizeof(*l));
    size_t len = strlen(repo_root);
    while (len > 1 && repo_root[len - 1] == '/')
        len--;
    l->root = pp_xstrndup(repo_root, len);
    l->sources = plan ? json_incref((json_t *)pp_plan_module_sources(plan)) : NULL;
    l->problems = json_array();
    *out = l;
    return 0;
}

void pp_plan_locator_free(pp_plan_locator *l)
{
    if (!l)
        return;
    for (size_t i = 0; i < l->dirs.cap; i++) {
        tf_dir *d = l->dirs.vals[i];
        if (!l->dirs.keys[i] || !d)
            continue;
        for (size_t j = 0; j < d->n_files; j++) {
            for (size_t k = 0; k < d->files[j].n_blocks; k++)
                block_clear(&d->files[j].blocks[k]);
            free(d->files[j].blocks);
            free(d->files[j].rel);
        }
        free(d->files);
        free(d);
    }
    for (size_t i = 0; i < l->results.cap; i++) {
        located *r = l->results.vals[i];
        if (!l->results.keys[i] || !r || (void *)r == (void *)&miss_marker)
            continue;
        free(r->ignores);
        free(r);
    }
    pp_plan_smap_free(&l->dirs);
    pp_plan_smap_free(&l->results);
    json_decref(l->sources);
    json_decref(l->problems);
    free(l->root);
    free(l);
}

int pp_plan_locate(pp_plan_locator *l, const char *address, pp_tf_location *loc)
{
    /* count and for_each instances share their block */
    char *key = pp_plan_addr_strip_keys(address);
    located *r = pp_plan_smap_get(&l->results, key);
    if (!r) {
        r = locate(l, key);
        pp_plan_smap_put(&l->results, key, r ? (void *)r : (void *)&miss_marker);
    }
    free(key);
    if (!r || (void *)r == (void *)&miss_marker)
        return PP_ENOTFOUND;
    *loc = r->loc;
    return 0;
}

const json_t *pp_plan_locator_problems(const pp_plan_locator *l)
{
    return l->problems;
}
