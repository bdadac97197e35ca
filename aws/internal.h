/* Declarations shared between the files of aws/ and nowhere else. Two halves meet here:
 *  - identity and place (client.c, creds*.c, ini.c, endpoints.c, services.c, sigv4.c): who signs
 *    and where requests go;
 *  - transport and wire (engine.c, call.c, retry.c, proto_*.c, shapes*.c, operations.c): how a
 *    request is encoded, sent, retried and decoded.
 * The engine uses a client only through the functions below and the public ones in pp_aws.h. */
#ifndef PP_AWS_INTERNAL_H
#define PP_AWS_INTERNAL_H

#include <pthread.h>

#include "pp_aws.h"

typedef struct pp_cred_provider pp_cred_provider; /* creds.c */

struct pp_aws_client {
    pp_aws_engine *engine;
    pp_cred_provider *creds;
    pp_aws_ini *config;      /* ~/.aws/config, or NULL */
    pp_aws_ini *credentials; /* ~/.aws/credentials, or NULL */
    char *profile;           /* resolved profile name */
    char *region;            /* default region */
    char *endpoint_url;      /* --endpoint-url, or NULL */
    char *ca_bundle;         /* AWS_CA_BUNDLE / profile ca_bundle, or NULL */
    bool allow_insecure_endpoint;
    int max_attempts;
    pthread_mutex_t lock; /* guards quota and credential refresh */
    pp_retry_quota quota;
    pp_aws_client *base; /* the client whose credentials assumed this one's role, or NULL */
};

/* Signs and sends one already-encoded request attempt loop; implemented by the engine. Used by
 * creds.c for STS AssumeRole through a client. */

/* Credential providers (creds.c). */
void pp_cred_provider_free(pp_cred_provider *p);
/* Current credentials; refreshes when they expire within `margin` seconds. */
int pp_cred_provider_get(pp_cred_provider *p, pp_aws_client *c, int margin, pp_creds *out);
const char *pp_cred_provider_source(pp_cred_provider *p);

/* The partition's home region for global services ("us-east-1" for aws). */
const char *pp_aws_partition_home(const char *region);

#endif
