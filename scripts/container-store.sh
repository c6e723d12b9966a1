# shellcheck shell=bash
# Sourced (not run) by the scripts that build, run and push the images, from the repository's
# root: points buildah and podman at the project's own image store, target/containers, on the
# vfs driver. vfs works on every kernel, inside containers and CI sandboxes, where overlay
# often does not; a store of our own also leaves the machine's images alone. The tests read
# the same store (tests/src/harness/containers.rs).
container_store="$(pwd)/target/containers"
mkdir -p "$container_store"
cat >"$container_store/storage.conf" <<EOF
[storage]
driver = "vfs"
graphroot = "$container_store/storage"
runroot = "$container_store/run"
EOF
export CONTAINERS_STORAGE_CONF="$container_store/storage.conf"
