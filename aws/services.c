/* The AWS services parapet talks to, listed once: protocol, API version, signing name, endpoint
 * host prefix and the names AWS_ENDPOINT_URL_<SERVICE> and [services x] sections use for them.
 * Values follow botocore's service models (metadata) and ../shared/aws-protocols.md section 0. */
#include "pp_aws.h"

#include <string.h>

static const pp_service services[] = {
    {.name = "iam",
     .signing_name = "iam",
     .host_prefix = "iam",
     .env_name = "IAM",
     .config_name = "iam",
     .api_version = "2010-05-08",
     .proto = PP_PROTO_QUERY,
     .global = true},
    {.name = "sts",
     .signing_name = "sts",
     .host_prefix = "sts",
     .env_name = "STS",
     .config_name = "sts",
     .api_version = "2011-06-15",
     .proto = PP_PROTO_QUERY},
    {.name = "ec2",
     .signing_name = "ec2",
     .host_prefix = "ec2",
     .env_name = "EC2",
     .config_name = "ec2",
     .api_version = "2016-11-15",
     .proto = PP_PROTO_EC2},
    {.name = "kms",
     .signing_name = "kms",
     .host_prefix = "kms",
     .env_name = "KMS",
     .config_name = "kms",
     .api_version = "2014-11-01",
     .target_prefix = "TrentService",
     .json_version = "1.1",
     .proto = PP_PROTO_JSON},
    {.name = "cloudtrail",
     .signing_name = "cloudtrail",
     .host_prefix = "cloudtrail",
     .env_name = "CLOUDTRAIL",
     .config_name = "cloudtrail",
     .api_version = "2013-11-01",
     .target_prefix = "com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101",
     .json_version = "1.1",
     .proto = PP_PROTO_JSON},
    /* The service id is "Config Service", hence the env and config names. */
    {.name = "config",
     .signing_name = "config",
     .host_prefix = "config",
     .env_name = "CONFIG_SERVICE",
     .config_name = "config_service",
     .api_version = "2014-11-12",
     .target_prefix = "StarlingDoveService",
     .json_version = "1.1",
     .proto = PP_PROTO_JSON},
    {.name = "guardduty",
     .signing_name = "guardduty",
     .host_prefix = "guardduty",
     .env_name = "GUARDDUTY",
     .config_name = "guardduty",
     .api_version = "2017-11-28",
     .json_version = "1.1",
     .proto = PP_PROTO_RESTJSON},
    /* Service id "CloudWatch Logs". */
    {.name = "logs",
     .signing_name = "logs",
     .host_prefix = "logs",
     .env_name = "CLOUDWATCH_LOGS",
     .config_name = "cloudwatch_logs",
     .api_version = "2014-03-28",
     .target_prefix = "Logs_20140328",
     .json_version = "1.1",
     .proto = PP_PROTO_JSON},
    /* CloudWatch signs and is hosted as "monitoring". */
    {.name = "cloudwatch",
     .signing_name = "monitoring",
     .host_prefix = "monitoring",
     .env_name = "CLOUDWATCH",
     .config_name = "cloudwatch",
     .api_version = "2010-08-01",
     .proto = PP_PROTO_QUERY},
    {.name = "sns",
     .signing_name = "sns",
     .host_prefix = "sns",
     .env_name = "SNS",
     .config_name = "sns",
     .api_version = "2010-03-31",
     .proto = PP_PROTO_QUERY},
    {.name = "s3",
     .signing_name = "s3",
     .host_prefix = "s3",
     .env_name = "S3",
     .config_name = "s3",
     .api_version = "2006-03-01",
     .proto = PP_PROTO_RESTXML},
};
#define N_SERVICES (sizeof(services) / sizeof(services[0]))

const pp_service *pp_service_find(const char *name)
{
    if (!name)
        return NULL;
    for (size_t i = 0; i < N_SERVICES; i++) {
        if (strcmp(services[i].name, name) == 0)
            return &services[i];
    }
    return NULL;
}

const pp_service *pp_service_at(size_t i)
{
    return i < N_SERVICES ? &services[i] : NULL;
}
