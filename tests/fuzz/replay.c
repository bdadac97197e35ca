/* Replays a corpus without libFuzzer: every file named on the command line, or found (sorted) in
 * a directory named there, is fed once to LLVMFuzzerTestOneInput. A crash, a sanitizer report or
 * a leak fails the meson test; the output says which file was running. */
#include "fuzz.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <sys/stat.h>

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int run_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
        return -1;
    }
    pp_buf b;
    pp_buf_init(&b, (size_t)64 * 1024 * 1024);
    char chunk[65536];
    size_t n;
    int rc = 0;
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
        if (pp_buf_append(&b, chunk, n)) {
            fprintf(stderr, "replay: %s: larger than 64 MiB\n", path);
            rc = -1;
            break;
        }
    fclose(f);
    if (rc == 0) {
        /* An exact-size copy, so ASan sees a read one past the input as an overflow. */
        uint8_t *data = pp_xmalloc(b.len ? b.len : 1);
        if (b.len)
            memcpy(data, b.data, b.len);
        fprintf(stderr, "replay: %s (%zu bytes)\n", path, b.len);
        LLVMFuzzerTestOneInput(data, b.len);
        free(data);
    }
    pp_buf_free(&b);
    return rc;
}

static int run_dir(const char *dir, size_t *count)
{
    DIR *d = opendir(dir);
    if (!d) {
        fprintf(stderr, "replay: %s: %s\n", dir, strerror(errno));
        return -1;
    }
    char **names = NULL;
    size_t n = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        names = pp_xrealloc(names, (n + 1) * sizeof(*names));
        names[n++] = pp_xasprintf("%s/%s", dir, e->d_name);
    }
    closedir(d);
    qsort(names, n, sizeof(*names), cmp_names);
    int rc = 0;
    for (size_t i = 0; i < n; i++) {
        struct stat st;
        if (rc == 0 && stat(names[i], &st) == 0 && S_ISREG(st.st_mode)) {
            rc = run_file(names[i]);
            (*count)++;
        }
        free(names[i]);
    }
    free(names);
    return rc;
}

int main(int argc, char **argv)
{
    size_t count = 0;
    if (argc < 2) {
        fprintf(stderr, "usage: %s CORPUS_DIR|FILE ...\n", argv[0]);
        return 2;
    }
    for (int i = 1; i < argc; i++) {
        struct stat st;
        if (stat(argv[i], &st) != 0) {
            fprintf(stderr, "replay: %s: %s\n", argv[i], strerror(errno));
            return 1;
        }
        int rc = S_ISDIR(st.st_mode) ? run_dir(argv[i], &count) : run_file(argv[i]);
        if (!S_ISDIR(st.st_mode))
            count++;
        if (rc)
            return 1;
    }
    if (count == 0) {
        fprintf(stderr, "replay: no inputs: an empty corpus proves nothing\n");
        return 1;
    }
    printf("replayed %zu inputs\n", count);
    return 0;
}
