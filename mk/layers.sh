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
for l in $layers; do
    set -- "$build"/src/$l/*.o
    [ -e "$1" ] || continue
    nm -g --defined-only "$@" 2>/dev/null | awk 'NF >= 3 {print $3}' | sort -u >"$tmp/def.$l"
    for o in "$@"; do
        nm -u "$o" 2>/dev/null | awk -v o="$o" '{print o, $NF}'
    done >"$tmp/undef.$l"
done
for l in $layers; do
    [ -e "$tmp/undef.$l" ] || continue
    ok=$(allowed "$l")
    for x in $layers; do
        [ -e "$tmp/def.$x" ] || continue
        case " $ok " in *" $x "*) continue ;; esac
        # undefined in l, defined in a layer l may not use
        awk -v x="$x" -v l="$l" -v ok="$ok" 'NR == FNR {d[$1] = 1; next}
            ($2 in d) {printf "layers: %s (%s) uses %s, defined in %s: %s may use only %s\n", $1, l, $2, x, l, ok; n++}
            END {exit n > 0}' "$tmp/def.$x" "$tmp/undef.$l" || bad=1
    done
done

# --- includes ----------------------------------------------------------------------------------
check_includes() { # FILE LAYER
    f=$1 l=$2 ok=$(allowed "$2")
    for h in $(sed -nE 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*"(dnnfuser\/)?([^"]+)".*/\2/p' "$f"); do
        case $h in */*) continue ;; esac
        # a private header beside the file (src/<layer>/x.h) belongs to its folder
        if [ -e "$(dirname "$f")/$h" ] && [ "$(dirname "$f")" != "$root/include/dnnfuser" ]; then continue; fi
        [ -e "$root/include/dnnfuser/$h" ] || continue
        hl=$(header_layer "$h")
        if [ -z "$hl" ]; then
            echo "layers: $f includes dnnfuser/$h, which belongs to no layer (no src/<layer>/${h%.h}.c; add it to mk/layers.sh)"
            bad=1; continue
        fi
        case " $ok " in *" $hl "*) ;; *)
            echo "layers: $f ($l) includes dnnfuser/$h ($hl): $l may use only $ok"; bad=1 ;;
        esac
    done
}
for l in $layers; do
    for f in "$root"/src/$l/*.[ch]; do [ -e "$f" ] && check_includes "$f" "$l"; done
done
for f in "$root"/include/dnnfuser/*.h; do
    [ -e "$f" ] || continue
    hl=$(header_layer "$(basename "$f")")
    [ -n "$hl" ] || { echo "layers: $f belongs to no layer (no src/<layer>/$(basename "${f%.h}").c; add it to mk/layers.sh)"; bad=1; continue; }
    check_includes "$f" "$hl"
done
# --- the HTTP library: http.c only -------------------------------------------------------------
for f in "$root"/src/*/*.[ch] "$root"/include/dnnfuser/*.h; do
    [ -e "$f" ] || continue
    [ "$f" = "$root/src/server/http.c" ] && continue
    if grep -qE '^[[:space:]]*#[[:space:]]*include[[:space:]]*[<"]microhttpd\.h[>"]' "$f"; then
        echo "layers: $f includes microhttpd.h: only src/server/http.c may (the rest goes through http.h)"
        bad=1
    fi
done
for o in "$build"/src/*/*.o; do
    [ -e "$o" ] || continue
    [ "$o" = "$build/src/server/http.o" ] && continue
    for sym in $(nm -u "$o" 2>/dev/null | awk '$NF ~ /^MHD_/ {print $NF}'); do
        echo "layers: $o calls $sym: only src/server/http.c may use libmicrohttpd"
        bad=1
    done
done
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
