#!/usr/bin/env bash
# Workspace status: KEY value lines; STABLE_* keys are stable, the others volatile.
set -euo pipefail
echo "STABLE_GIT_COMMIT 0123456789abcdef0123456789abcdef01234567"
echo "STABLE_RELEASE_NAME kestrel"
echo "BUILD_TIMESTAMP_ISO8601 2024-05-06T07:08:09Z"
