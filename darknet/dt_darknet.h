/* dt_darknet: the kinds and facts about Darknet that both layers need, declared once.
 *
 * darknet/ (the runners, the cfg reader, the log parsers) and the tuner above it
 * (plugin/: the sweep, the scheduler, the outputs) name the same things: what a
 * trial is scored on, what a cfg trains, how Darknet is driven, which Darknet it
 * is. They are declared here, in the lower layer, with their words as sweep files
 * and stores spell them. So are the facts a sweep is checked against that belong
 * to Darknet rather than to darktune: which fork a program is, the range of each
 * [net] field, the placeholders of an exec command. */
#ifndef DT_DARKNET_H
#define DT_DARKNET_H

/* What a trial is scored on: the top-1 or top-k of a classifier, a detector's mAP at
 * IoU 0.5, or the training loss. */
typedef enum { DT_METRIC_TOP1, DT_METRIC_TOP5, DT_METRIC_MAP50, DT_METRIC_LOSS } dt_metric;
/* What the cfg trains (from its layers). */
typedef enum { DT_TASK_CLASSIFIER, DT_TASK_DETECTOR } dt_task;
/* How Darknet is driven: libdarknet in a forked child, an external program, or a
 * recorded table replayed. */
typedef enum { DT_RUNNER_LIBDARKNET, DT_RUNNER_EXEC, DT_RUNNER_TABLE } dt_runner_kind;
/* Which Darknet reads the cfgs: decides the [net] fields and policies accepted. */
typedef enum { DT_FORK_PJREDDIE, DT_FORK_ALEXEYAB, DT_FORK_HANKAI } dt_fork;

/* Words, indexed by the enums above, NULL-terminated: "top1", "classifier",
 * "libdarknet", "pjreddie", ... */
extern const char *const dt_metric_names[];
extern const char *const dt_task_names[];
extern const char *const dt_runner_names[];
extern const char *const dt_fork_names[];
const char *dt_metric_name(dt_metric m);   /* "?" when out of range */
/* "the Debian (pjreddie) Darknet", "AlexeyAB's Darknet", ... for messages. */
const char *dt_fork_words(dt_fork f);

/* Which Darknet a program is, from bytes only AlexeyAB's code has ("sgdr", its
 * policy) and only hank-ai's has (its domain). A program that cannot be read is
 * taken for the Debian one. */
dt_fork dt_fork_detect(const char *program);

/* The placeholders of an exec runner's command and eval_command, in the order of
 * dt_placeholder; dt_placeholder_list is "{data} {cfg} ..." for messages. */
typedef enum {
    DT_PH_DATA, DT_PH_CFG, DT_PH_WEIGHTS, DT_PH_GPU, DT_PH_BACKUP, DT_PH_FINAL, DT_PH_COUNT
} dt_placeholder;
extern const char *const dt_placeholder_names[DT_PH_COUNT + 1];
extern const char dt_placeholder_list[];

/* A [net] field with a range outside which Darknet trains nonsense or divides by
 * zero; NULL for a field without one. */
typedef struct dt_net_range {
    const char *name;
    double min, max;
    int min_open, max_open;  /* 1: the bound itself is excluded */
    int whole;               /* 1: whole numbers only */
    const char *says;        /* "at least 0 and below 1" */
} dt_net_range;
const dt_net_range *dt_net_range_of(const char *field);
/* 1 for a [net] field Darknet reads as one number (batch, max_batches, hue, ...), 0
 * for the words and lists (policy, steps, scales, seq_scales). */
int dt_net_numeric(const char *field);
/* 1 when x lies in the range. */
int dt_net_range_holds(const dt_net_range *r, double x);

/* What Darknet's warm-up costs a trial, in iterations at the full rate: every fork
 * trains iteration i < burn_in at rate * (i / burn_in)^power, so the ramp adds up to
 * burn_in / (power + 1) iterations' worth of steps and a trial leaves it
 * burn_in * power / (power + 1) iterations behind one that starts at full rate.
 * 0 for burn_in <= 0; power below 0 (nonsense) counts as 0. */
long dt_burn_in_lag(long burn_in, double power);

#endif
