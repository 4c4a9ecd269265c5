/* dt_darknet: kinds, words and facts about Darknet shared by both layers (see
 * dt_darknet.h). */
#include "dt_darknet.h"

#include <float.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "dt_util.h"

const char *const dt_metric_names[] = {"top1", "top5", "map50", "loss", NULL};
const char *const dt_task_names[] = {"classifier", "detector", NULL};
const char *const dt_runner_names[] = {"libdarknet", "exec", "table", NULL};
const char *const dt_fork_names[] = {"pjreddie", "alexeyab", "hankai", NULL};

const char *dt_metric_name(dt_metric m)
{
    return m >= DT_METRIC_TOP1 && m <= DT_METRIC_LOSS ? dt_metric_names[m] : "?";
}

const char *dt_fork_words(dt_fork f)
{
    static const char *const words[] = {"the Debian (pjreddie) Darknet", "AlexeyAB's Darknet",
                                        "hank-ai's Darknet"};
    return f >= DT_FORK_PJREDDIE && f <= DT_FORK_HANKAI ? words[f] : "?";
}

dt_fork dt_fork_detect(const char *program)
{
    char *buf;
    size_t len;
    if (dt_read_file(program, &buf, &len, NULL) < 0) return DT_FORK_PJREDDIE;
    dt_fork fork = DT_FORK_PJREDDIE;
    if (memmem(buf, len, "sgdr", 4))
        fork = memmem(buf, len, "hank.ai", 7) || memmem(buf, len, "Hank.ai", 7) ? DT_FORK_HANKAI
                                                                                : DT_FORK_ALEXEYAB;
    free(buf);
    return fork;
}

const char *const dt_placeholder_names[DT_PH_COUNT + 1] = {"data", "cfg", "weights", "gpu", "backup",
                                                           "final_weights", NULL};
const char dt_placeholder_list[] = "{data} {cfg} {weights} {gpu} {backup} {final_weights}";

static const dt_net_range dt_darknet__ranges[] = {
    {"learning_rate", 0, DBL_MAX, 1, 0, 0, "above 0"},
    {"momentum", 0, 1, 0, 1, 0, "at least 0 and below 1"},
    {"decay", 0, DBL_MAX, 0, 0, 0, "at least 0"},
    /* Darknet reads these with atoi into an int. */
    {"batch", 1, INT_MAX, 0, 0, 1, "a whole number from 1 to 2147483647"},
    {"subdivisions", 1, INT_MAX, 0, 0, 1, "a whole number from 1 to 2147483647"},
    {"burn_in", 0, INT_MAX, 0, 0, 1, "a whole number from 0 to 2147483647"},
    /* Network size: past 8192 a single image's activations no longer fit any card. */
    {"width", 1, 8192, 0, 0, 1, "a whole number from 1 to 8192"},
    {"height", 1, 8192, 0, 0, 1, "a whole number from 1 to 8192"},
    /* Darknet counts iterations in an int; the sweep's own limit is the same. */
    {"max_batches", 1, 1e9, 0, 0, 1, "a whole number from 1 to 1000000000"},
};

const dt_net_range *dt_net_range_of(const char *field)
{
    for (size_t i = 0; i < sizeof dt_darknet__ranges / sizeof *dt_darknet__ranges; i++)
        if (strcmp(dt_darknet__ranges[i].name, field) == 0) return &dt_darknet__ranges[i];
    return NULL;
}

int dt_net_numeric(const char *field)
{
    static const char *const words[] = {"policy", "steps", "scales", "seq_scales"};
    for (size_t i = 0; i < sizeof words / sizeof *words; i++)
        if (strcmp(field, words[i]) == 0) return 0;
    return 1;
}

int dt_net_range_holds(const dt_net_range *r, double x)
{
    return isfinite(x) && x >= r->min && !(r->min_open && x == r->min) && x <= r->max &&
           !(r->max_open && x == r->max) && (!r->whole || x == floor(x));
}

long dt_burn_in_lag(long burn_in, double power)
{
    if (burn_in <= 0 || !(power > 0)) return 0;
    return lround(burn_in * (isfinite(power) ? power / (power + 1) : 1.0));
}
