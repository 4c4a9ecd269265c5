/* Darknet's own learning-rate schedule (libdarknet's get_current_rate) against the
 * formulas of ../shared/DARKNET.md, for every pjreddie policy but random, with and
 * without burn_in: a network is loaded from a small cfg written here, *net->seen is
 * set to b * batch * subdivisions images, and the rate must match within float
 * precision (Darknet keeps the cfg's numbers as floats: the formulas use them so).
 *
 * Found on the way: pjreddie's sigmoid policy computes exp(gamma * (batch_num - step))
 * with batch_num a size_t, so before `step` the difference wraps around to a huge
 * number and the rate is 0 (after burn_in): a sigmoid trial learns nothing until
 * iteration `step`. The check below holds Darknet to that, so that a fix upstream
 * shows here. This test includes darknet.h (tests may; darktune's headers never do). */
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "darknet.h"
#include "dt_test.h"

#define TMP "tests/tmp/lrate"

typedef struct policy_case {
    const char *name;
    const char *keys;   /* [net] lines of the policy */
    double lr;
    int burn_in;
    double power;
    int max_batches;
} policy_case;

/* The rate DARKNET.md gives at iteration b. */
static double formula(const policy_case *pc, long b)
{
    double lr = (float)pc->lr, power = (float)pc->power;
    if (b < pc->burn_in) return lr * pow((double)b / pc->burn_in, power);
    if (!strcmp(pc->name, "constant")) return lr;
    if (!strcmp(pc->name, "step")) return lr * pow((float)0.5, (double)(b / 30));   /* step=30 scale=0.5 */
    if (!strcmp(pc->name, "exp")) return lr * pow((float)0.99, (double)b);          /* gamma=0.99 */
    if (!strcmp(pc->name, "poly")) return lr * pow(1 - (double)b / pc->max_batches, power);
    if (!strcmp(pc->name, "steps")) {                                               /* 50,120 x 0.1,0.5 */
        if (b >= 120) return lr * (float)0.1 * (float)0.5;
        if (b >= 50) return lr * (float)0.1;
        return lr;
    }
    if (!strcmp(pc->name, "sigmoid")) {                                             /* gamma=0.05 step=100 */
        if (b < 100) return 0;  /* Darknet's size_t underflow, see above; the formula says: */
        return lr / (1 + exp((float)0.05 * (b - 100)));
    }
    return NAN;
}

/* Loads a network with this policy from a cfg written here, Darknet's layer table
 * sent to /dev/null. */
static network *load(const policy_case *pc)
{
    char path[256], text[1024];
    snprintf(path, sizeof path, TMP "/%s-%d.cfg", pc->name, pc->burn_in);
    snprintf(text, sizeof text,
             "[net]\nbatch=8\nsubdivisions=2\ninputs=4\nlearning_rate=%g\nmomentum=0.9\ndecay=0.0005\n"
             "max_batches=%d\npolicy=%s\nburn_in=%d\npower=%g\n%s\n"
             "[connected]\noutput=2\nactivation=linear\n\n[softmax]\n",
             pc->lr, pc->max_batches, pc->name, pc->burn_in, pc->power, pc->keys);
    FILE *f = fopen(path, "w");
    if (!f) return NULL;
    fputs(text, f);
    fclose(f);
    fflush(stderr);
    int saved = dup(2), null = open("/dev/null", O_WRONLY);
    dup2(null, 2);
    network *net = load_network(path, NULL, 0);
    fflush(stderr);
    dup2(saved, 2);
    close(saved), close(null);
    return net;
}

int main(void)
{
    system("mkdir -p " TMP);
    static const policy_case cases[] = {
        {"constant", "", 0.01, 0, 4, 200},
        {"step", "step=30\nscale=0.5", 0.1, 0, 4, 200},
        {"exp", "gamma=0.99", 0.05, 0, 4, 200},
        {"poly", "", 0.01, 0, 2, 200},
        {"steps", "steps=50,120\nscales=0.1,0.5", 0.02, 0, 4, 200},
        {"sigmoid", "gamma=0.05\nstep=100", 0.01, 0, 4, 200},
        /* burn_in ramps as lr * (b/burn_in)^power, power shared with poly */
        {"constant", "", 0.01, 20, 4, 200},
        {"poly", "", 0.01, 25, 3, 200},
        {"steps", "steps=50,120\nscales=0.1,0.5", 0.02, 60, 2, 200},
        {"sigmoid", "gamma=0.05\nstep=100", 0.01, 10, 4, 200},
    };
    static const long bs[] = {0, 1, 5, 9, 10, 11, 19, 20, 21, 24, 25, 29, 30, 31, 49, 50, 51, 59, 60, 61,
                              99, 100, 101, 119, 120, 121, 150, 199, 200};
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        const policy_case *pc = &cases[i];
        network *net = load(pc);
        CHECK(net != NULL);
        if (!net) continue;
        /* the parser divides batch by subdivisions: one iteration is batch * subdivisions images */
        CHECK(net->batch == 4 && net->subdivisions == 2);
        int bad = 0;
        for (size_t k = 0; k < sizeof bs / sizeof *bs; k++) {
            long b = bs[k];
            *net->seen = (size_t)b * net->batch * net->subdivisions;
            double got = get_current_rate(net), want = formula(pc, b);
            CHECK((long)get_current_batch(net) == b);
            if (fabs(got - want) > 1e-6 * fabs(want) + 1e-12) {
                bad++;
                fprintf(stderr, "%s burn_in=%d b=%ld: darknet %.9g, formula %.9g\n", pc->name, pc->burn_in, b, got,
                        want);
            }
            CHECK_NEAR(got, want, 1e-6 * fabs(want) + 1e-12);
        }
        printf("lrate: %-8s burn_in=%-2d %s\n", pc->name, pc->burn_in, bad ? "differs" : "matches the formula");
        free_network(net);
    }
    return dt_test_done("lrate");
}
