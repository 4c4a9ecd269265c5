/* cmd_submit: `darktune submit SWEEP.ini --workers N [--output DIR] [sbatch options]`.
 *
 * Writes a Slurm job array into the study's output folder (slurm/worker.sbatch: one
 * task per worker, each `darktune worker SWEEP.ini`, one GPU each when the sweep names
 * its GPUs), submits it with Debian's sbatch and prints the job id. Slurm does the
 * rest: placing the tasks, starting them, ending them; darktune reimplements none of
 * it. Every option it does not know goes to sbatch as it is (--partition=gpu,
 * --time=8:00:00, --gres=gpu:a100:1, ...). The workers share the study through its
 * storage: PostgreSQL across machines, or a SQLite file on a shared disk that
 * supports its locking. `darktune status` then shows which worker runs what. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cmd.h"
#include "dt_db.h"

/* A word for a shell script, single-quoted. */
static void dt_submit__quote(FILE *f, const char *s)
{
    fputc('\'', f);
    for (; *s; s++) {
        if (*s == '\'') fputs("'\\''", f);
        else fputc(*s, f);
    }
    fputc('\'', f);
}

int cmd_submit(int argc, char **argv)
{
    const char *usage = "darktune submit SWEEP.ini --workers N [--output DIR] [sbatch options]";
    char *path = NULL, *workers = NULL, *output = NULL;
    char **pass = dt_xcalloc((size_t)argc + 1, sizeof *pass);
    int npass = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = NULL;
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            printf("usage: %s\n    --workers N          start N workers (a job array of N tasks)\n"
                   "    --output DIR         the study's output folder (as given to darktune run)\n"
                   "    other options        go to sbatch as they are\n", usage);
            free(pass);
            return DT_EXIT_OK;
        }
        int is_w = strncmp(a, "--workers", 9) == 0 && (!a[9] || a[9] == '='), is_o = strncmp(a, "--output", 8) == 0 &&
                                                                                   (!a[8] || a[8] == '=');
        if (is_w || is_o) {
            v = strchr(a, '=') ? strchr(a, '=') + 1 : i + 1 < argc ? argv[++i] : NULL;
            if (!v) {
                fprintf(stderr, "darktune: option '%s' needs a value\n", a);
                free(pass);
                return DT_EXIT_USAGE;
            }
            if (is_w) workers = (char *)v;
            else output = (char *)v;
        } else if (a[0] == '-') {
            pass[npass++] = argv[i];
        } else if (!path) {
            path = argv[i];
        } else {
            pass[npass++] = argv[i];   /* an option's value, for sbatch */
        }
    }
    long n = 0;
    if (!path || !workers || dt_parse_long(workers, &n) != 0 || n < 1 || n > 10000) {
        fprintf(stderr, "darktune: %s\n", !path ? "which sweep?" : "--workers wants a whole number from 1 to 10000");
        fprintf(stderr, "usage: %s\n", usage);
        free(pass);
        return DT_EXIT_USAGE;
    }
    dt_sweep sw;
    dt_cmd_sweep(&sw, path, NULL, output);

    char exe[4096];
    ssize_t len = readlink("/proc/self/exe", exe, sizeof exe - 1);
    exe[len > 0 ? len : 0] = '\0';
    char *sweep = dt_abspath(path), *dir = dt_path_join(sw.output, "slurm");
    char *script = dt_path_join(dir, "worker.sbatch");
    dt_err err;
    FILE *f = NULL;
    int rc = DT_EXIT_RUNTIME;
    if (dt_mkdirs(dir, &err) != 0) {
        fprintf(stderr, "darktune: %s\n", err.msg);
        goto out;
    }
    if (!dt_db_is_postgres(sw.storage))
        fprintf(stderr, "note: the workers share %s: on several machines it must be on a disk they all see, "
                "with working file locks; PostgreSQL (storage = postgresql://...) is the safe choice\n", sw.storage);
    f = fopen(script, "w");
    if (!f) {
        fprintf(stderr, "darktune: cannot write '%s': %s\n", script, strerror(errno));
        goto out;
    }
    fprintf(f, "#!/bin/sh\n# darktune submit: %ld workers of study '%s', one per task of this array.\n", n, sw.name);
    fprintf(f, "#SBATCH --job-name=darktune-%s\n#SBATCH --array=0-%ld\n#SBATCH --ntasks=1\n", sw.name, n - 1);
    fprintf(f, "#SBATCH --output=%s/worker-%%A_%%a.log\n", dir);
    /* Trials per worker: its slots (cpu_slots, or its GPU). */
    if (sw.ngpus > 0) fprintf(f, "#SBATCH --gres=gpu:1\n");
    else if (sw.cpu_slots > 0) fprintf(f, "#SBATCH --cpus-per-task=%d\n", sw.cpu_slots);
    fputs("exec ", f);
    dt_submit__quote(f, exe);
    fputs(" worker ", f);
    dt_submit__quote(f, sweep);
    if (output) {
        fputs(" --output ", f);
        dt_submit__quote(f, sw.output);
    }
    fputc('\n', f);
    if (fclose(f) != 0) {
        f = NULL;
        fprintf(stderr, "darktune: cannot write '%s': %s\n", script, strerror(errno));
        goto out;
    }
    f = NULL;

    /* sbatch --parsable SBATCH-OPTIONS SCRIPT: prints "jobid[;cluster]". */
    char **av = dt_xcalloc((size_t)npass + 4, sizeof *av);
    int k = 0;
    av[k++] = "sbatch";
    av[k++] = "--parsable";
    for (int i = 0; i < npass; i++) av[k++] = pass[i];
    av[k++] = script;
    int fd[2];
    if (pipe(fd) != 0) {
        free(av);
        goto out;
    }
    pid_t pid = fork();
    if (pid == 0) {
        dup2(fd[1], STDOUT_FILENO);
        close(fd[0]);
        close(fd[1]);
        execvp("sbatch", av);
        fprintf(stderr, "darktune: cannot run sbatch: %s (Debian's slurm-wlm provides it)\n", strerror(errno));
        _exit(127);
    }
    free(av);
    close(fd[1]);
    char out[256] = "";
    ssize_t got = read(fd[0], out, sizeof out - 1);
    out[got > 0 ? got : 0] = '\0';
    close(fd[0]);
    int status = 0;
    waitpid(pid, &status, 0);
    out[strcspn(out, ";\n")] = '\0';
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 || !out[0]) {
        fprintf(stderr, "darktune: sbatch did not submit %s\n", script);
        goto out;
    }
    printf("submitted job %s: %ld workers of study '%s' (%s; logs in %s)\n", out, n, sw.name, script, dir);
    printf("watch it with: squeue -j %s; darktune status %s%s%s\n", out, path, output ? " --output " : "",
           output ? output : "");
    rc = DT_EXIT_OK;
out:
    if (f) fclose(f);
    free(sweep);
    free(dir);
    free(script);
    free(pass);
    dt_sweep_free(&sw);
    return rc;
}
