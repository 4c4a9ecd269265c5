/* cmd: the darktune command line. The only code that prints to the terminal and
 * calls exit: library modules return a status and a message, the commands turn
 * them into output and the exit statuses SWEEPS.md promises:
 * 0 done, 1 runtime failure, 2 bad input (nothing was run). */
#ifndef DT_CMD_H
#define DT_CMD_H

#include "dt_sweep.h"

enum { DT_EXIT_OK = 0, DT_EXIT_RUNTIME = 1, DT_EXIT_USAGE = 2 };

/* One command-line option, declared once: parsing and --help come from the table. */
typedef struct dt_opt {
    const char *name;   /* "--trials" */
    const char *arg;    /* "N", or NULL for a flag */
    const char *help;
    char **value;       /* where the argument (or "1" for a flag) goes */
} dt_opt;

/* Parses argv (argv[0] is the command's name) against opts; the one positional
 * argument (the sweep file) goes to *sweep. Prints usage and exits 2 on misuse,
 * prints help and exits 0 on --help. */
void dt_cmd_args(int argc, char **argv, const char *usage, const dt_opt *opts, int nopts, char **sweep);

/* Loads the sweep and applies the --trials and --output overrides (either may be
 * NULL); prints the error and exits 2 when anything is wrong. */
void dt_cmd_sweep(dt_sweep *sw, const char *path, const char *trials, const char *output);

/* "1:02:03", "4:05", "12.3 s" */
void dt_cmd_duration(double s, char *buf, size_t n);

int cmd_run(int argc, char **argv);
int cmd_worker(int argc, char **argv);
int cmd_submit(int argc, char **argv);
int cmd_status(int argc, char **argv);
int cmd_best(int argc, char **argv);
int cmd_report(int argc, char **argv);
int cmd_lrfind(int argc, char **argv);
int cmd_export(int argc, char **argv);
int cmd_import(int argc, char **argv);

#endif
