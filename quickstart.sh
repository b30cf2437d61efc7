#!/usr/bin/env bash
# sohoa quickstart: set up everything that is missing, then run the demo or the tests.
#   ./quickstart.sh demo   -> sohoa run samples/ -o out/
#   ./quickstart.sh test   -> the test suite (ruff + pytest)
#   ./quickstart.sh setup  -> only the setup (e.g. on a Dask worker machine)
# Works on a fresh Debian machine as root (or with sudo); a second run only checks and is fast.
set -euo pipefail
cd "$(dirname "$0")"
mode="${1:-demo}"
case "$mode" in demo|test|setup) ;; *) echo "usage: $0 demo|test|setup" >&2; exit 2;; esac

apt_packages=(tesseract-ocr tesseract-ocr-vie tesseract-ocr-eng poppler-utils ghostscript)
if [ "$mode" = test ]; then
  # Tests render their own page images with a Times-like font and check the HTML report in a real browser.
  apt_packages+=(fonts-liberation2 chromium)
fi
if ! command -v python3 >/dev/null 2>&1 || ! python3 -c "import venv, ensurepip" >/dev/null 2>&1; then
  apt_packages+=(python3 python3-venv python3-pip)
fi
missing=()
for pkg in "${apt_packages[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "Installing Debian packages: ${missing[*]}"
  sudo_cmd=""
  [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if [ ! -x .venv/bin/python ]; then
  python3 -m venv .venv
fi
extras=""
[ "$mode" = test ] && extras="[dev]"
stamp=".venv/.sohoa-installed"
want="$(sha256sum pyproject.toml | cut -c1-16) $extras"
if [ ! -f "$stamp" ] || ! grep -qxF -- "$want" "$stamp"; then
  echo "Installing sohoa into .venv ${extras}"
  .venv/bin/python -m pip install -q --upgrade pip >/dev/null
  .venv/bin/python -m pip install -q -e ".${extras}"
  echo "$want" >> "$stamp"
fi

if [ "$mode" = setup ]; then
  exit 0
fi
if [ "$mode" = demo ]; then
  exec .venv/bin/sohoa run samples/ -o out/
fi
.venv/bin/ruff check pipeline tests scripts benchmarks devtools
.venv/bin/ruff format --check pipeline tests scripts benchmarks devtools
exec .venv/bin/python -m pytest -q -p no:cacheprovider tests
