#!/bin/sh
# What `make bundle` needs from the system on Linux besides Python packages: PyInstaller refuses to run without
# objdump (binutils), which a minimal Debian image lacks. As root with apt-get, install it; else say how.
set -eu
[ "$(uname -s)" = "Linux" ] || exit 0
command -v objdump >/dev/null 2>&1 && exit 0
if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "bundle: installing binutils (PyInstaller needs objdump)"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update
    apt-get install -y --no-install-recommends binutils
    exit 0
fi
echo "bundle: PyInstaller needs objdump; install it with: sudo apt-get install binutils" >&2
exit 1
