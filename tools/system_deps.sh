#!/bin/sh
# What Mailroom needs from a Debian system besides its Python packages.
#
#   sh tools/system_deps.sh          before .venv exists: venv/ensurepip for $PYTHON (python3-venv) and the
#                                    Debian packages Qt and QtWebEngine need (PACKAGES below)
#   sh tools/system_deps.sh --libs PYTHON
#                                    once the venv exists: every shared library that the Qt parts Mailroom
#                                    loads link against resolves (ldd), so a Qt update that needs a library
#                                    PACKAGES does not install fails here, with the package to add, and not
#                                    at import time with "cannot open shared object file"
#   sh tools/system_deps.sh --packages
#                                    print the Debian packages, one a line
#
# As root with apt-get, installs what is missing. Otherwise prints the exact apt-get command and fails.
# On a machine without dpkg (not Debian), says what it cannot check and carries on.
set -eu

# The Debian 12 packages whose libraries PySide6's Qt (offscreen and xcb) and QtWebEngine's Chromium link
# against, found by `--libs` on a minimal Debian 12 (debootstrap --variant=minbase, tools/fresh_debian.sh);
# tests/test_setup_tools.py checks that every system library they load comes with these. (libgssapi-krb5-2,
# for QtNetwork, also comes with git; it is listed so that it does not depend on git being there.)
# fonts-dejavu-core is not a library: without any font Qt draws every glyph as an empty box, silently.
PACKAGES="libegl1 libgl1 libxkbcommon0 libfontconfig1 libfreetype6 libdbus-1-3 libglib2.0-0 libx11-xcb1
libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1 libxcb-image0 libxcb-randr0 libxcb-render-util0 libxcb-shape0
libxcb-xkb1 libxkbcommon-x11-0 fonts-dejavu-core
libnss3 libnspr4 libxcomposite1 libxdamage1 libxrandr2 libxtst6 libasound2 libxkbfile1
libx11-6 libxext6 libxfixes3 libgbm1 libxcb1 libxcb-glx0 libxcb-render0 libxcb-shm0 libxcb-sync1 libxcb-xfixes0
libxcb-dri3-0 libxcb-util1 libgssapi-krb5-2"

# Which Debian package ships each system library that Qt links against: `--libs` names the package to add
# when one is missing (on a fresh machine the library is absent, so dpkg cannot be asked).
SONAMES="
libasound.so.2 libasound2
libdbus-1.so.3 libdbus-1-3
libEGL.so.1 libegl1
libfontconfig.so.1 libfontconfig1
libfreetype.so.6 libfreetype6
libgio-2.0.so.0 libglib2.0-0
libglib-2.0.so.0 libglib2.0-0
libgmodule-2.0.so.0 libglib2.0-0
libgobject-2.0.so.0 libglib2.0-0
libgthread-2.0.so.0 libglib2.0-0
libGL.so.1 libgl1
libGLX.so.0 libglx0
libOpenGL.so.0 libopengl0
libgbm.so.1 libgbm1
libgssapi_krb5.so.2 libgssapi-krb5-2
libbrotlidec.so.1 libbrotli1
libdrm.so.2 libdrm2
libexpat.so.1 libexpat1
libnspr4.so libnspr4
libplc4.so libnspr4
libplds4.so libnspr4
libnss3.so libnss3
libnssutil3.so libnss3
libsmime3.so libnss3
libX11.so.6 libx11-6
libX11-xcb.so.1 libx11-xcb1
libxcb.so.1 libxcb1
libxcb-cursor.so.0 libxcb-cursor0
libxcb-dri3.so.0 libxcb-dri3-0
libxcb-glx.so.0 libxcb-glx0
libxcb-icccm.so.4 libxcb-icccm4
libxcb-image.so.0 libxcb-image0
libxcb-keysyms.so.1 libxcb-keysyms1
libxcb-randr.so.0 libxcb-randr0
libxcb-render.so.0 libxcb-render0
libxcb-render-util.so.0 libxcb-render-util0
libxcb-shape.so.0 libxcb-shape0
libxcb-shm.so.0 libxcb-shm0
libxcb-sync.so.1 libxcb-sync1
libxcb-util.so.1 libxcb-util1
libxcb-xfixes.so.0 libxcb-xfixes0
libxcb-xinput.so.0 libxcb-xinput0
libxcb-xkb.so.1 libxcb-xkb1
libXcomposite.so.1 libxcomposite1
libXdamage.so.1 libxdamage1
libXext.so.6 libxext6
libXfixes.so.3 libxfixes3
libXi.so.6 libxi6
libxkbcommon.so.0 libxkbcommon0
libxkbcommon-x11.so.0 libxkbcommon-x11-0
libxkbfile.so.1 libxkbfile1
libXrandr.so.2 libxrandr2
libXrender.so.1 libxrender1
libxshmfence.so.1 libxshmfence1
libXtst.so.6 libxtst6
libz.so.1 zlib1g
"

# The Qt plugins Mailroom loads (platforms, GL integration, images, icons, TLS, input, network state); the
# others (Wayland, GTK theme, SQL drivers, multimedia, ...) are never loaded and need libraries it does not use.
PLUGIN_DIRS="xcbglintegrations imageformats iconengines tls platforminputcontexts networkinformation"
PLATFORM_PLUGINS="libqxcb.so libqoffscreen.so libqminimal.so"

is_root_with_apt() {
    [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1
}

apt_install() {
    # apt_install PACKAGE... : as root, apt-get update (once per run) and install.
    export DEBIAN_FRONTEND=noninteractive
    if [ -z "${SYSTEM_DEPS_UPDATED:-}" ]; then
        apt-get update
        SYSTEM_DEPS_UPDATED=1
    fi
    apt-get install -y --no-install-recommends "$@"
}

# --- venv: `python3 -m venv` needs ensurepip, which Debian ships in python3-venv, not with python3 ----------
check_venv() {
    python=${PYTHON:-python3}
    if ! command -v "$python" >/dev/null 2>&1; then
        echo "system-deps: no $python on PATH; Mailroom needs Python 3.11 or newer (Debian: apt-get install python3)" >&2
        exit 1
    fi
    if "$python" -c "import ensurepip, venv" >/dev/null 2>&1; then
        return 0
    fi
    version=$("$python" -c "import sys; print('%d.%d' % sys.version_info[:2])")
    if command -v dpkg-query >/dev/null 2>&1; then
        if is_root_with_apt; then
            echo "system-deps: $python cannot create a virtual environment (no ensurepip); installing python3-venv"
            apt_install python3-venv "python$version-venv"
            return 0
        fi
        echo "system-deps: $python cannot create a virtual environment: Debian ships ensurepip in python3-venv," >&2
        echo "which is not installed. Run as root:" >&2
        echo >&2
        echo "  apt-get update && apt-get install -y --no-install-recommends python3-venv" >&2
        echo >&2
        exit 1
    fi
    echo "system-deps: $python has no ensurepip/venv module, so .venv cannot be created; install your" >&2
    echo "distribution's venv package for Python $version" >&2
    exit 1
}

# --- Debian packages, by name ------------------------------------------------------------------------------
check_packages() {
    if ! command -v dpkg-query >/dev/null 2>&1; then
        echo "system-deps: no dpkg here, so the Qt system libraries cannot be checked; make sure they are installed:" >&2
        echo "  $PACKAGES" | tr '\n' ' ' >&2
        echo >&2
        return 0
    fi
    missing=""
    for pkg in $PACKAGES; do
        # dpkg -s succeeds for packages that were removed but not purged; check the status word instead.
        status=$(dpkg-query -W -f='${db:Status-Status}' "$pkg" 2>/dev/null || true)
        if [ "$status" != "installed" ]; then
            missing="$missing $pkg"
        fi
    done
    [ -n "$missing" ] || return 0
    if is_root_with_apt; then
        echo "system-deps: installing missing Debian packages:$missing"
        # shellcheck disable=SC2086  # word splitting of the package list is intended
        apt_install $missing
        return 0
    fi
    echo "system-deps: Qt needs Debian packages that are not installed. Run as root:" >&2
    echo >&2
    echo "  apt-get update && apt-get install -y --no-install-recommends$missing" >&2
    echo >&2
    exit 1
}

# --- shared libraries, by resolving them (after the venv exists) --------------------------------------------
qt_binaries() {
    # The PySide6 modules the code imports, QtWebEngine's helper process and the plugins Mailroom loads.
    pyside=$1
    root=$(dirname "$0")/..
    modules=$(grep -rhoE 'PySide6\.Qt[A-Za-z]+|from PySide6 import [A-Za-z_, ]+' "$root/app" "$root/tests" \
        2>/dev/null | sed -e 's/from PySide6 import//' -e 's/PySide6\.//' | tr ', ' '\n\n' | grep '^Qt' | sort -u)
    for mod in ${modules:-QtCore QtGui QtWidgets QtNetwork QtWebEngineCore QtWebEngineWidgets}; do
        for f in "$pyside/$mod".*.so; do [ -e "$f" ] && echo "$f"; done
    done
    [ -e "$pyside/Qt/libexec/QtWebEngineProcess" ] && echo "$pyside/Qt/libexec/QtWebEngineProcess"
    for p in $PLATFORM_PLUGINS; do
        [ -e "$pyside/Qt/plugins/platforms/$p" ] && echo "$pyside/Qt/plugins/platforms/$p"
    done
    for d in $PLUGIN_DIRS; do
        for f in "$pyside/Qt/plugins/$d"/*.so; do [ -e "$f" ] && echo "$f"; done
    done
    return 0
}

package_of() {
    echo "$SONAMES" | awk -v so="$1" '$1 == so { print $2; exit }'
}

check_libs() {
    python=$1
    if ! command -v ldd >/dev/null 2>&1; then
        echo "system-deps: no ldd here, so Qt's shared libraries cannot be checked" >&2
        return 0
    fi
    pyside=$("$python" -c "import importlib.util, os; s = importlib.util.find_spec('PySide6'); \
print(os.path.dirname(s.origin) if s else '')")
    if [ -z "$pyside" ]; then
        echo "system-deps: PySide6 is not installed in $python's environment; nothing to check" >&2
        return 0
    fi
    binaries=$(qt_binaries "$pyside")
    # shellcheck disable=SC2086  # one path a line, no spaces in site-packages paths
    notfound=$(ldd $binaries 2>/dev/null | awk '$2 == "=>" && $3 == "not" { print $1 }' | sort -u)
    count=$(echo "$binaries" | wc -l)
    if [ -z "$notfound" ]; then
        echo "system-deps: the shared libraries of $count Qt binaries all resolve"
        return 0
    fi
    echo "system-deps: Qt links against libraries this system lacks (ldd of $count binaries in $pyside):" >&2
    packages=""
    unknown=""
    for so in $notfound; do
        pkg=$(package_of "$so")
        if [ -n "$pkg" ]; then
            echo "  $so (Debian package $pkg)" >&2
            case " $packages " in *" $pkg "*) ;; *) packages="$packages $pkg" ;; esac
        else
            echo "  $so (no package known: look it up with apt-file search $so, add it to SONAMES)" >&2
            unknown="$unknown $so"
        fi
    done
    if [ -n "$packages" ]; then
        missing_listed=""
        for pkg in $packages; do
            case " $(echo "$PACKAGES" | tr '\n' ' ') " in *" $pkg "*) ;; *) missing_listed="$missing_listed $pkg" ;; esac
        done
        [ -z "$missing_listed" ] || echo "tools/system_deps.sh must add to PACKAGES:$missing_listed" >&2
        echo "Install them with (as root):" >&2
        echo >&2
        echo "  apt-get update && apt-get install -y --no-install-recommends$packages" >&2
        echo >&2
    fi
    exit 1
}

case "${1:-}" in
    --packages)
        echo "$PACKAGES" | tr ' ' '\n' | grep .
        ;;
    --libs)
        [ $# -eq 2 ] || { echo "usage: $0 --libs PYTHON" >&2; exit 2; }
        check_libs "$2"
        ;;
    "")
        check_venv
        check_packages
        ;;
    *)
        echo "usage: $0 [--libs PYTHON | --packages]" >&2
        exit 2
        ;;
esac
