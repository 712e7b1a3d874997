# Sourced by CI scripts: start_redis DIR starts a throw-away redis-server on a free loopback port (a random one nothing
# answers on, where the new server then answers; else another port), its files and pid in DIR, and sets REDIS_PORT.
# stop_redis DIR stops it.
start_redis() {
  local dir="$1" port
  REDIS_PORT=
  for _ in $(seq 20); do
    port=$((20000 + RANDOM % 40000))
    redis-cli -p "$port" ping >/dev/null 2>&1 && continue
    redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no --daemonize yes \
      --dir "$dir" --pidfile "$dir/redis.pid" >/dev/null
    for _ in $(seq 50); do redis-cli -p "$port" ping >/dev/null 2>&1 && { REDIS_PORT=$port; break; }; sleep 0.1; done
    [ -n "$REDIS_PORT" ] && return 0
  done
  echo "could not start redis-server" >&2
  return 1
}

stop_redis() {
  [ -f "$1/redis.pid" ] && kill "$(cat "$1/redis.pid")" 2>/dev/null || true
}
