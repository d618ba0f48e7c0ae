using System.Diagnostics;
using System.Globalization;
using IlgpuSnn.Autodiff;
using IlgpuSnn.Kernels;
using IlgpuSnn.Runtime;

namespace IlgpuSnn.Benchmarks;

/// <summary>
/// GFLOP/s of the library's GEMM and of a 3x3 convolution (forward + backward through the tape, then the forward, the
/// weight gradient and the input gradient alone, each counted as one GEMM's 2·B·O·Ho·Wo·C·9 FLOPs) for given shapes,
/// median of a few timed repetitions after a warm-up, one line per shape; also per CPU-second of the process
/// (cpugflops: FLOPs over the user+system time of all threads), which a loaded machine distorts far less than wall time. Fast enough to interleave with OpenBLAS
/// (benchmarks/peers/compare.sh) on a shared machine, where BenchmarkDotNet runs minutes apart would see different load.
/// <c>--column-budget floats</c> sets the convolution's column-matrix size per chunk where one is materialised (GPUs; the CPU runs implicit GEMMs).
/// <c>--dot 0</c> turns the dot form of long-inner-dimension products off (packed path only).
/// <c>--block 6x16</c> runs the 256-bit register block on a CPU that has AVX-512 (the baseline of the 12x32 one).
/// <c>--silent f</c> zeroes a random fraction f of the rows of op(B) (a spike operand with silent inputs), to find where
/// the GEMM's sparse path pays; <c>--sparse-below x</c> sets the CPU GEMM's switch (0: always dense, 2: always sparse).
/// <c>--ops linear:64x256x784,conv-wgrad:64x32x64x14,...</c> times the products of layers one call at a time as the
/// library runs them, for the per-shape comparison with PyTorch (benchmarks/peers/torch_shapes.py; see <see cref="LayerOp"/>).
/// Usage: <c>IlgpuSnn.Benchmarks throughput [--gemm MxNxK[:a|:b|:ab],...] [--silent 0.5] [--block 6x16] [--conv BxCxOxS,...]
/// [--ops op:dims,...] [--density 1] [--reps 5]</c>
/// </summary>
internal static class GemmThroughput
{
    public static int Run(IReadOnlyList<string> args)
    {
        string Option(string name, string fallback)
        {
            for (int i = 0; i + 1 < args.Count; i++) if (args[i] == name) return args[i + 1];
            return fallback;
        }

        int reps = int.Parse(Option("--reps", "5"), CultureInfo.InvariantCulture);
        double silent = double.Parse(Option("--silent", "0"), CultureInfo.InvariantCulture);
        Ops.ConvColumnBudget = long.Parse(Option("--column-budget", Ops.ConvColumnBudget.ToString(CultureInfo.InvariantCulture)), CultureInfo.InvariantCulture);
        HostGemm.DotForm = Option("--dot", "1") != "0";
        bool wide = HostGemm.Wide && Option("--block", "") != "6x16";
        HostGemm.SparseBelow = float.Parse(Option("--sparse-below", HostGemm.SparseBelow.ToString(CultureInfo.InvariantCulture)), CultureInfo.InvariantCulture);
        using var device = Device.Create();
        foreach (var spec in Option("--gemm", "512x512x512").Split(',', StringSplitOptions.RemoveEmptyEntries))
        {
            var parts = spec.Split(':');
            var d = parts[0].Split('x').Select(s => int.Parse(s, CultureInfo.InvariantCulture)).ToArray();
            string flags = parts.Length > 1 ? parts[1] : "";
            bool ta = flags.Contains('a', StringComparison.Ordinal), tb = flags.Contains('b', StringComparison.Ordinal);
            int m = d[0], n = d[1], k = d[2];
            using var a = Tensor.FromArray(device, Random(m * k, 1), m * k);
            var bData = Random(k * n, 2);
            var rows = new Random(3);
            for (int p = 0; p < k; p++)
                if (rows.NextDouble() < silent)
                    for (int j = 0; j < n; j++) bData[tb ? (long)j * k + p : (long)p * n + j] = 0f;
            using var b = Tensor.FromArray(device, bData, k * n);
            using var c = Tensor.Zeros(device, m * n);
            var (seconds, cpu) = Median(reps, () =>
            {
                Gemm.RunBlocked(device, a.View, b.View, c.View, m, n, k, ta, tb, wide: wide);
                device.Synchronize();
            });
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"ours gemm {spec} silent={silent} sparse-below={HostGemm.SparseBelow} block={HostGemm.RowsOf(wide)}x{HostGemm.ColumnsOf(wide)} dot={(HostGemm.DotForm ? 1 : 0)} gflops={2.0 * m * n * k / seconds / 1e9:F2} cpugflops={2.0 * m * n * k / cpu / 1e9:F2} ms={seconds * 1e3:F2}"));
        }
        double density = double.Parse(Option("--density", "1"), CultureInfo.InvariantCulture);
        foreach (var spec in Option("--ops", "").Split(',', StringSplitOptions.RemoveEmptyEntries))
        {
            var (perCall, cpuPerCall, worker) = LayerOp(device, spec, density, reps);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"ours op {spec} density={density} us={perCall * 1e6:F1} cpu_us={cpuPerCall * 1e6:F1} worker_us={worker * 1e6:F1}"));
        }
        foreach (var spec in Option("--share", "").Split(',', StringSplitOptions.RemoveEmptyEntries))
        {
            var (best, median) = WorkerShare(spec, wide, 10 * reps);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"ours share {spec} best_us={best * 1e6:F1} median_us={median * 1e6:F1}"));
        }
        foreach (var spec in Option("--conv", "").Split(',', StringSplitOptions.RemoveEmptyEntries))
        {
            var d = spec.Split('x').Select(s => int.Parse(s, CultureInfo.InvariantCulture)).ToArray();
            int batch = d[0], cin = d[1], cout = d[2], size = d[3];
            using var x = Tensor.FromArray(device, Random(batch * cin * size * size, 3), batch, cin, size, size);
            using var w = Tensor.FromArray(device, Random(cout * cin * 9, 4), cout, cin, 3, 3);
            double pass = 2.0 * batch * cout * size * size * cin * 9;
            // The whole op (forward + both gradients), then each pass alone: the forward without a tape, and the backward
            // of a recorded forward with only the weight (or only the input) requiring its gradient, the forward untimed.
            foreach (var (name, gradX, gradW) in new[] { ("fwd-bwd", true, true), ("forward", false, false), ("weight-grad", false, true), ("input-grad", true, false) })
            {
                x.RequiresGrad = gradX;
                w.RequiresGrad = gradW;
                bool whole = gradX && gradW;
                Tape? tape = null;
                Tensor? y = null;
                TensorScope? scope = null;
                var (seconds, cpu) = Median(reps, () =>
                {
                    scope = TensorScope.Begin();
                    if (name == "forward" || whole) return;
                    tape = new Tape();
                    using (tape.Record()) y = Ops.Conv2d(x, w, bias: null, stride: 1, padding: 1);
                    device.Synchronize();
                }, () =>
                {
                    if (name == "forward")
                    {
                        Ops.Conv2d(x, w, bias: null, stride: 1, padding: 1);
                    }
                    else if (whole)
                    {
                        using var wholeTape = new Tape();
                        Tensor yy;
                        using (wholeTape.Record()) yy = Ops.Conv2d(x, w, bias: null, stride: 1, padding: 1);
                        wholeTape.Backward(yy);
                    }
                    else
                    {
                        tape!.Backward(y!);
                    }
                    device.Synchronize();
                }, () =>
                {
                    tape?.Dispose();
                    scope!.Dispose();
                    x.ClearGrad();
                    w.ClearGrad();
                });
                double flops = whole ? 3 * pass : pass;
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"ours conv3x3-{name} {spec} column-budget={Ops.ConvColumnBudget} gflops={flops / seconds / 1e9:F2} cpugflops={flops / cpu / 1e9:F2} ms={seconds * 1e3:F2}"));
            }
        }
        return 0;
    }

    /// <summary>
    /// Times one product of a layer as the library's operations run it (benchmarks/peers/torch_shapes.py times the same
    /// specs in PyTorch): <c>linear:RxOxI</c> the forward x[R,I]·Wᵀ (<see cref="SpikeGemm.Forward"/>, density measured in
    /// the kernel), <c>linear-wgrad:RxOxI</c> gᵀ·x (<see cref="SpikeGemm.WeightGradient"/>), <c>linear-igrad:RxOxI</c> g·W
    /// (<see cref="Gemm.Run"/>), <c>conv:BxCxOxS</c>, <c>conv-wgrad:…</c>, <c>conv-igrad:…</c> a 3x3 convolution (padding 1) of
    /// B images C x S x S to O channels (the implicit GEMMs). x holds a random <paramref name="density"/> of non-zero
    /// entries (1 = dense uniform values, below 1: spikes 0/1). Returns wall and CPU seconds per call (the median of
    /// <paramref name="reps"/> timings, each of as many calls as take about 20 ms) and the workers' own CPU seconds per
    /// call inside the GEMM (<see cref="WorkerClock"/>: what the product cost, without the launch and without the time
    /// other processes held the cores).
    /// </summary>
    private static (double Wall, double Cpu, double Worker) LayerOp(Device device, string spec, double density, int reps)
    {
        var (op, dims) = (spec.Split(':')[0], spec.Split(':')[1].Split('x').Select(v => int.Parse(v, CultureInfo.InvariantCulture)).ToArray());
        var rng = new Random(1);
        float[] Values(long count) => Enumerable.Range(0, (int)count).Select(_ => rng.NextSingle() - 0.5f).ToArray();
        float[] Input(long count) => Enumerable.Range(0, (int)count).Select(_ => density >= 1 ? rng.NextSingle() : rng.NextDouble() < density ? 1f : 0f).ToArray();
        Action call;
        var owned = new List<Tensor>();
        Tensor Make(float[] data) { var t = Tensor.FromArray(device, data, data.Length); owned.Add(t); return t; }
        if (op.StartsWith("linear", StringComparison.Ordinal))
        {
            int rows = dims[0], outs = dims[1], ins = dims[2];
            var x = Make(Input((long)rows * ins));
            var w = Make(Values((long)outs * ins));
            var g = Make(Values((long)rows * outs));
            var y = Make(new float[Math.Max((long)rows * outs, (long)outs * ins) + (long)rows * ins]);
            call = op switch
            {
                "linear" => () => SpikeGemm.Forward(device, x.View, w.View, y.View, rows, outs, ins),
                "linear-wgrad" => () => SpikeGemm.WeightGradient(device, g.View, x.View, y.View, rows, outs, ins),
                "linear-igrad" => () => Gemm.Run(device, g.View, w.View, y.View, rows, ins, outs, false, false),
                _ => throw new ArgumentException($"--ops {spec}: unknown product {op}."),
            };
        }
        else
        {
            int batch = dims[0], cin = dims[1], cout = dims[2], size = dims[3];
            var shape = new HostIm2Col.ConvShape(batch, cin, size, size, 3, 3, 1, 1, size, size);
            var x = Make(Input((long)batch * cin * size * size));
            var w = Make(Values((long)cout * cin * 9));
            var gy = Make(Values((long)batch * cout * size * size));
            var y = Make(new float[Math.Max((long)batch * Math.Max(cin, cout) * size * size, (long)cout * cin * 9)]);
            call = op switch
            {
                "conv" => () => Gemm.RunImplicitForward(device, w.View, x.View, y.View, cout, shape),
                "conv-wgrad" => () => Gemm.RunImplicitWeightGradient(device, gy.View, x.View, y.View, cout, shape),
                "conv-igrad" => () => Gemm.RunImplicitInputGradient(device, w.View, gy.View, y.View, cout, shape),
                _ => throw new ArgumentException($"--ops {spec}: unknown product {op}."),
            };
        }
        call();
        device.Synchronize();
        var once = Stopwatch.StartNew();
        call();
        device.Synchronize();
        int calls = (int)Math.Clamp(20e-3 / Math.Max(1e-6, once.Elapsed.TotalSeconds), 1, 1000);
        var (gemm, spike) = (new GemmProfile(), new SpikeGemmProfile());
        (HostGemm.Profile, HostSpikeGemm.Profile) = (gemm, spike);
        var (wall, cpu) = Median(reps, () =>
        {
            for (int i = 0; i < calls; i++)
            {
                call();
                device.Synchronize();
            }
        });
        (HostGemm.Profile, HostSpikeGemm.Profile) = (null, null);
        foreach (var t in owned) t.Dispose();
        // The event-driven products report their whole share (the dense form inside them also reports to the GEMM's).
        double worker = spike.Entries.Count > 0 ? spike.Entries.Values.Sum(e => e.Seconds) : gemm.Entries.Values.Sum(e => e.Seconds);
        return (wall / calls, cpu / calls, worker / ((reps + 1.0) * calls));
    }

    /// <summary>
    /// Worker 0's share (of 2) of one product, run on this thread without a launch, timed on the thread's CPU clock
    /// (<see cref="WorkerClock"/>): the best and the median of <paramref name="reps"/> calls. Specs as <see cref="LayerOp"/>
    /// for the convolutions (conv, conv-wgrad, conv-igrad), else a GEMM MxNxK[:a|:b|:ab]. For finding where a small
    /// product's time goes on a loaded machine: a call that no other process interrupted shows in the best time.
    /// </summary>
    private static unsafe (double Best, double Median) WorkerShare(string spec, bool wide, int reps)
    {
        var parts = spec.Split(':');
        bool conv = parts[0].StartsWith("conv", StringComparison.Ordinal);
        var d = (conv ? parts[1] : parts[0]).Split('x').Select(v => int.Parse(v, CultureInfo.InvariantCulture)).ToArray();
        string flags = conv ? "" : parts.Length > 1 ? parts[1] : "";
        int m, n, k, form = HostGemm.PlainForm;
        bool ta = flags.Contains('a', StringComparison.Ordinal), tb = flags.Contains('b', StringComparison.Ordinal);
        var shape = default(HostIm2Col.ConvShape);
        long aSize, bSize, cSize;
        if (conv)
        {
            int batch = d[0], cin = d[1], cout = d[2], size = d[3], spatial = size * size;
            shape = new HostIm2Col.ConvShape(batch, cin, size, size, 3, 3, 1, 1, size, size);
            (m, n, k, form) = parts[0] switch
            {
                "conv" => (cout, batch * spatial, cin * 9, HostGemm.WindowB | HostGemm.NchwC),
                "conv-wgrad" => (cout, cin * 9, batch * spatial, HostGemm.WeightGradientForm),
                _ => (cin * 9, batch * spatial, cout, HostGemm.InputGradientForm),
            };
            ta = parts[0] == "conv-igrad";
            tb = parts[0] == "conv-wgrad";
            aSize = (long)Math.Max(cout * cin * 9, batch * cout * spatial);
            bSize = (long)batch * Math.Max(cin, cout) * spatial;
            cSize = (long)batch * Math.Max(cin, cout) * spatial + cout * cin * 9;
        }
        else
        {
            (m, n, k) = (d[0], d[1], d[2]);
            (aSize, bSize, cSize) = ((long)m * k, (long)k * n, (long)m * n);
        }
        var a = Random((int)aSize, 1);
        var b = Random((int)bSize, 2);
        var c = new float[cSize];
        var times = new double[reps];
        fixed (float* pa = a, pb = b, pc = c)
        {
            HostGemm.Compute(pa, pb, pc, m, n, k, ta, tb, 1f, 0f, wide, 0, 2, shape, form);
            for (int r = 0; r < reps; r++)
            {
                double start = WorkerClock.Seconds();
                HostGemm.Compute(pa, pb, pc, m, n, k, ta, tb, 1f, 0f, wide, 0, 2, shape, form);
                times[r] = WorkerClock.Seconds() - start;
            }
        }
        Array.Sort(times);
        return (times[0], times[reps / 2]);
    }

    /// <summary>Starts recording every CPU GEMM and event-driven linear product by form and shape (<see cref="EndShapeProfile"/> prints them).</summary>
    public static (GemmProfile Gemm, SpikeGemmProfile Spike) BeginShapeProfile()
    {
        var profiles = (new GemmProfile(), new SpikeGemmProfile());
        (HostGemm.Profile, HostSpikeGemm.Profile) = profiles;
        return profiles;
    }

    /// <summary>Stops the recording of <see cref="BeginShapeProfile"/> and prints one line per form and shape: calls and worker milliseconds.</summary>
    public static void EndShapeProfile((GemmProfile Gemm, SpikeGemmProfile Spike) profiles)
    {
        (HostGemm.Profile, HostSpikeGemm.Profile) = (null, null);
        var lines = profiles.Gemm.Entries.Select(e => (Key: "gemm " + e.Key, e.Value.Calls, e.Value.Seconds, Density: e.Value.Rows == 0 ? "" : $" nonzero-rows {(double)e.Value.NonZeroRows / e.Value.Rows:P0}"))
            .Concat(profiles.Spike.Entries.Select(e => (Key: "linear " + e.Key, e.Value.Calls, e.Value.Seconds,
                Density: string.Create(CultureInfo.InvariantCulture, $" density {(double)e.Value.NonZero / Math.Max(1, e.Value.Sampled):P0}, {e.Value.EventDriven} event-driven"))));
        foreach (var (key, calls, seconds, density) in lines.OrderByDescending(l => l.Seconds))
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"    {key,-48} {calls,4} worker calls {seconds * 1e3,8:F3} worker-ms{density}"));
    }

    private static float[] Random(int count, int seed)
    {
        var random = new Random(seed);
        var data = new float[count];
        for (int i = 0; i < count; i++) data[i] = random.NextSingle() * 2f - 1f;
        return data;
    }

    /// <summary>Median wall seconds of one run, and CPU seconds (all threads of the process) per run over all runs.</summary>
    private static (double Wall, double Cpu) Median(int reps, Action action) => Median(reps, () => { }, action, () => { });

    /// <summary>
    /// As <see cref="Median(int, Action)"/>, with <paramref name="prepare"/> before and <paramref name="cleanup"/> after
    /// each run left out of both times.
    /// </summary>
    private static (double Wall, double Cpu) Median(int reps, Action prepare, Action action, Action cleanup)
    {
        prepare();
        action();
        cleanup();
        var times = new double[reps];
        var process = Process.GetCurrentProcess();
        double cpu = 0;
        for (int r = 0; r < reps; r++)
        {
            prepare();
            process.Refresh();
            var cpu0 = process.TotalProcessorTime;
            var sw = Stopwatch.StartNew();
            action();
            times[r] = sw.Elapsed.TotalSeconds;
            process.Refresh();
            cpu += (process.TotalProcessorTime - cpu0).TotalSeconds;
            cleanup();
        }
        Array.Sort(times);
        return (times[reps / 2], cpu / reps);
    }
}
