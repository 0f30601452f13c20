#!/usr/bin/env bash
# Installs Debian's chromium if no Chromium is on PATH, and prints its
# version. The inspector's browser test (certify/inspect) drives it headless
# through chromedp; CI runs it with SCIM_REQUIRE_BROWSER=1 so that a missing
# browser fails the build instead of skipping the test.
set -euo pipefail
bin=$(command -v chromium || command -v chromium-browser || command -v google-chrome || true)
if [ -z "$bin" ]; then
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
	bin=$(command -v chromium)
fi
echo "chromium: $bin"
"$bin" --headless --no-sandbox --version 2>/dev/null || "$bin" --version
