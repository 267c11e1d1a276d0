/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Output as text or JSON from one set of calls, in the manner of
 * iproute2's print_*(): each field has a JSON key and a text label, so
 * the two forms cannot drift apart.
 *
 * Text: fields go on the current line separated by one space, as
 * "label value" (label "" prints the value alone; label NULL prints
 * nothing: JSON only; key NULL in an object: text only). JSON: a record at the top level is printed on its
 * own line as soon as it ends (monitor); a list collects its records and
 * is printed as one array when it ends (show).
 */
#ifndef XMESH_OUT_H
#define XMESH_OUT_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define OUT_DEPTH	8

struct out {
	FILE *fp;
	bool json, pretty;
	int depth;
	json_object *stack[OUT_DEPTH];
	int too_deep;		/* levels opened past OUT_DEPTH, ignored */
	bool line_start;	/* text: nothing on this line yet */
};

void out_init(struct out *o, FILE *fp, bool json, bool pretty);
/* Drop any unfinished JSON (after an error). */
void out_reset(struct out *o);

void out_list_begin(struct out *o);
void out_list_end(struct out *o);
void out_obj_begin(struct out *o, const char *key);
void out_obj_end(struct out *o);
void out_arr_begin(struct out *o, const char *key);
void out_arr_end(struct out *o);

void out_uint(struct out *o, const char *key, const char *label, uint64_t v);
void out_str(struct out *o, const char *key, const char *label,
	     const char *v);
/* JSON: a boolean. Text: the label alone, and only when v is true. */
void out_bool(struct out *o, const char *key, const char *label, bool v);
/* JSON: null. Text: "label text". */
void out_null(struct out *o, const char *key, const char *label,
	      const char *text);
/* JSON only: a ready-made value (a reference is taken). */
void out_json(struct out *o, const char *key, json_object *v);
/* Milliseconds with 3 decimals; text "label 0.412 ms". */
void out_ms(struct out *o, const char *key, const char *label, double ms);

/* Text only: raw text, and the end of a line. */
void out_text(struct out *o, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void out_nl(struct out *o);

#endif /* XMESH_OUT_H */
