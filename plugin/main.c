/* darktune: a hyperparameter tuner for Darknet. `darktune help` lists the commands. */
#include <stdio.h>
#include <string.h>

#include "cmd.h"
#include "dt_train.h"

#define DT_VERSION "0.1.0"

static const struct {
    const char *name;
    int (*fn)(int argc, char **argv);
    const char *help;
} dt_commands[] = {
    {"run", cmd_run, "run a study to its budget (again: resume it); writes the outputs"},
    {"worker", cmd_worker, "join a study from any machine and run its trials (no outputs)"},
    {"submit", cmd_submit, "start N workers of a study with Slurm (a job array; sbatch options pass)"},
    {"status", cmd_status, "print a study's trials"},
    {"best", cmd_best, "print the best trial and the red flags; write the outputs as the store has them"},
    {"report", cmd_report, "write report.html (and the other outputs) from the store"},
    {"lrfind", cmd_lrfind, "the learning-rate range test: loss against a growing rate, a range for [space]"},
    {"export", cmd_export, "write the study as an Optuna journal (--optuna-journal FILE) for optuna.load_study"},
    {"import", cmd_import, "take an Optuna journal's trials (--optuna-journal FILE) for TPE to learn from"},
};

static int dt_main__help(FILE *f)
{
    fprintf(f, "usage: darktune <command> SWEEP.ini [options]\n\ncommands:\n");
    for (size_t i = 0; i < sizeof dt_commands / sizeof *dt_commands; i++)
        fprintf(f, "    %-8s %s\n", dt_commands[i].name, dt_commands[i].help);
    fprintf(f, "\n'darktune <command> --help' tells a command's options.\n");
    return f == stdout ? DT_EXIT_OK : DT_EXIT_USAGE;
}

int main(int argc, char **argv)
{
    if (argc < 2) return dt_main__help(stderr);
    const char *cmd = argv[1];
    if (strcmp(cmd, "--version") == 0 || strcmp(cmd, "version") == 0) {
        printf("darktune %s (runners: exec, libdarknet with the %s libdarknet, table)\n", DT_VERSION,
               dt_train_build());
        return DT_EXIT_OK;
    }
    if (strcmp(cmd, "help") == 0 || strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0)
        return dt_main__help(stdout);
    for (size_t i = 0; i < sizeof dt_commands / sizeof *dt_commands; i++)
        if (strcmp(cmd, dt_commands[i].name) == 0) return dt_commands[i].fn(argc - 1, argv + 1);
    fprintf(stderr, "darktune: '%s' is not a command\n", cmd);
    return dt_main__help(stderr);
}
