#!/bin/bash
# Builds and runs the TorchSharp peer (Program.cs: `snn train --estimator bptt` for mlp and conv). Outside the solution:
# CI never builds it (its own Directory.Build.props / Directory.Packages.props stop the repository's).
#
# Why the two extra steps: TorchSharp-cpu 0.107's libLibTorchSharp.so (built with GCC 13) needs exactly one symbol that
# Debian 12's GCC 12 libstdc++ lacks: std::ios_base_library_init() @ GLIBCXX_3.4.32 (objdump -T lists no other GLIBCXX
# or CXXABI version above the system's; libtorch_cpu.so, libc10.so and libtorch.so need none). GCC 13 objects reference
# that function only so that the library initialises the standard streams, which the GCC 12 runtime does anyway. So:
# 1. weak_version.py marks the GLIBCXX_3.4.32 requirement of a copy of libLibTorchSharp.so (in bin/, not in the NuGet
#    cache) weak, so the loader accepts the older libstdc++;
# 2. glibcxx_shim.c defines the function (empty) under that version node, LD_PRELOAD'ed for this process only.
#
# Usage: benchmarks/peers/torchsharp/run.sh --prepare        (build, patch, compile the shim)
#        benchmarks/peers/torchsharp/run.sh --model mlp|conv [--train-limit N] [--threads 2] [-T 4]
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
BIN=$HERE/bin/Release/net10.0
NATIVE=$BIN/runtimes/linux-x64/native
if [ "${1:-}" = --prepare ]; then
  dotnet build "$HERE/TorchSharpPeer.csproj" -c Release -v q -nologo >/dev/null
  # Only where the system's libstdc++ lacks the version (marking it weak again is harmless).
  if ! strings /usr/lib/x86_64-linux-gnu/libstdc++.so.6 > "$BIN/libstdc++-versions.txt" || ! grep -qx GLIBCXX_3.4.32 "$BIN/libstdc++-versions.txt"; then
    /usr/bin/python3 "$HERE/weak_version.py" "$NATIVE/libLibTorchSharp.so" GLIBCXX_3.4.32 >/dev/null
  fi
  gcc -shared -fPIC -O2 -Wl,--version-script="$HERE/glibcxx_shim.map" -o "$BIN/libglibcxx_shim.so" "$HERE/glibcxx_shim.c"
  exit 0
fi
LD_PRELOAD=$BIN/libglibcxx_shim.so exec dotnet "$BIN/TorchSharpPeer.dll" "$@"
