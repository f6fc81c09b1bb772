#!/usr/bin/env bash
# `callqa export --postgres` at archive size: generates conversations of four chat
# messages (400 agents; a third and a quarter break a rule), scans them, starts a throwaway PostgreSQL cluster under
# a temp dir (Unix socket only; as `nobody` when run as root, since initdb refuses
# root; fsync on, as a real server), then exports twice: the first export writes
# every result, the second (nothing changed) only compares. Prints wall time and
# peak RSS of each export (GNU time) and the row counts.
#
#   bench/pg_export.sh [CONVERSATIONS]     default 200000 (800,000 messages)
#
# Needs postgresql (scripts/setup.sh installs it) and GNU time (/usr/bin/time).
set -euo pipefail
cd "$(dirname "$0")/.."
conversations=${1:-200000}
work=$(mktemp -d)
pgbin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
[ -x "$pgbin/initdb" ] || pgbin=$(dirname "$(command -v initdb)")
as=()
if [ "$(id -u)" = 0 ]; then
    chown nobody: "$work"
    as=(runuser -u nobody --)
fi
cleanup() {
    "${as[@]}" "$pgbin/pg_ctl" -D "$work/data" -m immediate stop >/dev/null 2>&1 || true
    rm -rf "$work"
}
trap cleanup EXIT

cargo build --release --quiet --no-default-features
callqa=${CARGO_TARGET_DIR:-target}/release/callqa
python3 - "$conversations" "$work/chats.jsonl" <<'PY'
import json, sys
n, path = int(sys.argv[1]), sys.argv[2]
hello, polite, dunno = "你好，我的订单还没到", "您好，很高兴为您服务，请稍等", "这个我也不知道"
phone, notmine, bye = "能帮我查一下吗，手机13812345678", "不归我管", "抱歉让您久等了，已经帮您催促，再见"
with open(path, "w") as f:
    for c in range(n):
        turns = [("customer", hello), ("agent", dunno if c % 3 == 0 else polite),
                 ("customer", phone), ("agent", notmine if c % 4 == 0 else bye)]
        for i, (role, text) in enumerate(turns):
            f.write(json.dumps({"conversation_id": "c-%07d" % c, "agent_id": "A%03d" % (c % 400),
                                "ts": "2026-11-%02dT10:%02d:%02d+08:00" % (16 + c % 10, i, c % 60),
                                "role": role, "text": text}, ensure_ascii=False) + "\n")
PY
"$callqa" scan "$work/chats.jsonl" --out "$work/out" -q || [ $? -eq 65 ]
"${as[@]}" "$pgbin/initdb" -D "$work/data" -U callqa --auth=trust --no-sync >/dev/null
"${as[@]}" "$pgbin/pg_ctl" -D "$work/data" -l "$work/server.log" -w \
    -o "-k $work -p 5432 -c listen_addresses=''" start >/dev/null
url="postgresql://callqa@${work//\//%2F}:5432/postgres"
for run in first rerun; do
    /usr/bin/time -f "$run export: %e s wall, %M KiB peak RSS" \
        "$callqa" export --db "$work/out/callqa.db" --postgres "$url" -q
done
"$pgbin/psql" -h "$work" -U callqa -d postgres -Atc \
    "SELECT 'results ' || count(*) FROM callqa.results UNION ALL SELECT 'violations ' || count(*) FROM callqa.violations"
