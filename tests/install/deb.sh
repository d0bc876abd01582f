#!/bin/sh
# The Debian package: builds it from the source tree with
# `dpkg-buildpackage -us -uc -b` (nocheck: the unit tests run in the suite),
# looks at what it holds and what its postinst does, makes its service user
# and store root in a throwaway root (systemd-sysusers/-tmpfiles --root,
# nothing on this machine changes), starts the packaged storesrv on the demo
# store, and runs lintian when it is there (no errors allowed).
# Needs dpkg-dev and debhelper (skipped without them); about a minute.
# Environment: top_srcdir, top_builddir (the build tree with demo/store-demo).
. "$(dirname "$0")/../integration/lib.sh"

if ! command -v dpkg-buildpackage >/dev/null 2>&1 || ! command -v dh >/dev/null 2>&1; then
	skip_all "dpkg-buildpackage or debhelper missing (apt-get install dpkg-dev debhelper)"
fi
dpkg-checkbuilddeps "$top_srcdir/debian/control" >/dev/null 2>&1 ||
	skip_all "build dependencies of debian/control missing"

# copy_source DIR: the tracked and the new (not ignored) files of the tree,
# or the whole tree when it is no git checkout (a release tarball).
copy_source() {
	mkdir -p "$1"
	if git -C "$top_srcdir" rev-parse --git-dir >/dev/null 2>&1; then
		(cd "$top_srcdir" && git ls-files -z --cached --others --exclude-standard |
		    xargs -0 sh -c 'for f; do [ -e "$f" ] && printf "%s\0" "$f"; done' sh |
		    tar --null -T - -cf -) | tar -xf - -C "$1"
	else
		(cd "$top_srcdir" && tar --exclude='./build-*' -cf - .) | tar -xf - -C "$1"
	fi
}

# in_deb PATH: the package holds PATH (./usr/bin/storesrv ...).
in_deb() { grep -q " $1\$" "$WORK/contents"; }

# has_unit NAME: the package holds the systemd unit NAME where Debian 12's
# dh_installsystemd and systemd look for it.
has_unit() { in_deb "./lib/systemd/system/$1"; }

SRC=$WORK/src/storesrv
copy_source "$SRC"
(cd "$SRC" && DEB_BUILD_OPTIONS="nocheck parallel=2" dpkg-buildpackage -us -uc -b) \
    >"$WORK/build.log" 2>&1
status=$?
is "dpkg-buildpackage -us -uc -b exits 0" "$status" 0
[ "$status" -eq 0 ] || { tail -n 40 "$WORK/build.log" | sed 's/^/# /'; done_testing; exit 1; }
DEB=$(ls "$WORK"/src/storesrv_*.deb 2>/dev/null | head -n 1)
check "one storesrv_*.deb built" test -f "$DEB"
dpkg-deb -c "$DEB" | awk '{ print " " $6 }' >"$WORK/contents"
ROOT=$WORK/root
dpkg-deb -x "$DEB" "$ROOT"

for f in ./usr/bin/storesrv ./usr/bin/storeimport ./usr/bin/storemirror \
    ./usr/lib/sysusers.d/storesrv.conf ./usr/lib/tmpfiles.d/storesrv.conf ./etc/storesrv.conf \
    ./etc/logrotate.d/storesrv; do
	check "the package holds $f" in_deb "$f"
done
like "/etc/storesrv.conf is a conffile" \
    "$(dpkg-deb --ctrl-tarfile "$DEB" | tar -xOf - ./conffiles)" '^/etc/storesrv\.conf$'
like "Depends names a sysusers provider" "$(dpkg-deb -f "$DEB" Depends)" \
    'systemd \| systemd-standalone-sysusers'

dpkg-deb --ctrl-tarfile "$DEB" | tar -xOf - ./postinst >"$WORK/postinst"
sysusers_line=$(grep -n 'systemd-sysusers .*storesrv.conf' "$WORK/postinst" | head -n 1 | cut -d: -f1)
tmpfiles_line=$(grep -n 'systemd-tmpfiles .*storesrv.conf' "$WORK/postinst" | head -n 1 | cut -d: -f1)
check "postinst makes the user (systemd-sysusers)" test -n "$sysusers_line"
check "postinst makes the user before its folder (systemd-tmpfiles)" \
    test -n "$tmpfiles_line" -a "${sysusers_line:-0}" -lt "${tmpfiles_line:-0}"

# The units come from systemd/ (make install); checked once they are there.
if [ -e "$top_srcdir/systemd/storesrv.service.in" ]; then
	for u in storesrv.service storemirror.service storemirror.timer; do
		check "the package holds the unit $u" has_unit "$u"
	done
	like "postinst enables storesrv.service" "$(cat "$WORK/postinst")" \
	    "deb-systemd-helper [a-z-]*enable 'storesrv.service'"
	like "postinst enables storemirror.timer" "$(cat "$WORK/postinst")" \
	    "deb-systemd-helper [a-z-]*enable 'storemirror.timer'"
	like "postinst starts storesrv.service" "$(cat "$WORK/postinst")" \
	    "deb-systemd-invoke .* 'storesrv.service'"
	# The units run as the user the package makes, the binaries it holds.
	sysuser=$(awk '$1 == "u" { print $2 }' "$ROOT/usr/lib/sysusers.d/storesrv.conf")
	for u in storesrv.service storemirror.service; do
		unit=$ROOT/lib/systemd/system/$u
		is "$u runs as the package's user" "$(sed -n 's/^User=//p' "$unit" 2>/dev/null)" \
		    "$sysuser"
		exe=$(sed -n 's/^ExecStart=\([^ ]*\).*/\1/p' "$unit" 2>/dev/null)
		check "$u starts $exe, which the package holds" in_deb ".$exe"
	done
else
	diag "systemd/storesrv.service.in not in the source tree: unit checks left out"
fi

# The service user and the store root, made in a throwaway root.
if command -v systemd-sysusers >/dev/null 2>&1; then
	mkdir -p "$ROOT/etc"
	systemd-sysusers --root="$ROOT" storesrv.conf >"$WORK/sysusers.log" 2>&1
	like "systemd-sysusers makes the user storesrv, home /var/lib/storesrv" \
	    "$(cat "$ROOT/etc/passwd" 2>/dev/null)" '^storesrv:x:[0-9]+:[0-9]+:[^:]*:/var/lib/storesrv:'
	systemd-tmpfiles --root="$ROOT" --create storesrv.conf >"$WORK/tmpfiles.log" 2>&1
	check "systemd-tmpfiles makes /var/lib/storesrv" test -d "$ROOT/var/lib/storesrv"
	log=$(sed -n 's/^access-log *= *//p' "$ROOT/etc/storesrv.conf")
	check "systemd-tmpfiles makes the folder of the access log ($log)" \
	    test -n "$log" -a -d "$ROOT$(dirname "${log:-/nonexistent/x}")"
else
	diag "no systemd-sysusers here: the user is not made"
fi

# The packaged storesrv serves the demo store and its page.
STORESRV=$ROOT/usr/bin/storesrv WWW_DIR=$ROOT/usr/share/storesrv/www
make_demo_store "$WORK/store"
check "the packaged storesrv starts on the demo store" start_storesrv "$WORK/store"
is "it serves release/download.htm" "$(status_of "$BASE/release/download.htm")" 200
is "it serves release/download/firmware.json" "$(status_of "$BASE/release/download/firmware.json")" 200
check "it stops cleanly on SIGTERM" stop_storesrv 10

if command -v lintian >/dev/null 2>&1; then
	lintian --fail-on error "$DEB" >"$WORK/lintian.log" 2>&1
	status=$?
	sed 's/^/# lintian: /' "$WORK/lintian.log"
	is "lintian reports no error" "$status" 0
else
	diag "lintian not installed: not run"
fi
done_testing
