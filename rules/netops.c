/* Network semantics for rules: CIDR containment and overlap (IPv4 and IPv6), protocol names and
 * numbers, port ranges (protocol -1 means every port), and network ACL evaluation in rule-number
 * order, where the lowest-numbered entry that matches a packet decides. */
#include "rules_int.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int pp_cidr_parse(const char *s, pp_cidr *out)
{
    char buf[64];
    memset(out, 0, sizeof(*out));
    if (!s || strlen(s) >= sizeof(buf))
        return PP_EINVAL;
    memcpy(buf, s, strlen(s) + 1);
    char *slash = strchr(buf, '/');
    long prefix = -1;
    if (slash) {
        *slash = '\0';
        if (pp_parse_long(slash + 1, 0, 128, &prefix) != 0)
            return PP_EINVAL;
    }
    if (inet_pton(AF_INET, buf, out->addr) == 1) {
        out->family = 4;
        if (prefix > 32)
            return PP_EINVAL;
        out->prefix = prefix < 0 ? 32 : (int)prefix;
    } else if (inet_pton(AF_INET6, buf, out->addr) == 1) {
        out->family = 6;
        out->prefix = prefix < 0 ? 128 : (int)prefix;
    } else {
        return PP_EINVAL;
    }
    return 0;
}

/* Are the first `bits` bits of a and b equal? */
static bool prefix_eq(const uint8_t *a, const uint8_t *b, int bits)
{
    int full = bits / 8, rest = bits % 8;
    if (memcmp(a, b, (size_t)full) != 0)
        return false;
    if (!rest)
        return true;
    uint8_t mask = (uint8_t)(0xff << (8 - rest));
    return (a[full] & mask) == (b[full] & mask);
}

bool pp_cidr_contains(const pp_cidr *outer, const pp_cidr *inner)
{
    return outer->family == inner->family && outer->prefix <= inner->prefix &&
           prefix_eq(outer->addr, inner->addr, outer->prefix);
}

bool pp_cidr_overlaps(const pp_cidr *a, const pp_cidr *b)
{
    int bits = a->prefix < b->prefix ? a->prefix : b->prefix;
    return a->family == b->family && prefix_eq(a->addr, b->addr, bits);
}

int pp_proto_parse(const json_t *v, int *out)
{
    static const struct {
        const char *name;
        int num;
    } names[] = {{"-1", PP_PROTO_ALL}, {"all", PP_PROTO_ALL}, {"tcp", 6},
                 {"udp", 17},          {"icmp", 1},           {"icmpv6", 58}};
    if (json_is_integer(v)) {
        json_int_t n = json_integer_value(v);
        if (n == -1 || (n >= 0 && n <= 255)) {
            *out = (int)n;
            return 0;
        }
        return pp_err_set(PP_EINVAL, "%" JSON_INTEGER_FORMAT " is not a protocol number", n);
    }
    if (!json_is_string(v))
        return pp_err_set(PP_EINVAL, "a protocol is a name or a number");
    const char *s = json_string_value(v);
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if (strcasecmp(names[i].name, s) == 0) {
            *out = names[i].num;
            return 0;
        }
    long n;
    if (pp_parse_long(s, 0, 255, &n) == 0) {
        *out = (int)n;
        return 0;
    }
    return pp_err_set(PP_EINVAL, "'%s' is not a protocol (tcp, udp, icmp, icmpv6, -1, 0-255)", s);
}

const char *pp_proto_name(int p, char buf[8])
{
    switch (p) {
    case PP_PROTO_ALL:
        return "all";
    case 6:
        return "tcp";
    case 17:
        return "udp";
    case 1:
        return "icmp";
    case 58:
        return "icmpv6";
    default:
        snprintf(buf, 8, "%d", p);
        return buf;
    }
}

static bool has_ports(int proto)
{
    return proto == 6 || proto == 17;
}

/* ---- port sets: a few sorted, disjoint intervals --------------------------------------------- */

#define PSET_MAX 64

typedef struct pset {
    pp_prange r[PSET_MAX];
    size_t n;
} pset;

static void pset_init(pset *s, const pp_prange *ports, size_t n)
{
    s->n = 0;
    if (!n) {
        s->r[0].lo = 0;
        s->r[0].hi = 65535;
        s->n = 1;
        return;
    }
    for (size_t i = 0; i < n && s->n < PSET_MAX; i++)
        s->r[s->n++] = ports[i];
}

static bool pset_overlaps(const pset *s, long lo, long hi)
{
    for (size_t i = 0; i < s->n; i++)
        if (s->r[i].lo <= hi && lo <= s->r[i].hi)
            return true;
    return false;
}

/* First port of s inside [lo, hi], or -1. */
static long pset_first_in(const pset *s, long lo, long hi)
{
    long best = -1;
    for (size_t i = 0; i < s->n; i++)
        if (s->r[i].lo <= hi && lo <= s->r[i].hi) {
            long p = s->r[i].lo > lo ? s->r[i].lo : lo;
            if (best < 0 || p < best)
                best = p;
        }
    return best;
}

static void pset_remove(pset *s, long lo, long hi)
{
    pset out;
    out.n = 0;
    for (size_t i = 0; i < s->n; i++) {
        pp_prange r = s->r[i];
        if (r.hi < lo || r.lo > hi) {
            if (out.n < PSET_MAX)
                out.r[out.n++] = r;
            continue;
        }
        if (r.lo < lo && out.n < PSET_MAX)
            out.r[out.n++] = (pp_prange){r.lo, lo - 1};
        if (r.hi > hi && out.n < PSET_MAX)
            out.r[out.n++] = (pp_prange){hi + 1, r.hi};
    }
    *s = out;
}

/* ---- reading a permission or entry --------------------------------------------------------- */

static int get_int(const json_t *o, const char *key, long *out, char *err, size_t errlen)
{
    const json_t *v = json_object_get(o, key);
    if (json_is_integer(v)) {
        *out = (long)json_integer_value(v);
        return 0;
    }
    if (json_is_string(v) && pp_parse_long(json_string_value(v), -1, 65535, out) == 0)
        return 0;
    snprintf(err, errlen, "%s %s", key, v ? "is not a number" : "is missing");
    return -1;
}

/* The protocol and port range a permission (SG) or entry (NACL) covers. */
static int read_range(const json_t *e, bool nacl, int *proto, long *lo, long *hi, char *err,
                      size_t errlen)
{
    const char *pkey = nacl ? "Protocol" : "IpProtocol";
    const json_t *pv = json_object_get(e, pkey);
    if (!pv) {
        snprintf(err, errlen, "%s is missing", pkey);
        return -1;
    }
    if (pp_proto_parse(pv, proto) != 0) {
        snprintf(err, errlen, "%s: %s", pkey, pp_err_msg());
        return -1;
    }
    *lo = 0;
    *hi = 65535;
    if (!has_ports(*proto))
        return 0;
    if (nacl) {
        const json_t *pr = json_object_get(e, "PortRange");
        if (!json_is_object(pr)) {
            snprintf(err, errlen, "PortRange is missing for protocol %d", *proto);
            return -1;
        }
        if (get_int(pr, "From", lo, err, errlen) || get_int(pr, "To", hi, err, errlen))
            return -1;
    } else {
        if (get_int(e, "FromPort", lo, err, errlen) || get_int(e, "ToPort", hi, err, errlen))
            return -1;
    }
    if (*lo < 0 || *hi < 0) { /* -1 as "all ports" */
        *lo = 0;
        *hi = 65535;
    }
    return 0;
}

static bool proto_wanted(int proto, const int *protos, size_t np)
{
    for (size_t i = 0; i < np; i++)
        if (protos[i] == PP_PROTO_ALL || protos[i] == proto)
            return true;
    return false;
}

int pp_ports_overlap(const json_t *e, bool nacl, const int *protos, size_t np,
                     const pp_prange *ports, size_t nports, char *what, size_t whatlen, char *err,
                     size_t errlen)
{
    int proto;
    long lo, hi;
    char pb[8];
    if (!json_is_object(e)) {
        snprintf(err, errlen, "expected a %s, got %s", nacl ? "network ACL entry" : "permission",
                 json_is_array(e) ? "a list" : "a scalar");
        return -1;
    }
    if (read_range(e, nacl, &proto, &lo, &hi, err, errlen) != 0)
        return -1;
    if (proto == PP_PROTO_ALL) {
        snprintf(what, whatlen, "all traffic (protocol -1)");
        return 1;
    }
    if (!proto_wanted(proto, protos, np))
        return 0;
    if (!has_ports(proto)) {
        /* ports do not apply to icmp and friends: it matches when no port was asked for */
        snprintf(what, whatlen, "protocol %s", pp_proto_name(proto, pb));
        return nports == 0;
    }
    pset want;
    pset_init(&want, ports, nports);
    if (!pset_overlaps(&want, lo, hi))
        return 0;
    long first = pset_first_in(&want, lo, hi);
    snprintf(what, whatlen, "%s %ld (range %ld-%ld)", pp_proto_name(proto, pb), first, lo, hi);
    return 1;
}

/* ---- network ACLs ------------------------------------------------------------------------- */

struct nentry {
    size_t idx;
    long number;
};

static int cmp_entry(const void *a, const void *b)
{
    const struct nentry *x = a, *y = b;
    return (x->number > y->number) - (x->number < y->number);
}

int pp_nacl_allows(const json_t *entries, bool egress, const pp_cidr *from, size_t n_from,
                   const int *protos, size_t np, const pp_prange *ports, size_t nports, json_t *ev,
                   const char *base, char *err, size_t errlen)
{
    if (!json_is_array(entries)) {
        snprintf(err, errlen, "Entries %s", entries ? "is not a list" : "is missing");
        return -1;
    }
    size_t n = json_array_size(entries);
    struct nentry *order = pp_xcalloc(n ? n : 1, sizeof(*order));
    size_t m = 0;
    int rc = 0;
    for (size_t i = 0; i < n; i++) {
        const json_t *e = json_array_get(entries, i);
        const json_t *eg = json_object_get(e, "Egress");
        long num;
        if (!json_is_object(e) || !json_is_boolean(eg)) {
            snprintf(err, errlen, "Entries[%zu].Egress %s", i,
                     json_is_object(e) ? "is missing" : "is not an entry");
            rc = -1;
            goto _exit;
        }
        if (json_is_true(eg) != egress)
            continue;
        if (get_int(e, "RuleNumber", &num, err, errlen) != 0) {
            char tmp[256];
            snprintf(tmp, sizeof(tmp), "Entries[%zu].%s", i, err);
            snprintf(err, errlen, "%s", tmp);
            rc = -1;
            goto _exit;
        }
        order[m].idx = i;
        order[m].number = num;
        m++;
    }
    qsort(order, m, sizeof(*order), cmp_entry);
    for (size_t s = 0; s < n_from; s++) {
        for (size_t pi = 0; pi < np; pi++) {
            /* each protocol asked for separately; "any" asks for tcp, udp and icmp */
            int want_protos[3] = {protos[pi]};
            size_t n_want = 1;
            if (protos[pi] == PP_PROTO_ALL) {
                want_protos[0] = 6;
                want_protos[1] = 17;
                want_protos[2] = 1;
                n_want = 3;
            }
            for (size_t w = 0; w < n_want; w++) {
                int proto = want_protos[w];
                pset undecided;
                if (has_ports(proto))
                    pset_init(&undecided, ports, nports);
                else {
                    undecided.n = 1;
                    undecided.r[0] = (pp_prange){0, 0};
                }
                for (size_t k = 0; k < m && undecided.n; k++) {
                    const json_t *e = json_array_get(entries, order[k].idx);
                    const char *ckey = from[s].family == 4 ? "CidrBlock" : "Ipv6CidrBlock";
                    const json_t *cv = json_object_get(e, ckey);
                    pp_cidr ec;
                    if (!cv)
                        continue; /* an entry of the other address family */
                    if (!json_is_string(cv) || pp_cidr_parse(json_string_value(cv), &ec) != 0) {
                        snprintf(err, errlen, "Entries[%zu].%s is not a CIDR", order[k].idx, ckey);
                        rc = -1;
                        goto _exit;
                    }
                    if (!pp_cidr_contains(&ec, &from[s]))
                        continue;
                    int eproto;
                    long lo, hi;
                    char e2[200];
                    if (read_range(e, true, &eproto, &lo, &hi, e2, sizeof(e2)) != 0) {
                        snprintf(err, errlen, "Entries[%zu].%s", order[k].idx, e2);
                        rc = -1;
                        goto _exit;
                    }
                    if (eproto != PP_PROTO_ALL && eproto != proto)
                        continue;
                    if (eproto == PP_PROTO_ALL || !has_ports(proto)) {
                        lo = 0;
                        hi = 65535;
                    }
                    const char *action = json_string_value(json_object_get(e, "RuleAction"));
                    if (!action || (strcmp(action, "allow") && strcmp(action, "deny"))) {
                        snprintf(err, errlen, "Entries[%zu].RuleAction is not allow or deny",
                                 order[k].idx);
                        rc = -1;
                        goto _exit;
                    }
                    long first = pset_first_in(&undecided, lo, hi);
                    if (first >= 0 && strcmp(action, "allow") == 0) {
                        rc = 1;
                        if (ev) {
                            char pb[8], addr[64], msg[256];
                            inet_ntop(from[s].family == 4 ? AF_INET : AF_INET6, from[s].addr, addr,
                                      sizeof(addr));
                            if (has_ports(proto))
                                snprintf(msg, sizeof(msg),
                                         "entry %ld allows %s %ld from %s/%d (no lower-numbered "
                                         "deny)",
                                         order[k].number, pp_proto_name(proto, pb), first, addr,
                                         from[s].prefix);
                            else
                                snprintf(msg, sizeof(msg), "entry %ld allows %s from %s/%d",
                                         order[k].number, pp_proto_name(proto, pb), addr,
                                         from[s].prefix);
                            char *path = pp_xasprintf("%sEntries[%zu]", base, order[k].idx);
                            json_t *item = json_pack("{s:s, s:o, s:s}", "path", path, "value",
                                                     json_deep_copy(e), "message", msg);
                            free(path);
                            /* one item per entry even when it opens several ports */
                            bool dup = false;
                            size_t x;
                            json_t *old;
                            json_array_foreach(ev, x, old)
                            {
                                if (json_equal(json_object_get(old, "path"),
                                               json_object_get(item, "path")))
                                    dup = true;
                            }
                            if (!dup && json_array_size(ev) < PP_EVIDENCE_MAX)
                                json_array_append(ev, item);
                            json_decref(item);
                        } else {
                            goto _exit;
                        }
                    }
                    pset_remove(&undecided, lo, hi);
                }
            }
        }
    }
_exit:
    free(order);
    return rc;
}
