# Helpers of the importer's integration tests (sourced after lib.sh).
#
# Builds are made in $WORK; `si` runs storeimport on the store $ROOT and
# keeps its output in $OUT and its exit status in $RC.

: "${ROOT:=$WORK/root}"
mkdir -p "$ROOT"

# si ARGS...: runs storeimport -r $ROOT ARGS..., sets OUT and RC.
si() {
	OUT=$("$STOREIMPORT" -r "$ROOT" "$@" 2>&1)
	RC=$?
}

# app_build DIR BUILD ID [ARCH...]: an app build with two files per arch.
app_build() {
	_d=$1/$2; _id=$3; shift 3
	[ $# -gt 0 ] || set -- arm x86_64
	mkdir -p "$_d"
	printf '%s' "$_id.bin,$_id.png" >"$_d/${_id}_files"
	for _a in "$@"; do
		mkdir -p "$_d/$_a/$_id"
		echo "binary $_id $_a" >"$_d/$_a/$_id/$_id.bin"
		echo "icon $_id" >"$_d/$_a/$_id/$_id.png"
	done
}

# fw_build DIR BUILD MODEL [nomanifest]: a firmware build.
fw_build() {
	_d=$1/$2
	mkdir -p "$_d"
	[ "$4" = nomanifest ] || printf '%s' "ip$3.bin,boot$3.bin" >"$_d/ip$3_files"
	echo "firmware $3 $2" >"$_d/ip$3.bin"
	echo "boot $3 $2" >"$_d/boot$3.bin"
}

# sw_build DIR BUILD ID FILE: a software build.
sw_build() {
	mkdir -p "$1/$2"
	printf '%s' "$4" >"$1/$2/$3_files"
	echo "installer $3 $2" >"$1/$2/$4"
}

# snapshot [CHANNEL]: every visible path of the channel with the sha256 of
# each file, sorted; hidden names (the lock) left out.
snapshot() {
	( cd "$ROOT/${1:-release}" 2>/dev/null && find . -mindepth 1 -name '.*' -prune -o -print | sort |
	    while read -r _p; do
		if [ -f "$_p" ]; then echo "$_p $(sha256sum <"$_p" | cut -c1-64)"; else echo "$_p"; fi
	    done )
}

# json_get FILE PYTHON-EXPR: evaluates EXPR with `d` = the parsed JSON.
json_get() {
	python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$1" "$2"
}
