/* Writing image memory that will not be read again soon.
 *
 * vcy_zero_streaming(p, nbytes) sets nbytes at p to zero, and
 * vcy_copy_streaming(dst, src, nbytes) copies src to dst, with non-temporal
 * stores where the CPU has them (SSE2, every x86-64): the lines go straight
 * to memory instead of being read into the cache first and evicted later,
 * which halves the memory traffic of writing an image channel.  Elsewhere
 * they are memset and memcpy.  The bytes written are the same either way.
 */
#ifndef VCY_MEMORY_H
#define VCY_MEMORY_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#if defined(__SSE2__)
#include <emmintrin.h>

static inline void vcy_zero_streaming(void *p, size_t nbytes)
{
    char *c = (char *)p;
    size_t head = (size_t)((16 - ((uintptr_t)c & 15)) & 15);
    size_t i;
    __m128i zero = _mm_setzero_si128();
    if (nbytes < 256) {
        memset(c, 0, nbytes);
        return;
    }
    memset(c, 0, head);
    for (i = head; i + 16 <= nbytes; i += 16)
        _mm_stream_si128((__m128i *)(c + i), zero);
    memset(c + i, 0, nbytes - i);
    _mm_sfence();  /* the streamed stores ordered before anything after */
}

static inline void vcy_copy_streaming(void *dst, const void *src, size_t nbytes)
{
    char *d = (char *)dst;
    const char *s = (const char *)src;
    size_t head = (size_t)((16 - ((uintptr_t)d & 15)) & 15);
    size_t i;
    if (nbytes < 256) {
        memcpy(d, s, nbytes);
        return;
    }
    memcpy(d, s, head);
    for (i = head; i + 16 <= nbytes; i += 16)
        _mm_stream_si128((__m128i *)(d + i), _mm_loadu_si128((const __m128i *)(s + i)));
    memcpy(d + i, s + i, nbytes - i);
    _mm_sfence();
}
#else
static inline void vcy_zero_streaming(void *p, size_t nbytes)
{
    memset(p, 0, nbytes);
}

static inline void vcy_copy_streaming(void *dst, const void *src, size_t nbytes)
{
    memcpy(dst, src, nbytes);
}
#endif

#endif /* VCY_MEMORY_H */
