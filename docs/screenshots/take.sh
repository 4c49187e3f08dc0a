#!/usr/bin/env bash
# Takes the README's screenshots of the live train screen: aetui in a real xterm under Xvfb (Sixel
# with `-ti vt340` at 160x48, half blocks in xterm-256color at 80x24), keys typed with xdotool, the
# window captured with ImageMagick's `import`. Needs: apt-get install xvfb xterm xdotool imagemagick
# fonts-dejavu-core. Usage: docs/screenshots/take.sh MNIST_FOLDER  (writes docs/screenshots/*.png)
set -euo pipefail
cd "$(dirname "$0")/../.."
MNIST=${1:?give the folder of the MNIST IDX files}
AETUI=${AETUI:-$PWD/.venv/bin/aetui}
OUT=docs/screenshots
DISPLAY_NUMBER=:73
WORK=$(mktemp -d)
Xvfb $DISPLAY_NUMBER -screen 0 1700x1000x24 >/dev/null 2>&1 &
XVFB=$!
trap 'kill $XVFB 2>/dev/null; rm -rf "$WORK"' EXIT
export DISPLAY=$DISPLAY_NUMBER
sleep 1

# shot NAME RECIPE_ROW(downs from the first recipe) MODE(sixel|halfblock) SECONDS_OF_TRAINING
shot() {
  local name=$1 downs=$2 mode=$3 seconds=$4
  local geometry=80x24 term=(-tn xterm-256color) font=10
  if [ "$mode" = sixel ]; then geometry=160x48 term=(-ti vt340); font=8; fi
  xterm "${term[@]}" -geometry "$geometry+0+0" -fa 'DejaVu Sans Mono' -fs $font \
    -e "$AETUI" --data "$MNIST" --sessions "$WORK/$name" --graphics "$mode" &
  local pid=$!
  sleep 8  # TensorFlow and MNIST load after the first frame
  local window
  window=$(xdotool search --sync --pid $pid | head -1)
  xdotool windowfocus --sync "$window"
  for _ in $(seq "$downs"); do xdotool key Down; sleep 0.2; done
  xdotool key Return; sleep 2
  xdotool key space; sleep "$seconds"
  xdotool key space; sleep 2  # paused, so the picture holds still
  import -window "$window" "$OUT/$name.png"
  kill $pid 2>/dev/null || true
  wait $pid 2>/dev/null || true
}

shot sparse-kl-sixel 5 sixel 10
shot ae-32-sixel 3 sixel 10
shot vae-2d-sixel 10 sixel 10
shot sparse-kl-halfblock-80x24 5 halfblock 10
shot ae-32-halfblock-80x24 3 halfblock 10
shot vae-2d-halfblock-80x24 10 halfblock 10
echo "written: $OUT/*.png"
