/*
 * replay_main.c - runs a libFuzzer target over files, without libFuzzer.
 *
 * Linked with a fuzz_<name>.c into replay_<name>, so GCC builds (and CTest)
 * replay the committed corpus: every argument is a file or a directory whose
 * regular files (not recursing, names starting with '.' skipped, in sorted
 * order) are each read into an exactly-sized heap buffer and handed to
 * LLVMFuzzerTestOneInput(). A crash or abort in the target fails the run;
 * an unreadable argument or no input at all is an error too (exit 1).
 * LLVMFuzzerInitialize() is called first when the target defines it.
 */
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
extern int LLVMFuzzerInitialize(int *argc, char ***argv) __attribute__((weak));

#define REPLAY_MAX_INPUT (64ul * 1024ul * 1024ul)

/* Reads and runs one file. Returns 0, or -1 after printing why. */
static int replay_file(const char *path)
{
    FILE *fp = fopen(path, "rb");
    uint8_t *data = NULL;
    long size;
    int rc = -1;

    if (fp == NULL) {
        (void)fprintf(stderr, "replay: cannot open '%s': %s\n", path, strerror(errno));
        return -1;
    }
    if (fseek(fp, 0, SEEK_END) != 0 || (size = ftell(fp)) < 0 || fseek(fp, 0, SEEK_SET) != 0) {
        (void)fprintf(stderr, "replay: cannot size '%s': %s\n", path, strerror(errno));
        goto out;
    }
    if ((unsigned long)size > REPLAY_MAX_INPUT) {
        (void)fprintf(stderr, "replay: '%s' is larger than %lu bytes\n", path, REPLAY_MAX_INPUT);
        goto out;
    }
    /* Exactly `size` bytes (1 for an empty file) so ASan sees any over-read. */
    data = malloc(size > 0 ? (size_t)size : 1);
    if (data == NULL) {
        (void)fprintf(stderr, "replay: out of memory for '%s'\n", path);
        goto out;
    }
    if (size > 0 && fread(data, 1, (size_t)size, fp) != (size_t)size) {
        (void)fprintf(stderr, "replay: cannot read '%s'\n", path);
        goto out;
    }
    LLVMFuzzerTestOneInput(data, (size_t)size);
    rc = 0;
out:
    free(data);
    (void)fclose(fp);
    return rc;
}

static int skip_dot(const struct dirent *d)
{
    return d->d_name[0] != '.';
}

/* Runs every regular file of `dir`. Returns the count, or -1 on error. */
static long replay_dir(const char *dir)
{
    struct dirent **names = NULL;
    long count = 0;
    int n = scandir(dir, &names, skip_dot, alphasort);

    if (n < 0) {
        (void)fprintf(stderr, "replay: cannot read directory '%s': %s\n", dir, strerror(errno));
        return -1;
    }
    for (int i = 0; i < n; i++) {
        char path[4096];
        struct stat st;
        int len = snprintf(path, sizeof(path), "%s/%s", dir, names[i]->d_name);

        if (count >= 0 && len > 0 && (size_t)len < sizeof(path) && stat(path, &st) == 0 &&
            S_ISREG(st.st_mode)) {
            if (replay_file(path) == 0)
                count++;
            else
                count = -1;
        }
        free(names[i]);
    }
    free(names);
    return count;
}

int main(int argc, char **argv)
{
    long total = 0;

    if (argc < 2) {
        (void)fprintf(stderr, "usage: %s file-or-directory...\n", argv[0]);
        return 2;
    }
    if (LLVMFuzzerInitialize != NULL)
        LLVMFuzzerInitialize(&argc, &argv);
    for (int i = 1; i < argc; i++) {
        struct stat st;
        long n;

        if (stat(argv[i], &st) != 0) {
            (void)fprintf(stderr, "replay: cannot stat '%s': %s\n", argv[i], strerror(errno));
            return 1;
        }
        if (S_ISDIR(st.st_mode)) {
            n = replay_dir(argv[i]);
        } else {
            n = replay_file(argv[i]) == 0 ? 1 : -1;
        }
        if (n < 0)
            return 1;
        total += n;
    }
    (void)printf("replayed %ld inputs\n", total);
    if (total == 0) {
        (void)fprintf(stderr, "replay: no inputs found\n");
        return 1;
    }
    return 0;
}
