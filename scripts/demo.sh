#!/usr/bin/env bash
# Runs the demo: builds the release binary and serves a fresh demo database
# (`xuepei demo`, arguments passed on). The certificates' PDFs embed a Chinese font that
# the build takes from Debian's fonts-arphic-uming: it is installed first when missing
# and root (or sudo) is at hand; without it the demo runs all the same and refuses to
# print certificates, saying which package to install.
set -euo pipefail
cd "$(dirname "$0")/.."

has_cjk_font() {
  [ -n "${XUEPEI_CJK_FONT:-}" ] && return 0
  for f in /usr/share/fonts/truetype/arphic/uming.ttc /usr/share/fonts/truetype/wqy/wqy-microhei.ttc \
           /usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc /usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc; do
    [ -f "$f" ] && return 0
  done
  return 1
}

if ! has_cjk_font && command -v apt-get >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ]; then root=(); elif command -v sudo >/dev/null 2>&1; then root=(sudo); else root=(false); fi
  echo "正在安装证书所需的中文字体（fonts-arphic-uming）……"
  if ! { "${root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq \
         && "${root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq fonts-arphic-uming >/dev/null; }; then
    echo "未能安装 fonts-arphic-uming：演示系统照常运行，但不能生成证书 PDF。安装后重新运行本脚本即可。" >&2
  fi
fi

exec cargo run --release -- demo "$@"
