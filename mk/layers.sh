#!/bin/sh
# mk/layers.sh - enforces the one-way data flow of DESIGN §1 (issue #12) on every build:
#
#     core  <-  solve, model  <-  report  <-  server, cli, train
#
# A layer may use its own code and the layers below it, never one above or beside it (solve and
# model are siblings: neither knows the other). Four checks, all fatal:
#   links:    every symbol an object of layer L leaves undefined that some object of the tree defines
#             must be defined in L or below (nm over $BUILD/src/<layer>/*.o);
#   includes: every #include "dnnfuser/x.h" or "x.h" in src/<layer>/ and include/dnnfuser/ must name
#             a header of the same layer or below. A public header's layer is the folder of its
#             source (include/dnnfuser/x.h <-> src/<layer>/x.c), or the table below;
#   http:     only src/server/http.c includes <microhttpd.h> or calls an MHD_ function (the server's
#             other files reach HTTP through the callbacks and table http.h takes: issue #12);
#   cycles:   the server's modules (src/server/x.c + x.h = module x) include each other without a
#             loop: a lower module is told of a higher one's events by callbacks it registers.
# usage: mk/layers.sh BUILD [SRCROOT]   (exit 1 and one line per violation)
set -eu
build=$1
root=${2:-.}
layers="core solve model report server cli train"

# allowed LAYER: the layers LAYER may use
allowed() {
    case $1 in
        core) echo "core" ;;
        solve|model) echo "$1 core" ;;
        report) echo "report solve model core" ;;
        server|cli|train) echo "$1 report solve model core" ;;
    esac
}
# headers with no source file of their own name
header_layer_table() {
    case $1 in
        common.h) echo core ;;
        solve.h) echo solve ;;
        *) echo "" ;;
    esac
}
header_layer() { # NAME.h -> layer, or empty
    h=$1 l=$(header_layer_table "$1")
    if [ -z "$l" ]; then
        for x in $layers; do
            [ -e "$root/src/$x/${h%.h}.c" ] && { l=$x; break; }
        done
    fi
    echo "$l"
}

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
bad=0

# --- links -------------------------------------------------------------------------------------
# one nm over every object (nm -A names the object on each line): a fork per object made the check
# take seconds on every build
set -- "$build"/src/*/*.o
if [ -e "$1" ]; then
    nm -A -g --defined-only "$@" 2>/dev/null | awk 'NF >= 3 { f = $1; sub(/:[^:]*$/, "", f); print f, $NF }' >"$tmp/def"
    nm -A -u "$@" 2>/dev/null | awk '{print $1, $NF}' >"$tmp/undef"
fi
[ -e "$tmp/def" ] || : >"$tmp/def"
[ -e "$tmp/undef" ] || : >"$tmp/undef"
# "path/src/<layer>/x.o:" -> layer; a symbol used in layer l and defined in layer x that l may not use
awk -v rules="core:core solve:solve,core model:model,core report:report,solve,model,core server:server,report,solve,model,core cli:cli,report,solve,model,core train:train,report,solve,model,core" '
    function layer(f,   n, a) { sub(/:$/, "", f); n = split(f, a, "/"); return a[n - 1] }
    function obj(f) { sub(/:$/, "", f); return f }
    BEGIN { n = split(rules, r, " "); for (i = 1; i <= n; i++) { split(r[i], kv, ":"); ok[kv[1]] = kv[2] } }
    NR == FNR { l = layer($1); if ((l in ok) && index(" " defl[$2] " ", " " l " ") == 0) defl[$2] = defl[$2] " " l; next }
    {
        l = layer($1); s = $2
        if (!(l in ok) || !(s in defl)) next
        m = split(defl[s], xs, " ")
        for (j = 1; j <= m; j++)
            if (index("," ok[l] ",", "," xs[j] ",") == 0) {
                printf "layers: %s (%s) uses %s, defined in %s: %s may use only %s\n", obj($1), l, s, xs[j], l, ok[l]
                bad = 1
            }
    }
    END { exit bad }' "$tmp/def" "$tmp/undef" | awk '{ gsub(/,/, " ", $NF); print }' >"$tmp/links"
[ -s "$tmp/links" ] && { cat "$tmp/links"; bad=1; }

# --- includes ----------------------------------------------------------------------------------
# every public header's layer once ("NAME.h LAYER", empty layer = none), the private headers beside
# the sources, and every quoted include of the tree from one grep; one awk judges them all
for f in "$root"/include/dnnfuser/*.h; do
    [ -e "$f" ] && echo "$(basename "$f") $(header_layer "$(basename "$f")")"
done >"$tmp/hl"
ls "$root"/src/*/*.h 2>/dev/null >"$tmp/private" || :
for l in $layers; do for f in "$root"/src/$l/*.[ch]; do [ -e "$f" ] && echo "$f $l"; done; done >"$tmp/files"
while read -r h hl; do [ -n "$hl" ] && echo "$root/include/dnnfuser/$h $hl"; done <"$tmp/hl" >>"$tmp/files"
# shellcheck disable=SC2046
grep -HE '^[[:space:]]*#[[:space:]]*include[[:space:]]*"' $(awk '{print $1}' "$tmp/files") /dev/null 2>/dev/null |
    sed -nE 's/^([^:]+):[[:space:]]*#[[:space:]]*include[[:space:]]*"(dnnfuser\/)?([^"]+)".*/\1 \3/p' >"$tmp/incs" || :
awk -v pub="$root/include/dnnfuser" -v rules="core:core solve:solve,core model:model,core report:report,solve,model,core server:server,report,solve,model,core cli:cli,report,solve,model,core train:train,report,solve,model,core" '
    function dir(f) { sub(/\/[^\/]*$/, "", f); return f }
    BEGIN { n = split(rules, r, " "); for (i = 1; i <= n; i++) { split(r[i], kv, ":"); ok[kv[1]] = kv[2] } }
    FILENAME == ARGV[1] { known[$1] = 1; hl[$1] = $2; next }
    FILENAME == ARGV[2] { priv[$1] = 1; next }
    FILENAME == ARGV[3] { fl[$1] = $2; next }
    {
        f = $1; h = $2
        if (h ~ /\//) next
        if (dir(f) != pub && ((dir(f) "/" h) in priv)) next
        if (!(h in known)) next
        l = fl[f]
        if (hl[h] == "") {
            printf "layers: %s includes dnnfuser/%s, which belongs to no layer (no src/<layer>/%s.c; add it to mk/layers.sh)\n", f, h, substr(h, 1, length(h) - 2)
            bad = 1; next
        }
        if (index("," ok[l] ",", "," hl[h] ",") == 0) {
            list = ok[l]; gsub(/,/, " ", list)
            printf "layers: %s (%s) includes dnnfuser/%s (%s): %s may use only %s\n", f, l, h, hl[h], l, list
            bad = 1
        }
    }
    END { exit bad }' "$tmp/hl" "$tmp/private" "$tmp/files" "$tmp/incs" || bad=1
while read -r h hl; do
    [ -n "$hl" ] || { echo "layers: $root/include/dnnfuser/$h belongs to no layer (no src/<layer>/${h%.h}.c; add it to mk/layers.sh)"; bad=1; }
done <"$tmp/hl"
# --- the HTTP library: http.c only -------------------------------------------------------------
for f in $(grep -lE '^[[:space:]]*#[[:space:]]*include[[:space:]]*[<"]microhttpd\.h[>"]' \
        "$root"/src/*/*.[ch] "$root"/include/dnnfuser/*.h 2>/dev/null); do
    [ "$f" = "$root/src/server/http.c" ] && continue
    echo "layers: $f includes microhttpd.h: only src/server/http.c may (the rest goes through http.h)"
    bad=1
done
# MHD_ symbols left undefined by any server object but http.o (from the one nm run above)
awk -v skip="$build/src/server/http.o" '{ o = $1; sub(/:$/, "", o) }
    o != skip && $2 ~ /^MHD_/ { printf "layers: %s calls %s: only src/server/http.c may use libmicrohttpd\n", o, $2 }' \
    "$tmp/undef" >"$tmp/mhd"
[ -s "$tmp/mhd" ] && { cat "$tmp/mhd"; bad=1; }
# --- no include cycle among the server's modules -------------------------------------------------
for f in "$root"/src/server/*.[ch]; do
    [ -e "$f" ] || continue
    m=$(basename "$f"); m=${m%.*}
    for h in $(sed -nE 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*"([^"/]+)\.h".*/\1/p' "$f"); do
        [ -e "$root/src/server/$h.h" ] && [ "$h" != "$m" ] && echo "$h $m"
    done
done | sort -u >"$tmp/edges"
if ! tsort "$tmp/edges" >/dev/null 2>"$tmp/loop"; then
    loop=$(sed -n 's/^tsort: //p' "$tmp/loop" | grep -v 'input contains' | tr '\n' ' ')
    echo "layers: src/server modules include each other in a loop: $loop"
    bad=1
fi
exit $bad
