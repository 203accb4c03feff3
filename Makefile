# The two commands a newcomer needs: `make run` and `make test`.
SWIFT ?= swift
CONFIG ?= Config
LISTEN ?= 127.0.0.1:5353
DEBIAN_PACKAGES = libldns-dev libcurl4-openssl-dev pkg-config dnsutils knot-dnsutils unbound
SUDO = $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: deps build release run test check clean

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

clean:
	rm -rf .build
