#!/usr/bin/env bash
# Installs the Debian/Ubuntu system packages the app and its tests need:
#   - fonts-wqy-microhei: a TrueType CJK font (Qt renders Chinese, reportlab embeds it)
#   - Qt 6 runtime libraries for the offscreen and xcb platforms (GL, EGL, fontconfig, xcb, xkb, dbus)
#   - xvfb + xauth: a virtual screen for real-window screenshots
#   - poppler-utils: pdftoppm/pdftotext to look at generated documents
#   - python3, python3-venv: the virtualenv
#   - postgresql: for the tests that need PostgreSQL where no server is configured
#     (they start a throwaway cluster with initdb/pg_ctl)
# Only runs apt-get when something is missing, and only as root; otherwise prints what to install.
set -euo pipefail
PKGS=(fonts-wqy-microhei libgl1 libegl1 libglib2.0-0 libfontconfig1 libdbus-1-3 libxkbcommon0
      libxkbcommon-x11-0 libxcb-cursor0 libxcb-icccm4 libxcb-image0 libxcb-keysyms1 libxcb-randr0
      libxcb-render-util0 libxcb-shape0 libxcb-xinerama0 libxcb-xkb1 libxrender1 libxi6
      xvfb xauth poppler-utils python3 python3-venv postgresql)
if ! command -v dpkg-query >/dev/null 2>&1; then
  echo "setup-system: not a Debian/Ubuntu machine; install a CJK TrueType font and Qt 6 libraries yourself."
  exit 0
fi
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "setup-system: all system packages present."
  exit 0
fi
echo "setup-system: installing ${missing[*]}"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then
    SUDO="sudo"
  else
    echo "setup-system: not root and no sudo; run as root: apt-get install -y ${missing[*]}" >&2
    exit 1
  fi
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
