#!/bin/sh
# Adds Hearth to your desktop's application menu (for this user only), pointing at
# this folder: run it from wherever you unpacked Hearth, and again if you move it.
#   ./install-desktop-entry.sh            add the menu entry and icons
#   ./install-desktop-entry.sh --remove   take them away again
# Nothing is written outside ~/.local/share (or $XDG_DATA_HOME).
set -eu

here="$(cd "$(dirname "$0")" && pwd)"
data="${XDG_DATA_HOME:-$HOME/.local/share}"
entry="$data/applications/hearth.desktop"
sizes="16 24 32 48 64 128 256 512"

if [ "${1:-}" = "--remove" ]; then
  rm -f "$entry"
  for size in $sizes; do
    rm -f "$data/icons/hicolor/${size}x${size}/apps/hearth.png"
  done
  echo "Removed Hearth's menu entry."
  exit 0
fi

for size in $sizes; do
  icon="$here/_internal/resources/icons/hearth-$size.png"
  if [ -f "$icon" ]; then
    mkdir -p "$data/icons/hicolor/${size}x${size}/apps"
    cp "$icon" "$data/icons/hicolor/${size}x${size}/apps/hearth.png"
  fi
done

# The entry's Exec line names this folder's program; quoted, as the desktop entry
# specification asks, so a folder name with spaces works.
mkdir -p "$data/applications"
while IFS= read -r line; do
  case "$line" in
    Exec=*) printf 'Exec="%s/hearth"\n' "$here" ;;
    *) printf '%s\n' "$line" ;;
  esac
done < "$here/hearth.desktop" > "$entry.tmp"
mv "$entry.tmp" "$entry"
chmod 644 "$entry"
command -v update-desktop-database >/dev/null 2>&1 && update-desktop-database "$data/applications" 2>/dev/null || true
echo "Added Hearth to your applications menu ($entry)."
