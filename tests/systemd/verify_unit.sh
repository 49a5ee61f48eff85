#!/usr/bin/env bash
# systemd-analyze verify on the generated unit, with ExecStart pointing at the built binary (the
# install path does not exist before `meson install`).
set -euo pipefail
unit_in=$1
binary=$2
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
sed "s|^\(Exec[A-Za-z]*=\)[^ ]*/tsyncd |\1$binary |" "$unit_in" > "$dir/tsyncd.service"
grep -q "^ExecStart=$binary run" "$dir/tsyncd.service"
systemd-analyze verify "$dir/tsyncd.service"
