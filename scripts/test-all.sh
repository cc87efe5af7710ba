#!/usr/bin/env bash
# The whole test suite, as CI runs it: formatting and lints, unit tests, the integration
# tests once per database backend (SQLite, PostgreSQL, MariaDB), and the browser tests.
# On a fresh Debian machine it installs and starts what is missing (as root, or via sudo).
set -euo pipefail
cd "$(dirname "$0")/.."

PG_URL="${XUEPEI_TEST_PG_URL:-postgres://postgres@127.0.0.1:5432/test}"
MYSQL_URL="${XUEPEI_TEST_MYSQL_URL:-mysql://root@127.0.0.1:3306/test}"

START=$(date +%s)
say() { printf '\n== [%ss] %s\n' "$(( $(date +%s) - START ))" "$*"; }
as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"
  elif command -v sudo >/dev/null 2>&1; then sudo "$@"
  else echo "需要管理员权限执行：$* （或请预先安装并启动所需软件）" >&2; exit 1
  fi
}
apt_install() {
  say "installing $*"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

ensure_postgres() {
  if pg_isready -h 127.0.0.1 -p 5432 -q 2>/dev/null; then :; else
    command -v pg_ctlcluster >/dev/null 2>&1 || apt_install postgresql postgresql-client
    local ver; ver=$(ls /etc/postgresql | sort -V | tail -n 1)
    # Tests connect over TCP without a password, as on the development machines.
    local hba="/etc/postgresql/$ver/main/pg_hba.conf"
    if ! as_root grep -q '^host all all 127.0.0.1/32 trust' "$hba"; then
      as_root sed -i '1i host all all 127.0.0.1/32 trust' "$hba"
    fi
    as_root pg_ctlcluster --skip-systemctl-redirect "$ver" main start || true
    for _ in $(seq 30); do pg_isready -h 127.0.0.1 -p 5432 -q && break; sleep 1; done
    pg_isready -h 127.0.0.1 -p 5432 -q || { echo "PostgreSQL 未能在 127.0.0.1:5432 启动" >&2; exit 1; }
  fi
  psql "$PG_URL" -qAtc 'select 1' >/dev/null 2>&1 || psql -h 127.0.0.1 -U postgres -d postgres -qc 'create database test' >/dev/null
  psql "$PG_URL" -qAtc 'select 1' >/dev/null || { echo "无法连接 PostgreSQL：$PG_URL" >&2; exit 1; }
}

ensure_mariadb() {
  if mysqladmin -h 127.0.0.1 -P 3306 -uroot ping >/dev/null 2>&1; then :; else
    command -v mariadbd >/dev/null 2>&1 || [ -x /usr/sbin/mariadbd ] || apt_install mariadb-server mariadb-client
    as_root start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd -- --user=mysql
    for _ in $(seq 30); do mysqladmin -h 127.0.0.1 -P 3306 -uroot ping >/dev/null 2>&1 && break; mysqladmin -uroot ping >/dev/null 2>&1 && break; sleep 1; done
    if ! mysql -h 127.0.0.1 -uroot -e 'select 1' >/dev/null 2>&1; then
      # A fresh install lets root in over the socket only; allow an empty password over TCP too.
      as_root mysql -uroot -e "ALTER USER 'root'@'localhost' IDENTIFIED VIA unix_socket OR mysql_native_password USING PASSWORD(''); FLUSH PRIVILEGES;"
    fi
  fi
  mysql -h 127.0.0.1 -uroot -e 'create database if not exists test' >/dev/null || { echo "无法连接 MariaDB：$MYSQL_URL" >&2; exit 1; }
}

ensure_browser() {
  if ! command -v chromedriver >/dev/null 2>&1 || ! command -v chromium >/dev/null 2>&1; then
    apt_install chromium chromium-driver
  fi
  # Screenshots need CJK glyphs.
  fc-list 2>/dev/null | grep -qi 'Noto Sans CJK' || apt_install fonts-noto-cjk
}

# A cold build (a fresh checkout, as in CI) gains nothing from incremental compilation and
# pays for writing its caches; a warm one keeps it.
[ -d target/debug/incremental ] || export CARGO_INCREMENTAL=0

if cargo nextest --version >/dev/null 2>&1; then
  run_tests() { cargo nextest run --no-fail-fast "$@"; }
else
  run_tests() { cargo test --no-fail-fast "$@"; }
fi

# The certificates' PDFs embed the Chinese font found at build time, and the tests read
# the PDFs back with poppler: both before the first build.
ensure_pdf_tools() {
  [ -f /usr/share/fonts/truetype/arphic/uming.ttc ] && command -v pdftotext >/dev/null 2>&1 \
    && command -v pdftoppm >/dev/null 2>&1 || apt_install fonts-arphic-uming poppler-utils
}
ensure_pdf_tools

say "formatting and lints"
cargo fmt --all -- --check
cargo clippy --workspace --all-targets -- -D warnings

ensure_postgres
ensure_mariadb
ensure_browser

say "the web crate cannot widen a scope (checked alone, so the operator feature stays off)"
# Checked, not built: the same dependencies as clippy's check, in their standalone features.
probe_log=$(mktemp)
if cargo check -q -p xuepei-web --features scope-probe 2>"$probe_log"; then
  echo "错误：web 模块单独编译时竟能取得全系统范围（Scope::system / Scope::of_org）" >&2; exit 1
fi
for f in system of_org; do
  grep -q "no function or associated item named \`$f\` found for struct \`xuepei_store::Scope\`" "$probe_log" \
    || { cat "$probe_log" >&2; echo "scope probe failed for another reason than $f" >&2; exit 1; }
done
rm -f "$probe_log"
cargo check -q -p xuepei-web --features scope-probe,xuepei-store/operator

say "unit and integration tests on SQLite"
(unset TEST_DATABASE_URL; run_tests --workspace)
# The integration tests again, from the binaries the workspace build made (selecting the
# package alone would resolve other features and rebuild).
say "integration tests on PostgreSQL"
TEST_DATABASE_URL="$PG_URL" run_tests --workspace --test it
say "integration tests on MariaDB"
TEST_DATABASE_URL="$MYSQL_URL" run_tests --workspace --test it
say "all tests passed"
