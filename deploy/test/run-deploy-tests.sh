#!/usr/bin/env bash
# run-deploy-tests.sh [dotnet test options...]: both deployment recipes on the real thing. Prepares the stand-in
# images (cached; see prepare-stand-ins.sh), then runs tests/MoleculeGuardian.DeployTests: the systemd unit under
# systemd as PID 1 of a container, and the sidecar image built from deploy/container/Dockerfile and run with podman.
#
# Needs root and the Debian packages podman, runc and debootstrap (the first run debootstraps Debian 12), clang and
# zlib1g-dev (the Native AOT publish), and the .NET SDK. Options go to `dotnet test`, e.g. --logger trx.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)

"$here/prepare-stand-ins.sh"
exec dotnet test "$here/../../tests/MoleculeGuardian.DeployTests" "$@"
