#!/bin/sh
# A small disk for one daemon, without root: run under `unshare --user --map-root-user
# --mount`, it mounts a tmpfs of SIZE on DIR in the private mount namespace, takes FILLER
# bytes of it with a file, then runs the rest of its arguments (the daemon). A line on
# stdin deletes the filler: the test's way to give the daemon space back.
#   small-disk.sh DIR SIZE FILLER_BYTES COMMAND...
set -eu
dir=$1 size=$2 filler=$3
shift 3
mount -t tmpfs -o "size=$size" tmpfs "$dir"
head -c "$filler" /dev/zero > "$dir/filler"
# stdin kept as fd 3 first: a background job's own stdin is /dev/null in a non-interactive sh.
exec 3<&0
(read -r _ <&3 && rm -f "$dir/filler") &
exec "$@" 3<&-
