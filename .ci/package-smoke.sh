#!/usr/bin/env bash
# Packs the libraries (from the Release build .ci/run has just made) into a local folder and runs a
# throw-away console app that restores them from it, builds a .NET 8 app that pins 8.0.x Microsoft.Extensions
# packages, then runs two apps configured only through appsettings.json +
# AddHybridCaching (a console app and a minimal ASP.NET Core app) that print their metrics; any failure fails CI. A unique package version keeps the NuGet cache out of it.
set -euo pipefail
cd "$(dirname "$0")/.."
version="0.0.0-ci.$(date +%s)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
for package in HybridCaching HybridCaching.Redis HybridCaching.AspNetCore HybridCaching.Hosting; do
  dotnet pack "src/$package/$package.csproj" -c Release --no-build -p:PackageVersion="$version" -o "$work/feed"
  listing="$(unzip -l "$work/feed/$package.$version.nupkg")"
  for file in README.md LICENSE NOTICE; do
    grep -q " $file\$" <<<"$listing" || { echo "$package lacks $file" >&2; exit 1; }
  done
  # The package README (package-readme.md) is what a gallery page shows: its links must be absolute.
  relative="$(unzip -p "$work/feed/$package.$version.nupkg" README.md | grep -oE '\]\([^)]*\)' | grep -v '^](https://' || true)"
  [ -z "$relative" ] || { echo "$package's README has relative links: $relative" >&2; exit 1; }
done
mkdir "$work/app"
cp .ci/package-smoke/Program.cs "$work/app/"
cp .ci/package-smoke/PackageSmoke.csproj.template "$work/app/PackageSmoke.csproj"
cat > "$work/nuget.config" <<XML
<?xml version="1.0" encoding="utf-8"?>
<configuration>
  <packageSources>
    <add key="hybridcaching-local" value="$work/feed" />
  </packageSources>
</configuration>
XML
cp "$work/nuget.config" "$work/app/"
repository="$(dotnet msbuild src/HybridCaching/HybridCaching.csproj -getProperty:RepositoryUrl -p:TargetFramework=net10.0)"
(cd "$work/app" && dotnet run -c Release -p:HybridCachingVersion="$version" -- "$repository")

# A .NET 8 app pinning the 8.0.x Microsoft.Extensions line: the net8.0 dependency groups must let it restore and build
# without a warning (NU1605 when a group asks for 10.0.x). Only run where a .NET 8 runtime (with ASP.NET Core) is installed.
mkdir "$work/net8"
cp .ci/package-smoke/Program.cs "$work/nuget.config" "$work/net8/"
cp .ci/package-smoke/net8/PackageSmokeNet8.csproj.template "$work/net8/PackageSmokeNet8.csproj"
(cd "$work/net8" && dotnet build -c Release -p:HybridCachingVersion="$version")
if dotnet --list-runtimes | grep -q '^Microsoft.AspNetCore.App 8\.'; then
  (cd "$work/net8" && dotnet bin/Release/net8.0/PackageSmokeNet8.dll "$repository")
else
  echo "no .NET 8 runtime: the net8.0 consumer is built, not run"
fi

# The DI form, from appsettings.json only: each app exits non-zero unless it ran and its metrics show the expected work.
for app in console-di:SmokeConsole web:SmokeWeb; do
  folder="${app%%:*}"
  project="${app##*:}"
  mkdir "$work/$folder"
  cp .ci/package-smoke/$folder/Program.cs .ci/package-smoke/$folder/appsettings.json .ci/package-smoke/MetricPrinter.cs "$work/nuget.config" "$work/$folder/"
  cp ".ci/package-smoke/$folder/$project.csproj.template" "$work/$folder/$project.csproj"
  (cd "$work/$folder" && dotnet run -c Release -p:HybridCachingVersion="$version")
done
# The console app is memory-only on HybridCaching.Hosting: it must restore no StackExchange.Redis (issue 21).
assets="$work/console-di/obj/project.assets.json"
[ -f "$assets" ] || { echo "no $assets to check" >&2; exit 1; }
if grep -q '"StackExchange.Redis/' "$assets"; then
  echo "a memory-only app on HybridCaching.Hosting restored StackExchange.Redis" >&2
  exit 1
fi
