#!/bin/bash
# storeimport and the shape of its target: a root that is really a channel or
# a download/ folder is refused with a hint; a channel that does not exist is
# created only with --create-channel (or as "release", the first channel of
# an empty root); a refused publish into a new channel leaves nothing behind.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/importer_lib.sh"

SRC="$WORK/src"
fw_build "$SRC" 130001 0013
fw_build "$SRC" 130002 0013

# no_channel_left NAME: the root holds no folder NAME.
no_channel_left() { [ ! -e "$ROOT/$1" ]; }

# --- an empty root ------------------------------------------------------------
si -c beta --release 13r1 publish "$SRC/130001"
is "empty root, -c beta without --create-channel: refused" "$RC" 3
like "and says how to create it" "$OUT" 'channel "beta" does not exist \(channels here: none\); --create-channel creates it'
check "the refused publish leaves no beta/ behind" no_channel_left beta
si --release 13r1 publish "$SRC/130001"
is "empty root: the first publish creates release" "$RC" 0
test -f "$ROOT/release/download/130001/ip0013.bin" && ok "release/download/130001 published" ||
    not_ok "release/download/130001 published"

# --- a channel that does not exist ---------------------------------------------
si -c relase --release 13r1 publish "$SRC/130002"
is "-c relase (a typo): refused" "$RC" 3
like "the message names the channels there" "$OUT" 'channel "relase" does not exist \(channels here: release\)'
check "no relase/ created" no_channel_left relase
si -c relase remove 130001
is "remove in a channel that does not exist: refused" "$RC" 3
unlike_hint=$(printf '%s' "$OUT" | grep -c -- '--create-channel')
is "remove does not suggest --create-channel" "$unlike_hint" 0
check "still no relase/" no_channel_left relase

# --- a refused publish into a new channel leaves nothing ----------------------
mkdir -p "$WORK/bad/130003" && echo x >"$WORK/bad/130003/ip0013.bin"
si -c beta --create-channel --release 13r1 publish "$WORK/bad/130003"
is "publishing an invalid build into a new channel: refused" "$RC" 1
check "no beta/ (download, hashes, .lock) left behind" no_channel_left beta
si -c beta --create-channel --release 13r1 publish "$SRC/130002"
is "--create-channel creates beta" "$RC" 0
test -f "$ROOT/beta/download/130002/ip0013.bin" && ok "beta/download/130002 published" ||
    not_ok "beta/download/130002 published"

# --- a root that is a channel or a download/ folder ----------------------------
before=$(cd "$ROOT" && find . | sort)
OUT=$("$STOREIMPORT" -r "$ROOT/release" --release 13r1 publish "$SRC/130002" 2>&1); RC=$?
is "-r <root>/release: refused" "$RC" 3
like "hint: the folder is a channel" "$OUT" 'this folder is a channel .*give the folder above it as the root'
OUT=$("$STOREIMPORT" -r "$ROOT/release/download" --release 13r1 publish "$SRC/130002" 2>&1); RC=$?
is "-r <root>/release/download: refused" "$RC" 3
like "hint: the folder is a download/ folder" "$OUT" "this folder is a channel's download/ folder"
OUT=$("$STOREIMPORT" -r "$ROOT/release/download" --create-channel -c x --release 13r1 publish "$SRC/130002" 2>&1); RC=$?
is "-r <root>/release/download --create-channel: refused too" "$RC" 3
OUT=$("$STOREIMPORT" -r "$ROOT/release" retain 1 2>&1); RC=$?
is "retain with a channel as the root: refused" "$RC" 3
is "nothing was created or changed by the refusals" "$(cd "$ROOT" && find . | sort)" "$before"
# A copied download/ tree renamed: it holds the indexes.
mkdir -p "$WORK/copy" && cp "$ROOT/release/download/firmware.json" "$WORK/copy/"
OUT=$("$STOREIMPORT" -r "$WORK/copy" --release 13r1 publish "$SRC/130002" 2>&1); RC=$?
is "a folder holding firmware.json as the root: refused" "$RC" 3
check "no channel made inside it" no_channel_left ../copy/release
# A root may hold a channel named "download".
si -c download --create-channel --release 13r1 publish "$SRC/130002"
is "a channel named download is fine" "$RC" 0
si --release 13r1 --replace publish "$SRC/130002"
is "and the root holding it is still a root" "$RC" 0

done_testing
