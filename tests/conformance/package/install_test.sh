#!/bin/sh
# install_test.sh BUILD_DIR C_COMPILER: installs the build into a temporary prefix and
# builds a small C program against it, once with pkg-config and once with find_package.
set -e
build=$1
cc=$2
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cmake --install "$build" --prefix "$tmp/prefix" >/dev/null
pc=$(find "$tmp/prefix" -name tapi.pc | head -n1)
[ -n "$pc" ] || { echo "FAIL: no tapi.pc installed"; exit 1; }
export PKG_CONFIG_PATH=$(dirname "$pc")
flags=$(pkg-config --cflags --libs tapi)
echo "pkg-config --cflags --libs tapi: $flags"
libdir=$(pkg-config --variable=libdir tapi)
# shellcheck disable=SC2086
"$cc" -std=c11 -Wall -Werror "$here/consumer.c" -o "$tmp/consumer" $flags -Wl,-rpath,"$libdir"
"$tmp/consumer"
cmake -S "$here" -B "$tmp/cmake" -G Ninja -DCMAKE_C_COMPILER="$cc" \
      -DCMAKE_PREFIX_PATH="$tmp/prefix" -DCMAKE_BUILD_RPATH="$libdir" >/dev/null
cmake --build "$tmp/cmake" >/dev/null
"$tmp/cmake/consumer"
echo PASS
