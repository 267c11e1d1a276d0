// SPDX-License-Identifier: GPL-2.0
#include "out.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdarg.h>
#include <string.h>

void out_init(struct out *o, FILE *fp, bool json, bool pretty)
{
	memset(o, 0, sizeof(*o));
	o->fp = fp;
	o->json = json;
	o->pretty = pretty;
	o->line_start = true;
}

void out_reset(struct out *o)
{
	/* Each open level holds a reference of its own. */
	while (o->depth)
		json_object_put(o->stack[--o->depth]);
	o->too_deep = 0;
	o->line_start = true;
}

static void json_print(struct out *o, json_object *root)
{
	int flags = JSON_C_TO_STRING_NOSLASHESCAPE;

	flags |= o->pretty ? JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED :
			     JSON_C_TO_STRING_PLAIN;
	fprintf(o->fp, "%s\n", json_object_to_json_string_ext(root, flags));
	fflush(o->fp);
}

/* Attach v to the innermost open object or array; it takes v. */
static void json_add(struct out *o, const char *key, json_object *v)
{
	json_object *parent;

	if (!o->depth) {
		json_object_put(v);
		return;
	}
	parent = o->stack[o->depth - 1];
	if (json_object_is_type(parent, json_type_array))
		json_object_array_add(parent, v);
	else if (key)
		json_object_object_add(parent, key, v);
	else
		json_object_put(v);	/* a text-only field */
}

/* Open an object or array (JSON only: text has no structure). */
static void push(struct out *o, const char *key, bool array)
{
	json_object *v;

	if (!o->json)
		return;
	if (o->depth == OUT_DEPTH) {
		o->too_deep++;	/* its end must not close a real level */
		return;
	}
	v = array ? json_object_new_array() : json_object_new_object();
	if (o->depth)
		json_add(o, key, json_object_get(v));
	o->stack[o->depth++] = v;
}

static void pop(struct out *o)
{
	json_object *v;

	if (!o->json || !o->depth)
		return;
	if (o->too_deep) {
		o->too_deep--;
		return;
	}
	v = o->stack[--o->depth];
	if (!o->depth)
		json_print(o, v);
	json_object_put(v);
}

void out_list_begin(struct out *o) { push(o, NULL, true); }
void out_list_end(struct out *o) { pop(o); }
void out_obj_begin(struct out *o, const char *key) { push(o, key, false); }
void out_obj_end(struct out *o) { pop(o); }
void out_arr_begin(struct out *o, const char *key) { push(o, key, true); }
void out_arr_end(struct out *o) { pop(o); }

static void text_field(struct out *o, const char *label, const char *val)
{
	if (o->json || !label)
		return;
	if (!o->line_start)
		fputc(' ', o->fp);
	if (*label)
		fprintf(o->fp, "%s ", label);
	fputs(val, o->fp);
	o->line_start = false;
}

void out_uint(struct out *o, const char *key, const char *label, uint64_t v)
{
	char buf[24];

	if (o->json) {
		json_add(o, key, json_object_new_uint64(v));
		return;
	}
	snprintf(buf, sizeof(buf), "%" PRIu64, v);
	text_field(o, label, buf);
}

void out_str(struct out *o, const char *key, const char *label,
	     const char *v)
{
	if (o->json)
		json_add(o, key, json_object_new_string(v));
	else
		text_field(o, label, v);
}

void out_bool(struct out *o, const char *key, const char *label, bool v)
{
	if (o->json) {
		json_add(o, key, json_object_new_boolean(v));
		return;
	}
	if (v && label) {
		if (!o->line_start)
			fputc(' ', o->fp);
		fputs(label, o->fp);
		o->line_start = false;
	}
}

void out_null(struct out *o, const char *key, const char *label,
	      const char *text)
{
	if (o->json)
		json_add(o, key, NULL);
	else
		text_field(o, label, text);
}

void out_json(struct out *o, const char *key, json_object *v)
{
	if (!o->json)
		return;
	if (!o->depth) {
		json_print(o, v);
		return;
	}
	json_add(o, key, json_object_get(v));
}

void out_ms(struct out *o, const char *key, const char *label, double ms)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%.3f", ms);
	if (o->json) {
		json_add(o, key, json_object_new_double_s(ms, buf));
		return;
	}
	strcat(buf, " ms");
	text_field(o, label, buf);
}

void out_text(struct out *o, const char *fmt, ...)
{
	char buf[512];
	size_t n;
	va_list ap;

	if (o->json)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	fputs(buf, o->fp);
	n = strlen(buf);
	/* Text ending in a blank needs no separator before the next field. */
	if (n)
		o->line_start = isspace((unsigned char)buf[n - 1]);
}

void out_nl(struct out *o)
{
	if (o->json)
		return;
	fputc('\n', o->fp);
	o->line_start = true;
}
