#!/bin/sh
# Make dist/Mailroom-<version>.dmg from dist/Mailroom.app (pyinstaller.spec's BUNDLE step), on macOS:
# a compressed disk image with the app and a link to /Applications to drag it onto.
# Usage: sh packaging/macos/make_dmg.sh   (the app is not signed or notarized: that needs a Developer ID)
set -eu
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
app=dist/Mailroom.app
test -d "$app" || { echo "make_dmg: no $app; build it with pyinstaller pyinstaller.spec on macOS" >&2; exit 1; }
version=$(/usr/libexec/PlistBuddy -c "Print :CFBundleShortVersionString" "$app/Contents/Info.plist")
stage=build/dmg
rm -rf "$stage"
mkdir -p "$stage"
cp -R "$app" "$stage/"
ln -s /Applications "$stage/Applications"
out="dist/Mailroom-$version.dmg"
rm -f "$out"
hdiutil create -volname "Mailroom $version" -srcfolder "$stage" -fs HFS+ -format UDZO -ov "$out"
rm -rf "$stage"
echo "$out ($(du -h "$out" | cut -f1))"
