#!/usr/bin/env bash
# Build the herd image with buildah, from nothing but this checkout: a statically linked
# herd (glibc, +crt-static; all dependencies are pure Rust, TLS is rustls), the host's CA
# bundle and a passwd/group with one non-root user, on top of `scratch`.
#
# Usage: scripts/image/build.sh [IMAGE_NAME]        (default: herd)
# Needs: cargo, buildah (apt-get install -y buildah). Root or rootless buildah both work;
# on machines without overlay support it uses the vfs driver and chroot isolation.
set -euo pipefail
cd "$(dirname "$0")/../.."
name="${1:-herd}"
target=x86_64-unknown-linux-gnu
certs=/etc/ssl/certs/ca-certificates.crt
for need in buildah cargo; do
    command -v "$need" >/dev/null || { echo "build.sh: $need is not installed (apt-get install -y buildah; Rust from rustup.rs)" >&2; exit 1; }
done
[ -r "$certs" ] || { echo "build.sh: no CA bundle at $certs (apt-get install -y ca-certificates)" >&2; exit 1; }
# Under `cargo test`, an inherited CARGO_ENCODED_RUSTFLAGS would win over RUSTFLAGS below.
unset CARGO_ENCODED_RUSTFLAGS

RUSTFLAGS="-C target-feature=+crt-static" \
    cargo build --release -p herd-cli --target "$target" --target-dir target/static
bin="target/static/$target/release/herd"
if ldd "$bin" 2>&1 | grep -q "=>"; then
    echo "build.sh: $bin is dynamically linked; refusing to put it on scratch" >&2
    exit 1
fi

ctx="$(mktemp -d)"
trap 'rm -rf "$ctx"' EXIT
cp "$bin" "$ctx/herd"
strip "$ctx/herd" 2>/dev/null || true
cp scripts/image/Containerfile "$ctx/Containerfile"
cp "$certs" "$ctx/ca-certificates.crt"
printf 'root:x:0:0:root:/:/herd\nherd:x:65532:65532:herd:/tmp:/herd\n' > "$ctx/passwd"
printf 'root:x:0:\nherd:x:65532:\n' > "$ctx/group"
mkdir -m 1777 "$ctx/tmp"

buildah ${BUILDAH_OPTS:---storage-driver vfs} bud --isolation chroot -t "$name" -f "$ctx/Containerfile" "$ctx"
echo "built image $name ($(du -h "$ctx/herd" | cut -f1) binary)"
