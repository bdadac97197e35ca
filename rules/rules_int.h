/* Internals shared by the files of rules/: the positioned YAML tree, diagnostics, the compiled
 * form of rules and conditions, and the evaluator's entry points. Not part of the interface. */
#ifndef PP_RULES_INT_H
#define PP_RULES_INT_H

#include "pp_rules.h"

#include <stdint.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

/* ---- limits ------------------------------------------------------------------------------ */
#define PP_YAML_MAX_BYTES   ((size_t)8 * 1024 * 1024) /* one policy, params or test file */
#define PP_YAML_MAX_DEPTH   64                        /* nesting of collections */
#define PP_YAML_MAX_NODES   1000000                   /* nodes per file, aliases expanded */
#define PP_YAML_MAX_ALIASES 1000
#define PP_DIAGS_MAX        500 /* diagnostics kept before "too many errors" */
#define PP_EVIDENCE_MAX     50  /* evidence items per finding */

/* ---- diagnostics: "file:line:col: message", one per line ---------------------------------- */
typedef struct pp_diags {
    pp_buf *out; /* may be NULL: only counted */
    int n;
} pp_diags;

void pp_diag(pp_diags *d, const char *file, int line, int col, const char *fmt, ...)
    PP_PRINTF(5, 6);

/* ---- the YAML tree, with positions ---------------------------------------------------------- */
enum pp_ykind { PP_Y_SCALAR = 0, PP_Y_SEQ, PP_Y_MAP };

typedef struct pp_ynode {
    enum pp_ykind kind;
    bool plain;    /* an unquoted scalar: its type (null, bool, number) comes from its text */
    bool str_tag;  /* !!str */
    int line, col; /* one-based */
    const char *file;
    char *s; /* scalar text (NUL-terminated; len excludes the NUL) */
    size_t len;
    struct pp_ynode **kids; /* sequence items; mapping: key, value, key, value, ... */
    size_t n;
    size_t size; /* nodes below and including this one, aliases expanded */
    bool done;   /* fully parsed (an alias to an unfinished node is recursive) */
} pp_ynode;

typedef struct pp_yfile {
    char *path;
    pp_ynode **docs;
    size_t n_docs;
    pp_ynode **all; /* every node, for freeing (aliases share nodes) */
    size_t n_all, cap_all;
} pp_yfile;

/* Parses a whole file; on error reports file:line:col and returns PP_EINVAL. */
int pp_yaml_load(const char *path, pp_yfile **out, pp_diags *d);
int pp_yaml_parse(const char *name, const char *data, size_t len, pp_yfile **out, pp_diags *d);
void pp_yfile_free(pp_yfile *f);

const pp_ynode *pp_ymap_get(const pp_ynode *m, const char *key);
bool pp_yis_null(const pp_ynode *n);
const char *pp_ydesc(const pp_ynode *n); /* "a mapping", "a list", "a string", ... */
void pp_ydiag(pp_diags *d, const pp_ynode *n, const char *fmt, ...) PP_PRINTF(3, 4);
/* Typed conversion (YAML 1.2 core schema for plain scalars); NULL after a diagnostic. */
json_t *pp_yaml_json(const pp_ynode *n, pp_diags *d);
/* Reports every key of mapping m not in the NULL-terminated list `known`. */
bool pp_ycheck_keys(const pp_ynode *m, const char *const *known, const char *what, pp_diags *d);
/* A scalar's text, else a diagnostic naming `what` and NULL. */
const char *pp_ystr(const pp_ynode *n, const char *what, pp_diags *d);

/* ---- networks ----------------------------------------------------------------------------- */
typedef struct pp_cidr {
    int family; /* 4 or 6 */
    uint8_t addr[16];
    int prefix;
} pp_cidr;

int pp_cidr_parse(const char *s, pp_cidr *out); /* "10.0.0.0/8", "::/0", a bare address */
bool pp_cidr_contains(const pp_cidr *outer, const pp_cidr *inner);
bool pp_cidr_overlaps(const pp_cidr *a, const pp_cidr *b);

typedef struct pp_prange {
    long lo, hi;
} pp_prange;

#define PP_PROTO_ALL (-1)
/* "-1", -1, "all" -> PP_PROTO_ALL; tcp/6, udp/17, icmp/1, icmpv6/58, other numbers as is. */
int pp_proto_parse(const json_t *v, int *out);

const char *pp_proto_name(int p, char buf[8]);
/* Does a permission (security group shape) or an entry (network ACL shape) cover one of the
 * ports of one of the protocols? 1 yes (what says which), 0 no, -1 malformed (err). No ports
 * means every port. */
int pp_ports_overlap(const json_t *e, bool nacl, const int *protos, size_t np,
                     const pp_prange *ports, size_t nports, char *what, size_t whatlen, char *err,
                     size_t errlen);
/* Does the ACL let traffic of a protocol to one of the ports in from a source range, the
 * lowest-numbered matching entry deciding? 1 yes (each deciding allow appended to ev as
 * {path: base + "Entries[i]", value, message} when ev), 0 no, -1 malformed (err). */
int pp_nacl_allows(const json_t *entries, bool egress, const pp_cidr *from, size_t n_from,
                   const int *protos, size_t np, const pp_prange *ports, size_t nports, json_t *ev,
                   const char *base, char *err, size_t errlen);

/* ---- compiled conditions ------------------------------------------------------------------- */
enum pp_seg_kind { PP_SEG_KEY = 0, PP_SEG_EACH, PP_SEG_INDEX };

typedef struct pp_pseg {
    enum pp_seg_kind kind;
    char *key; /* PP_SEG_KEY */
    size_t key_len;
    long index;
    bool promote; /* PP_SEG_EACH after an IAM single-or-list key: a lone value is a list of one */
} pp_pseg;

typedef struct pp_path {
    char *text; /* as written */
    bool root;  /* "$." : from the resource document, not the current element */
    bool top;   /* "$$." : from the finding's own resource, even inside a join */
    pp_pseg *segs;
    size_t n;
    bool multi; /* has [] */
} pp_path;

typedef struct pp_keyexpr {
    pp_path path;
    pcre2_code *capture; /* key = first capture group of this regex over the value, or NULL */
} pp_keyexpr;

enum pp_op {
    PP_OP_EQ = 0,
    PP_OP_NE,
    PP_OP_LT,
    PP_OP_LE,
    PP_OP_GT,
    PP_OP_GE,
    PP_OP_IN,
    PP_OP_NOT_IN,
    PP_OP_CONTAINS,
    PP_OP_REGEX,
    PP_OP_GLOB,
    PP_OP_PRESENT,
    PP_OP_ABSENT,
    PP_OP_EMPTY,
    PP_OP_CIDR_CONTAINS,
    PP_OP_CIDR_WITHIN,
    PP_OP_CIDR_OVERLAPS,
    PP_OP_OPEN_TO_WORLD,
    PP_OP_COUNT_
};

extern const char *const pp_op_names[PP_OP_COUNT_];

enum pp_ckind {
    PP_C_ALL = 0,
    PP_C_ANY,
    PP_C_NONE,
    PP_C_NOT,
    PP_C_QUANT,
    PP_C_CMP,
    PP_C_PORTS,
    PP_C_NACL,
    PP_C_POLICY_ALLOWS,
    PP_C_POLICY_ADMIN,
};

enum pp_quant { PP_Q_ANY = 0, PP_Q_ALL, PP_Q_NONE, PP_Q_COUNT };
enum pp_subj { PP_SUBJ_VALUE = 0, PP_SUBJ_AGE_DAYS, PP_SUBJ_LENGTH };
enum pp_jscope { PP_JS_REGION = 0, PP_JS_ACCOUNT, PP_JS_ANY };

typedef struct pp_join {
    const pp_type *type;
    pp_keyexpr *on; /* paths in the joined resource */
    size_t n_on;
    bool on_any;    /* on: alternatives (any one equal), else a composite key */
    pp_keyexpr *eq; /* paths in the current context, one per composite part */
    size_t n_eq;
    enum pp_jscope scope;
    size_t index; /* which index of the ruleset */
} pp_join;

typedef struct pp_cond pp_cond;
struct pp_cond {
    enum pp_ckind kind;
    const char *file;
    int line, col;
    /* all / any / none / not */
    pp_cond **kids;
    size_t n;
    /* subject: path (absent = the current element), transform, default when missing */
    bool has_path;
    pp_path path;
    enum pp_subj subj;
    json_t *dflt;
    /* comparison */
    enum pp_op op;
    json_t *value;
    bool has_value_path;
    pp_path value_path;
    bool icase;
    bool nospace; /* ignore_space: whitespace does not count in string comparisons */
    pcre2_code *re;
    pp_cidr *cidrs;
    size_t n_cidrs;
    /* quantifier over path items or joined resources */
    enum pp_quant q;
    pp_cond *match; /* NULL: every item matches */
    enum pp_op count_op;
    long count;
    pp_join *join;
    /* ports_overlap / nacl_allows */
    bool nacl_shape;
    int protos[8];
    size_t n_protos;
    pp_prange *ports;
    size_t n_ports;
    bool egress;
    pp_cidr *from;
    size_t n_from;
    /* policy_allows */
    char **actions;
    char **resources;
};

struct pp_ruleset;

typedef struct pp_cctx {
    pp_diags *d;
    const json_t *params; /* resolved parameters of the rule (object) */
    const json_t *item;   /* for_each item or NULL */
    bool has_item;
    const pp_type *type;   /* type of the current context's resource */
    char *prefix;          /* declared-path prefix of the current element ("" at the root) */
    struct pp_ruleset *rs; /* join indexes are registered here */
    const pp_type *rule_type;
    int depth;
} pp_cctx;

pp_cond *pp_cond_compile(const pp_ynode *n, pp_cctx *c);
void pp_cond_free(pp_cond *c);
/* A value with {param: x}, "{{ params.x }}", {item: k}, "{{ item.k }}" resolved; NULL after a
 * diagnostic. */
json_t *pp_value_resolve(const pp_ynode *n, pp_cctx *c);
int pp_path_parse(const char *text, pp_path *out, char *err, size_t errlen);
void pp_path_clear(pp_path *p);

/* ---- rules and packs ------------------------------------------------------------------------ */
typedef struct pp_pack {
    char *name;
    char *version;
    char *dir;
    json_t *params;     /* pack-wide parameters after the overlay */
    json_t *env_params; /* the overlay's params (or NULL) */
    json_t *env_rules;  /* the overlay's per-rule params {id: {...}} (or NULL) */
} pp_pack;

typedef struct pp_rule {
    pp_rule_meta *meta;
    const pp_type *type;
    enum pp_rule_kind kind;
    bool per_region; /* existence per account and region */
    char *reason;    /* PP_RULE_ERROR */
    size_t n_items;  /* 1, or the for_each items */
    pp_cond **wheres;
    pp_cond **asserts;
    char **labels; /* for_each labels, or NULL */
    json_t *items; /* for_each items, or NULL */
    json_t *params;
    pp_pack *pack;
    const char *file;
    int line, col;
    const pp_ynode *node;
} pp_rule;

typedef struct pp_jspec {
    char *sig;
    const pp_type *type;
    const pp_keyexpr *on;
    size_t n_on;
    bool on_any;
    enum pp_jscope scope;
} pp_jspec;

struct pp_test_file;

struct pp_ruleset {
    pp_pack **packs;
    size_t n_packs;
    pp_rule **rules;
    size_t n_rules;
    pp_jspec **jspecs;
    size_t n_jspecs;
    json_t *packs_json;
    pp_suppressions *sup;
    char *env;
    pp_yfile **files;
    size_t n_files;
    struct pp_test_file **tests;
    size_t n_tests;
    const char *const *actions; /* during a load: known remediation actions, or NULL */
};

/* Registers (or finds) the index a join needs; returns its number. */
size_t pp_ruleset_add_jspec(struct pp_ruleset *rs, pp_join *j);

/* Compiles one rule from its YAML mapping; params are the overlay-resolved ones. */
pp_rule *pp_rule_compile(struct pp_ruleset *rs, pp_pack *pack, const pp_ynode *n,
                         const json_t *param_overrides, pp_diags *d);
void pp_rule_free(pp_rule *r);

/* Evaluates the rules `which` (all when NULL) into a new results. */
int pp_rules_eval_some(const pp_ruleset *rs, const pp_rule *const *which, size_t n_which,
                       const pp_inventory *inv, time_t now, pp_results **out);

/* Loads the packs (and, with tests, their test files) without compiling failures away. */
int pp_rules_load_internal(pp_ruleset **out, const pp_rules_options *o, bool tests, pp_buf *diags);

/* ---- IAM ------------------------------------------------------------------------------------ */
/* A policy document (object, or a JSON string) allows one of the actions on one of the
 * resources: an Allow statement covers it and no unconditional Deny overlaps it. 1 yes (allowing
 * statements appended to ev), 0 no, -1 malformed (err). */
int pp_iam_allows(const json_t *doc, char *const *actions, char *const *resources, json_t *ev,
                  const char *base, char *err, size_t errlen);
/* An Allow statement grants every action on every resource. */
int pp_iam_full_admin(const json_t *doc, json_t *ev, const char *base, char *err, size_t errlen);
/* Glob with * and ?: does pattern p cover every string matched by query q (itself a glob)? */
bool pp_iam_glob_covers(const char *p, const char *q, bool icase);
/* Can p and q match a common string? */
bool pp_iam_glob_overlaps(const char *p, const char *q, bool icase);

/* ---- tests ---------------------------------------------------------------------------------- */
int pp_rules_tests_load(struct pp_ruleset *rs, const char *path, pp_diags *d);
void pp_rules_tests_free(struct pp_ruleset *rs);
/* Each automated rule has at least one PASS and one FAIL case. */
void pp_rules_tests_check_coverage(struct pp_ruleset *rs, pp_diags *d);
int pp_rules_tests_run(struct pp_ruleset *rs, time_t now, int *passed, int *failed, pp_buf *log);

#endif
