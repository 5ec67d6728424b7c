/*
 * arrow_take.h -- taking rows of Arrow arrays into new Arrow arrays (pure C).
 *
 * voxelize_cy.macromol returns the rows of a polars table that are in an
 * image.  polars' own gather hands every call to its thread pool, which costs
 * more than the image itself on a small machine; these routines copy the
 * chosen rows of the common column types (fixed-width numbers and dates,
 * booleans, strings, lists of those) into self-contained arrays that polars
 * then imports, moving the buffers in.
 *
 * Every array and schema made here owns its memory: its release callback
 * frees it (no Python involved, any thread).
 */
#ifndef VOXELIZE_CY_ARROW_TAKE_H
#define VOXELIZE_CY_ARROW_TAKE_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "arrow_c.h"

/* ---------------------------------------------------------------- memory */

typedef struct {
    void *buffers[3];         /* what this array allocated (NULL: nothing) */
} vcy_owned;

static void vcy_free_array(struct ArrowArray *a)
{
    if (a == NULL || a->release == NULL) return;
    vcy_owned *own = (vcy_owned *)a->private_data;
    if (own != NULL) {
        for (int i = 0; i < 3; ++i) free(own->buffers[i]);
        free(own);
    }
    for (int64_t i = 0; i < a->n_children; ++i) {
        if (a->children[i] != NULL) {
            if (a->children[i]->release != NULL) a->children[i]->release(a->children[i]);
            free(a->children[i]);
        }
    }
    free(a->children);
    free((void *)a->buffers);
    a->release = NULL;
}

static void vcy_free_schema(struct ArrowSchema *s)
{
    if (s == NULL || s->release == NULL) return;
    free((void *)s->format);
    free((void *)s->name);
    for (int64_t i = 0; i < s->n_children; ++i) {
        if (s->children[i] != NULL) {
            if (s->children[i]->release != NULL) s->children[i]->release(s->children[i]);
            free(s->children[i]);
        }
    }
    free(s->children);
    s->release = NULL;
}

static char *vcy_strdup(const char *text)
{
    size_t n = strlen(text) + 1;
    char *out = (char *)malloc(n);
    if (out != NULL) memcpy(out, text, n);
    return out;
}

/* A schema of ``format`` named ``name`` with n_children empty child slots;
 * 0 on success. */
static int vcy_init_schema(struct ArrowSchema *s, const char *format, const char *name,
                           int64_t flags, int64_t n_children)
{
    memset(s, 0, sizeof *s);
    s->format = vcy_strdup(format);
    s->name = vcy_strdup(name != NULL ? name : "");
    s->flags = flags;
    s->n_children = n_children;
    if (n_children) {
        s->children = (struct ArrowSchema **)calloc((size_t)n_children, sizeof(void *));
    }
    s->release = vcy_free_schema;
    if (s->format == NULL || s->name == NULL || (n_children && s->children == NULL)) {
        vcy_free_schema(s);
        return -1;
    }
    return 0;
}

/* An array of ``length`` with n_buffers buffer slots and n_children child slots. */
static int vcy_init_array(struct ArrowArray *a, int64_t length, int64_t n_buffers,
                          int64_t n_children)
{
    memset(a, 0, sizeof *a);
    a->length = length;
    a->n_buffers = n_buffers;
    a->n_children = n_children;
    a->buffers = (const void **)calloc((size_t)n_buffers, sizeof(void *));
    a->private_data = calloc(1, sizeof(vcy_owned));
    if (n_children) a->children = (struct ArrowArray **)calloc((size_t)n_children, sizeof(void *));
    a->release = vcy_free_array;
    if (a->buffers == NULL || a->private_data == NULL || (n_children && a->children == NULL)) {
        vcy_free_array(a);
        return -1;
    }
    return 0;
}

/* Buffer ``slot`` of ``a``: ``bytes`` of new memory it owns (zeroed). */
static void *vcy_buffer(struct ArrowArray *a, int slot, int owned_slot, size_t bytes)
{
    void *p = calloc(bytes ? bytes : 1, 1);
    if (p == NULL) return NULL;
    ((vcy_owned *)a->private_data)->buffers[owned_slot] = p;
    a->buffers[slot] = p;
    return p;
}

/* --------------------------------------------------------------- formats */

/* Bytes per value of a fixed-width format (numbers, dates, times,
 * timestamps, durations); 0 for anything else (booleans included). */
static int vcy_fixed_width(const char *f)
{
    if (f[0] != 0 && f[1] == 0) {
        switch (f[0]) {
            case 'c': case 'C': return 1;
            case 's': case 'S': case 'e': return 2;
            case 'i': case 'I': case 'f': return 4;
            case 'l': case 'L': case 'g': return 8;
            default: return 0;
        }
    }
    if (f[0] == 't') {
        if (f[1] == 'd') return f[2] == 'D' ? 4 : (f[2] == 'm' ? 8 : 0);
        if (f[1] == 't') return (f[2] == 's' || f[2] == 'm') ? 4 : 8;
        if (f[1] == 's' || f[1] == 'D') return 8;
    }
    return 0;
}

static inline int vcy_bit(const uint8_t *bits, int64_t i)
{
    return (bits[i >> 3] >> (i & 7)) & 1;
}

static inline void vcy_set_bit(uint8_t *bits, int64_t i)
{
    bits[i >> 3] |= (uint8_t)(1u << (i & 7));
}

/* The validity of the taken rows (buffer 0), when the source has nulls. */
static int vcy_take_validity(const struct ArrowArray *src, const int64_t *rows, int64_t n,
                             struct ArrowArray *dst)
{
    if (src->null_count == 0 || src->buffers[0] == NULL) {
        dst->null_count = 0;
        return 0;
    }
    uint8_t *bits = (uint8_t *)vcy_buffer(dst, 0, 0, (size_t)((n + 7) / 8));
    if (bits == NULL) return -1;
    const uint8_t *in = (const uint8_t *)src->buffers[0];
    int64_t nulls = 0;
    for (int64_t i = 0; i < n; ++i) {
        if (vcy_bit(in, src->offset + rows[i])) vcy_set_bit(bits, i);
        else ++nulls;
    }
    dst->null_count = nulls;
    return 0;
}

/* Values of the rows of a fixed-width (width > 0) or boolean (width == 0)
 * array; rows may be NULL for "rows first .. first + n - 1". */
static int vcy_take_values(const struct ArrowArray *src, int width, const int64_t *rows,
                           int64_t first, int64_t n, struct ArrowArray *dst)
{
    const uint8_t *in = (const uint8_t *)src->buffers[1];
    if (width == 0) {
        uint8_t *bits = (uint8_t *)vcy_buffer(dst, 1, 1, (size_t)((n + 7) / 8));
        if (bits == NULL) return -1;
        for (int64_t i = 0; i < n; ++i) {
            int64_t r = (rows != NULL ? rows[i] : first + i) + src->offset;
            if (vcy_bit(in, r)) vcy_set_bit(bits, i);
        }
        return 0;
    }
    uint8_t *out = (uint8_t *)vcy_buffer(dst, 1, 1, (size_t)(n * width));
    if (out == NULL) return -1;
    if (rows == NULL) {
        memcpy(out, in + (src->offset + first) * width, (size_t)(n * width));
        return 0;
    }
    for (int64_t i = 0; i < n; ++i)
        memcpy(out + i * width, in + (src->offset + rows[i]) * width, (size_t)width);
    return 0;
}

/* ------------------------------------------------------------------ take */

/* Row ``r`` of a string array (utf8 'u', large utf8 'U', utf8 view 'vu'). */
static inline const char *vcy_string(const struct ArrowArray *a, int kind, int64_t r,
                                     int64_t *length)
{
    int64_t j = a->offset + r;
    if (kind == 1) {
        const int32_t *off = (const int32_t *)a->buffers[1];
        *length = off[j + 1] - off[j];
        return (const char *)a->buffers[2] + off[j];
    }
    if (kind == 2) {
        const int64_t *off = (const int64_t *)a->buffers[1];
        *length = off[j + 1] - off[j];
        return (const char *)a->buffers[2] + off[j];
    }
    const char *view = (const char *)a->buffers[1] + 16 * j;
    int32_t n, buffer, offset;
    memcpy(&n, view, 4);
    *length = n;
    if (n <= 12) return view + 4;
    memcpy(&buffer, view + 8, 4);
    memcpy(&offset, view + 12, 4);
    return (const char *)a->buffers[2 + buffer] + offset;
}

static int vcy_string_kind(const char *f)
{
    if (f[0] == 'u' && f[1] == 0) return 1;
    if (f[0] == 'U' && f[1] == 0) return 2;
    if (f[0] == 'v' && f[1] == 'u' && f[2] == 0) return 3;
    return 0;
}

/* Take ``rows`` of the column (src, src_schema) into (dst, dst_schema).
 * Returns 0, 1 when the column's type is not one handled here (nothing made),
 * or -1 when out of memory. */
static int vcy_take_column(const struct ArrowArray *src, const struct ArrowSchema *s,
                           const int64_t *rows, int64_t n, struct ArrowArray *dst,
                           struct ArrowSchema *dst_schema)
{
    const char *f = s->format;
    if (s->dictionary != NULL) return 1;
    int width = vcy_fixed_width(f);
    int is_bool = f[0] == 'b' && f[1] == 0;
    int kind = vcy_string_kind(f);
    if (width || is_bool) {
        if (vcy_init_schema(dst_schema, f, s->name, s->flags, 0)) return -1;
        if (vcy_init_array(dst, n, 2, 0)
            || vcy_take_validity(src, rows, n, dst)
            || vcy_take_values(src, width, rows, 0, n, dst)) return -1;
        return 0;
    }
    if (kind) {
        /* Always out as large utf8: offsets (int64) and the bytes. */
        if (vcy_init_schema(dst_schema, "U", s->name, s->flags, 0)) return -1;
        if (vcy_init_array(dst, n, 3, 0) || vcy_take_validity(src, rows, n, dst)) return -1;
        int64_t *off = (int64_t *)vcy_buffer(dst, 1, 1, (size_t)(8 * (n + 1)));
        if (off == NULL) return -1;
        int64_t total = 0, length;
        const uint8_t *valid = src->null_count ? (const uint8_t *)src->buffers[0] : NULL;
        for (int64_t i = 0; i < n; ++i) {
            off[i] = total;
            if (valid == NULL || vcy_bit(valid, src->offset + rows[i])) {
                vcy_string(src, kind, rows[i], &length);
                total += length;
            }
        }
        off[n] = total;
        char *data = (char *)vcy_buffer(dst, 2, 2, (size_t)total);
        if (data == NULL) return -1;
        for (int64_t i = 0; i < n; ++i) {
            if (off[i + 1] > off[i]) {
                const char *p = vcy_string(src, kind, rows[i], &length);
                memcpy(data + off[i], p, (size_t)length);
            }
        }
        return 0;
    }
    if (f[0] == '+' && (f[1] == 'l' || f[1] == 'L') && f[2] == 0 && s->n_children == 1
        && src->n_children == 1) {
        const struct ArrowSchema *cs = s->children[0];
        const struct ArrowArray *child = src->children[0];
        int child_width = vcy_fixed_width(cs->format);
        int child_bool = cs->format[0] == 'b' && cs->format[1] == 0;
        if (cs->dictionary != NULL || !(child_width || child_bool)) return 1;
        if (vcy_init_schema(dst_schema, "+L", s->name, s->flags, 1)) return -1;
        dst_schema->children[0] = (struct ArrowSchema *)calloc(1, sizeof(struct ArrowSchema));
        if (dst_schema->children[0] == NULL
            || vcy_init_schema(dst_schema->children[0], cs->format, cs->name, cs->flags, 0))
            return -1;
        if (vcy_init_array(dst, n, 2, 1) || vcy_take_validity(src, rows, n, dst)) return -1;
        int64_t *off = (int64_t *)vcy_buffer(dst, 1, 1, (size_t)(8 * (n + 1)));
        if (off == NULL) return -1;
        int large = f[1] == 'L';
        int64_t total = 0;
        for (int64_t i = 0; i < n; ++i) {
            int64_t j = src->offset + rows[i];
            int64_t lo = large ? ((const int64_t *)src->buffers[1])[j]
                               : ((const int32_t *)src->buffers[1])[j];
            int64_t hi = large ? ((const int64_t *)src->buffers[1])[j + 1]
                               : ((const int32_t *)src->buffers[1])[j + 1];
            off[i] = total;
            total += hi - lo;
        }
        off[n] = total;
        struct ArrowArray *out_child = (struct ArrowArray *)calloc(1, sizeof(struct ArrowArray));
        dst->children[0] = out_child;
        if (out_child == NULL || vcy_init_array(out_child, total, 2, 0)) return -1;
        /* The child's rows: each list's run, in order. */
        int64_t *child_rows = (int64_t *)malloc((size_t)(8 * (total ? total : 1)));
        if (child_rows == NULL) return -1;
        int64_t k = 0;
        for (int64_t i = 0; i < n; ++i) {
            int64_t j = src->offset + rows[i];
            int64_t lo = large ? ((const int64_t *)src->buffers[1])[j]
                               : ((const int32_t *)src->buffers[1])[j];
            for (int64_t m = 0; m < off[i + 1] - off[i]; ++m) child_rows[k++] = lo + m;
        }
        int failed = vcy_take_validity(child, child_rows, total, out_child)
                  || vcy_take_values(child, child_width, child_rows, 0, total, out_child);
        free(child_rows);
        return failed ? -1 : 0;
    }
    return 1;
}

#endif /* VOXELIZE_CY_ARROW_TAKE_H */
