#!/usr/bin/env bash
# Installs the Debian packages nslab needs (and with --test, those its tests
# use). Idempotent; needs root. Services that packages would start at install
# time are held back: the tests start what they need inside their own sandboxes.
#   bash test/setup.sh          what nslab and the shipped labs need
#   bash test/setup.sh --test   and what the test suite needs
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
# nslab itself and the shipped labs
pkgs=(iproute2 iptables iputils-ping busybox-static nginx-light curl bridge-utils util-linux mount hostname procps conntrack nftables)
# engine: docker (labs docker-publish and host-and-none) — Debian's Docker Engine (dockerd 20.10,
# its containerd and runc; never started as the machine's service: see policy-rc.d below), and
# what builds its images from Debian's packages (mmdebstrap checks the archive's signatures with gpg)
pkgs+=(docker.io containerd runc mmdebstrap gpg ca-certificates)
if [ "${1:-}" = "--test" ]; then
  # learner-mode terminal, JUnit validation, grading reports and live SSH targets, the VM matrix
  pkgs+=(tmux libxml2-utils chromium openssh-server openssh-client qemu-system-x86 cpio xz-utils zstd)
fi
missing=()
for p in "${pkgs[@]}"; do dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  made_policy=""
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d && made_policy=1
  fi
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  [ -z "$made_policy" ] || rm -f /usr/sbin/policy-rc.d
fi
