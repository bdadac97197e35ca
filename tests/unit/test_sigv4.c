/* SigV4: all 34 cases of the official suite in $PARAPET_SHARED/testdata/sigv4 (read in place,
 * never copied; a missing suite is a failure), our two vectors from aws-protocols.md, S3 mode
 * and UriEncode. */
#include "pp_aws.h"
#include "pp_test.h"

#include <dirent.h>
#include <errno.h>
#include <sys/stat.h>

#define SECRET "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"

static char *read_all(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    pp_buf b;
    pp_buf_init(&b, 0);
    char chunk[4096];
    size_t n;
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
        pp_buf_append(&b, chunk, n);
    fclose(f);
    return pp_buf_steal(&b);
}

/* Expected files: strip a stray '\r' and trailing newline so only content is compared. */
static char *read_expected(const char *dir, const char *name, const char *ext)
{
    char *path = pp_xasprintf("%s/%s.%s", dir, name, ext);
    char *s = read_all(path);
    free(path);
    if (!s)
        return NULL;
    char *w = s;
    for (char *r = s; *r; r++) {
        if (*r != '\r')
            *w++ = *r;
    }
    *w = '\0';
    size_t n = strlen(s);
    while (n && s[n - 1] == '\n')
        s[--n] = '\0';
    return s;
}

typedef struct parsed_req {
    char *method, *path, *query, *body;
    pp_http_header *headers;
    char **names, **values;
    size_t n_headers;
} parsed_req;

static void parsed_req_free(parsed_req *r)
{
    for (size_t i = 0; i < r->n_headers; i++) {
        free(r->names[i]);
        free(r->values[i]);
    }
    free(r->names);
    free(r->values);
    free(r->headers);
    free(r->method);
    free(r->path);
    free(r->query);
    free(r->body);
}

/* Request line (the URI may hold a literal space: split on the last " HTTP/"), headers with
 * folded continuation lines and repeats, a blank line, the body. */
static int parse_req(const char *text, parsed_req *r)
{
    memset(r, 0, sizeof(*r));
    const char *eol = strchr(text, '\n');
    size_t llen = eol ? (size_t)(eol - text) : strlen(text);
    char *line = pp_xstrndup(text, llen);
    if (llen && line[llen - 1] == '\r')
        line[--llen] = '\0';
    char *sp = strchr(line, ' ');
    char *http = NULL;
    for (char *p = line; (p = strstr(p, " HTTP/")); p++)
        http = p;
    if (!sp || !http || http <= sp) {
        free(line);
        return -1;
    }
    r->method = pp_xstrndup(line, (size_t)(sp - line));
    char *uri = pp_xstrndup(sp + 1, (size_t)(http - sp - 1));
    char *q = strchr(uri, '?');
    if (q) {
        r->query = pp_xstrdup(q + 1);
        *q = '\0';
    }
    r->path = uri;
    free(line);

    const char *p = eol ? eol + 1 : text + strlen(text);
    while (*p) {
        eol = strchr(p, '\n');
        llen = eol ? (size_t)(eol - p) : strlen(p);
        if (llen && p[llen - 1] == '\r')
            llen--;
        if (llen == 0) {
            p = eol ? eol + 1 : p + strlen(p);
            r->body = pp_xstrdup(p);
            break;
        }
        if ((*p == ' ' || *p == '\t') && r->n_headers) {
            char *prev = r->values[r->n_headers - 1];
            char *cont = pp_xstrndup(p, llen);
            r->values[r->n_headers - 1] = pp_xasprintf("%s %s", prev, cont);
            free(prev);
            free(cont);
        } else {
            const char *colon = memchr(p, ':', llen);
            if (!colon)
                return -1;
            r->names = pp_xrealloc(r->names, (r->n_headers + 1) * sizeof(char *));
            r->values = pp_xrealloc(r->values, (r->n_headers + 1) * sizeof(char *));
            r->names[r->n_headers] = pp_xstrndup(p, (size_t)(colon - p));
            r->values[r->n_headers] = pp_xstrndup(colon + 1, llen - (size_t)(colon + 1 - p));
            r->n_headers++;
        }
        p = eol ? eol + 1 : p + strlen(p);
    }
    r->headers = pp_xcalloc(r->n_headers + 1, sizeof(*r->headers));
    for (size_t i = 0; i < r->n_headers; i++)
        r->headers[i] = (pp_http_header){r->names[i], r->values[i]};
    return 0;
}

static const char *header_value(const parsed_req *r, const char *name)
{
    for (size_t i = 0; i < r->n_headers; i++) {
        if (strcasecmp(r->names[i], name) == 0)
            return r->values[i];
    }
    return NULL;
}

/* Runs one case folder; returns the number of failed checks. */
static int run_case(const char *dir, const char *name, const char *label)
{
    int before = pp_test_failures;
    pp_test_current = label;
    char *path = pp_xasprintf("%s/%s.req", dir, name);
    char *req = read_all(path);
    char *creq = read_expected(dir, name, "creq");
    char *sts = read_expected(dir, name, "sts");
    char *authz = read_expected(dir, name, "authz");
    free(path);
    CHECK(req && creq && sts && authz);
    if (!req || !creq || !sts || !authz)
        goto _exit;
    parsed_req r;
    CHECK_INT(parse_req(req, &r), 0);
    /* get-vanilla-with-session-token: the token is not in the .req; the signer adds it. The
     * value is the one in the expected canonical request. post-sts-header-before carries the
     * header already: passing the token too must not sign it twice. */
    char *token = NULL;
    const char *tl = strstr(creq, "\nx-amz-security-token:");
    if (tl) {
        tl += strlen("\nx-amz-security-token:");
        token = pp_xstrndup(tl, strcspn(tl, "\n"));
    }
    const char *date = header_value(&r, "X-Amz-Date");
    pp_sigv4_input in = {
        .method = r.method,
        .path = r.path,
        .query = r.query,
        .headers = r.headers,
        .n_headers = r.n_headers,
        .body = r.body ? r.body : "",
        .body_len = r.body ? strlen(r.body) : 0,
        .access_key_id = "AKIDEXAMPLE",
        .secret_access_key = SECRET,
        .session_token = token,
        .region = "us-east-1",
        .service = "service",
        .amz_date = date ? date : "20150830T123600Z",
        .normalize_path = true,
    };
    pp_sigv4_output out;
    CHECK_INT(pp_sigv4_sign(&in, &out), 0);
    CHECK_STR(out.canonical_request, creq);
    CHECK_STR(out.string_to_sign, sts);
    CHECK_STR(out.authorization, authz);
    pp_sigv4_output_clear(&out);
    free(token);
    parsed_req_free(&r);

_exit:
    free(req);
    free(creq);
    free(sts);
    free(authz);
    return pp_test_failures - before;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every folder X holding X.req is a case. */
static void walk(const char *root, const char *rel, int *cases, int *failed)
{
    char *dir = rel[0] ? pp_xasprintf("%s/%s", root, rel) : pp_xstrdup(root);
    DIR *d = opendir(dir);
    if (!d) {
        free(dir);
        return;
    }
    struct dirent *e;
    char **names = NULL;
    size_t n = 0;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        names = pp_xrealloc(names, (n + 1) * sizeof(*names));
        names[n++] = pp_xstrdup(e->d_name);
    }
    closedir(d);
    qsort(names, n, sizeof(*names), cmp_str);
    for (size_t i = 0; i < n; i++) {
        char *sub = pp_xasprintf("%s/%s", dir, names[i]);
        char *req = pp_xasprintf("%s/%s.req", sub, names[i]);
        struct stat st;
        char *label = rel[0] ? pp_xasprintf("%s/%s", rel, names[i]) : pp_xstrdup(names[i]);
        if (stat(req, &st) == 0) {
            (*cases)++;
            int bad = run_case(sub, names[i], label);
            *failed += bad != 0;
            printf("  %s sigv4 %s\n", bad ? "FAIL" : "ok  ", label);
        } else if (stat(sub, &st) == 0 && S_ISDIR(st.st_mode)) {
            walk(root, label, cases, failed);
        }
        free(label);
        free(req);
        free(sub);
        free(names[i]);
    }
    free(names);
    free(dir);
}

static void official_suite(void)
{
    const char *shared = getenv("PARAPET_SHARED");
    char *root = pp_xasprintf("%s/testdata/sigv4", shared && *shared ? shared : "../shared");
    struct stat st;
    if (stat(root, &st) != 0 || !S_ISDIR(st.st_mode)) {
        fprintf(stderr, "the SigV4 suite is missing: %s (set PARAPET_SHARED)\n", root);
        CHECK(!"SigV4 test suite folder found");
        free(root);
        return;
    }
    int cases = 0, failed = 0;
    walk(root, "", &cases, &failed);
    pp_test_current = "official_suite";
    CHECK_INT(cases, 34);
    CHECK_INT(failed, 0);
    free(root);
}

static void vector_sts(void)
{
    const char *body = "Action=GetCallerIdentity&Version=2011-06-15";
    pp_http_header h[] = {
        {"Content-Type", "application/x-www-form-urlencoded; charset=utf-8"},
        {"Host", "sts.us-east-1.amazonaws.com"},
        {"X-Amz-Date", "20240102T030405Z"},
        {"User-Agent", "parapet/0.1.0"},
        {"Expect", ""},
    };
    pp_sigv4_input in = {
        .method = "POST",
        .path = "/",
        .headers = h,
        .n_headers = 5,
        .body = body,
        .body_len = strlen(body),
        .access_key_id = "AKIAIOSFODNN7EXAMPLE",
        .secret_access_key = SECRET,
        .region = "us-east-1",
        .service = "sts",
        .amz_date = "20240102T030405Z",
        .normalize_path = true,
    };
    pp_sigv4_output out;
    CHECK_INT(pp_sigv4_sign(&in, &out), 0);
    CHECK_STR(out.canonical_request,
              "POST\n/\n\ncontent-type:application/x-www-form-urlencoded; charset=utf-8\n"
              "host:sts.us-east-1.amazonaws.com\nx-amz-date:20240102T030405Z\n\n"
              "content-type;host;x-amz-date\n"
              "ab821ae955788b0e33ebd34c208442ccfc2d406e2edc5e7a39bd6458fbb4f843");
    char hash[65];
    pp_sha256_hex(out.canonical_request, strlen(out.canonical_request), hash);
    CHECK_STR(hash, "408860d3684b6b0bf8e1d6b078f4b787ea5ddffe808fe00e7cc4e2c4ede11f29");
    CHECK_STR(out.authorization,
              "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20240102/us-east-1/sts/"
              "aws4_request, SignedHeaders=content-type;host;x-amz-date, "
              "Signature=308234ee6460d442c8ea19372e87a5ec1ab70bbdc9b174abbbbeb4716a6e1f87");
    pp_sigv4_output_clear(&out);
}

static void vector_guardduty(void)
{
    pp_http_header h[] = {
        {"Host", "guardduty.eu-west-1.amazonaws.com"},
        {"X-Amz-Date", "20240102T030405Z"},
    };
    pp_sigv4_input in = {
        .method = "GET",
        .path = "/detector",
        .query = "nextToken=a%2Bb%20c&maxResults=50",
        .headers = h,
        .n_headers = 2,
        .access_key_id = "AKIAIOSFODNN7EXAMPLE",
        .secret_access_key = SECRET,
        .region = "eu-west-1",
        .service = "guardduty",
        .amz_date = "20240102T030405Z",
        .normalize_path = true,
    };
    pp_sigv4_output out;
    CHECK_INT(pp_sigv4_sign(&in, &out), 0);
    CHECK(strstr(out.canonical_request, "\nmaxResults=50&nextToken=a%2Bb%20c\n") != NULL);
    CHECK_STR(out.signed_headers, "host;x-amz-date");
    char hash[65];
    pp_sha256_hex(out.canonical_request, strlen(out.canonical_request), hash);
    CHECK_STR(hash, "95eabe9a32e95fcabb498ae463d4fa4b6fb948c028cd4e5cb51691ad93087805");
    CHECK(pp_str_endswith(out.authorization, "Signature=f53a34458a80c510015248df69ff1047697ff00"
                                             "3155bfee5892c20466267acbd"));
    pp_sigv4_output_clear(&out);
}

/* The signer adds X-Amz-Date when the caller did not, and the token when asked. */
static void added_headers(void)
{
    pp_http_header h[] = {{"host", "127.0.0.1:4566"}};
    pp_sigv4_input in = {
        .method = "POST",
        .path = "",
        .headers = h,
        .n_headers = 1,
        .access_key_id = "ASIAEXAMPLE",
        .secret_access_key = SECRET,
        .session_token = "tok/en+value==",
        .region = "eu-west-1",
        .service = "monitoring",
        .amz_date = "20240102T030405Z",
        .normalize_path = true,
    };
    pp_sigv4_output out;
    CHECK_INT(pp_sigv4_sign(&in, &out), 0);
    CHECK_STR(out.signed_headers, "host;x-amz-date;x-amz-security-token");
    CHECK(strstr(out.canonical_request, "POST\n/\n\nhost:127.0.0.1:4566\n"
                                        "x-amz-date:20240102T030405Z\n"
                                        "x-amz-security-token:tok/en+value==\n\n") != NULL);
    CHECK(strstr(out.string_to_sign, "20240102/eu-west-1/monitoring/aws4_request") != NULL);
    pp_sigv4_output_clear(&out);

    /* no host header: refused */
    in.n_headers = 0;
    CHECK_INT(pp_sigv4_sign(&in, &out), PP_EINVAL);
    CHECK(strstr(pp_err_msg(), "Host") != NULL);
}

/* S3: the path is signed as sent (no normalisation, no second encoding) and
 * x-amz-content-sha256 is signed. */
static void s3_mode(void)
{
    pp_http_header h[] = {{"Host", "127.0.0.1:4566"}, {"X-Amz-Date", "20240102T030405Z"}};
    pp_sigv4_input in = {
        .method = "GET",
        .path = "/my-bucket//a/./b%20c",
        .query = "logging",
        .headers = h,
        .n_headers = 2,
        .access_key_id = "AKIAIOSFODNN7EXAMPLE",
        .secret_access_key = SECRET,
        .region = "us-east-1",
        .service = "s3",
        .amz_date = "20240102T030405Z",
        .normalize_path = false,
        .s3_payload_hash = true,
    };
    pp_sigv4_output out;
    CHECK_INT(pp_sigv4_sign(&in, &out), 0);
    CHECK(pp_str_startswith(out.canonical_request, "GET\n/my-bucket//a/./b%20c\nlogging=\n"));
    CHECK_STR(out.signed_headers, "host;x-amz-content-sha256;x-amz-date");
    CHECK_STR(out.payload_hash, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    CHECK(strstr(out.canonical_request,
                 "x-amz-content-sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7"
                 "852b855\n") != NULL);
    pp_sigv4_output_clear(&out);

    /* The same path for another service is normalised and encoded twice. */
    in.normalize_path = true;
    in.s3_payload_hash = false;
    CHECK_INT(pp_sigv4_sign(&in, &out), 0);
    CHECK(pp_str_startswith(out.canonical_request, "GET\n/my-bucket/a/b%2520c\n"));
    CHECK_STR(out.signed_headers, "host;x-amz-date");
    pp_sigv4_output_clear(&out);
}

static void uri_encode(void)
{
    char *s = pp_aws_uri_encode("a b/c~d+e=f&\xe1\x88\xb4", 15, false);
    CHECK_STR(s, "a%20b%2Fc~d%2Be%3Df%26%E1%88%B4");
    free(s);
    s = pp_aws_uri_encode("/detector/12ab cd", 17, true);
    CHECK_STR(s, "/detector/12ab%20cd");
    free(s);
    s = pp_aws_uri_encode("-._~AZaz09", 10, false);
    CHECK_STR(s, "-._~AZaz09");
    free(s);
    s = pp_aws_uri_encode("x\0y", 3, false); /* length-bounded, NUL included */
    CHECK_STR(s, "x%00y");
    free(s);
}

/* Duplicate query keys stay, sorted by value; a key without '=' gets an empty value. */
static void query_list(void)
{
    pp_http_header h[] = {{"Host", "example.com"}};
    pp_sigv4_input in = {
        .method = "GET",
        .path = "/",
        .query = "b=2&a=z&a=y&flag&&c=%7e%2b+",
        .headers = h,
        .n_headers = 1,
        .access_key_id = "AKID",
        .secret_access_key = SECRET,
        .region = "us-east-1",
        .service = "ec2",
        .amz_date = "20240102T030405Z",
        .normalize_path = true,
    };
    pp_sigv4_output out;
    CHECK_INT(pp_sigv4_sign(&in, &out), 0);
    CHECK(pp_str_startswith(out.canonical_request, "GET\n/\na=y&a=z&b=2&c=~%2B%2B&flag=\n"));
    pp_sigv4_output_clear(&out);
}

PP_TEST_MAIN(TEST(official_suite), TEST(vector_sts), TEST(vector_guardduty), TEST(added_headers),
             TEST(s3_mode), TEST(uri_encode), TEST(query_list))
