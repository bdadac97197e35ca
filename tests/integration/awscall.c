/* Test-only driver for the aws/ library: one call, its decoded output on stdout.
 *
 *   awscall SERVICE OPERATION ['JSON input'] [--paginate] [--region R] [--stats]
 *           [--client-token KEY] [--repeat N]
 *
 * Credentials, region and endpoint come from the environment as for parapet itself. Exit 0 with
 * the JSON document (pages concatenated with --paginate) on success; exit 3 with
 * "Code: message" on stderr when the call fails; exit 2 on bad usage. --stats prints the
 * engine's counters and the response's pages and attempts to stderr as one JSON line. */
#include "pp_aws.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void sink(enum pp_log_level level, const char *component, const char *msg, void *ud)
{
    (void)ud;
    fprintf(stderr, "[%d] %s: %s\n", (int)level, component, msg);
}

int main(int argc, char **argv)
{
    const char *service = NULL, *operation = NULL, *input_text = NULL, *region = NULL;
    const char *token_key = NULL;
    bool paginate = false, stats = false;
    long repeat = 1;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--paginate") == 0) {
            paginate = true;
        } else if (strcmp(argv[i], "--stats") == 0) {
            stats = true;
        } else if (strcmp(argv[i], "--region") == 0 && i + 1 < argc) {
            region = argv[++i];
        } else if (strcmp(argv[i], "--client-token") == 0 && i + 1 < argc) {
            token_key = argv[++i];
        } else if (strcmp(argv[i], "--repeat") == 0 && i + 1 < argc) {
            if (pp_parse_long(argv[++i], 1, 1000, &repeat))
                return 2;
        } else if (!service) {
            service = argv[i];
        } else if (!operation) {
            operation = argv[i];
        } else if (!input_text) {
            input_text = argv[i];
        } else {
            fprintf(stderr, "awscall: unexpected argument '%s'\n", argv[i]);
            return 2;
        }
    }
    if (!service || !operation) {
        fprintf(stderr, "usage: awscall SERVICE OPERATION ['JSON'] [--paginate] [--region R]\n");
        return 2;
    }
    const char *level = getenv("AWSCALL_LOG");
    if (level && *level)
        pp_log_set_sink(sink, NULL, strcmp(level, "debug") == 0 ? PP_LOG_DEBUG : PP_LOG_INFO);

    int exit_code = 0;
    json_t *input = NULL;
    pp_aws_engine *engine = NULL;
    pp_aws_client *client = NULL;
    pp_aws_resp resp = {0};
    if (input_text) {
        json_error_t err;
        input = json_loads(input_text, 0, &err);
        if (!input) {
            fprintf(stderr, "awscall: input: %s\n", err.text);
            return 2;
        }
    }
    if (pp_aws_engine_new(&engine, NULL) || pp_aws_client_new(&client, engine, NULL)) {
        fprintf(stderr, "awscall: %s\n", pp_err_msg());
        exit_code = 2;
        goto _exit;
    }
    for (long n = 0; n < repeat; n++) {
        pp_aws_req req = {.service = service,
                          .operation = operation,
                          .region = region,
                          .input = input,
                          .paginate = paginate,
                          .client_token_key = token_key};
        pp_aws_resp_clear(&resp);
        if (pp_aws_call(client, &req, &resp) != 0) {
            char *line = pp_aws_resp_error(&resp);
            fprintf(stderr, "%s\n", line);
            free(line);
            exit_code = 3;
            break;
        }
    }
    if (exit_code == 0) {
        char *out = json_dumps(resp.data, JSON_INDENT(2));
        printf("%s\n", out);
        free(out);
    }
    if (stats) {
        pp_aws_stats s;
        pp_aws_engine_stats(engine, &s);
        fprintf(stderr,
                "{\"requests\": %ld, \"retries\": %ld, \"throttles\": %ld, \"errors\": %ld, "
                "\"pages\": %d, \"attempts\": %d, \"http_status\": %ld, \"request_id\": \"%s\"}\n",
                s.requests, s.retries, s.throttles, s.errors, resp.pages, resp.attempts,
                resp.http_status, resp.request_id ? resp.request_id : "");
    }

_exit:
    pp_aws_resp_clear(&resp);
    pp_aws_client_free(client);
    pp_aws_engine_free(engine);
    json_decref(input);
    return exit_code;
}
