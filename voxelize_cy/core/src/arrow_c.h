/*
 * arrow_c.h -- the Arrow C data interface structs (a stable ABI defined by the
 * Arrow specification, "The Arrow C data interface" and "The Arrow C stream
 * interface").  Declared here so that voxelize_cy reads string columns of
 * pyarrow, pandas (Arrow-backed) and polars without depending on pyarrow:
 * any object with ``__arrow_c_stream__`` or ``__arrow_c_array__`` hands us
 * these structs in PyCapsules named "arrow_array_stream", "arrow_schema" and
 * "arrow_array".
 *
 * The guard macros are the ones the specification asks every copy to use, so
 * a translation unit that also includes another copy sees one definition.
 */
#ifndef VOXELIZE_CY_ARROW_C_H
#define VOXELIZE_CY_ARROW_C_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#ifndef ARROW_C_DATA_INTERFACE
#define ARROW_C_DATA_INTERFACE

#define ARROW_FLAG_DICTIONARY_ORDERED 1
#define ARROW_FLAG_NULLABLE 2
#define ARROW_FLAG_MAP_KEYS_SORTED 4

struct ArrowSchema {
    const char *format;
    const char *name;
    const char *metadata;
    int64_t flags;
    int64_t n_children;
    struct ArrowSchema **children;
    struct ArrowSchema *dictionary;
    void (*release)(struct ArrowSchema *);
    void *private_data;
};

struct ArrowArray {
    int64_t length;
    int64_t null_count;
    int64_t offset;
    int64_t n_buffers;
    int64_t n_children;
    const void **buffers;
    struct ArrowArray **children;
    struct ArrowArray *dictionary;
    void (*release)(struct ArrowArray *);
    void *private_data;
};

#endif /* ARROW_C_DATA_INTERFACE */

#ifndef ARROW_C_STREAM_INTERFACE
#define ARROW_C_STREAM_INTERFACE

struct ArrowArrayStream {
    int (*get_schema)(struct ArrowArrayStream *, struct ArrowSchema *out);
    int (*get_next)(struct ArrowArrayStream *, struct ArrowArray *out);
    const char *(*get_last_error)(struct ArrowArrayStream *);
    void (*release)(struct ArrowArrayStream *);
    void *private_data;
};

#endif /* ARROW_C_STREAM_INTERFACE */

/* Calling a struct's release callback, as Cython cannot call a member
 * function pointer of a struct it only sees through a pointer. */
static inline void vcy_arrow_release_schema(struct ArrowSchema *s)
{
    if (s != NULL && s->release != NULL) s->release(s);
}

static inline void vcy_arrow_release_array(struct ArrowArray *a)
{
    if (a != NULL && a->release != NULL) a->release(a);
}

static inline void vcy_arrow_release_stream(struct ArrowArrayStream *s)
{
    if (s != NULL && s->release != NULL) s->release(s);
}

static inline int vcy_arrow_stream_schema(struct ArrowArrayStream *s, struct ArrowSchema *out)
{
    return s->get_schema(s, out);
}

static inline int vcy_arrow_stream_next(struct ArrowArrayStream *s, struct ArrowArray *out)
{
    return s->get_next(s, out);
}

#ifdef __cplusplus
}
#endif

#endif /* VOXELIZE_CY_ARROW_C_H */
