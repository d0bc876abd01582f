#!/bin/bash
# storemirror's command line, the real binary: --help lists every option of
# the settings table, per-command help, --version, usage errors (exit 2,
# the flag named), config file errors (FILE:LINE: key), flags over the
# file, the sample config (every key, each command's --check), --json.
# No network: --check stops before a command runs.
. "$(dirname "$0")/lib.sh"

MIRROR="$top_builddir/mirror/storemirror"
SETTINGS_C="$top_srcdir/mirror/mirror_settings.c"
SAMPLE="$top_srcdir/mirror/storemirror.conf.sample"
[ -x "$MIRROR" ] || skip_all "storemirror not built"

ROOT="$WORK/root"
mkdir -p "$ROOT/release/download"

# run ARGS...: sets OUT (stdout), ERR (stderr) and RC.
run() {
	"$MIRROR" "$@" >"$WORK/out" 2>"$WORK/err"
	RC=$?
	OUT=$(cat "$WORK/out")
	ERR=$(cat "$WORK/err")
}

# The keys of the settings table, read from its source.
KEYS=$(sed -n '/^static const struct mirror_option mirror_options\[\] = {/,/^};/p' "$SETTINGS_C" |
    sed -n 's/^	{ "\([a-z-]*\)", .*/\1/p')
NKEYS=$(printf '%s\n' "$KEYS" | grep -c .)
[ "$NKEYS" -ge 25 ] && ok "the table has $NKEYS options" || not_ok "the table read ($NKEYS options)"

# --- help and version ---
run --help
is "--help: exit 0, nothing on stderr" "$RC:$ERR" "0:"
missing=
for k in $KEYS; do
	printf '%s\n' "$OUT" | grep -Eq -- "--$k( |\$)" || missing="$missing $k"
done
is "--help lists every option of the table" "$missing" ""
like "--help lists the commands" "$OUT" '^  sync .*'
like "--help lists plan, export, push" "$(printf '%s\n' "$OUT" | grep -cE '^  (plan|export|push) ')" '^3$'
like "--help gives the exit statuses" "$OUT" 'exit status: 0 success, 1 refused'
like "--help says which commands take an option" "$OUT" '-o, --output FILE +the bundle to write \(required\) \[export\]'
run -h
is "-h is --help" "$RC" 0

# Per command: its options only.
help_has() { printf '%s\n' "$2" | grep -Eq -- "--$1( |\$)"; }
per_command_help() {
	_cmd=$1 _want=$2 _not=$3
	run "$_cmd" --help
	_bad=
	[ "$RC" = 0 ] || _bad="exit $RC"
	for k in $_want; do help_has "$k" "$OUT" || _bad="$_bad missing --$k"; done
	for k in $_not; do help_has "$k" "$OUT" && _bad="$_bad has --$k"; done
	is "$_cmd --help: only its options" "$_bad" ""
}
per_command_help sync "upstream keep dry-run parallel proxy kinds root channels json check" \
    "output since sign-key dav-url dav-user"
per_command_help plan "upstream parallel kinds archs" "keep dry-run output dav-url"
per_command_help export "output since state-out sign-key kinds min-release root" \
    "upstream parallel proxy keep dav-url dry-run"
per_command_help push "dav-url dav-user dav-password-file stall-timeout ca-file" \
    "upstream output kinds keep dry-run parallel rate-limit retries proxy"
run sync --help
like "sync --help: its usage line" "$OUT" '^usage: storemirror sync \[options\]'
run push --bogus --help
is "push --bogus --help: the help wins, exit 0" "$RC" 0

run --version
is "--version: exit 0" "$RC" 0
like "--version prints the version" "$OUT" '^storemirror [0-9]+\.[0-9]+'
run sync -V
like "sync -V too" "$RC $OUT" '^0 storemirror [0-9]'

# --- usage errors: exit 2, named, on stderr only ---
# usage NAME PATTERN ARGS...: exit 2, PATTERN in stderr, stdout empty.
usage() {
	_name=$1 _pat=$2; shift 2
	run "$@"
	if [ "$RC" = 2 ] && [ -z "$OUT" ] && printf '%s\n' "$ERR" | grep -Eq -- "$_pat"; then
		ok "$_name"
	else
		not_ok "$_name"; diag "exit $RC, stdout '$OUT'"; diag "stderr: '$ERR'"; diag "want /$_pat/"
	fi
}
usage "no command: exit 2" '^storemirror: no command given \(sync, plan, export, push\)'
usage "unknown command named" "unknown command 'fetch'" fetch
usage "an option before the command" "^storemirror: -r: expected a command first" -r "$ROOT" sync
usage "unknown long flag named" "^storemirror: --colour: unknown option" sync --colour blue
usage "unknown short flag named" "^storemirror: -x: unknown option" sync -x
usage "another command's flag named" "^storemirror: --upstream: not an option of export" \
    export --upstream http://127.0.0.1/
usage "sync has no -o (--output)" "^storemirror: -o: not an option of sync" sync -o x.tar
usage "a missing value named" "^storemirror: --upstream: missing value" sync --upstream
usage "a missing value of a short flag" "^storemirror: -r: missing value" sync -r
usage "a flag given a value" "^storemirror: --json: takes no value" sync --json=yes
usage "a stray argument" "unexpected argument 'extra'" sync -r "$ROOT" extra
usage "a bound: --parallel 0" "^storemirror: --parallel: expected a whole number from 1 to 64, not '0'" \
    sync --parallel 0
usage "a bound: --keep 1001" "--keep: expected a whole number from 0 to 1000, not '1001'" \
    sync --keep 1001
usage "a size: --rate-limit 10X" "--rate-limit: expected 0 or bytes from 1k to 1024G .*not '10X'" \
    sync --rate-limit 10X
usage "a kind named" "--kinds: unknown kind 'apps'" sync --kinds app,apps
usage "an architecture named" "--archs: unknown architecture 'mips'" plan --archs mips
usage "a URL's scheme" "--upstream: 'ftp://h/release/download': expected an http:// or https:// URL" \
    sync -u ftp://h/release/download
usage "a proxy with a path" "--proxy: 'http://p:3128/x': a path" sync --proxy http://p:3128/x
usage "a missing CA file named" "--ca-file: $WORK/none.pem: No such file or directory" \
    sync --ca-file "$WORK/none.pem"
usage "a missing password file named" "--dav-password-file: $WORK/pw: No such file" \
    push --dav-password-file "$WORK/pw"
usage "says where to look" "^Try 'storemirror sync --help'\.\$" sync --bogus

# Required settings, per command.
usage "sync needs --root" "^storemirror: --root: required by sync" sync -u http://127.0.0.1:1/release/download
usage "sync needs --upstream" "^storemirror: --upstream: required by sync" sync -r "$ROOT"
usage "sync needs channels for a base URL" "--channels: required by sync: the upstream names no channel" \
    sync -r "$ROOT" -u http://127.0.0.1:1/
usage "export needs --output" "^storemirror: --output: required by export" export -r "$ROOT" --channels release
usage "export takes one channel" "^storemirror: --channels: a bundle holds one channel, not 2" \
    export -r "$ROOT" --channels release,beta -o "$WORK/b.tar"
usage "push needs --dav-url" "^storemirror: --dav-url: required by push" push -r "$ROOT" --channels release

# --- config files ---
# conf NAME FORMAT [ARGS...]: writes $WORK/NAME with printf, prints its path.
conf() { _f=$1; shift; printf "$@" >"$WORK/$_f"; echo "$WORK/$_f"; }
c=$(conf bad1.conf 'root = %s\n# comment\n\nparallel = many\n' "$ROOT")
usage "config: a bad number: FILE:LINE: key" "^storemirror: $c:4: parallel: expected a whole number from 1 to 64, not 'many'" \
    sync -c "$c"
c=$(conf bad2.conf 'colour = blue\n')
usage "config: an unknown key: FILE:LINE" "^storemirror: $c:1: unknown setting 'colour'" sync --config "$c"
c=$(conf bad3.conf '\nupstream http://h/\n')
usage "config: no '=': FILE:LINE" "$c:2: expected 'key = value', got 'upstream http://h/'" sync -c "$c"
c=$(conf bad4.conf 'json = yes\n')
usage "config: a flag-only key: FILE:LINE: key" "$c:1: json: only a command-line flag \(--json\)" sync -c "$c"
c=$(conf bad5.conf 'root = /x\nupstream = http://h:99999/\n')
usage "config: a bad URL: FILE:LINE: key" "$c:2: upstream: 'http://h:99999/' is not a URL" sync -c "$c"
c=$(conf bad6.conf 'root = /x\nsign-key = %s/none.pem\n' "$WORK")
usage "config: a missing file: FILE:LINE: key" "$c:2: sign-key: $WORK/none.pem: No such file" \
    export -c "$c"
run sync -c "$c" -r "$ROOT" -u http://127.0.0.1:1/release/download --check
is "config: another command's missing file does not stop sync" "$RC" 0
usage "config: a missing file named" "^storemirror: $WORK/nothere.conf: No such file or directory" \
    sync -c "$WORK/nothere.conf"

# Flags override the file, before or after -c.
c=$(conf base.conf 'root = %s\nupstream = http://127.0.0.1:1/\nparallel = 8\n' "$ROOT")
usage "config: a base URL needs channels" "--channels: required by sync" sync -c "$c"
run sync -u http://127.0.0.1:1/beta/download -c "$c" --check
is "config: a flag overrides the file's upstream" "$RC:$OUT" "0:storemirror sync: configuration OK"
usage "config: a bad flag value is named, not the file" "^storemirror: --parallel: expected" \
    sync -c "$c" --parallel 65
run sync -c "$c" --channels release --check
is "config: the file with a flag completing it" "$RC" 0

# --- the sample: every key of the table, and it parses for each command ---
missing=
for k in $KEYS; do
	case $k in config|check|help|version) continue ;; esac
	grep -Eq -- "^#?$k = |--$k" "$SAMPLE" || missing="$missing $k"
done
is "the sample names every key of the table" "$missing" ""
touch "$WORK/ca.pem" "$WORK/state" "$WORK/key.pem" "$WORK/pw"
sed -e 's/^#\([a-z-]* = \)/\1/' -e "s|^root = .*|root = $ROOT|" \
    -e "s|^upstream = .*|upstream = http://127.0.0.1:1/release/download|" \
    -e "s|^dav-url = .*|dav-url = http://127.0.0.1:1/dav/release/download|" \
    -e "s|^ca-file = .*|ca-file = $WORK/ca.pem|" -e "s|^since = .*|since = $WORK/state|" \
    -e "s|^sign-key = .*|sign-key = $WORK/key.pem|" \
    -e "s|^dav-password-file = .*|dav-password-file = $WORK/pw|" "$SAMPLE" >"$WORK/all.conf"
is "the sample uncommented sets every key" "$(grep -cE '^[a-z-]+ = ' "$WORK/all.conf")" \
    "$(printf '%s\n' "$KEYS" | grep -cvE '^(config|check|help|version|json|dry-run)$')"
for cmd in sync plan export push; do
	run "$cmd" -c "$WORK/all.conf" --check
	is "the sample, every key set: $cmd --check" "$RC:$OUT:$ERR" "0:storemirror $cmd: configuration OK:"
done
sed "s|^root = .*|root = $ROOT|" "$SAMPLE" >"$WORK/sample.conf"
run sync -c "$WORK/sample.conf" --check
is "the sample as shipped (root changed): sync --check" "$RC:$ERR" "0:"

# --- JSON ---
run sync --json --parallel 0
is "--json usage error: exit 2" "$RC" 2
is "--json usage error: one JSON object on stdout" \
    "$(printf '%s' "$OUT" | jq -c '[.command, .status, .exit, .error]' 2>&1)" \
    '["sync","usage",2,"--parallel: expected a whole number from 1 to 64, not '"'0'"'"]'
run sync --parallel 0 -j
is "--json after the bad flag still gives JSON" "$(printf '%s' "$OUT" | jq -r .status 2>&1)" usage
run export -j -r "$ROOT" --channels release -o "$WORK/b.tar" --check
is "--json --check: an ok report" "$RC:$(printf '%s' "$OUT" | jq -c '[.command, .status, .exit]' 2>&1)" \
    '0:["export","ok",0]'
run sync --parallel 0
is "without --json: nothing on stdout" "$OUT" ""

done_testing
