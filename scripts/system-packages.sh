#!/usr/bin/env bash
# The system packages the tests need, in one place: `npm test` runs this first and `.ci/run` runs
# it before `npm ci`, so the two never drift. On Debian or Ubuntu it installs what is missing when
# it can (as root, or with sudo that needs no password); otherwise it stops at once with the one
# command that installs them. On other systems it says what the tests need and goes on.
#
#   php8.2-fpm      the FastCGI tests run a real php-fpm
#   dbus-daemon     the keychain tests start their own D-Bus session ...
#   gnome-keyring   ... with an unlocked gnome-keyring (the Secret Service)
#   python3-dbus    ... and, for an unlock prompt nobody answers, a prompter that takes the prompt
#   python3-gi          and never shows it
#   chromium        the web UI tests drive a real Chromium (playwright-core never downloads one)
#
# SWITCHBOARD_SKIP_SYSTEM_PACKAGES=1 skips the check (for a machine set up another way).
set -euo pipefail

PACKAGES=(php8.2-fpm dbus-daemon gnome-keyring python3-dbus python3-gi chromium)

say() { printf 'system packages: %s\n' "$*" >&2; }

if [[ ${SWITCHBOARD_SKIP_SYSTEM_PACKAGES:-} == 1 ]]; then
  exit 0
fi

if ! command -v dpkg-query >/dev/null 2>&1 || ! command -v apt-get >/dev/null 2>&1; then
  say "not a Debian or Ubuntu system: the tests need ${PACKAGES[*]} (or their equivalents: php-fpm, dbus, gnome-keyring, Chromium); tests that need a missing one fail saying so"
  exit 0
fi

missing=()
for pkg in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$pkg")
  fi
done
if [[ ${#missing[@]} -eq 0 ]]; then
  exit 0
fi

if [[ $(id -u) -eq 0 ]]; then
  sudo=()
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
  sudo=(sudo -n)
else
  say "missing: ${missing[*]}. Install them with:"
  printf '  sudo apt-get update && sudo apt-get install -y --no-install-recommends %s\n' "${missing[*]}" >&2
  exit 1
fi

say "installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -qq </dev/null
"${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" </dev/null
