#!/usr/bin/env bash
# Does what a new user does after cloning, with the commands and code the docs give, read from the docs themselves:
# the README's pack command and nuget.config; a `dotnet new web` app with the README's quick start (memory, then Redis
# as the README says to switch) and a `dotnet new console` app with its code without DI, each given the packages with
# the README's `dotnet add package` lines; a `dotnet new xunit` project with docs/testing.md's test class. Any step
# failing fails CI. The apps restore into their own NuGet cache, as on a new machine: a version packed by an earlier
# run can't stand in for this one.
set -euo pipefail
cd "$(dirname "$0")/.."
repo="$PWD"
source .ci/redis-server.sh
work="$(mktemp -d)"
app_pid=
cleanup() {
  [ -n "$app_pid" ] && kill "$app_pid" 2>/dev/null || true
  stop_redis "$work"
  rm -rf "$work"
}
trap cleanup EXIT

fail() { echo "new-user: $*" >&2; exit 1; }

# The first ```LANG block after the line HEADING in FILE ("" for a bare ``` block).
block() {
  awk -v heading="$2" -v fence="\`\`\`$3" '
    $0 == heading { state = 1; next }
    state == 1 && $0 == fence { state = 2; next }
    state == 2 && $0 == "```" { exit }
    state == 2 { print }' "$1"
}
# The README's line that starts with PREFIX (the command it documents), checked to be there.
documented() {
  local line
  line="$(grep -m1 "^$1" "$repo/README.md")" || fail "README.md has no line starting with '$1'"
  echo "$line"
}

echo "== pack, as the README's Install section says (at ${SECONDS} s)"
pack="$(documented 'dotnet pack ')"
echo "$pack"
eval "$pack"
block README.md "## Install" xml | sed "s#/path/to/hybridcache#$repo#" > "$work/nuget.config"
grep -q "value=\"$repo/artifacts/packages\"" "$work/nuget.config" || fail "the README's nuget.config does not name the folder"
grep -q "<clear" "$work/nuget.config" && fail "the README's nuget.config clears the user's sources"

export NUGET_PACKAGES="$work/nuget-packages"

# new_app TEMPLATE DIR: a new project with the README's nuget.config next to it.
new_app() {
  dotnet new "$1" -o "$work/$2" >/dev/null
  cp "$work/nuget.config" "$work/$2/"
}
# add_package PACKAGE (in the current project): the README's `dotnet add package` line for it.
add_package() {
  local line
  line="$(documented "dotnet add package $1 ")"
  echo "$line"
  eval "$line"
}
# A free loopback port for a web app: one nothing answers on.
free_port() {
  local port
  for _ in $(seq 20); do
    port=$((20000 + RANDOM % 40000))
    curl -s -o /dev/null "http://127.0.0.1:$port/" || { echo "$port"; return 0; }
  done
  fail "no free port"
}
# run_web NAME URL_PATH: starts the built web app, waits for URL_PATH to answer, asks again (the same answer), stops the
# app; the answer is left in $answer.
run_web() {
  local port again
  answer=
  port="$(free_port)"
  dotnet "bin/Release/net10.0/$1.dll" --urls "http://127.0.0.1:$port" > "$work/$1.log" 2>&1 &
  app_pid=$!
  for _ in $(seq 150); do
    answer="$(curl -sf "http://127.0.0.1:$port$2")" && break
    kill -0 "$app_pid" 2>/dev/null || { cat "$work/$1.log" >&2; fail "$1 exited"; }
    sleep 0.2
  done
  [ -n "$answer" ] || { cat "$work/$1.log" >&2; fail "$1 did not answer $2"; }
  again="$(curl -sf "http://127.0.0.1:$port$2")" || fail "$1: the second $2 failed"
  [ "$again" = "$answer" ] || fail "$1: the second $2 answered '$again', the first '$answer'"
  kill "$app_pid"
  wait "$app_pid" 2>/dev/null || true
  app_pid=
  echo "$2: $answer"
}

echo "== the quick start in a new web app, memory only (at ${SECONDS} s)"
new_app web QuickStartWeb
cd "$work/QuickStartWeb"
add_package HybridCaching.Hosting
block "$repo/README.md" "## Quick start" csharp > Program.cs
{ echo "{"; block "$repo/README.md" "## Quick start" json; echo "}"; } > appsettings.json
dotnet build -c Release -warnaserror
run_web QuickStartWeb /items/7
[ "$answer" = '[{"id":7,"name":"item"}]' ] || fail "memory quick start answered '$answer'"
grep -q '"StackExchange.Redis/' obj/project.assets.json && fail "a memory-only app restored StackExchange.Redis"

echo "== the same app over Redis: HybridCaching.Redis, AddHybrid() instead of AddMemory(), the Redis configuration (at ${SECONDS} s)"
start_redis "$work"
add_package HybridCaching.Redis
grep -q '\.AddMemory()' Program.cs || fail "the quick start has no .AddMemory() to replace"
sed -i 's/\.AddMemory()/.AddHybrid()/' Program.cs
dotnet build -c Release -warnaserror
export HybridCaching__Redis__Configuration="127.0.0.1:$REDIS_PORT"
run_web QuickStartWeb /items/7
unset HybridCaching__Redis__Configuration
[ "$answer" = '[{"id":7,"name":"item"}]' ] || fail "Redis quick start answered '$answer'"
[ "$(redis-cli -p "$REDIS_PORT" exists items:7)" = "1" ] || fail "the Redis quick start stored nothing in Redis"

echo "== the code without DI in a new console app, over the same Redis (at ${SECONDS} s)"
redis-cli -p "$REDIS_PORT" flushall >/dev/null
new_app console QuickStartConsole
cd "$work/QuickStartConsole"
add_package "HybridCaching"
add_package HybridCaching.Redis
block "$repo/README.md" "## Without dependency injection" csharp | sed "s/localhost:6379/127.0.0.1:$REDIS_PORT/" > Program.cs
dotnet build -c Release -warnaserror
output="$(timeout 60 dotnet bin/Release/net10.0/QuickStartConsole.dll)"
echo "$output"
[ "$output" = "Item { Id = 7, Name = item }" ] || fail "the console quick start printed '$output'"
[ "$(redis-cli -p "$REDIS_PORT" exists items:7)" = "1" ] || fail "the console quick start stored nothing in Redis"
stop_redis "$work"

echo "== docs/testing.md's tests in a new xunit project (at ${SECONDS} s)"
new_app xunit PriceTests
cd "$work/PriceTests"
rm -f UnitTest1.cs
while read -r line; do echo "$line"; eval "$line"; done < <(grep '^dotnet add package ' "$repo/docs/testing.md")
# The guide's blocks, one after the other, are one file.
awk '/^```csharp$/ { on = 1; next } on && /^```$/ { on = 0; next } on' "$repo/docs/testing.md" > PriceServiceTests.cs
dotnet test -c Release 2>&1 | tee "$work/test.log"
grep -Eq "Passed!.* Failed: +0, Passed: +3," "$work/test.log" || fail "docs/testing.md's tests did not all pass"
echo "new-user: OK in ${SECONDS} s"
