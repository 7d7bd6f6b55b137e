#!/bin/sh
# run_example.sh EXPECT PROGRAM ARGS...
# Runs an example; passes when its exit status is 0 and its output contains EXPECT, or,
# with EXPECT written "!TEXT", when it fails and its output contains TEXT.
expect=$1
shift
out=$("$@" 2>&1)
status=$?
printf '%s\n' "$out"
case $expect in
  !*)
    [ $status -ne 0 ] || { echo "FAIL: expected a non-zero exit"; exit 1; }
    expect=${expect#!}
    ;;
  *)
    [ $status -eq 0 ] || { echo "FAIL: exit status $status"; exit 1; }
    ;;
esac
printf '%s\n' "$out" | grep -qF -- "$expect" || { echo "FAIL: no \"$expect\" in the output"; exit 1; }
echo "PASS"
