/* Fuzz target: IAM policy documents as rules read them (rules/iam.c): does a document allow an
 * action on a resource, does it grant everything, and the glob matching both rest on. Input: an
 * action glob line, a resource glob line, then the document: JSON, or any text, which rules meet
 * as a string where a decoder could not parse a policy (IAM's percent-encoding is undone by the
 * decoders, fuzzed in decode_xml). */
#include "fuzz.h"
#include "rules_int.h"

#include <stdio.h>

static char *take_line(const char **p)
{
    const char *nl = strchr(*p, '\n');
    size_t n = nl ? (size_t)(nl - *p) : strlen(*p);
    char *s = pp_xstrndup(*p, n);
    *p += nl ? n + 1 : n;
    return s;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = pp_fuzz_cstr(data, size);
    const char *p = text;
    char *action = take_line(&p);
    char *resource = take_line(&p);
    char *actions[] = {action, "s3:GetObject", "iam:*", NULL};
    char *resources[] = {resource, "*", "arn:aws:s3:::bucket/key", NULL};
    char err[256];

    json_t *doc = json_loads(p, JSON_REJECT_DUPLICATES, NULL);
    json_t *as_text = json_string(p); /* NULL when not UTF-8 */
    if (!doc)
        doc = json_incref(as_text);
    for (int pass = 0; pass < 2; pass++) {
        if (!doc)
            continue;
        json_t *ev = json_array();
        err[0] = '\0';
        int a = pp_iam_allows(doc, actions, resources, ev, "Document.", err, sizeof(err));
        if (a < -1 || a > 1 || (a == -1 && !err[0]))
            abort();
        if (a == 0 && json_array_size(ev) != 0) {
            fprintf(stderr, "not allowed, yet evidence of an allow\n");
            abort();
        }
        json_decref(ev);
        ev = json_array();
        err[0] = '\0';
        int f = pp_iam_full_admin(doc, ev, "Document.", err, sizeof(err));
        if (f < -1 || f > 1 || (f == -1 && !err[0]))
            abort();
        json_decref(ev);
        /* the same document as the text a decoder keeps when it is not JSON */
        json_decref(doc);
        doc = json_incref(as_text);
    }
    json_decref(doc);
    json_decref(as_text);
    (void)pp_iam_glob_covers(action, resource, true);
    (void)pp_iam_glob_overlaps(action, resource, false);
    free(action);
    free(resource);
    free(text);
    return 0;
}
