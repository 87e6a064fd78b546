#!/usr/bin/env bash
# Installs the Debian packages attnscope needs to build and test. Idempotent: only
# missing packages are installed, so repeated runs (./run.sh, ./test.sh, CI) are cheap.
set -euo pipefail

PKGS=(
  build-essential cmake ninja-build ccache pkg-config git
  qt6-base-dev qt6-base-dev-tools qt6-charts-dev qt6-svg-dev libqt6svg6-dev libqt6opengl6-dev
  libqcustomplot-dev libeigen3-dev libhdf5-dev nlohmann-json3-dev libpcre2-dev zlib1g-dev libopenblas-dev
  libgtest-dev libgmock-dev googletest
  qt6-qpa-plugins libgl1-mesa-dev fonts-dejavu-core xvfb xauth
  python3-pip python3-numpy python3-h5py unzip poppler-utils desktop-file-utils appstream
)

missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#PKGS[@]} packages present"
  exit 0
fi

echo "install-deps: installing ${missing[*]}"
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
