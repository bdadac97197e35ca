/* Declarations shared by the identity half of aws/ (client.c, creds*.c, endpoints.c, ini.c) and
 * its unit tests; the engine never needs them. */
#ifndef PP_AWS_IDENTITY_H
#define PP_AWS_IDENTITY_H

#include "internal.h"

/* ---- profiles ---------------------------------------------------------------------------- */

/* The client whose config files and endpoint settings c uses: c itself, or for a client made by
 * pp_aws_client_assume() (or an internal AssumeRole client) the base it derives from. */
const pp_aws_client *pp_aws_client_root(const pp_aws_client *c);

/* A client without credentials that shares base's settings and, through ->base, its config files
 * and endpoint configuration (base must outlive it). The caller sets ->creds. Used by
 * pp_aws_client_assume() and for the internal STS clients of role profiles. */
pp_aws_client *pp_aws_client_derive(pp_aws_client *base);

/* The config-file section of a profile: "default" or "profile <name>". Caller frees. */
char *pp_aws_profile_section(const char *profile);
/* A profile setting: the credentials file's [name] first, then the config file's section, as
 * botocore merges them. NULL when unset. */
const char *pp_aws_profile_get(const pp_aws_ini *config, const pp_aws_ini *credentials,
                               const char *profile, const char *key);
bool pp_aws_profile_exists(const pp_aws_ini *config, const pp_aws_ini *credentials,
                           const char *profile);

/* AWS_CONFIG_FILE / ~/.aws/config and AWS_SHARED_CREDENTIALS_FILE / ~/.aws/credentials, with a
 * leading "~/" expanded. Caller frees; NULL when HOME is unknown and no variable is set. */
char *pp_aws_config_path(void);
char *pp_aws_credentials_path(void);
/* The path as users know it: $HOME/ shown as "~/". Caller frees. */
char *pp_aws_display_path(const char *path);

/* true for "1", "true", "yes" (any case), as botocore's ensure_boolean. */
bool pp_aws_env_true(const char *v);

/* ---- endpoints --------------------------------------------------------------------------- */

/* Checks an endpoint URL: http or https, a host, no whitespace or control characters, and plain
 * http only to loopback unless allow_insecure. `what` names the setting in the error message. */
int pp_aws_url_check(const char *url, bool allow_insecure, const char *what);
/* true for localhost, 127.0.0.0/8 and ::1 (with or without brackets). */
bool pp_aws_host_is_loopback(const char *host, size_t len);

/* ---- credentials ----------------------------------------------------------------------- */

/* Builds c's credential provider from the default chain (aws-protocols.md section 5), without
 * any network access: providers fetch on first use. explicit_profile is true when the profile
 * came from options.profile, which makes the chain ignore environment keys. */
int pp_cred_provider_resolve(pp_aws_client *c, bool explicit_profile, pp_cred_provider **out);
/* A provider that assumes role_arn by calling STS through `via` (owned when owns_via). */
pp_cred_provider *pp_cred_provider_assume(pp_aws_client *via, bool owns_via, const char *role_arn,
                                          const char *external_id, const char *session_name,
                                          int duration_seconds, const char *source);

/* credential_process: runs `command` (split like a shell would, but without one), reading at most
 * max_out bytes of JSON from its stdout within timeout_ms. */
int pp_creds_process_run(const char *command, long timeout_ms, size_t max_out, pp_creds *out);
/* Splits a command line into argv (quotes and backslashes as in sh, no expansions). */
int pp_creds_shell_split(const char *command, char ***argv_out);

/* The container endpoint (AWS_CONTAINER_CREDENTIALS_RELATIVE_URI / _FULL_URI) and IMDSv2
 * (AWS_EC2_METADATA_SERVICE_ENDPOINT overrides the address). */
bool pp_creds_container_configured(void);
int pp_creds_container_fetch(pp_creds *out);
bool pp_creds_imds_disabled(void);
int pp_creds_imds_fetch(pp_creds *out);

/* Reads {"AccessKeyId", "SecretAccessKey", "SessionToken" or token_key, "Expiration"} into out,
 * registering the secrets for redaction. `what` prefixes error messages. */
int pp_creds_from_json(json_t *doc, const char *token_key, const char *what, pp_creds *out);

#endif
