/* core: buffers, parsing, time, redaction, inventory, type paths. */
#include "pp_core.h"
#include "pp_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void buf_limits(void)
{
    pp_buf b;
    pp_buf_init(&b, 8);
    CHECK_INT(pp_buf_puts(&b, "1234"), 0);
    CHECK_INT(pp_buf_printf(&b, "%d", 5678), 0);
    CHECK_STR(pp_buf_cstr(&b), "12345678");
    CHECK_INT(pp_buf_putc(&b, 'x'), PP_EINVAL);
    CHECK_STR(pp_buf_cstr(&b), "12345678");
    pp_buf_free(&b);
    pp_buf_free(NULL);
}

static void parse_long(void)
{
    long v = 0;
    CHECK_INT(pp_parse_long("42", 0, 100, &v), 0);
    CHECK_INT(v, 42);
    CHECK_INT(pp_parse_long("4x", 0, 100, &v), PP_EINVAL);
    CHECK_INT(pp_parse_long("", 0, 100, &v), PP_EINVAL);
    CHECK_INT(pp_parse_long(" 4", 0, 100, &v), PP_EINVAL);
    CHECK_INT(pp_parse_long("101", 0, 100, &v), PP_EINVAL);
}

static void split(void)
{
    size_t n = 0;
    char **v = pp_str_split(" a, b ,,c ", ',', &n);
    CHECK_INT(n, 3);
    CHECK_STR(v[0], "a");
    CHECK_STR(v[1], "b");
    CHECK_STR(v[2], "c");
    CHECK(v[3] == NULL);
    pp_strv_free(v);
}

static void time_parse(void)
{
    time_t t = 0;
    char out[32];
    CHECK_INT(pp_time_parse("2024-01-02T03:04:05Z", &t), 0);
    CHECK_INT(t, 1704164645);
    CHECK_INT(pp_time_parse("2024-01-02T03:04:05.123456Z", &t), 0);
    CHECK_INT(t, 1704164645);
    CHECK_INT(pp_time_parse("2024-01-02T04:04:05+01:00", &t), 0);
    CHECK_INT(t, 1704164645);
    CHECK_INT(pp_time_parse("1704164645.5", &t), 0);
    CHECK_INT(t, 1704164645);
    CHECK_INT(pp_time_parse("2024-01-02", &t), 0);
    pp_time_format(1704164645, out);
    CHECK_STR(out, "2024-01-02T03:04:05Z");
    CHECK_INT(pp_time_parse("2024-13-02", &t), PP_EINVAL);
    CHECK_INT(pp_time_parse("N/A", &t), PP_EINVAL);
    CHECK_INT(pp_time_parse("2024-01-02T03:04", &t), PP_EINVAL);
}

static void redaction(void)
{
    pp_redact_register("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY");
    char *s = pp_redact("secret is wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY here");
    CHECK_STR(s, "secret is [REDACTED] here");
    free(s);
    s = pp_redact("Authorization: AWS4-HMAC-SHA256 Credential=AKID/x, Signature=abc");
    CHECK_STR(s, "Authorization: [REDACTED]");
    free(s);
    s = pp_redact("X-Amz-Security-Token: FQoGZXIvYXdzEXAMPLE");
    CHECK_STR(s, "X-Amz-Security-Token: [REDACTED]");
    free(s);
    s = pp_redact("aws_secret_access_key = abcdEFGH1234");
    CHECK_STR(s, "aws_secret_access_key = [REDACTED]");
    free(s);
    s = pp_redact("{\"SecretAccessKey\":\"abcdEFGH1234\",\"AccessKeyId\":\"ASIAEXAMPLE\"}");
    CHECK_STR(s, "{\"SecretAccessKey\":\"[REDACTED]\",\"AccessKeyId\":\"ASIAEXAMPLE\"}");
    free(s);
    s = pp_redact("<SessionToken>tok/en+==</SessionToken>");
    CHECK_STR(s, "<SessionToken>[REDACTED]</SessionToken>");
    free(s);
    char key[32];
    pp_redact_key_id("AKIAIOSFODNN7EXAMPLE", key);
    CHECK_STR(key, "AKIA****MPLE");
    pp_err_set(PP_EINVAL, "bad key wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY");
    CHECK_STR(pp_err_msg(), "bad key [REDACTED]");
}

static void inventory(void)
{
    pp_inventory *inv = pp_inventory_new(PP_SOURCE_AWS);
    json_t *doc = json_pack("{s:s}", "GroupId", "sg-1");
    pp_inventory_add(inv, pp_resource_new("AWS::EC2::SecurityGroup", "sg-1", NULL, "1", "r", doc));
    pp_inventory_add(inv, pp_resource_new("AWS::KMS::Key", "k", NULL, "1", "r", NULL));
    pp_inventory_add(inv, pp_resource_new("AWS::EC2::SecurityGroup", "sg-2", NULL, "1", "r", doc));
    json_decref(doc);
    size_t n = 0;
    pp_resource *const *sgs = pp_inventory_of_type(inv, "AWS::EC2::SecurityGroup", &n);
    CHECK_INT(n, 2);
    CHECK_STR(sgs[1]->id, "sg-2");
    CHECK(pp_inventory_of_type(inv, "AWS::IAM::User", &n) == NULL && n == 0);
    pp_coverage c = {.account = "1",
                     .region = "r",
                     .service = "kms",
                     .operation = "ListKeys",
                     .ok = false,
                     .error = "AccessDenied: no"};
    pp_inventory_add_coverage(inv, &c);
    CHECK(pp_inventory_coverage_error(inv, "1", "r", "kms") != NULL);
    CHECK(pp_inventory_coverage_error(inv, "1", "r", "ec2") == NULL);
    CHECK(pp_inventory_coverage_error_for_type(inv, "1", "r", "AWS::KMS::Key") != NULL);
    pp_coverage fl = {.account = "1",
                      .region = "r",
                      .service = "ec2",
                      .operation = "DescribeFlowLogs",
                      .error = "AccessDenied: no",
                      .types = "AWS::EC2::FlowLog"};
    pp_inventory_add_coverage(inv, &fl);
    pp_coverage one = {.account = "1",
                       .region = "r",
                       .service = "ec2",
                       .operation = "DescribeSecurityGroupRules",
                       .error = "Throttling: x",
                       .per_resource = true};
    pp_inventory_add_coverage(inv, &one);
    CHECK(pp_inventory_coverage_error_for_type(inv, "1", "r", "AWS::EC2::FlowLog") != NULL);
    CHECK(pp_inventory_coverage_error_for_type(inv, "1", "r", "AWS::EC2::SecurityGroup") == NULL);
    CHECK(pp_inventory_coverage_error(inv, "1", "r", "ec2") != NULL);
    pp_inventory_free(inv);
    pp_inventory_free(NULL);
}

static void type_paths(void)
{
    const pp_type *sg = pp_type_find("AWS::EC2::SecurityGroup");
    CHECK(sg != NULL);
    CHECK(pp_type_has_path(sg, "IpPermissions"));
    CHECK(pp_type_has_path(sg, "IpPermissions[]"));
    CHECK(pp_type_has_path(sg, "IpPermissions[].IpRanges[].CidrIp"));
    CHECK(!pp_type_has_path(sg, "IpPermissions[].IpRanges[].Cidr"));
    CHECK(!pp_type_has_path(sg, "IpPerm"));
    const pp_type *key = pp_type_find("AWS::KMS::Key");
    CHECK(pp_type_has_path(key, "KeyPolicy"));
    CHECK(pp_type_has_path(key, "KeyPolicy.Statement[].Effect"));
    CHECK(!pp_type_has_path(key, "KeyPolicyX"));
    CHECK(pp_type_find("AWS::Nope") == NULL);
}

/* A digest of parts is the digest of their concatenation (NUL after each when asked), on any
 * thread's reused context. */
static void sha256_parts(void)
{
    char whole[65], parts[65];
    pp_sha256_hex("", 0, whole);
    CHECK_STR(whole, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    pp_sha256_hex("abc", 3, whole);
    CHECK_STR(whole, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    const void *p[] = {"ab", "", "c"};
    size_t n[] = {2, 0, 1};
    pp_sha256_parts_hex(p, n, 3, false, parts);
    CHECK_STR(parts, whole);
    pp_sha256_hex("ab\0\0c\0", 6, whole);
    pp_sha256_parts_hex(p, n, 3, true, parts);
    CHECK_STR(parts, whole);
}

/* ---- binary documents ----------------------------------------------------------------------- */

static json_t *jbin_roundtrip(const json_t *v, pp_buf *b)
{
    pp_buf_reset(b);
    if (pp_jbin_encode(v, b) != 0)
        return NULL;
    char err[128] = "";
    json_t *back = pp_jbin_decode(b->data, b->len, err, sizeof(err));
    if (!back)
        fprintf(stderr, "decode: %s\n", err);
    return back;
}

static void jbin_values(void)
{
    json_error_t je;
    json_t *v = json_loads(
        "{\"GroupId\": \"sg-1\", \"n\": [0, 1, -1, 63, 64, -64, -65, 127, 128, 16384, "
        "9223372036854775807, -9223372036854775808], \"r\": [0.5, -1e300, 3.0, 1e-300], "
        "\"s\": [\"\", \"caf\\u00e9\", \"\\ud83d\\ude00\", \"a\\u0000b\"], \"b\": [true, false, "
        "null], "
        "\"nest\": {\"a\": [], \"o\": {}, \"deep\": [[[[{\"x\": 1}]]]]}, \"zkey\": 1, \"akey\": 2, "
        "\"\": \"empty key\"}",
        JSON_ALLOW_NUL, &je);
    CHECK(v != NULL);
    pp_buf b;
    pp_buf_init(&b, 0);
    json_t *back = jbin_roundtrip(v, &b);
    CHECK(back != NULL && json_equal(back, v));
    /* members keep their order: the producer's order is what export prints */
    char *t1 = json_dumps(v, JSON_COMPACT), *t2 = back ? json_dumps(back, JSON_COMPACT) : NULL;
    CHECK_STR(t2, t1);
    free(t1);
    free(t2);
    json_decref(back);
    /* scalars at the top too */
    json_t *scalars[] = {json_null(), json_true(), json_integer(-5), json_real(2.5),
                         json_string("x")};
    for (size_t i = 0; i < sizeof(scalars) / sizeof(scalars[0]); i++) {
        back = jbin_roundtrip(scalars[i], &b);
        CHECK(back != NULL && json_equal(back, scalars[i]));
        json_decref(back);
        json_decref(scalars[i]);
    }
    /* a key with a NUL byte cannot come back from JSON text, so it is not written */
    json_t *o = json_object();
    json_object_setn_new(o, "a\0b", 3, json_true());
    pp_buf_reset(&b);
    CHECK_INT(pp_jbin_encode(o, &b), PP_EINVAL);
    json_decref(o);
    /* every proper prefix of a document is refused, with a reason, never a crash */
    pp_buf_reset(&b);
    CHECK_INT(pp_jbin_encode(v, &b), 0);
    size_t refused = 0;
    for (size_t n = 0; n < b.len; n++) {
        char err[128] = "";
        json_t *cut = pp_jbin_decode(b.data, n, err, sizeof(err));
        refused += !cut && err[0];
        json_decref(cut);
    }
    CHECK_INT(refused, b.len);
    json_decref(v);
    pp_buf_free(&b);
}

/* Short strings and integers that repeat are one shared value; the documents stay equal to what
 * was encoded, and dropping one document leaves the others intact. */
static void jbin_shared_values(void)
{
    json_t *a =
        json_pack("{s:s, s:i, s:[s,s]}", "p", "tcp", "port", 22, "cidrs", "0.0.0.0/0", "0.0.0.0/0");
    json_t *b = json_pack("{s:s, s:i, s:s}", "p", "tcp", "port", 22, "long",
                          "a string longer than the values that are shared, 64 bytes or more");
    pp_buf ea, eb;
    pp_buf_init(&ea, 0);
    pp_buf_init(&eb, 0);
    CHECK_INT(pp_jbin_encode(a, &ea), 0);
    CHECK_INT(pp_jbin_encode(b, &eb), 0);
    json_t *da = pp_jbin_decode(ea.data, ea.len, NULL, 0);
    json_t *db = pp_jbin_decode(eb.data, eb.len, NULL, 0);
    json_t *db2 = pp_jbin_decode(eb.data, eb.len, NULL, 0);
    CHECK(json_equal(da, a) && json_equal(db, b) && json_equal(db2, b));
    CHECK(json_object_get(da, "p") == json_object_get(db, "p"));
    CHECK(json_object_get(da, "port") == json_object_get(db, "port"));
    json_t *cidrs = json_object_get(da, "cidrs");
    CHECK(json_array_get(cidrs, 0) == json_array_get(cidrs, 1));
    CHECK(json_object_get(db, "long") != json_object_get(db2, "long"));
    json_decref(da);
    CHECK_STR(json_string_value(json_object_get(db, "p")), "tcp");
    CHECK_INT(json_integer_value(json_object_get(db2, "port")), 22);
    json_decref(db);
    json_decref(db2);
    json_decref(a);
    json_decref(b);
    pp_buf_free(&ea);
    pp_buf_free(&eb);
}

static void jbin_hostile(void)
{
    static const struct {
        const char *bytes;
        size_t len;
        const char *why;
    } cases[] = {
        /* literals split after each \x escape: C would read a following hex digit into it */
        {"", 0, "not a binary document"},
        {"J\x02"
         "n",
         3, "not a binary document"},
        {"{}", 2, "not a binary document"},
        {"J\x01"
         "nn",
         4, "bytes after the document at byte 3"},
        {"J\x01"
         "x",
         3, "unknown tag"},
        {"J\x01"
         "a\xff\xff\xff\xff\xff\xff\xff\xff\x7f",
         12, "length past the end"},
        {"J\x01"
         "i\xff\xff\xff\xff\xff\xff\xff\xff\xff\x7f",
         13, "number too large"},
        {"J\x01"
         "d\x00\x00\x00\x00\x00\x00\xf8\x7f",
         11, "not a JSON number"},
        {"J\x01"
         "s\x02\xc3\x28",
         6, "string not UTF-8"},
        {"J\x01"
         "o\x01\x02\xc3\x28"
         "n",
         8, "key not UTF-8"},
        {"J\x01"
         "o\x01\x03"
         "a\x00"
         "bn",
         9, "key with a NUL byte"},
        {"J\x01"
         "o\x02\x01"
         "an",
         7, "length past the end"},
        {"J\x01"
         "s\x05"
         "ab",
         6, "length past the end"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char err[128] = "";
        json_t *v = pp_jbin_decode(cases[i].bytes, cases[i].len, err, sizeof(err));
        CHECK(v == NULL);
        if (!strstr(err, cases[i].why))
            CHECK_STR(err, cases[i].why);
        json_decref(v);
    }
    /* nesting past jansson's own limit */
    pp_buf b;
    pp_buf_init(&b, 0);
    pp_buf_append(&b, "J\x01", 2);
    for (int i = 0; i < 3000; i++)
        pp_buf_append(&b, "a\x01", 2);
    pp_buf_putc(&b, 'n');
    char err[128] = "";
    CHECK(pp_jbin_decode(b.data, b.len, err, sizeof(err)) == NULL);
    CHECK(strstr(err, "nested too deeply") != NULL);
    /* a duplicate key keeps the last value, as JSON text does */
    json_t *dup = pp_jbin_decode("J\x01"
                                 "o\x02\x01"
                                 "an\x01"
                                 "at",
                                 10, NULL, 0);
    CHECK(json_is_true(json_object_get(dup, "a")));
    CHECK_INT(json_object_size(dup), 1);
    json_decref(dup);
    pp_buf_free(&b);
}

PP_TEST_MAIN(TEST(buf_limits), TEST(parse_long), TEST(split), TEST(time_parse), TEST(redaction),
             TEST(inventory), TEST(type_paths), TEST(sha256_parts), TEST(jbin_values),
             TEST(jbin_shared_values), TEST(jbin_hostile))
