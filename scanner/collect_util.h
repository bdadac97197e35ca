/* Helpers shared by the collectors in scanner/services/. */
#ifndef PP_COLLECT_UTIL_H
#define PP_COLLECT_UTIL_H

#include "pp_scanner.h"

/* "arn:<partition>:<service>:<region>:<account>:<resource>" for the collector's account. */
char *pp_collect_arn(pp_collect_ctx *ctx, const char *service, const char *region,
                     const char *resource);
/* The string value of key in obj, or NULL. */
const char *pp_json_str(const json_t *obj, const char *key);
/* Copies every key of src into dst except ResponseMetadata-like envelope keys. */
void pp_json_merge(json_t *dst, const json_t *src);

/* Decodes RFC 4648 base64 (whitespace ignored). Caller frees; *len receives the length. */
int pp_base64_decode(const char *in, unsigned char **out, size_t *len);

/* Parses an RFC 4180 CSV document with a header row into an array of objects keyed by the header
 * names (values kept as strings). Bounded: at most max_rows rows and 256 columns. */
int pp_csv_parse(const char *text, size_t len, size_t max_rows, json_t **out);

/* Collector tables, one per file in scanner/services/. */
extern const pp_collector pp_collector_account;
extern const pp_collector pp_collector_iam;
extern const pp_collector pp_collector_ec2;
extern const pp_collector pp_collector_kms;
extern const pp_collector pp_collector_cloudtrail;
extern const pp_collector pp_collector_config;
extern const pp_collector pp_collector_guardduty;
extern const pp_collector pp_collector_logs;
extern const pp_collector pp_collector_cloudwatch;
extern const pp_collector pp_collector_sns;
extern const pp_collector pp_collector_s3;

#endif
