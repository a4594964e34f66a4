#!/bin/sh
# Install Mailroom for the current user (no root): the bundle under ~/.local/opt/mailroom, a `mailroom` command
# in ~/.local/bin, the menu entry and icons under ~/.local/share. Run from the unpacked tarball.
# Make it the mailto: handler with: xdg-mime default mailroom.desktop x-scheme-handler/mailto
# Uninstall: sh install.sh --uninstall
set -eu
here=$(cd "$(dirname "$0")" && pwd)
prefix=${PREFIX:-$HOME/.local}
data=${XDG_DATA_HOME:-$HOME/.local/share}

if [ "${1:-}" = "--uninstall" ]; then
    rm -rf "$prefix/opt/mailroom" "$prefix/bin/mailroom" "$data/applications/mailroom.desktop"
    find "$data/icons/hicolor" -name mailroom.png -delete 2>/dev/null || true
    echo "Mailroom removed."
    exit 0
fi

mkdir -p "$prefix/opt" "$prefix/bin" "$data/applications"
rm -rf "$prefix/opt/mailroom"
cp -R "$here/mailroom" "$prefix/opt/mailroom"
ln -sf "$prefix/opt/mailroom/mailroom" "$prefix/bin/mailroom"
# The menu entry runs the installed binary by its full path (~/.local/bin is not on every desktop's PATH).
sed "s|^Exec=mailroom |Exec=$prefix/opt/mailroom/mailroom |" "$here/mailroom.desktop" \
    > "$data/applications/mailroom.desktop"
for dir in "$here"/icons/hicolor/*/apps; do
    size=$(basename "$(dirname "$dir")")
    mkdir -p "$data/icons/hicolor/$size/apps"
    cp "$dir/mailroom.png" "$data/icons/hicolor/$size/apps/mailroom.png"
done
command -v update-desktop-database >/dev/null 2>&1 && update-desktop-database "$data/applications" || true
echo "Mailroom installed: $prefix/opt/mailroom (run: mailroom)."
