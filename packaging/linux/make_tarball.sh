#!/bin/sh
# Pack the Linux bundle (make bundle) with its menu entry and icons:
#   dist/mailroom-<version>-linux-<arch>.tar.gz  ->  mailroom-<version>/{mailroom/, mailroom.desktop, icons/, install.sh}
# Usage: sh packaging/linux/make_tarball.sh   (from anywhere; needs dist/mailroom and build/icons from the build)
# OUT_DIR=DIR writes the tarball there instead of dist/. GZIP_LEVEL=1 packs faster (the tests use it); the
# default, 6, makes a ~190 MB file of the ~450 MB bundle.
set -eu
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
test -x dist/mailroom/mailroom || { echo "make_tarball: no dist/mailroom/mailroom; run make bundle" >&2; exit 1; }
# The version from the bundle itself, so the name cannot disagree with what it reports.
version=$(dist/mailroom/mailroom --version | awk '{print $2}')
arch=$(uname -m)
name="mailroom-$version"
stage="build/tarball/$name"
rm -rf build/tarball
mkdir -p "$stage"
cp -R dist/mailroom "$stage/mailroom"
cp packaging/linux/mailroom.desktop packaging/linux/install.sh "$stage/"
for size in 16 24 32 48 64 128 256 512; do
    mkdir -p "$stage/icons/hicolor/${size}x${size}/apps"
    cp "build/icons/mailroom-$size.png" "$stage/icons/hicolor/${size}x${size}/apps/mailroom.png"
done
out_dir=${OUT_DIR:-dist}
mkdir -p "$out_dir"
out="$out_dir/$name-linux-$arch.tar.gz"
tar --use-compress-program="gzip -${GZIP_LEVEL:-6}" -C build/tarball -cf "$out" "$name"
rm -rf build/tarball  # the staged copy is as big as the bundle
echo "$out ($(du -h "$out" | cut -f1))"
