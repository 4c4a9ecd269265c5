/* dt_json: the JSON darktune reads and writes for Optuna interop (dt_optuna): one
 * value at a time, as Python's json module writes and reads it.
 *
 * Reading: dt_json_parse turns one text (a journal line) into a tree that the caller
 * walks with dt_json_get and frees with dt_json_free. It accepts what Python's
 * json.loads accepts, NaN, Infinity and -Infinity included (Python writes them for
 * non-finite floats), and a duplicated key keeps its last value, as Python's does.
 * Writing: dt_json_str and dt_json_num append a string and a number to a dt_buf in
 * the form Python's json.dumps gives them (ASCII only, floats as repr() writes them).
 *
 * It does not stream, keep comments, or check that strings are valid UTF-8 beyond
 * their escapes: a journal is small and written by a program. */
#ifndef DT_JSON_H
#define DT_JSON_H

#include "dt_util.h"

typedef enum dt_json_type {
    DT_JSON_NULL,
    DT_JSON_BOOL,
    DT_JSON_NUM,
    DT_JSON_STR,
    DT_JSON_ARR,
    DT_JSON_OBJ,
} dt_json_type;

typedef struct dt_json {
    dt_json_type type;
    int integer;          /* NUM: written without a fraction or an exponent (Python's int) */
    double num;           /* NUM: the value; BOOL: 1 or 0 */
    char *str;            /* STR: UTF-8, NUL-terminated (a \u0000 in the text is refused) */
    int n;                /* ARR, OBJ: how many items */
    char **keys;          /* OBJ: n keys */
    struct dt_json *items;/* ARR, OBJ: n values */
} dt_json;

/* Parses the len bytes at text as one JSON value (white space around it allowed).
 * Returns 0 with *out (free it with dt_json_free), or -1 with err saying what is
 * wrong and at which column ("column 17: expected ':' after a key"). */
int dt_json_parse(const char *text, size_t len, dt_json **out, dt_err *err);
void dt_json_free(dt_json *j);   /* NULL is fine */

/* The value of key in object j; NULL when j is not an object or has no such key. */
const dt_json *dt_json_get(const dt_json *j, const char *key);
/* "null", "a boolean", "a number", "a string", "an array", "an object": for messages. */
const char *dt_json_type_name(const dt_json *j);

/* Appends s as a JSON string, quoted and escaped as json.dumps does (ensure_ascii:
 * every byte past ASCII of valid UTF-8 as \uXXXX; an invalid byte as U+FFFD). */
void dt_json_str(dt_buf *b, const char *s);
/* Appends x as json.dumps writes a float: repr()'s shortest digits (0.1, 1e-05,
 * 3.0), NaN, Infinity and -Infinity. */
void dt_json_num(dt_buf *b, double x);

#endif
