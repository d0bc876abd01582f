#!/bin/bash
# storeimport: recovery of interrupted transactions never takes a plan it
# cannot read for an uncommitted transaction (only a missing plan is), and
# a recovery that fails says why, naming the path.
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/importer_lib.sh"
DL="$ROOT/release/download"
S="$WORK/src"
STAGE="$ROOT/.staging"

fw_build "$S" 130001 0001
si --release 13r1 publish "$S/130001"
is "a first build published" "$RC" 0

# committed_txn NAME BUILD: a committed transaction (its plan written, not
# applied) that publishes BUILD, as a killed importer leaves it.
committed_txn() {
	_t="$STAGE/$1"
	mkdir -p "$_t/in/0" "$_t/files" "$_t/trash"
	fw_build "$_t/in/0" "$2" 0001
	printf 'put\tin/0/%s\t%s\t0\n' "$2" "$2" >"$_t/plan"
}

# 1. A plan that cannot be read (here a folder: read() fails) is an error;
# the committed transaction stays to be completed later.
committed_txn "release+90+0" 130090
mv "$STAGE/release+90+0/plan" "$STAGE/release+90+0/plan.ok"
mkdir "$STAGE/release+90+0/plan"
fw_build "$S" 130002 0001
si --release 13r1 publish "$S/130002"
is "unreadable plan: I/O error" "$RC" 3
like "unreadable plan: the plan named" "$OUT" "\.staging/release\+90\+0/plan: read: "
check "unreadable plan: the committed transaction kept" test -d "$STAGE/release+90+0/in/0/130090"
check "unreadable plan: nothing published meanwhile" test ! -e "$DL/130002"
rmdir "$STAGE/release+90+0/plan"
mv "$STAGE/release+90+0/plan.ok" "$STAGE/release+90+0/plan"
si recover
is "readable again: recovered" "$RC" 0
check "readable again: the transaction completed" test -f "$DL/130090/ip0001.bin"
check "readable again: the transaction deleted" test ! -e "$STAGE/release+90+0"

# 2. The same with a plan the importer may not read (as nobody).
if command -v setpriv >/dev/null && [ "$(id -u)" = 0 ] && id nobody >/dev/null 2>&1; then
	committed_txn "release+91+0" 130091
	chmod 000 "$STAGE/release+91+0/plan"
	chmod 755 "$WORK"
	chown -R nobody "$ROOT" "$S"
	OUT=$(setpriv --reuid=nobody --regid="$(id -g nobody)" --clear-groups \
	    "$STOREIMPORT" -r "$ROOT" --release 13r1 publish "$S/130002" 2>&1); RC=$?
	is "plan without permission: I/O error" "$RC" 3
	like "plan without permission: the plan named" "$OUT" \
	    "\.staging/release\+91\+0/plan: Permission denied"
	check "plan without permission: the committed transaction kept" \
	    test -d "$STAGE/release+91+0/in/0/130091"
	chmod 644 "$STAGE/release+91+0/plan"
	si recover
	check "permission back: the transaction completed" test -f "$DL/130091/ip0001.bin"
	chown -R 0 "$ROOT" "$S"
else
	ok "# SKIP plan without permission: needs root, setpriv and the user nobody"
fi

# 3. A transaction that cannot be deleted: the real error, naming the path
# (unlinkat()'s EPERM, not "Not a directory" from trying it as a folder).
mkdir -p "$STAGE/release+92+0/in"
echo x >"$STAGE/release+92+0/in/f"
if chattr +i "$STAGE/release+92+0/in/f" 2>/dev/null; then
	si --release 13r1 publish "$S/130002"
	chattr -i "$STAGE/release+92+0/in/f"
	is "undeletable transaction: I/O error" "$RC" 3
	like "undeletable transaction: its file named with unlink's error" "$OUT" \
	    "\.staging: release\+92\+0/in/f: remove: Operation not permitted"
else
	ok "# SKIP undeletable transaction: chattr +i not supported here"
	ok "# SKIP undeletable transaction: chattr +i not supported here"
fi
rm -rf "$STAGE/release+92+0"

# 4. An entry named like a transaction that is not a folder holds no plan:
# it is removed, not a "Not a directory" failure of every later run.
echo junk >"$STAGE/release+93+0"
si --release 13r1 publish "$S/130002"
is "stray file named like a transaction: removed, publish goes on" "$RC" 0
check "stray file gone" test ! -e "$STAGE/release+93+0"

done_testing
