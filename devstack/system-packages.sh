#!/usr/bin/env bash
# Install the Debian packages livedub needs that this machine lacks, saying what each is for:
# apt-get as root, through sudo otherwise. `up` needs the servers and speech engines;
# `test` also needs Chromium for the extension's browser tests. Safe to re-run: it
# installs nothing when everything is there.
set -euo pipefail

purpose=${1:-up}

# package | how to tell it is there (a command, or "dpkg") | what it is for
wanted=(
  "default-jre-headless|java|Java runs the Kafka broker"
  "maven|mvn|Maven fetches the Kafka broker's jars from Maven Central"
  "redis-server|redis-server|Redis holds sessions, quotas, rate limits and the usage ledger"
  "apertium|apertium|Apertium translates English and Spanish offline"
  "apertium-eng-spa|dpkg|Apertium's English-Spanish language pair"
  "espeak-ng|espeak-ng|eSpeak NG speaks Spanish and Hebrew offline (and lists voices)"
  "sox|sox|SoX converts audio for the offline speech tools"
  "libsndfile1|dpkg|libsndfile reads and writes audio files (soundfile)"
  "iso-codes|dpkg|iso-codes names the languages (ISO 639 tables)"
)
if [ "$purpose" = test ]; then
  wanted+=("chromium|chromium|Chromium runs the extension's and the demo page's browser tests")
fi

missing=()
reasons=()
for entry in "${wanted[@]}"; do
  IFS='|' read -r package probe why <<<"$entry"
  if [ "$probe" = dpkg ]; then
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" && continue
  else
    command -v "$probe" >/dev/null 2>&1 && continue
  fi
  missing+=("$package")
  reasons+=("  $package: $why")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "livedub: \`just $purpose\` needs system packages this machine lacks:"
printf '%s\n' "${reasons[@]}"
if ! command -v apt-get >/dev/null 2>&1; then
  echo "livedub: no apt-get here: install the packages above with your system's package manager" >&2
  exit 1
fi
if [ "$(id -u)" -eq 0 ]; then
  as_root=()
elif command -v sudo >/dev/null 2>&1; then
  as_root=(sudo)
  echo "livedub: installing them with sudo apt-get (it may ask for your password)"
else
  echo "livedub: not root and no sudo: run as root: apt-get install ${missing[*]}" >&2
  exit 1
fi
echo "livedub: apt-get install ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
"${as_root[@]}" apt-get update -qq
"${as_root[@]}" env DEBIAN_FRONTEND=noninteractive \
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "livedub: installed ${missing[*]}"
