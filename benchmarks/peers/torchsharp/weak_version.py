#!/usr/bin/python3
"""Marks a version requirement of an ELF shared object weak (VER_FLG_WEAK), in place, so that the loader accepts a
libstdc++ without it; the symbols bound to it must then come from elsewhere (glibcxx_shim.c, LD_PRELOAD).

Usage: weak_version.py LIBRARY.so VERSION      e.g. libLibTorchSharp.so GLIBCXX_3.4.32
"""
import struct
import sys

SHT_GNU_VERNEED = 0x6FFFFFFE
VER_FLG_WEAK = 0x2


def main():
    path, wanted = sys.argv[1], sys.argv[2].encode()
    data = bytearray(open(path, "rb").read())
    assert data[:4] == b"\x7fELF" and data[4] == 2, "64-bit ELF only"
    shoff, = struct.unpack_from("<Q", data, 0x28)
    shentsize, shnum = struct.unpack_from("<HH", data, 0x3A)
    sections = [struct.unpack_from("<IIQQQQIIQQ", data, shoff + i * shentsize) for i in range(shnum)]
    marked = 0
    for sec in sections:
        if sec[1] != SHT_GNU_VERNEED:
            continue
        strings = sections[sec[6]][4]  # sh_link -> the string table's file offset
        entry = sec[4]
        for _ in range(sec[8] or 1 << 30):  # sh_info = number of Verneed entries
            _, count, _, aux, following = struct.unpack_from("<HHIII", data, entry)
            a = entry + aux
            for _ in range(count):
                _, flags, _, name, next_aux = struct.unpack_from("<IHHII", data, a)
                end = data.index(b"\0", strings + name)
                if bytes(data[strings + name:end]) == wanted:
                    struct.pack_into("<H", data, a + 4, flags | VER_FLG_WEAK)
                    marked += 1
                a += next_aux
            if not following:
                break
            entry += following
    if not marked:
        sys.exit(f"{path}: no requirement of {wanted.decode()}")
    open(path, "wb").write(data)
    print(f"{path}: {wanted.decode()} marked weak ({marked} requirement)")


if __name__ == "__main__":
    main()
