#!/bin/bash
# The installed tree, not the build tree: `make install DESTDIR=...` from
# the build folder puts the programs, the page, the man pages, the sample
# configurations and the systemd units in their places; the installed
# storesrv, started with the source and build trees hidden from it (a mount
# namespace, as root) and without -w, serves the demo store and its page;
# `make uninstall` takes every file away again.
. "$top_srcdir/tests/integration/lib.sh"

DEST="$WORK/dest"
# make without the jobserver and the variables of the make running this test
runmake() { env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -s -C "$top_builddir" "$@"; }

# quietly TARGET: make TARGET DESTDIR=$DEST, its output kept in $WORK/TARGET.log
quietly() { runmake "$1" DESTDIR="$DEST" >"$WORK/$1.log" 2>&1 || { sed 's/^/# /' "$WORK/$1.log"; false; }; }

check "make install DESTDIR" quietly install

# installed PATTERN: the one installed file whose path ends so.
installed() {
	_f=$(find "$DEST" -path "*$1" \( -type f -o -type l \))
	[ -n "$_f" ] && [ "$(printf '%s\n' "$_f" | grep -c '')" -eq 1 ] && echo "$_f"
}
for f in /bin/storesrv /bin/storeimport /bin/storemirror; do
	f_path=$(installed "$f") && [ -x "$f_path" ] && ok "installed: $f" || not_ok "installed: $f"
done
for f in /share/storesrv/www/download.htm /man/man8/storesrv.8 /man/man1/storeimport.1 \
    /man/man1/storemirror.1 /man/man5/storesrv.conf.5 /etc/storesrv.conf.sample \
    /etc/storemirror.conf.sample /lib/systemd/system/storesrv.service \
    /lib/systemd/system/storemirror.service /lib/systemd/system/storemirror.timer; do
	installed "$f" >/dev/null && ok "installed: $f" || not_ok "installed: $f"
done
check "installed page is www/download.htm" \
    cmp -s "$(installed /share/storesrv/www/download.htm)" "$top_srcdir/www/download.htm"

# Man pages: no groff warning, and man renders each one's NAME.
for m in man8/storesrv.8 man1/storeimport.1 man1/storemirror.1 man5/storesrv.conf.5; do
	page=$(installed "/man/$m")
	is "man page $m: groff -man -ww -z is silent" \
	    "$(groff -man -ww -z "$page" 2>&1 | head -n 3)" ""
	name=${m#*/}
	like "man page $m: man -l renders its NAME" \
	    "$(MANWIDTH=80 man -l "$page" 2>/dev/null | col -b | sed -n '/^NAME/{n;p;q}')" \
	    "^ *${name%.*}[[:space:]]+- "
done

# Units: the paths in them are the installed ones; the sandbox is on.
unit=$(installed /lib/systemd/system/storesrv.service)
exe=$(sed -n 's/^ExecStart=\([^ ]*\).*/\1/p' "$unit")
check "storesrv.service: ExecStart is the installed storesrv ($exe)" test -x "$DEST$exe"
conf=$(sed -n 's/^ExecStart=.* -c \([^ ]*\)$/\1/p' "$unit")
check "storesrv.service: its config is beside the installed sample" \
    test -f "$DEST$conf.sample"
for k in ProtectSystem=strict ReadWritePaths=/var/lib/storesrv NoNewPrivileges=yes \
    User=storesrv PrivateTmp=yes; do
	check "storesrv.service: $k" grep -qx "$k" "$unit"
done
mexe=$(sed -n 's/^ExecStart=\([^ ]*\).*/\1/p' "$(installed /lib/systemd/system/storemirror.service)")
check "storemirror.service: ExecStart is the installed storemirror" test -x "$DEST$mexe"
if command -v systemd-analyze >/dev/null; then
	out=$(SYSTEMD_LOG_LEVEL=err systemd-analyze verify --man=no --root="$DEST" \
	    "$unit" "$(installed /lib/systemd/system/storemirror.timer)" 2>&1 |
	    grep -v -e 'No such file' -e 'not found' -e 'ConditionPathExists' -e 'User=' \
	        -e 'Failed to prepare' -e 'directory' | head -n 5)
	is "systemd-analyze verify: no complaint about the units" "$out" ""
	# exposure 0.0 (locked down) to 10.0 (open); both units score 1.6
	for u in storesrv.service storemirror.service; do
		check "$u: systemd-analyze security exposure at most 2.0" \
		    systemd-analyze security --offline=yes --threshold=20 \
		    "$(installed "/lib/systemd/system/$u")"
	done
fi

# The installed storesrv on the demo store, with the trees out of its sight.
ROOT="$WORK/store"
make_demo_store "$ROOT" || not_ok "demo store"
like "installed storesrv --version" "$("$DEST$exe" --version 2>&1)" "storesrv"
mkdir -p "$WORK/empty"
if [ "$(id -u)" -eq 0 ] && unshare --mount sh -c "mount --bind '$WORK/empty' '$WORK/empty'" \
    2>/dev/null; then
	cat >"$WORK/run-installed" <<EOS
#!/bin/sh
exec unshare --mount sh -c 'mount --bind "$WORK/empty" "$top_builddir" &&
    mount --bind "$WORK/empty" "$top_srcdir" && exec "\$0" "\$@"' "$DEST$exe" "\$@"
EOS
	chmod +x "$WORK/run-installed"
	hidden="trees hidden"
	STORESRV="$WORK/run-installed"
else
	hidden="no mount namespace: trees visible"
	STORESRV="$DEST$exe"
fi
if [ "$hidden" = "trees hidden" ]; then
	like "the trees are hidden from it: -w of the source tree's www/ is missing" \
	    "$("$STORESRV" -n -r "$ROOT" -w "$top_srcdir/www" 2>&1)" "www: .*No such file"
fi
NO_WWW=1 start_storesrv "$ROOT" --rescan no || not_ok "installed storesrv starts ($hidden)"
curl -s -o "$WORK/page" "$BASE/release/download.htm"
check "installed storesrv ($hidden): download.htm is the installed page" \
    cmp -s "$WORK/page" "$(installed /share/storesrv/www/download.htm)"
curl -s -o "$WORK/apps.json" "$BASE/release/download/apps.json"
check "installed storesrv ($hidden): apps.json is the store's" \
    cmp -s "$WORK/apps.json" "$ROOT/release/download/apps.json"
is "installed storesrv ($hidden): firmware.json" \
    "$(status_of "$BASE/release/download/firmware.json")" 200
check "installed storesrv: SIGTERM, exit 0" stop_storesrv 10

check "make uninstall DESTDIR" quietly uninstall
is "make uninstall leaves no file" "$(find "$DEST" -type f | head -n 3)" ""
done_testing
