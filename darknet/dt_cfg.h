/* dt_cfg: read, change and write Darknet .cfg (and .data) files byte-faithfully.
 *
 * A cfg is kept as its lines. Reading and writing with no change gives the same
 * bytes (comments, blank lines, order, spacing, a missing final newline). A change
 * rewrites the one line that holds the key, in place, keeping its indentation and
 * the spacing around '='; the value is the whole rest of the line (Darknet has no
 * trailing comments: pjreddie reads "steps #x" as "steps#x"); a key that is absent
 * is added once, after the section's last key. Darknet reads `key=value` lines,
 * `[section]` headers, and comments that start with '#' or ';'. The same reader
 * serves .data files, whose keys have no section (section "").
 *
 * Also here, because they are facts about Darknet and not about tuning: which [net]
 * fields each fork reads, which policies it knows, which fields a policy reads,
 * and how step fractions turn into iterations. */
#ifndef DT_CFG_H
#define DT_CFG_H

#include <stddef.h>

#include "dt_darknet.h"
#include "dt_util.h"

typedef struct dt_cfg dt_cfg;

int dt_cfg_read(dt_cfg **out, const char *path, dt_err *err);
/* name is used in messages only. */
int dt_cfg_parse(dt_cfg **out, const char *text, size_t len, const char *name, dt_err *err);
void dt_cfg_free(dt_cfg *c);
/* A copy that changes apart from c: what a study derives every trial's cfg from,
 * without reading the file again. Caller frees. */
dt_cfg *dt_cfg_dup(const dt_cfg *c);

/* The bytes of the cfg as it stands; caller frees. */
char *dt_cfg_text(const dt_cfg *c, size_t *len);
int dt_cfg_write(const dt_cfg *c, const char *path, dt_err *err);

/* Sections in file order; section "" holds keys before the first header (.data files).
 * "net" and "network" name the same section, as in Darknet. */
int dt_cfg_nsections(const dt_cfg *c);
const char *dt_cfg_section(const dt_cfg *c, int i);        /* name without brackets */
/* The 1-based line of section i's [header], 0 for section "" (no header). */
int dt_cfg_section_line(const dt_cfg *c, int i);
/* The file the cfg was read from (dt_cfg_parse: the name given), for messages. */
const char *dt_cfg_name(const dt_cfg *c);
/* The keys of section i, in order: *keys[k], *vals[k], *lines[k] (1-based file lines).
 * Arrays are owned by the cfg and valid until the next change. */
int dt_cfg_keys(const dt_cfg *c, int i, const char *const **keys, const char *const **vals,
                const int **lines);

/* The value of key in the first section named section, trimmed; NULL when absent.
 * Valid until the next change. *line (when not NULL) gets its line number. */
const char *dt_cfg_get(const dt_cfg *c, const char *section, const char *key, int *line);
/* Sets key in the first section named section: in place when present (every
 * duplicate after the first is removed: Darknet would read the first, hank-ai refuses
 * duplicates), else added once after the section's last key. Returns -1 when there
 * is no such section, or when key or value cannot be written as one key=value line. */
int dt_cfg_set(dt_cfg *c, const char *section, const char *key, const char *value);
/* dt_cfg_set in section i (dt_cfg_section's numbering): for a key of a layer that
 * appears several times, such as each [yolo]'s anchors. -1 when there is no section i. */
int dt_cfg_set_at(dt_cfg *c, int i, const char *key, const char *value);
/* Removes every line of key in that section; returns how many. */
int dt_cfg_unset(dt_cfg *c, const char *section, const char *key);
/* Adds a comment line (the text given, '#' prepended) at the top of the file. */
void dt_cfg_prepend_comment(dt_cfg *c, const char *text);
/* Ends every line in "\n" alone: a file written on Windows ("\r\n"), as Darknet
 * reads it. pjreddie's reader keeps the "\r" in each value (a path that names no
 * file, a section "[net]\r" it does not know); AlexeyAB's strips it. */
void dt_cfg_unix_eol(dt_cfg *c);


/* 1 when the fork reads this [net] key, 0 when it would ignore (or refuse) it. */
int dt_cfg_net_key_known(dt_fork fork, const char *key);
/* The [net] keys the fork reads, for "did you mean" hints. */
int dt_cfg_net_keys(dt_fork fork, const char *const **keys);
/* 1 when the fork knows the learning-rate policy (pjreddie silently falls back to constant). */
int dt_cfg_policy_known(dt_fork fork, const char *policy);
int dt_cfg_policies(dt_fork fork, const char *const **names);
/* Removes the [net] keys that the section's policy does not read (step, scale, steps,
 * scales, gamma, sgdr_*, and power unless poly or burn_in > 0 use it). */
void dt_cfg_drop_policy_keys(dt_cfg *c, dt_fork fork);
/* "0.8, 0.9" with max_batches 600 -> "480,540": each number below 1 is a fraction of
 * max_batches, each other number an iteration kept as is. Fails on a word, a
 * negative, or an iteration beyond max_batches. out holds n bytes. */
int dt_cfg_steps_to_iterations(const char *text, long max_batches, char *out, size_t n, dt_err *err);
/* A trial shorter than the base cfg keeps its learning-rate schedule's shape only
 * when the schedule shrinks with it: the [net] keys that count iterations (burn_in,
 * steps, step, AlexeyAB's sgdr_cycle) are multiplied by f, and the rates per
 * iteration follow (exp's gamma becomes gamma^(1/f), sigmoid's gamma/f). Darknet's
 * own formulas (../shared/DARKNET.md) then give at iteration f*b the rate the base
 * cfg gives at b. poly needs nothing: it reads max_batches.
 *
 * 1 when key is part of a schedule under policy (NULL: pjreddie's default, constant). */
int dt_cfg_schedule_key(const char *key, const char *policy);
/* Scales one value of a schedule key by f > 0 into out (n bytes). An iteration is
 * rounded and stays at least 1 when it was (0 and negatives are kept); a fraction
 * below 1 in steps is kept, being a share of max_batches already. Returns 1 when it
 * wrote out, 0 when key is no schedule key of the policy (out untouched), -1 when the
 * value is not a number (or list of numbers) or does not fit. */
int dt_cfg_schedule_scale(const char *key, const char *text, const char *policy, double f, char *out,
                          size_t n);
/* Scales every schedule key of [net] by f, but those named in skip (NULL-terminated,
 * may be NULL), for the policy [net] states. Appends "burn_in 1000 -> 33" notes,
 * separated by ", ", to note (may be NULL). Returns how many keys changed. */
int dt_cfg_scale_schedule(dt_cfg *c, double f, const char *const *skip, dt_buf *note);

/* Anchors when a cfg's input size changes from base_w x base_h to new_w x new_h.
 * [yolo] and AlexeyAB's [Gaussian_yolo] anchors are in network-input pixels (the layer
 * divides each by the net's width or height), so they scale with the input: widths by
 * new_w / base_w, heights by new_h / base_h, each written with at most 2 decimals
 * (trailing zeros dropped, never below 0.01), the separators between them kept as they
 * were. [region] anchors are in grid cells (divided by the layer's own grid, which
 * grows with the input) and stay. Appends one sentence saying what was done to note
 * (may be NULL): "anchors of 2 [yolo] layers scaled by 1.5 x 1.5 for 624x624 (base
 * 416x416); [region] anchors are in grid cells and stay". Returns how many layers'
 * anchors changed, or -1 with err ("FILE:LINE: ...") and c unchanged when a size is
 * not positive or an anchors value is not a list of positive numbers. */
int dt_cfg_scale_anchors(dt_cfg *c, int base_w, int base_h, int new_w, int new_h, dt_buf *note, dt_err *err);

/* The value pjreddie's parse_net_options gives a [net] key the cfg leaves out, as
 * text ("0.001" for learning_rate, "constant" for policy); NULL where Darknet has no
 * fixed default (height, width, steps: absent, or derived from other keys). */
const char *dt_cfg_net_default(const char *key);

#endif
