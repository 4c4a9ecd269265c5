/* dt_report: report.html, what a practitioner reads at the end of a study.
 *
 * One self-contained file: inline SVG and CSS, no script, no font or image from
 * anywhere, readable in any browser and printable. It draws
 * - the optimization history: each trial's value, the best so far, pruned and failed
 *   trials marked along the bottom;
 * - every trial's intermediate values against iterations (the periodic metric, and the
 *   loss), pruned ones ending where they stopped, the best highlighted;
 * - parallel coordinates, and a slice plot per parameter (log axes for log
 *   distributions; conditional parameters only where active);
 * - parameter importance (fANOVA, dt_fanova);
 * - learning rate against batch, coloured by value;
 * - the baseline against the best, and the red flags (dt_flags).
 * Every drawn data mark carries class "mark", so that a test can count them per plot. */
#ifndef DT_REPORT_H
#define DT_REPORT_H

#include "dt_sweep.h"
#include "dt_trial.h"

/* Writes report.html into sw->output. curves[i]: trials[i]'s intermediate values
 * (NULL: none drawn). */
int dt_report_html(const dt_sweep *sw, const dt_trial *trials, int n, const dt_curve *curves, dt_err *err);

#endif
