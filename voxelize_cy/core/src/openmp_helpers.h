/* OpenMP queries that also compile (serially) without OpenMP, and build flags. */
#ifndef VOXELIZE_CY_OPENMP_HELPERS_H
#define VOXELIZE_CY_OPENMP_HELPERS_H

#if defined(_OPENMP)
#include <omp.h>
#define VCY_HAVE_OPENMP 1
static int vcy_omp_max_threads(void) { return omp_get_max_threads(); }
static int vcy_omp_num_procs(void) { return omp_get_num_procs(); }
#else
#define VCY_HAVE_OPENMP 0
static int vcy_omp_max_threads(void) { return 1; }
static int vcy_omp_num_procs(void) { return 1; }
#endif

#if defined(VOXELIZE_CY_LINETRACE)
#define VCY_LINETRACE 1
#else
#define VCY_LINETRACE 0
#endif

#if defined(VOXELIZE_CY_DEBUG)
#define VCY_DEBUG_BUILD 1
#else
#define VCY_DEBUG_BUILD 0
#endif

#endif
