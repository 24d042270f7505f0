#!/usr/bin/env bash
# Make sure a local PostgreSQL server is installed, running, and lets the current OS user in
# over the Unix socket. Idempotent: does nothing that is already done.
set -euo pipefail

as_root() {
    if [ "$(id -u)" -eq 0 ]; then "$@"; else
        echo "This step needs root. Run:  sudo $*" >&2
        exit 1
    fi
}

if ! ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1; then
    echo "==> Installing PostgreSQL (Debian package)"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
fi

# Start every cluster that is down (Debian's pg_ctlcluster; works without systemd).
if command -v pg_lsclusters >/dev/null 2>&1; then
    if [ -z "$(pg_lsclusters -h 2>/dev/null)" ]; then
        version=$(ls /usr/lib/postgresql | sort -n | tail -1)
        echo "==> Creating a PostgreSQL $version cluster"
        as_root pg_createcluster "$version" main >/dev/null
    fi
    pg_lsclusters -h | while read -r version cluster _port status _rest; do
        if [ "$status" != "online" ]; then
            echo "==> Starting PostgreSQL $version/$cluster"
            as_root pg_ctlcluster --skip-systemctl-redirect "$version" "$cluster" start
        fi
    done
fi

for _ in $(seq 1 30); do
    pg_isready -q -h /var/run/postgresql && break
    sleep 1
done
pg_isready -q -h /var/run/postgresql || { echo "PostgreSQL did not become ready" >&2; exit 1; }

# A superuser role named like the OS user, so the socket connection needs no password.
me=$(id -un)
if ! psql -h /var/run/postgresql -d postgres -tAc 'select 1' >/dev/null 2>&1; then
    echo "==> Creating PostgreSQL role $me"
    if [ "$(id -u)" -eq 0 ]; then
        su postgres -c "createuser --superuser '$me'" 2>/dev/null || true
    else
        echo "Run:  sudo -u postgres createuser --superuser $me" >&2
        exit 1
    fi
fi
