#!/usr/bin/env bash
# test_svg_render.sh - the --svg pictures render in a real browser. Headless Chromium screenshots
# (1200x800) the map pictures of resnet50, bert_base (120 layers), a one-layer workload with hostile
# names and a depth-first resnet18 at batch 1 (issue 14: tiles in the group bands, the recompute
# share), and a resnet50 budget sweep; then every PNG is checked: a PNG of 1200x800, well
# above the size of a blank page's screenshot, and decoded (by Chromium itself: a canvas over the PNG
# as a data URL) to many colours, a fair share of non-white pixels, and the budget line's red (map)
# or the optimum's blue and the transformer's orange (sweep). The same page parses each SVG with
# DOMParser (no parsererror). Needs /usr/bin/chromium (`make deps` installs it); every Chromium run
# is bounded by `timeout 60`. SVG_RENDER_KEEP=DIR keeps the SVGs and PNGs for a human to look at.
# Usage: BUILD=build bash tests/integration/test_svg_render.sh   (about 10 s)
set -euo pipefail

BUILD=${BUILD:-build}
BIN=$BUILD/dnnfuser
CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
if [ ! -x "$BIN" ]; then
    echo "svg_render: $BIN not found (run make first)" >&2
    exit 1
fi
if [ ! -x "$CHROMIUM" ]; then
    echo "svg_render: $CHROMIUM not found: install it with 'make deps' (Debian package chromium)" >&2
    echo "svg_render: 0 passed, 1 failed"
    exit 1
fi
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

pass=0
fail=0
ok() { echo "ok - $1"; pass=$((pass + 1)); }
not_ok() { echo "not ok - $1"; fail=$((fail + 1)); }

# chrome ARGS...: one bounded headless run with a throwaway profile; its log in $TMP/chrome.log.
chrome() {
    local prof
    prof=$(mktemp -d "$TMP/profile.XXXXXX")
    timeout 60 "$CHROMIUM" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
        --disable-background-networking --disable-component-update --disable-sync --user-data-dir="$prof" "$@" \
        2>"$TMP/chrome.log"
}

# shot NAME: $TMP/NAME.svg -> $TMP/NAME.png
shot() {
    rm -f "$TMP/$1.png"
    chrome --screenshot="$TMP/$1.png" --window-size=1200,800 "file://$TMP/$1.svg" >/dev/null || true
    if [ -s "$TMP/$1.png" ]; then ok "$1: chromium rendered a screenshot"; else not_ok "$1: no screenshot ($(tail -2 "$TMP/chrome.log" | tr '\n' ' '))"; fi
}

# png_dims FILE: "WIDTHxHEIGHT" from the IHDR chunk, or "" when not a PNG.
png_dims() {
    local sig
    sig=$(od -An -tx1 -N8 "$1" | tr -d ' \n')
    [ "$sig" = 89504e470d0a1a0a ] || return 0
    od -An -tu1 -j16 -N8 "$1" | awk '{ printf "%dx%d", (($1 * 256 + $2) * 256 + $3) * 256 + $4, (($5 * 256 + $6) * 256 + $7) * 256 + $8 }'
}

# --- the pictures ------------------------------------------------------------------------------
cat >"$TMP/hostile.json" <<'EOF'
{"name": "<script>alert(1)</script> & \"quoted\" 'x'",
 "layers": [{"name": "c<1>&'\"", "type": "conv", "K": 64, "C": 3, "Y": 224, "X": 224, "R": 7, "S": 7, "stride": 2, "pad": 3}]}
EOF
"$BIN" map -w resnet50 --hw edge --buffer 512KiB --batch 8 --svg "$TMP/map_resnet50.svg" >/dev/null
"$BIN" map -w bert_base --hw edge --buffer 2MiB --batch 8 --svg "$TMP/map_bert.svg" >/dev/null
"$BIN" map -w "$TMP/hostile.json" --hw edge --buffer 1MiB --batch 4 --svg "$TMP/map_hostile.svg" >/dev/null
"$BIN" map -w resnet18 --hw edge --buffer 256KiB --space depth_first --svg "$TMP/map_df.svg" >"$TMP/map_df.txt"
# the same mapping with every halo recomputed (a non-zero recompute share to show)
"$BIN" map -w resnet18 --hw edge --buffer 256KiB --space depth_first --json >"$TMP/map_df.json"
sed 's/"cache_all"/"recompute"/g; s/"cache_rows"/"recompute"/g' "$TMP/map_df.json" >"$TMP/map_dfr.json"
"$BIN" eval "$TMP/map_dfr.json" --svg "$TMP/map_dfr.svg" >"$TMP/map_dfr.txt"
"$BIN" sweep -w resnet50 --hw edge --batch 8 --budgets 32KiB..16MiB:12 --solver transformer \
    --svg "$TMP/sweep_resnet50.svg" >/dev/null
printf '<svg xmlns="http://www.w3.org/2000/svg" width="1200" height="800"><rect width="1200" height="800" fill="#fff"/></svg>\n' \
    >"$TMP/blank.svg"
names="map_resnet50 map_bert map_hostile map_df map_dfr sweep_resnet50"
for n in blank $names; do shot "$n"; done
blank=$(stat -c %s "$TMP/blank.png" 2>/dev/null || echo 0)

# --- what the pictures say (issue #11 item 8) ----------------------------------------------------
# resnet50 (72 layers) has room for every layer name, bert_base (120) for every 2nd; every group's
# latency is in its tooltip; the sweep marks its knee and says the span of an axis not from 0
n=$(grep -c 'class="lname"' "$TMP/map_resnet50.svg" || true)
[ "$n" = 72 ] && ok "map_resnet50: all 72 layer names under the axis" || not_ok "map_resnet50: $n layer names"
n=$(grep -c 'class="lname"' "$TMP/map_bert.svg" || true)
[ "$n" = 60 ] && grep -q 'every 2nd name shown' "$TMP/map_bert.svg" && ok "map_bert: every 2nd of 120 names" \
    || not_ok "map_bert: $n layer names"
g=$(grep -c 'class="group"' "$TMP/map_resnet50.svg" || true)
t=$(grep -o 'latency [0-9.]* [a-zµ]*s ([0-9.]*% of the total)' "$TMP/map_resnet50.svg" | wc -l)
[ "$g" -gt 0 ] && [ "$t" = "$g" ] && ok "map_resnet50: each of the $g groups states its latency and share" \
    || not_ok "map_resnet50: $t of $g groups state their latency"
grep -q '<g id="knee">' "$TMP/sweep_resnet50.svg" && grep -q 'knee [0-9.]* [KM]iB: 90% of the latency gain' "$TMP/sweep_resnet50.svg" \
    && ok "sweep_resnet50: the knee is marked ($(grep -o 'knee [0-9.]* [KM]iB' "$TMP/sweep_resnet50.svg" | head -1))" \
    || not_ok "sweep_resnet50: no knee"
grep -q 'values span [0-9.]*% (' "$TMP/sweep_resnet50.svg" && ok "sweep_resnet50: an axis not from 0 says its span" \
    || not_ok "sweep_resnet50: no span"

# depth-first: every tiled group of the table has its glyph and tile label in its band (the longest
# form that fits: "tile RxC, mode" in the wide ones); each group's recomputed MACs are the table's
# (the cost model's group figures) in its tooltip, and shown in the bands wide enough; the title
# gives the mapping's share
for n in map_df map_dfr; do
    ntiled=$(awk '$1 == "depth-first" { print $2 }' "$TMP/$n.txt")
    glyphs=$(grep -o 'class="tile-grid"' "$TMP/$n.svg" | wc -l)
    labels=$(grep -o 'class="tile"' "$TMP/$n.svg" | wc -l)
    full=$(grep -Eo '>tile [0-9]+×[0-9]+, (recompute|cache_rows|cache_all)<' "$TMP/$n.svg" | wc -l)
    if [ "${ntiled:-0}" -gt 0 ] && [ "$glyphs" = "$ntiled" ] && [ "$labels" = "$ntiled" ] && [ "$full" -ge 1 ] &&
        grep -q 'depth-first mapping' "$TMP/$n.svg"; then
        ok "$n: $ntiled tiled groups, each with its tile glyph and label ($full in full)"
    else not_ok "$n: $glyphs glyphs, $labels labels ($full in full) for ${ntiled:-0} tiled groups"; fi
done
want=$(awk '$1 == "depth-first" { print $7 }' "$TMP/map_dfr.txt")
shares=$(awk '$1 ~ /^[0-9]+$/ && $NF ~ /^\+[0-9.]+%$/ && $NF != "+0.0%" { print $NF }' "$TMP/map_dfr.txt")
miss=0
for sh in $shares; do grep -q "overlap recompute, $sh MACs recomputed (recompute factor" "$TMP/map_dfr.svg" || miss=$((miss + 1)); done
shown=$(grep -Eo 'class="recompute">\+[0-9.]+% MACs recomputed<' "$TMP/map_dfr.svg" | wc -l)
if [ -n "$shares" ] && [ "$miss" = 0 ] && [ "$shown" -ge 1 ] && grep -q ", $want MACs recomputed</text>" "$TMP/map_dfr.svg"; then
    ok "map_dfr: the recompute share of each group ($(echo $shares)) and of the mapping ($want) as in the table, $shown in full in the bands"
else not_ok "map_dfr: recompute shares '$(echo $shares)' ($miss missing, $shown shown), total '$want'"; fi
grep -q 'class="untiled"' "$TMP/map_df.svg" && ok "map_df: the untiled footprints are outlined" || not_ok "map_df: no untiled outline"

# --- PNG header and size -----------------------------------------------------------------------
for n in $names; do
    [ -s "$TMP/$n.png" ] || continue
    dims=$(png_dims "$TMP/$n.png")
    size=$(stat -c %s "$TMP/$n.png")
    if [ "$dims" = 1200x800 ]; then ok "$n: a 1200x800 PNG"; else not_ok "$n: PNG header says '$dims'"; fi
    if [ "$blank" -gt 0 ] && [ "$size" -gt $((blank * 3)) ]; then ok "$n: $size bytes, well above a blank page's $blank"
    else not_ok "$n: $size bytes, a blank page is $blank"; fi
done

# --- decode the PNGs and parse the SVGs in one Chromium page -------------------------------------
{
    printf '<!DOCTYPE html><html><head><meta charset="utf-8"></head><body><pre id="out"></pre>\n'
    for n in $names; do
        [ -s "$TMP/$n.png" ] || continue
        printf '<img class="png" data-name="%s" src="data:image/png;base64,' "$n"
        base64 -w0 "$TMP/$n.png"
        printf '">\n<script type="text/plain" class="svg" data-name="%s">' "$n"
        base64 -w0 "$TMP/$n.svg"
        printf '</script>\n'
    done
    cat <<'EOF'
<script>
function near(d, k, rgb) {
  return Math.abs(d[k] - rgb[0]) < 8 && Math.abs(d[k + 1] - rgb[1]) < 8 && Math.abs(d[k + 2] - rgb[2]) < 8;
}
window.addEventListener("load", function () {
  var lines = [];
  document.querySelectorAll("img.png").forEach(function (img) {
    var c = document.createElement("canvas");
    c.width = img.naturalWidth; c.height = img.naturalHeight;
    var x = c.getContext("2d");
    x.drawImage(img, 0, 0);
    var d = x.getImageData(0, 0, c.width, c.height).data, seen = {}, colours = 0, nonwhite = 0, red = 0, blue = 0, orange = 0, green = 0;
    for (var k = 0; k < d.length; k += 4) {
      var key = (d[k] << 16) | (d[k + 1] << 8) | d[k + 2];
      if (!seen[key]) { seen[key] = 1; colours++; }
      if (key !== 0xffffff) nonwhite++;
      if (near(d, k, [0xc0, 0x39, 0x2b])) red++;
      if (near(d, k, [0x1f, 0x77, 0xb4])) blue++;
      if (near(d, k, [0xff, 0x7f, 0x0e])) orange++;
      if (near(d, k, [0x2e, 0x7d, 0x32])) green++;
    }
    lines.push("@@ PNG " + img.dataset.name + " colours=" + colours + " nonwhite_permille=" +
               Math.round(1000 * nonwhite / (c.width * c.height)) + " red=" + red + " blue=" + blue + " orange=" + orange + " green=" + green + " @@");
  });
  document.querySelectorAll("script.svg").forEach(function (s) {
    var bytes = Uint8Array.from(atob(s.textContent), function (ch) { return ch.charCodeAt(0); });
    var doc = new DOMParser().parseFromString(new TextDecoder().decode(bytes), "image/svg+xml");
    var err = doc.getElementsByTagName("parsererror").length;
    var scripts = doc.getElementsByTagName("script").length;
    lines.push("@@ SVG " + s.dataset.name + " parsererror=" + err + " script=" + scripts + " root=" +
               doc.documentElement.nodeName + " @@");
  });
  document.getElementById("out").textContent = lines.join("\n");
});
</script></body></html>
EOF
} >"$TMP/check.html"
chrome --virtual-time-budget=10000 --dump-dom "file://$TMP/check.html" | grep -o '@@ [^@]* @@' >"$TMP/check.out" || true
# field NAME KIND KEY: a value from the report lines "@@ KIND NAME key=value ... @@"
field() { awk -v n="$1" -v k="$2" -v f="$3" '$2 == k && $3 == n { for (i = 4; i < NF; i++) { split($i, a, "="); if (a[1] == f) print a[2] } }' "$TMP/check.out"; }
for n in $names; do
    colours=$(field "$n" PNG colours)
    if [ -z "$colours" ]; then not_ok "$n: the PNG could not be decoded"; continue; fi
    nw=$(field "$n" PNG nonwhite_permille)
    if [ "$colours" -ge 50 ] && [ "$nw" -ge 20 ]; then ok "$n: decoded, $colours colours, ${nw}permille non-white (not one colour)"
    else not_ok "$n: decoded to $colours colours, ${nw}permille non-white"; fi
    case "$n" in
        map_*) red=$(field "$n" PNG red)
            if [ "$red" -ge 200 ]; then ok "$n: the budget line (red) is drawn ($red px)"; else not_ok "$n: budget red $red px"; fi ;;
        sweep_*) blue=$(field "$n" PNG blue); orange=$(field "$n" PNG orange)
            if [ "$blue" -ge 200 ] && [ "$orange" -ge 200 ]; then ok "$n: the optimum (blue, $blue px) and transformer (orange, $orange px) lines are drawn"
            else not_ok "$n: blue $blue px, orange $orange px"; fi
            green=$(field "$n" PNG green)
            if [ "$green" -ge 150 ]; then ok "$n: the knee (green) is marked ($green px)"; else not_ok "$n: knee green $green px"; fi ;;
    esac
    err=$(field "$n" SVG parsererror); scripts=$(field "$n" SVG script); root=$(field "$n" SVG root)
    if [ "$err" = 0 ] && [ "$scripts" = 0 ] && [ "$root" = svg ]; then ok "$n: the SVG parses as XML (no parsererror, no script element)"
    else not_ok "$n: SVG parse: parsererror=$err script=$scripts root=$root"; fi
done

if [ -n "${SVG_RENDER_KEEP:-}" ]; then
    mkdir -p "$SVG_RENDER_KEEP"
    cp "$TMP"/*.svg "$TMP"/*.png "$SVG_RENDER_KEEP"/
fi

echo "svg_render: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
