# shellcheck shell=bash
# Sourced by every harness script and by the Makefile: one place that says
# where the project's tools, caches and podman configuration live.
DODAS_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
DODAS_CACHE=${DODAS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/dodas}
DODAS_PYTHON=${DODAS_PYTHON:-python3}
# The venv is keyed by the pinned requirements, so a change of pins builds a new one
# and an unchanged checkout (even a fresh clone) reuses the ready one.
_dodas_req_hash=$(cat "$DODAS_ROOT/requirements/dev.txt" "$DODAS_ROOT/requirements/constraints.txt" | sha256sum | cut -c1-12)
DODAS_VENV=${DODAS_VENV:-$DODAS_CACHE/venv-$_dodas_req_hash}
# The Infrastructure Manager (tests/integration start it) lives in a venv of its own,
# keyed by its pins like the main one.
_dodas_im_hash=$(cat "$DODAS_ROOT/requirements/im.txt" "$DODAS_ROOT/requirements/im-constraints.txt" | sha256sum | cut -c1-12)
DODAS_IM_VENV=${DODAS_IM_VENV:-$DODAS_CACHE/im-2.0.0-$_dodas_im_hash}
CONTAINERS_CONF=$DODAS_ROOT/.config/containers.conf
# Ansible finds dodas.dodas as this very checkout (a link made by scripts/bootstrap
# under .cache/, which git ignores); the bundled collections come from the venv's
# `ansible` package. Galaxy is never asked.
ANSIBLE_COLLECTIONS_PATH=$DODAS_ROOT/.cache/collections
PATH=$DODAS_VENV/bin:$PATH
export DODAS_ROOT DODAS_CACHE DODAS_PYTHON DODAS_VENV DODAS_IM_VENV CONTAINERS_CONF ANSIBLE_COLLECTIONS_PATH PATH

dodas_log() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }
dodas_die() { printf '\033[31mERROR: %s\033[0m\n' "$*" >&2; exit 1; }
