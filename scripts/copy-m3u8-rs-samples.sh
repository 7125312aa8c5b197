#!/usr/bin/env bash
# Copies the sample playlists of the m3u8-rs crate (MIT licence, with its
# licence file) into streamkit-hls/tests/m3u8-rs-samples/, where the tests
# of the `m3u8-rs` feature read them. The crate comes from crates.io as the
# version Cargo.lock pins (cargo fetches it); run from anywhere in the
# checkout:  scripts/copy-m3u8-rs-samples.sh
set -euo pipefail
cd "$(dirname "$0")/.."

cargo fetch --locked >/dev/null
src=$(cargo metadata --locked --format-version 1 | python3 -c '
import json, os, sys
meta = json.load(sys.stdin)
pkg = [p for p in meta["packages"] if p["name"] == "m3u8-rs"]
if len(pkg) != 1:
    sys.exit("expected one m3u8-rs package in the lock file, found %d" % len(pkg))
print(os.path.dirname(pkg[0]["manifest_path"]) + "\t" + pkg[0]["version"])
')
dir=${src%%$'\t'*}
version=${src##*$'\t'}
out=streamkit-hls/tests/m3u8-rs-samples
rm -rf "$out"
mkdir -p "$out"
cp "$dir"/sample-playlists/*.m3u8 "$out"/
cp "$dir"/LICENSE "$out"/LICENSE
cat > "$out"/README.md <<README
The sample playlists of the m3u8-rs crate, version $version
(https://crates.io/crates/m3u8-rs, https://github.com/rutgersc/m3u8-rs),
copied unchanged from its sample-playlists/ directory by
scripts/copy-m3u8-rs-samples.sh. They are under the MIT licence of that
crate, in LICENSE here. streamkit-hls/tests/m3u8_rs_conversion.rs reads
them.
README
echo "copied $(ls "$out"/*.m3u8 | wc -l) playlists of m3u8-rs $version into $out"
