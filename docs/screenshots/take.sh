#!/usr/bin/env bash
# Takes every screenshot the README shows: aetui in a real xterm under Xvfb (Sixel with `-ti vt340`,
# 16 colours; half blocks in xterm-256color at 80x24), keys typed with xdotool, the window captured
# with ImageMagick's `import`, each at a settled moment (a live run paused, notifications gone).
# Needs: apt-get install xvfb xterm xdotool imagemagick fonts-dejavu-core.
# Usage: docs/screenshots/take.sh MNIST_FOLDER  (writes docs/screenshots/*.png; trains in a
# temporary store, a few minutes on 2 cores)
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
step() { echo "take.sh: $(date +%T) $*"; }

# row RECIPE: how many Downs from the first recipe home lists (the built-in recipes, by name)
row() { ls models/*.toml | xargs -n1 basename | sed 's/\.toml$//' | sort | grep -nx "$1" | cut -d: -f1 | awk '{print $1 - 1}'; }

# window MODE SIZE ARGS...: an xterm running aetui ARGS, its window id in $window, its pid in $pid
window() {
  local mode=$1 size=$2; shift 2
  local term=(-tn xterm-256color) font=10
  if [ "$mode" = sixel ]; then term=(-ti vt340); fi
  if [ "$size" = 160x48 ]; then font=8; fi
  xterm "${term[@]}" -geometry "$size+0+0" -fa 'DejaVu Sans Mono' -fs $font \
    -e "$AETUI" --data "$MNIST" --graphics "$mode" "$@" &
  pid=$!
  sleep 8  # TensorFlow and MNIST load after the first frame
  window=$(xdotool search --sync --pid $pid | head -1)
  xdotool windowfocus --sync "$window"
}

keys() { for k in "$@"; do xdotool key "$k"; sleep 0.4; done; }

capture() {
  sleep 6  # past every notification (they last up to 5 s)
  import -window "$window" "$OUT/$1.png"
  kill $pid 2>/dev/null || true
  wait $pid 2>/dev/null || true
  step "wrote $OUT/$1.png"
}

# live NAME RECIPE MODE SIZE [VIEW KEYS...]: the train screen after some seconds of training, paused
live() {
  local name=$1 recipe=$2 mode=$3 size=$4; shift 4
  step "$name"
  window "$mode" "$size" --sessions "$WORK/$name"
  for _ in $(seq "$(row "$recipe")"); do xdotool key Down; sleep 0.1; done
  keys Return; sleep 2
  keys space; sleep 10
  keys space "$@"  # paused, so the picture holds still; then the view asked for
  capture "$name"
}

live sparse-kl-sixel sparse-kl sixel 160x48
live ae-32-sixel ae-32 sixel 160x48
live vae-2d-sixel vae-2d sixel 160x48
live sparse-kl-halfblock-80x24 sparse-kl halfblock 80x24 1
live sparse-kl-digits-halfblock-80x24 sparse-kl halfblock 80x24 2 h
live ae-32-halfblock-80x24 ae-32 halfblock 80x24
live vae-2d-halfblock-80x24 vae-2d halfblock 80x24 3

step "sessions to replay and compare"
STORE="$WORK/kept"
"$AETUI" --sessions "$STORE" --data "$MNIST" --limit 10000 train vae-2d --epochs 10 --session vae >/dev/null
for beta in 0 0.3 3; do
  "$AETUI" --sessions "$STORE" --data "$MNIST" train sparse-kl --epochs 10 --set "beta=$beta" \
    --session "kl-beta$beta" >/dev/null
done

step vae-2d-replay-scatter-sixel
window sixel 160x48 --sessions "$STORE" open vae
keys 3
capture vae-2d-replay-scatter-sixel
step vae-2d-replay-sweep-sixel
window sixel 160x48 --sessions "$STORE" open vae
keys 4
capture vae-2d-replay-sweep-sixel
step vae-2d-replay-halfblock-80x24
window halfblock 80x24 --sessions "$STORE" open vae
keys 3
capture vae-2d-replay-halfblock-80x24
step compare-three-halfblock-80x24
window halfblock 80x24 --sessions "$STORE" compare kl-beta0 kl-beta0.3 kl-beta3
capture compare-three-halfblock-80x24
step compare-digits-halfblock-80x24
window halfblock 80x24 --sessions "$STORE" compare kl-beta0 kl-beta0.3 kl-beta3
keys 3
capture compare-digits-halfblock-80x24
step compare-three-vt340-80x24
window sixel 80x24 --sessions "$STORE" compare kl-beta0 kl-beta0.3 kl-beta3
capture compare-three-vt340-80x24
step "done: $OUT/*.png"
