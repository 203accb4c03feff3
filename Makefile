# The two commands a newcomer needs: `make run` and `make test`.
SWIFT ?= swift
CONFIG ?= Config
LISTEN ?= 127.0.0.1:5353
DEBIAN_PACKAGES = libldns-dev libcurl4-openssl-dev libmaxminddb-dev pkg-config dnsutils knot-dnsutils unbound dnsperf python3 openssl etcd-server \
	systemd libmaxmind-db-writer-perl python3-pip prometheus curl chromium python3-jsonschema man-db
# `make deb` and `make test-system` only.
PACKAGING_PACKAGES = dpkg-dev binutils lintian debootstrap
SUDO = $(shell [ "$$(id -u)" = 0 ] || echo sudo)

PREFIX ?= /usr/local
DESTDIR ?=

.PHONY: deps build release run test test-docs deb test-system check demo install clean format lint

# Installs only what is missing, so repeated runs do not touch apt.
deps:
	@missing=$$(for p in $(DEBIAN_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then \
		echo "installing:" $$missing; \
		$(SUDO) apt-get update && $(SUDO) DEBIAN_FRONTEND=noninteractive apt-get install -y $$missing; \
	fi

build: deps
	$(SWIFT) build

release: deps
	$(SWIFT) build -c release

run: release
	.build/release/edgetm serve --config $(CONFIG) --listen $(LISTEN)

check: build
	.build/debug/edgetm check --config $(CONFIG)

# End-to-end tests start the debug binary, so it is built first.
test: build
	$(SWIFT) test
	$(MAKE) test-docs

# The JSON Schemas against Config/ and `edgetm check`, and the man pages against the binary's own options.
# /usr/bin/python3: Debian's, which has python3-jsonschema.
test-docs: build
	/usr/bin/python3 Tests/docs/test_docs.py --edgetm .build/debug/edgetm

# The Debian package: a release binary with the Swift runtime linked in (a server has no toolchain), no $$ORIGIN
# run path (lintian's custom-library-search-path) and immediate binding (hardening).
VERSION = $(shell sed -n 's/.*static let version = "\(.*\)"/\1/p' Sources/TMDaemon/Daemon.swift)
DEB = edgetm_$(VERSION)_$(shell dpkg --print-architecture).deb
DEB_BUILD = $(SWIFT) build -c release --static-swift-stdlib --disable-local-rpath -Xlinker -z -Xlinker now
deb: deps
	@missing=$$(for p in $(PACKAGING_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then $(SUDO) DEBIAN_FRONTEND=noninteractive apt-get install -y $$missing; fi
	$(DEB_BUILD)
	scripts/make-deb.sh "$$($(DEB_BUILD) --show-bin-path)/edgetm" .

# A real systemd 252 as PID 1 in private namespaces, on a Debian rootfs cached in .build/; needs root.
test-system: deb
	/usr/bin/python3 Tests/system/test_system.py --deb $(DEB)

demo: release
	scripts/demo.sh

# The binary, the unit, and a production example configuration (port 53) that never replaces an existing one.
install: release
	install -D -m 0755 .build/release/edgetm $(DESTDIR)$(PREFIX)/bin/edgetm
	install -D -m 0644 systemd/edgetm.service $(DESTDIR)/etc/systemd/system/edgetm.service
	@if [ -e $(DESTDIR)/etc/edgetm/edgetm.json ]; then \
		echo "keeping the existing $(DESTDIR)/etc/edgetm"; \
	else \
		install -D -m 0644 Config/production/edgetm.json $(DESTDIR)/etc/edgetm/edgetm.json; \
		install -D -m 0644 Config/production/profiles/app.json $(DESTDIR)/etc/edgetm/profiles/app.json; \
	fi
	@if [ -z "$(DESTDIR)" ] && [ -d /run/systemd/system ]; then systemctl daemon-reload; fi

# Formatting: swift-format ships with the toolchain (`swift format` runs /opt/swift/usr/bin/swift-format);
# both targets read .swift-format. `make lint` is what CI and the pre-stop hook run.
FORMAT_PATHS = Package.swift Sources Tests fuzz/Package.swift fuzz/Sources

format:
	$(SWIFT) format format --configuration .swift-format --in-place --recursive --parallel $(FORMAT_PATHS)

lint:
	$(SWIFT) format lint --configuration .swift-format --strict --recursive --parallel $(FORMAT_PATHS)

clean:
	rm -rf .build
