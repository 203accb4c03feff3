#!/usr/bin/env bash
# Builds edgetm_<version>_<arch>.deb from a release binary (built by `make deb` with --static-swift-stdlib, so that
# only Debian libraries are needed). dpkg-deb rather than debhelper: the binary is built by SwiftPM, not by a
# debian/rules, and the package is a handful of files; dpkg-shlibdeps computes Depends: from the binary exactly as
# dh_shlibdeps would (versions from the libraries' symbols files), given a stub debian/control.
# Usage: scripts/make-deb.sh BINARY OUTPUT_DIR
set -euo pipefail
cd "$(dirname "$0")/.."
binary=$1
out=$2
umask 022

version=$("$binary" --version)
arch=$(dpkg --print-architecture)
work=.build/deb
stage=$work/edgetm
rm -rf "$work"
mkdir -p "$stage/DEBIAN" "$work/shlibs/debian"

install -D -m 0755 "$binary" "$stage/usr/sbin/edgetm"
# What dh_strip does; the debug information is 3/4 of the binary.
strip --remove-section=.comment --remove-section=.note --strip-unneeded "$stage/usr/sbin/edgetm"

# One unit for both installs: `make install` uses systemd/edgetm.service as it is (/usr/local/bin), the package
# the same text with Debian's path.
mkdir -p "$stage/lib/systemd/system"
sed 's|/usr/local/bin/edgetm|/usr/sbin/edgetm|g' systemd/edgetm.service >"$stage/lib/systemd/system/edgetm.service"
chmod 0644 "$stage/lib/systemd/system/edgetm.service"
if grep -q /usr/local "$stage/lib/systemd/system/edgetm.service"; then
    echo "make-deb: the packaged unit still names /usr/local" >&2
    exit 1
fi

# The production example, as conffiles: dpkg keeps the operator's edits on upgrade.
(cd Config/production && find . -type f -name '*.json') | sort | while read -r file; do
    install -D -m 0644 "Config/production/$file" "$stage/etc/edgetm/$file"
    echo "/etc/edgetm/${file#./}" >>"$stage/DEBIAN/conffiles"
done

man="$stage/usr/share/man"
install -D -m 0644 docs/man/edgetm.8 "$man/man8/edgetm.8"
install -D -m 0644 docs/man/edgetm.json.5 "$man/man5/edgetm.json.5"
gzip -9n "$man/man8/edgetm.8" "$man/man5/edgetm.json.5"

# Completions come from the binary's own parser, so they always match its options.
share="$stage/usr/share"
mkdir -p "$share/bash-completion/completions" "$share/zsh/vendor-completions" "$share/fish/vendor_completions.d"
# bash-completion sources the file: no #! line (lintian's bash-completion-with-hashbang).
"$binary" --generate-completion-script bash | sed '1{/^#!/d}' >"$share/bash-completion/completions/edgetm"
"$binary" --generate-completion-script zsh >"$share/zsh/vendor-completions/_edgetm"
"$binary" --generate-completion-script fish >"$share/fish/vendor_completions.d/edgetm.fish"

doc="$share/doc/edgetm"
install -D -m 0644 README.md "$doc/README.md"
install -m 0644 packaging/copyright "$doc/copyright"
install -D -m 0644 -t "$doc/schema" docs/schema/*.schema.json
(cd Config && find . -type f -name '*.json') | while read -r file; do
    install -D -m 0644 "Config/$file" "$doc/examples/$file"
done
# A native package's changelog (lintian wants one); the date of the last commit keeps the build reproducible.
date=$(git log -1 --format=%cD 2>/dev/null || date -R)
cat >"$work/changelog" <<END
edgetm ($version) unstable; urgency=medium

  * Release $version: see README.md for what it does.

 -- edgetm maintainers <maintainers@users.noreply.r-seed-ee3049ba.example>  $date
END
gzip -9nc "$work/changelog" >"$doc/changelog.gz"

for script in postinst prerm postrm; do
    install -m 0755 "packaging/$script" "$stage/DEBIAN/$script"
done

# dpkg-shlibdeps reads debian/control for the package list and nothing else.
printf 'Source: edgetm\n\nPackage: edgetm\nArchitecture: any\n' >"$work/shlibs/debian/control"
depends=$(cd "$work/shlibs" && dpkg-shlibdeps -O -e"../edgetm/usr/sbin/edgetm" 2>/dev/null |
    sed -n 's/^shlibs:Depends=//p')
[ -n "$depends" ] || { echo "make-deb: dpkg-shlibdeps found no dependencies" >&2; exit 1; }

(cd "$stage" && find usr lib -type f -print0 | sort -z | xargs -0 md5sum) >"$stage/DEBIAN/md5sums"
cat >"$stage/DEBIAN/control" <<END
Package: edgetm
Version: $version
Architecture: $arch
Maintainer: edgetm maintainers <maintainers@users.noreply.r-seed-ee3049ba.example>
Installed-Size: $(du -sk --exclude=DEBIAN "$stage" | cut -f1)
Depends: $depends
Section: net
Priority: optional
Homepage: https://github.com/edgetm/edgetm
Description: DNS traffic manager for edge deployments
 An authoritative DNS server that answers a service's name with the best
 endpoint that is healthy right now: Priority, Geographic, Subnet, Weighted
 and MultiValue routing with nested profiles and EDNS Client Subnet, HTTP,
 HTTPS and TCP health probes, status over DNS and reloads without downtime.
 Profiles use the format of Azure Traffic Manager profiles.
 .
 The service is installed neither enabled nor started: edit /etc/edgetm,
 then run "systemctl enable --now edgetm".
END

mkdir -p "$out"
deb="$out/edgetm_${version}_${arch}.deb"
dpkg-deb --root-owner-group -Zxz --build "$stage" "$deb" >/dev/null
echo "$deb"
