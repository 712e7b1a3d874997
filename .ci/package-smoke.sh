#!/usr/bin/env bash
# Packs the libraries (from the Release build .ci/run has just made) into a local folder and runs a
# throw-away console app that restores them from it. A unique package version keeps the NuGet cache out of it.
set -euo pipefail
cd "$(dirname "$0")/.."
version="0.0.0-ci.$(date +%s)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
for package in HybridCaching HybridCaching.Redis HybridCaching.AspNetCore; do
  dotnet pack "src/$package/$package.csproj" -c Release --no-build -p:PackageVersion="$version" -o "$work/feed"
  listing="$(unzip -l "$work/feed/$package.$version.nupkg")"
  for file in README.md LICENSE NOTICE; do
    grep -q " $file\$" <<<"$listing" || { echo "$package lacks $file" >&2; exit 1; }
  done
done
mkdir "$work/app"
cp .ci/package-smoke/Program.cs "$work/app/"
cp .ci/package-smoke/PackageSmoke.csproj.template "$work/app/PackageSmoke.csproj"
cat > "$work/app/nuget.config" <<XML
<?xml version="1.0" encoding="utf-8"?>
<configuration>
  <packageSources>
    <add key="hybridcaching-local" value="$work/feed" />
  </packageSources>
</configuration>
XML
repository="$(dotnet msbuild src/HybridCaching/HybridCaching.csproj -getProperty:RepositoryUrl -p:TargetFramework=net10.0)"
(cd "$work/app" && dotnet run -c Release -p:HybridCachingVersion="$version" -- "$repository")
