#!/usr/bin/python3
"""SGEMM GFLOP/s of the BLAS numpy is linked to (Debian: libblas.so.3 -> OpenBLAS through update-alternatives), for the
same shapes as `IlgpuSnn.Benchmarks throughput --gemm` (MxNxK, ':a' = A stored transposed, ':b' = B stored
transposed), median of 3 after a warm-up; cpugflops = FLOPs per CPU-second of the process (robust on a loaded machine). Threads: OPENBLAS_NUM_THREADS. Usage: openblas_sgemm.py 512x512x512,64x29008x288:b
"""
import os, sys, time, numpy as np
def med(f, reps=3):
    """Median wall seconds of one call, and CPU seconds (all threads of the process) per call."""
    f(); ts=[]
    c0 = time.process_time()
    for _ in range(reps):
        t=time.perf_counter(); f(); ts.append(time.perf_counter()-t)
    cpu = (time.process_time() - c0) / reps
    ts.sort(); return ts[len(ts)//2], cpu
for spec in sys.argv[1].split(','):
    shape, _, fl = spec.partition(':')
    m,n,k = map(int, shape.split('x'))
    rng = np.random.default_rng(1)
    a = rng.random((k,m) if 'a' in fl else (m,k), dtype=np.float32)
    b = rng.random((n,k) if 'b' in fl else (k,n), dtype=np.float32)
    A = a.T if 'a' in fl else a; B = b.T if 'b' in fl else b
    c = np.empty((m,n), dtype=np.float32)
    s, cpu = med(lambda: np.matmul(A, B, out=c))
    print(f"openblas gemm {spec} threads={os.environ.get('OPENBLAS_NUM_THREADS')} gflops={2*m*n*k/s/1e9:.2f} cpugflops={2*m*n*k/cpu/1e9:.2f} ms={s*1e3:.2f}")
