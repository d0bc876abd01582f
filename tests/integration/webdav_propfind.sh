#!/bin/sh
# webdav_propfind.sh: PROPFIND and PROPPATCH on storesrv's WebDAV listener
# (RFC 4918 9.1, 9.2), driven with curl; the 207 bodies are read with
# python3's xml.etree.  Depth 0 and 1 in every area, Depth infinity refused
# with its condition, every live property, hidden names left out, hrefs,
# propname, prop with unknown names, PROPPATCH set/remove/protected and
# across a restart, hostile bodies (XXE, billion laughs, over the limit,
# malformed).
. "$(dirname "$0")/lib.sh"

command -v python3 >/dev/null 2>&1 || skip_all "python3 is not installed"

ROOT="$WORK/root"
USERS="$WORK/users"
INC="$ROOT/release/incoming"
make_demo_store "$ROOT" || { echo "Bail out! demo store"; exit 1; }

add_user alice alice-pw
add_user bob bob-pw --read-only


# dav METHOD PATH DEPTH [CURL ARGS...]: a request as alice ("-" for no
# Depth); the body goes to $WORK/body, the head to $WORK/head; prints the
# status.
dav() {
	_m=$1 _p=$2 _d=$3; shift 3
	[ "$_d" = - ] || set -- -H "Depth: $_d" "$@"
	curl -s -m 20 -u alice:alice-pw -X "$_m" -D "$WORK/head" -o "$WORK/body" \
	    -w '%{http_code}' "$@" "$DAV$_p"
}

# ms COMMAND [ARGS...]: reads the 207 body in $WORK/body (ms.py below).
ms() { python3 "$WORK/ms.py" "$WORK/body" "$@" 2>&1 | tail -n 1; }

cat >"$WORK/ms.py" <<'EOF'
# A 207 Multistatus: hrefs, or one property of one href as "STATUS VALUE"
# (the value as text, or as the child elements' tags).
import sys
import xml.etree.ElementTree as ET

D = "{DAV:}"
doc = ET.parse(sys.argv[1]).getroot()
cmd = sys.argv[2]

def responses():
    for r in doc.findall(D + "response"):
        yield r.findtext(D + "href"), r

def value(el):
    kids = list(el)
    if kids:
        return " ".join(k.tag for k in kids)
    return el.text or ""

if cmd == "hrefs":
    print(" ".join(sorted(h for h, _ in responses())))
elif cmd in ("prop", "names"):
    href = sys.argv[3]
    found = []
    for h, r in responses():
        if h != href:
            continue
        for ps in r.findall(D + "propstat"):
            status = ps.findtext(D + "status").split()[1]
            for p in ps.find(D + "prop"):
                if cmd == "names":
                    if status == "200":
                        found.append(p.tag + ("" if value(p) == "" else "=value"))
                elif p.tag == sys.argv[4]:
                    found.append(status + " " + value(p))
    print(" ".join(sorted(found)) if cmd == "names" else "\n".join(found))
elif cmd == "lang":
    for h, r in responses():
        if h == sys.argv[3]:
            for p in r.iter(sys.argv[4]):
                print(p.get("{http://www.w3.org/XML/1998/namespace}lang", "none"))
elif cmd == "errors":
    print(" ".join(sorted(ps.findtext(D + "status").split()[1] + ":" + c.tag
                          for _, r in responses() for ps in r.findall(D + "propstat")
                          for e in ps.findall(D + "error") for c in e)))
elif cmd == "statuses":
    print(" ".join(sorted(ps.findtext(D + "status").split()[1] + ":" + p.tag
                          for _, r in responses() for ps in r.findall(D + "propstat")
                          for p in ps.find(D + "prop"))))
EOF

PROP_BODY='<?xml version="1.0" encoding="utf-8"?><D:propfind xmlns:D="DAV:"><D:prop>%s</D:prop></D:propfind>'
# propfind_prop PATH DEPTH ELEMENTS: PROPFIND asking for those properties.
propfind_prop() {
	# shellcheck disable=SC2059
	dav PROPFIND "$1" "$2" -H 'Content-Type: application/xml' \
	    --data-binary "$(printf "$PROP_BODY" "$3")"
}

# proppatch PATH INSTRUCTIONS [CURL ARGS...]: PROPPATCH with <set>/<remove>
# elements.
proppatch() {
	_p=$1 _i=$2; shift 2
	dav PROPPATCH "$_p" - -H 'Content-Type: application/xml' --data-binary \
	    "<?xml version=\"1.0\"?><D:propertyupdate xmlns:D=\"DAV:\" xmlns:T=\"urn:test\">$_i</D:propertyupdate>" "$@"
}

# --- the resources of incoming/, hidden and Finder names ---
mkdir -p "$INC/sub" "$WORK/outside"
printf 'hello' >"$INC/a b.txt"
printf 'x' >"$INC/é.txt"
printf 'x' >"$INC/.hidden"
printf 'x' >"$INC/.DS_Store"
printf 'x' >"$INC/._a b.txt"
printf 'x' >"$INC/.upload.tmp-AbC123"
printf 'x' >"$INC/._x.tmp-AbC123"
printf 'x' >"$WORK/outside/secret"
ln -s "$WORK/outside" "$INC/escape"
ln -s sub "$INC/inside"
printf 'x' >"$ROOT/release/download/.hidden"
rmdir "$ROOT/beta/incoming" 2>/dev/null
mkdir -p "$ROOT/notachannel/files"

check "storesrv starts with a WebDAV listener" start_dav "$ROOT"

# --- Depth ---
is "Depth 0 on download/: 207" "$(dav PROPFIND /release/download/ 0)" 207
is "a 207 is application/xml; charset=utf-8" "$(header_of Content-Type "$WORK/head")" \
    "application/xml; charset=utf-8"
is "Depth 0: the target alone" "$(ms hrefs)" "/release/download/"

is "Depth 1 on the root: 207" "$(dav PROPFIND / 1)" 207
is "the root lists the served channels (no hidden or other folder)" "$(ms hrefs)" "/ /beta/ /release/"
is "a read-only user may PROPFIND" "$(curl -s -o /dev/null -w '%{http_code}' -u bob:bob-pw \
    -X PROPFIND -H 'Depth: 1' "$DAV/")" 207

is "Depth 1 on a channel: 207" "$(dav PROPFIND /beta/ 1)" 207
is "a channel lists download/ and incoming/" "$(ms hrefs)" \
    "/beta/ /beta/download/ /beta/incoming/"
check "listing a channel makes its incoming/" test -d "$ROOT/beta/incoming"
is "Depth 0 on incoming/ of a channel that has none yet: 207" \
    "$(rmdir "$ROOT/beta/incoming" && dav PROPFIND /beta/incoming/ 0)" 207

for d in infinity Infinity -; do
	is "Depth $d: 403" "$(dav PROPFIND /release/download/ "$d")" 403
	like "Depth $d: the propfind-finite-depth condition" "$(cat "$WORK/body")" \
	    '<D:error xmlns:D="DAV:"><D:propfind-finite-depth/></D:error>'
done
is "Depth 2: 400" "$(dav PROPFIND /release/download/ 2)" 400
is "an unknown resource: 404" "$(dav PROPFIND /release/incoming/nothing 0)" 404
is "an unknown build of download/: 404" "$(dav PROPFIND /release/download/999999/ 0)" 404
is "Depth 1 on a file: 207" "$(dav PROPFIND '/release/incoming/a%20b.txt' 1)" 207
is "Depth 1 on a file: the file alone" "$(ms hrefs)" "/release/incoming/a%20b.txt"

# --- what incoming/ and download/ list ---
is "Depth 1 on incoming/: 207" "$(dav PROPFIND /release/incoming/ 1)" 207
is "incoming/ lists its files and Finder's, percent-encoded, no hidden or temporary names" \
    "$(ms hrefs)" \
    "/release/incoming/ /release/incoming/%C3%A9.txt /release/incoming/.DS_Store /release/incoming/._a%20b.txt /release/incoming/a%20b.txt /release/incoming/inside/ /release/incoming/sub/"
is "Depth 1 on download/: 207" "$(dav PROPFIND /release/download/ 1)" 207
hrefs=$(ms hrefs)
like "download/ lists its indexes and builds" "$hrefs" \
    '/release/download/130001/ .*/release/download/apps.json'
check "download/ lists no hidden name" sh -c "! printf '%s' '$hrefs' | grep -q hidden"
touch "$ROOT/release/download/130045/.removed"
dav PROPFIND /release/download/ 1 >/dev/null
check "download/ leaves out a build marked removed" \
    sh -c "! python3 '$WORK/ms.py' '$WORK/body' hrefs | grep -q 130045"
rm -f "$ROOT/release/download/130045/.removed"

# --- every live property ---
f=/release/download/apps.json
file="$ROOT/release/download/apps.json"
propfind_prop $f 0 '<D:resourcetype/><D:getcontentlength/><D:getcontenttype/><D:getetag/><D:getlastmodified/><D:creationdate/><D:displayname/><D:supportedlock/><D:lockdiscovery/>' >/dev/null
curl -s -D "$WORK/gethead" -o /dev/null "$BASE$f"
is "resourcetype of a file: empty" "$(ms prop $f '{DAV:}resourcetype')" "200 "
is "getcontentlength: the file's size" "$(ms prop $f '{DAV:}getcontentlength')" \
    "200 $(stat -c %s "$file")"
is "getcontenttype: mime.h's" "$(ms prop $f '{DAV:}getcontenttype')" "200 application/json"
is "getetag: the ETag GET gives" "$(ms prop $f '{DAV:}getetag')" \
    "200 $(header_of ETag "$WORK/gethead")"
is "getlastmodified: GET's Last-Modified" "$(ms prop $f '{DAV:}getlastmodified')" \
    "200 $(header_of Last-Modified "$WORK/gethead")"
like "creationdate: ISO 8601" "$(ms prop $f '{DAV:}creationdate')" \
    '^200 [0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$'
is "displayname: the name" "$(ms prop $f '{DAV:}displayname')" "200 apps.json"
is "supportedlock in download/: none (read-only)" "$(ms prop $f '{DAV:}supportedlock')" "200 "
is "lockdiscovery: no lock" "$(ms prop $f '{DAV:}lockdiscovery')" "200 "

g='/release/incoming/a%20b.txt'
propfind_prop "$g" 0 '<D:supportedlock/><D:getetag/><D:displayname/>' >/dev/null
curl -s -u alice:alice-pw -D "$WORK/gethead" -o /dev/null "$DAV$g"
is "supportedlock in incoming/: exclusive and shared write locks" \
    "$(ms prop "$g" '{DAV:}supportedlock')" "200 {DAV:}lockentry {DAV:}lockentry"
is "getetag in incoming/: the ETag GET gives" "$(ms prop "$g" '{DAV:}getetag')" \
    "200 $(header_of ETag "$WORK/gethead")"
is "displayname: decoded" "$(ms prop "$g" '{DAV:}displayname')" "200 a b.txt"

c=/release/incoming/sub/
propfind_prop $c 0 '<D:resourcetype/><D:getcontentlength/><D:getlastmodified/>' >/dev/null
is "resourcetype of a collection" "$(ms prop $c '{DAV:}resourcetype')" "200 {DAV:}collection"
is "getcontentlength of a collection: 404" "$(ms prop $c '{DAV:}getcontentlength')" "404 "
like "getlastmodified of a collection" "$(ms prop $c '{DAV:}getlastmodified')" '^200 .* GMT$'
is "a collection without its trailing slash: href with it" \
    "$(dav PROPFIND /release/incoming/sub 0 >/dev/null; ms hrefs)" "/release/incoming/sub/"

# --- RFC 4331 quotas: incoming/'s folders, asked by name ---
propfind_prop /release/incoming/ 1 '<D:quota-available-bytes/><D:quota-used-bytes/>' >/dev/null
avail=$(python3 -c 'import os, sys; v = os.statvfs(sys.argv[1]); print(v.f_bavail * v.f_frsize)' "$ROOT")
q=$(ms prop /release/incoming/sub/ '{DAV:}quota-available-bytes')
like "quota-available-bytes of a folder of incoming/" "$q" '^200 [0-9]+$'
check "quota-available-bytes: at most the free space" test "${q#200 }" -le "$avail"
like "quota-used-bytes of a folder of incoming/" "$(ms prop /release/incoming/ '{DAV:}quota-used-bytes')" \
    '^200 [1-9][0-9]*$'
is "no quota on a file" "$(ms prop "/release/incoming/a%20b.txt" '{DAV:}quota-available-bytes')" "404 "
propfind_prop /release/download/ 0 '<D:quota-available-bytes/>' >/dev/null
is "no quota in download/" "$(ms prop /release/download/ '{DAV:}quota-available-bytes')" "404 "
dav PROPFIND /release/incoming/sub/ 0 >/dev/null
check "allprop leaves the quotas out (RFC 4331 3)" sh -c "! grep -q quota '$WORK/body'"
dav PROPFIND /release/incoming/sub/ 0 --data-binary \
    '<?xml version="1.0"?><propfind xmlns="DAV:"><propname/></propfind>' >/dev/null
like "propname names the quotas" "$(ms names /release/incoming/sub/)" \
    '\{DAV:\}quota-available-bytes \{DAV:\}quota-used-bytes'

# --- allprop, propname, prop ---
LIVE_FILE="{DAV:}creationdate {DAV:}displayname {DAV:}getcontentlength {DAV:}getcontenttype {DAV:}getetag {DAV:}getlastmodified {DAV:}lockdiscovery {DAV:}resourcetype {DAV:}supportedlock"
is "propname: 207" "$(dav PROPFIND $f 0 --data-binary \
    '<?xml version="1.0"?><propfind xmlns="DAV:"><propname/></propfind>')" 207
is "propname: every live property of a file, without values" "$(ms names $f)" "$LIVE_FILE"
is "allprop (empty body): 207" "$(dav PROPFIND $f 0)" 207
is "allprop: every live property of a file" "$(ms names $f | sed 's/=value//g')" "$LIVE_FILE"
propfind_prop $f 0 '<D:getcontentlength/><D:nosuch/><X:color xmlns:X="urn:x"/>' >/dev/null
is "prop: the known one 200, unknown names 404" "$(ms statuses)" \
    "200:{DAV:}getcontentlength 404:{DAV:}nosuch 404:{urn:x}color"

# --- PROPPATCH ---
is "PROPPATCH set: 207" "$(proppatch "$g" \
    '<D:set><D:prop><T:color>red</T:color><T:shape><T:round xmlns:T="urn:test">yes</T:round></T:shape></D:prop></D:set>')" 207
is "PROPPATCH set: 200 each" "$(ms statuses)" "200:{urn:test}color 200:{urn:test}shape"
propfind_prop "$g" 0 '<T:color xmlns:T="urn:test"/><T:shape xmlns:T="urn:test"/>' >/dev/null
is "PROPFIND gives the dead property back" "$(ms prop "$g" '{urn:test}color')" "200 red"
is "PROPFIND gives an XML value back" "$(ms prop "$g" '{urn:test}shape')" "200 {urn:test}round"
is "PROPPATCH with xml:lang: 207" "$(dav PROPPATCH "$g" - --data-binary \
    '<?xml version="1.0"?><D:propertyupdate xmlns:D="DAV:" xmlns:T="urn:test" xml:lang="de"><D:set><D:prop><T:title xml:lang="en-GB">Colour</T:title><T:titel>Farbe</T:titel></D:prop></D:set></D:propertyupdate>')" 207
propfind_prop "$g" 0 '<T:title xmlns:T="urn:test"/><T:titel xmlns:T="urn:test"/><T:color xmlns:T="urn:test"/>' >/dev/null
is "xml:lang of the property element is kept" "$(ms lang "$g" '{urn:test}title')" "en-GB"
is "xml:lang in scope is kept" "$(ms lang "$g" '{urn:test}titel')" "de"
is "the value with xml:lang is intact" "$(ms prop "$g" '{urn:test}title')" "200 Colour"
is "no xml:lang where none was given" "$(ms lang "$g" '{urn:test}color')" "none"
dav PROPFIND "$g" 0 >/dev/null
like "allprop includes the dead properties" "$(ms names "$g")" '\{urn:test\}color=value'
dav PROPFIND /release/incoming/ 1 --data-binary \
    '<?xml version="1.0"?><propfind xmlns="DAV:"><propname/></propfind>' >/dev/null
like "propname at Depth 1 names them on the member" "$(ms names "$g")" '\{urn:test\}color'
is "PROPPATCH remove: 207" "$(proppatch "$g" '<D:remove><D:prop><T:shape/></D:prop></D:remove>')" 207
propfind_prop "$g" 0 '<T:shape xmlns:T="urn:test"/>' >/dev/null
is "a removed property: 404" "$(ms prop "$g" '{urn:test}shape')" "404 "

is "PROPPATCH of a live property: 207" "$(proppatch "$g" \
    '<D:set><D:prop><D:getetag>"x"</D:getetag><T:other>1</T:other></D:prop></D:set>')" 207
is "a live property is protected (403), the others fail with it (424)" "$(ms statuses)" \
    "403:{DAV:}getetag 424:{urn:test}other"
is "the 403 carries the cannot-modify-protected-property condition" "$(ms errors)" \
    "403:{DAV:}cannot-modify-protected-property"
propfind_prop "$g" 0 '<T:other xmlns:T="urn:test"/>' >/dev/null
is "nothing of a refused PROPPATCH is kept" "$(ms prop "$g" '{urn:test}other')" "404 "

SETX='<D:set><D:prop><T:x>1</T:x></D:prop></D:set>'
is "PROPPATCH in download/: 403" "$(proppatch /release/download/apps.json "$SETX")" 403
is "PROPPATCH of a channel: 403" "$(proppatch /release/ "$SETX")" 403
is "PROPPATCH of an unknown resource: 404" "$(proppatch /release/incoming/nothing "$SETX")" 404
is "PROPPATCH by a read-only user: 403" "$(curl -s -o /dev/null -w '%{http_code}' \
    -u bob:bob-pw -X PROPPATCH --data-binary "$SETX" "$DAV$g")" 403
is "PROPPATCH of a collection: 207" "$(proppatch /release/incoming/sub/ \
    '<D:set><D:prop><T:kind>folder</T:kind></D:prop></D:set>')" 207
is "PROPPATCH of a collection: its href ends in /" "$(ms hrefs)" "/release/incoming/sub/"
is "PROPPATCH of a Finder file: 207" "$(proppatch '/release/incoming/._a%20b.txt' "$SETX")" 207
is "a Finder file takes no properties: 403" "$(ms statuses)" "403:{urn:test}x"
is "a Finder file's 403 is not a protected property" "$(ms errors)" ""

is "PROPPATCH of incoming/ itself: 207" "$(proppatch /release/incoming/ \
    '<D:set><D:prop><T:note>root</T:note></D:prop></D:set>')" 207
dav PROPFIND /release/ 1 --data-binary '<?xml version="1.0"?><D:propfind xmlns:D="DAV:"><D:allprop/></D:propfind>' >/dev/null
is "a channel listing: incoming/'s dead property" "$(ms prop /release/incoming/ '{urn:test}note')" "200 root"
is "a channel listing: incoming/ is lockable" "$(ms prop /release/incoming/ '{DAV:}supportedlock')" \
    "200 {DAV:}lockentry {DAV:}lockentry"
is "a channel listing: download/ is not" "$(ms prop /release/download/ '{DAV:}supportedlock')" "200 "

# --- lockdiscovery with a lock held ---
LOCKINFO='<?xml version="1.0"?><D:lockinfo xmlns:D="DAV:"><D:lockscope><D:exclusive/></D:lockscope><D:locktype><D:write/></D:locktype><D:owner>alice</D:owner></D:lockinfo>'
is "LOCK of a file: 200" "$(dav LOCK "$g" 0 -H 'Timeout: Second-600' --data-binary "$LOCKINFO")" 200
token=$(header_of Lock-Token "$WORK/head" | tr -d '<>')
propfind_prop "$g" 0 '<D:lockdiscovery/>' >/dev/null
is "lockdiscovery: the lock" "$(ms prop "$g" '{DAV:}lockdiscovery')" "200 {DAV:}activelock"
like "lockdiscovery: its token" "$(cat "$WORK/body")" "<D:href>$token</D:href>"
dav PROPFIND /release/incoming/ 1 >/dev/null
is "lockdiscovery at Depth 1: on the member" "$(ms prop "$g" '{DAV:}lockdiscovery')" "200 {DAV:}activelock"
is "lockdiscovery at Depth 1: not on another member" \
    "$(ms prop /release/incoming/sub/ '{DAV:}lockdiscovery')" "200 "
is "PROPPATCH of a locked file without its token: 423" "$(proppatch "$g" "$SETX")" 423
is "PROPPATCH of a locked file with its token: 207" "$(proppatch "$g" "$SETX" -H "If: (<$token>)")" 207
is "UNLOCK: 204" "$(dav UNLOCK "$g" - -H "Lock-Token: <$token>")" 204

check "storesrv stops cleanly" stop_storesrv 10
check "storesrv starts again" start_dav "$ROOT"
propfind_prop "$g" 0 '<T:color xmlns:T="urn:test"/>' >/dev/null
is "a dead property survives a restart" "$(ms prop "$g" '{urn:test}color')" "200 red"
propfind_prop "$g" 0 '<T:title xmlns:T="urn:test"/>' >/dev/null
is "its xml:lang survives a restart" "$(ms lang "$g" '{urn:test}title')" "en-GB"
propfind_prop /release/incoming/sub/ 0 '<T:kind xmlns:T="urn:test"/>' >/dev/null
is "a collection's dead property survives a restart" \
    "$(ms prop /release/incoming/sub/ '{urn:test}kind')" "200 folder"

# --- hostile bodies ---
# An external entity naming a FIFO: a parser that opened it would let the
# writer through; the writer gives up after 3 seconds otherwise.
mkfifo "$WORK/fifo"
( timeout 3 sh -c "printf leaked >'$WORK/fifo'"; echo $? >"$WORK/fifo.rc" ) &
fifo_writer=$!
XXE="<?xml version=\"1.0\"?><!DOCTYPE p [<!ENTITY x SYSTEM \"file://$WORK/fifo\"><!ENTITY y SYSTEM \"file://$WORK/outside/secret\">]>"
is "XXE in PROPFIND: 400" "$(dav PROPFIND "$g" 0 --data-binary \
    "$XXE<D:propfind xmlns:D=\"DAV:\"><D:prop><D:displayname>&x;&y;</D:displayname></D:prop></D:propfind>")" 400
is "XXE in PROPPATCH: 400" "$(dav PROPPATCH "$g" - --data-binary \
    "$XXE<D:propertyupdate xmlns:D=\"DAV:\"><D:set><D:prop><X:x xmlns:X=\"urn:x\">&x;&y;</X:x></D:prop></D:set></D:propertyupdate>")" 400
wait "$fifo_writer"
is "XXE: the entity's file was never opened" "$(cat "$WORK/fifo.rc")" 124
propfind_prop "$g" 0 '<X:x xmlns:X="urn:x"/>' >/dev/null
is "XXE: nothing stored" "$(ms prop "$g" '{urn:x}x')" "404 "

LAUGHS='<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;"><!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;"><!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;"><!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;"><!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;"><!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;"><!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;"><!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;"><!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">]>'
is "billion laughs in PROPFIND: 400" "$(dav PROPFIND "$g" 0 --data-binary \
    "$LAUGHS<D:propfind xmlns:D=\"DAV:\"><D:prop><D:displayname>&lol9;</D:displayname></D:prop></D:propfind>")" 400
is "billion laughs in PROPPATCH: 400" "$(dav PROPPATCH "$g" - --data-binary \
    "$LAUGHS<D:propertyupdate xmlns:D=\"DAV:\"><D:set><D:prop><X:x xmlns:X=\"urn:x\">&lol9;</X:x></D:prop></D:set></D:propertyupdate>")" 400

python3 -c 'import sys; sys.stdout.write("<?xml version=\"1.0\"?><!--" + "x" * (1100 * 1024) + "--><propfind xmlns=\"DAV:\"><allprop/></propfind>")' >"$WORK/big.xml"
is "a PROPFIND body over the limit: 413" "$(dav PROPFIND "$g" 0 --data-binary @"$WORK/big.xml")" 413
is "a PROPPATCH body over the limit: 413" "$(dav PROPPATCH "$g" - --data-binary @"$WORK/big.xml")" 413
is "malformed PROPFIND: 400" "$(dav PROPFIND "$g" 0 --data-binary '<propfind xmlns="DAV:"><prop>')" 400
is "malformed PROPPATCH: 400" "$(dav PROPPATCH "$g" - --data-binary '<propertyupdate xmlns="DAV:"><set>')" 400
is "a PROPFIND of the wrong element: 400" "$(dav PROPFIND "$g" 0 --data-binary \
    '<?xml version="1.0"?><lockinfo xmlns="DAV:"/>')" 400
is "the listener still answers" "$(dav PROPFIND "$g" 0)" 207

check "storesrv stops cleanly (no leak, no crash)" stop_storesrv 10
done_testing
