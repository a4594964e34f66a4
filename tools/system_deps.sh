#!/bin/sh
# Make sure the Debian packages Qt needs (offscreen and xcb) are installed.
#
# As root with apt-get available, installs whatever is missing. Otherwise prints the exact apt command and
# fails. On a machine without dpkg (not Debian), says it cannot check and carries on.
# The list comes from ../shared/reference/desktop-stack.md.
set -eu

PACKAGES="libegl1 libgl1 libxkbcommon0 libfontconfig1 libfreetype6 libdbus-1-3 libglib2.0-0 libx11-xcb1
libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1 libxcb-image0 libxcb-randr0 libxcb-render-util0 libxcb-shape0
libxcb-xkb1 libxkbcommon-x11-0 fonts-dejavu-core"

if ! command -v dpkg-query >/dev/null 2>&1; then
    echo "system-deps: no dpkg here, so the Qt system libraries cannot be checked; make sure they are installed:" >&2
    echo "  $PACKAGES" | tr '\n' ' ' >&2
    echo >&2
    exit 0
fi

missing=""
for pkg in $PACKAGES; do
    # dpkg -s succeeds for packages that were removed but not purged; check the status word instead.
    status=$(dpkg-query -W -f='${db:Status-Status}' "$pkg" 2>/dev/null || true)
    if [ "$status" != "installed" ]; then
        missing="$missing $pkg"
    fi
done

if [ -z "$missing" ]; then
    exit 0
fi

if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "system-deps: installing missing Debian packages:$missing"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update
    # shellcheck disable=SC2086  # word splitting of the package list is intended
    apt-get install -y --no-install-recommends $missing
    exit 0
fi

echo "system-deps: Qt needs Debian packages that are not installed. Run as root:" >&2
echo >&2
echo "  apt-get update && apt-get install -y --no-install-recommends$missing" >&2
echo >&2
exit 1
