#!/usr/bin/env bash
# Build voxelize_cy in debug mode (Cython bounds checks on, AddressSanitizer and
# UndefinedBehaviorSanitizer compiled in) into its own venv, then run tests
# under it.  Usage:
#
#     bash tests/run_sanitized.sh                 # the default subset
#     bash tests/run_sanitized.sh tests/ -x       # any pytest arguments
#
# The build happens in a copy of the tracked sources so the normal build in the
# work tree is left alone.  Python itself is not instrumented, so the ASan
# runtime is preloaded and its leak checker (which would report CPython's own
# allocations) is off; any out-of-bounds access, use-after-free or undefined
# behaviour in our code aborts the run with a report.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="${VOXELIZE_CY_ASAN_VENV:-$root/.venv-asan}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

echo "== sanitizer build in $work (venv $venv)"
git -C "$root" ls-files -z --cached --others --exclude-standard | (cd "$root" && xargs -0 cp --parents -t "$work")
python3 -m venv "$venv"
# shellcheck disable=SC1091
. "$venv/bin/activate"
python -m pip install --quiet --upgrade pip
VOXELIZE_CY_DEBUG=1 python -m pip install --quiet "$work[test]"
libasan="$(gcc -print-file-name=libasan.so)"
if [ ! -e "$libasan" ]; then
    echo "libasan.so not found (gcc -print-file-name=libasan.so gave '$libasan')" >&2
    exit 1
fi

if [ "$#" -eq 0 ]; then
    set -- tests/test_cases.py tests/test_golden.py tests/test_batch.py \
        tests/test_validation.py tests/test_fuzz.py tests/test_overlap.py \
        tests/test_input_forms.py tests/test_frames.py tests/test_prepared.py \
        tests/test_gradients.py tests/test_macromol.py tests/test_cache.py \
        tests/test_layouts.py tests/test_simd.py tests/test_density.py \
        tests/test_molgrid_reference.py tests/test_gnina_types.py \
        tests/test_property_channels.py -q
fi

cd "$work"
# libstdc++ is preloaded too: ASan resolves __cxa_throw when it starts, and
# without it C++ exceptions in extensions loaded later (gemmi) abort the run.
libstdcxx="$(gcc -print-file-name=libstdc++.so.6)"
export LD_PRELOAD="$libasan:$libstdcxx"
export ASAN_OPTIONS="detect_leaks=0:abort_on_error=1:halt_on_error=1:allocator_may_return_null=1"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
# From outside the source tree, so the installed (instrumented) build is imported.
(cd / && python -c "
import voxelize_cy
info = voxelize_cy.build_info()
print('built:', info)
assert info['debug'], 'not a VOXELIZE_CY_DEBUG build'
")
echo "== pytest under ASan/UBSan: $*"
pytest -p no:cacheprovider "$@"
