#!/bin/sh
# Records Tests/Traces/python3-start.strace: the memory calls of a Python 3.11 start-up
# (Debian's non-PIE /usr/bin/python3, so its program break and relocation pages lie
# below 4 GiB), a thread, a vfork+exec child, one failed mmap and a growing buffer
# (mremap). Run from the repository root; the tests only need the file it writes.
set -e
strace -f -e trace=mmap,munmap,mprotect,brk,mremap,clone,clone3,vfork,fork,execve \
    -o Tests/Traces/python3-start.strace /usr/bin/python3 -c '
import json, decimal, sqlite3, ssl, ctypes, subprocess, threading, mmap
t = threading.Thread(target=lambda: [bytearray(1 << 20) for _ in range(20)]); t.start(); t.join()
subprocess.run(["/bin/true"])
try: mmap.mmap(-1, 1 << 47)
except OSError: pass
b = bytearray(1 << 18)
for _ in range(16): b.extend(bytes(1 << 18))
'
