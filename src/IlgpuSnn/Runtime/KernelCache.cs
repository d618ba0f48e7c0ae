using System.Collections.Concurrent;
using System.Diagnostics;
using System.Reflection;
using ILGPU;
using ILGPU.Runtime;
using IlgpuSnn.Kernels;

namespace IlgpuSnn.Runtime;

/// <summary>
/// Loads each kernel once per accelerator and keeps the launcher. Only methods marked with
/// <see cref="KernelAttribute"/> may be loaded, so the registry cannot miss a kernel. Every launcher it hands out
/// counts its launches in the device's <see cref="DeviceActivity"/>, and every load (ILGPU's compilation of the kernel
/// and the creation of its launcher) is counted there with its time. On the CPU accelerator a launcher records its call
/// in the <see cref="HostLaunchQueue"/> when the queue accepts the grid (and kernels are not being profiled one by one);
/// any other launch first runs what is recorded, so kernels always run in the order they were launched.
/// </summary>
internal sealed class KernelCache : IDisposable
{
    private readonly Accelerator accelerator;
    private readonly DeviceActivity activity;
    private readonly HostLaunchQueue? queue;
    private readonly ConcurrentDictionary<MethodInfo, Delegate> launchers = new();

    /// <summary>A cache for <paramref name="accelerator"/>; on the CPU accelerator it records kernels in a <see cref="Queue"/>.</summary>
    public KernelCache(Accelerator accelerator, DeviceActivity activity, LaunchPlan plan)
    {
        this.accelerator = accelerator;
        this.activity = activity;
        if (plan.IsCpu) queue = new HostLaunchQueue(accelerator.LoadStreamKernel<long>(HostQueueKernels.RunKernel), plan.GridStride(1), activity);
    }

    /// <summary>The CPU accelerator's kernel queue (null on GPUs, whose streams queue kernels themselves).</summary>
    public HostLaunchQueue? Queue => queue;

    /// <summary>
    /// Keeps <paramref name="value"/> (a pinned table or counter whose address a kernel just launched reads) alive until
    /// that kernel has run: past the recorded kernels' run on the CPU accelerator, past the call elsewhere (launches on the
    /// CPU without a queue return when the kernel has finished).
    /// </summary>
    public void KeepAlive(object value)
    {
        if (queue is null) GC.KeepAlive(value);
        else queue.Hold(value);
    }

    /// <summary>Whether this call is recorded rather than launched; a recorded call is counted as a launch here (a launched one in <see cref="Launching"/>).</summary>
    private bool Recorded(KernelConfig config)
    {
        if (queue is null || activity.ProfileKernels || !queue.Accepts(config)) return false;
        activity.Launched();
        return true;
    }

    /// <summary>Before a launch: runs what the queue recorded, then counts the launch (and, on the CPU, the hand-off to the workers).</summary>
    private long Launching()
    {
        if (queue is not null)
        {
            queue.Flush();
            activity.HandedOff();
        }
        return activity.Launched();
    }

    private TLauncher Get<TLauncher>(Delegate kernel, Func<Accelerator, TLauncher> load)
        where TLauncher : Delegate
    {
        if (launchers.TryGetValue(kernel.Method, out var cached)) return (TLauncher)cached;
        if (kernel.Method.GetCustomAttribute<KernelAttribute>() is null)
            throw new InvalidOperationException(
                $"{kernel.Method.DeclaringType?.Name}.{kernel.Method.Name} is not marked [Kernel]; only registered kernels can be loaded.");
        return (TLauncher)launchers.GetOrAdd(kernel.Method, _ =>
        {
            long started = Stopwatch.GetTimestamp();
            var launcher = load(accelerator);
            activity.KernelLoaded(Stopwatch.GetElapsedTime(started).TotalSeconds);
            return launcher;
        });
    }

    public void Dispose()
    {
        queue?.Dispose();
        launchers.Clear();
    }

    public Action<KernelConfig, T1> Load<T1>(Action<T1> kernel)
        where T1 : struct =>
        Get<Action<KernelConfig, T1>>(kernel, a =>
        {
            var launch = a.LoadStreamKernel(kernel);
            return (config, a1) =>
            {
                if (Recorded(config))
                {
                    queue!.Add(Call(kernel, a1));
                    return;
                }
                long started = Launching();
                launch(config, a1);
                activity.Completed(kernel.Method, started, accelerator);
            };
        });

    private static Action Call<T1>(Action<T1> kernel, T1 a1) => () => kernel(a1);

    public Action<KernelConfig, T1, T2> Load<T1, T2>(Action<T1, T2> kernel)
        where T1 : struct where T2 : struct =>
        Get<Action<KernelConfig, T1, T2>>(kernel, a =>
        {
            var launch = a.LoadStreamKernel(kernel);
            return (config, a1, a2) =>
            {
                if (Recorded(config))
                {
                    queue!.Add(Call(kernel, a1, a2));
                    return;
                }
                long started = Launching();
                launch(config, a1, a2);
                activity.Completed(kernel.Method, started, accelerator);
            };
        });

    private static Action Call<T1, T2>(Action<T1, T2> kernel, T1 a1, T2 a2) => () => kernel(a1, a2);

    public Action<KernelConfig, T1, T2, T3> Load<T1, T2, T3>(Action<T1, T2, T3> kernel)
        where T1 : struct where T2 : struct where T3 : struct =>
        Get<Action<KernelConfig, T1, T2, T3>>(kernel, a =>
        {
            var launch = a.LoadStreamKernel(kernel);
            return (config, a1, a2, a3) =>
            {
                if (Recorded(config))
                {
                    queue!.Add(Call(kernel, a1, a2, a3));
                    return;
                }
                long started = Launching();
                launch(config, a1, a2, a3);
                activity.Completed(kernel.Method, started, accelerator);
            };
        });

    private static Action Call<T1, T2, T3>(Action<T1, T2, T3> kernel, T1 a1, T2 a2, T3 a3) => () => kernel(a1, a2, a3);

    public Action<KernelConfig, T1, T2, T3, T4> Load<T1, T2, T3, T4>(Action<T1, T2, T3, T4> kernel)
        where T1 : struct where T2 : struct where T3 : struct where T4 : struct =>
        Get<Action<KernelConfig, T1, T2, T3, T4>>(kernel, a =>
        {
            var launch = a.LoadStreamKernel(kernel);
            return (config, a1, a2, a3, a4) =>
            {
                if (Recorded(config))
                {
                    queue!.Add(Call(kernel, a1, a2, a3, a4));
                    return;
                }
                long started = Launching();
                launch(config, a1, a2, a3, a4);
                activity.Completed(kernel.Method, started, accelerator);
            };
        });

    private static Action Call<T1, T2, T3, T4>(Action<T1, T2, T3, T4> kernel, T1 a1, T2 a2, T3 a3, T4 a4) => () => kernel(a1, a2, a3, a4);

    public Action<KernelConfig, T1, T2, T3, T4, T5> Load<T1, T2, T3, T4, T5>(Action<T1, T2, T3, T4, T5> kernel)
        where T1 : struct where T2 : struct where T3 : struct where T4 : struct where T5 : struct =>
        Get<Action<KernelConfig, T1, T2, T3, T4, T5>>(kernel, a =>
        {
            var launch = a.LoadStreamKernel(kernel);
            return (config, a1, a2, a3, a4, a5) =>
            {
                if (Recorded(config))
                {
                    queue!.Add(Call(kernel, a1, a2, a3, a4, a5));
                    return;
                }
                long started = Launching();
                launch(config, a1, a2, a3, a4, a5);
                activity.Completed(kernel.Method, started, accelerator);
            };
        });

    private static Action Call<T1, T2, T3, T4, T5>(Action<T1, T2, T3, T4, T5> kernel, T1 a1, T2 a2, T3 a3, T4 a4, T5 a5) => () => kernel(a1, a2, a3, a4, a5);

    public Action<KernelConfig, T1, T2, T3, T4, T5, T6> Load<T1, T2, T3, T4, T5, T6>(Action<T1, T2, T3, T4, T5, T6> kernel)
        where T1 : struct where T2 : struct where T3 : struct where T4 : struct where T5 : struct where T6 : struct =>
        Get<Action<KernelConfig, T1, T2, T3, T4, T5, T6>>(kernel, a =>
        {
            var launch = a.LoadStreamKernel(kernel);
            return (config, a1, a2, a3, a4, a5, a6) =>
            {
                if (Recorded(config))
                {
                    queue!.Add(Call(kernel, a1, a2, a3, a4, a5, a6));
                    return;
                }
                long started = Launching();
                launch(config, a1, a2, a3, a4, a5, a6);
                activity.Completed(kernel.Method, started, accelerator);
            };
        });

    private static Action Call<T1, T2, T3, T4, T5, T6>(Action<T1, T2, T3, T4, T5, T6> kernel, T1 a1, T2 a2, T3 a3, T4 a4, T5 a5, T6 a6) => () => kernel(a1, a2, a3, a4, a5, a6);

    public Action<KernelConfig, T1, T2, T3, T4, T5, T6, T7> Load<T1, T2, T3, T4, T5, T6, T7>(Action<T1, T2, T3, T4, T5, T6, T7> kernel)
        where T1 : struct where T2 : struct where T3 : struct where T4 : struct where T5 : struct where T6 : struct where T7 : struct =>
        Get<Action<KernelConfig, T1, T2, T3, T4, T5, T6, T7>>(kernel, a =>
        {
            var launch = a.LoadStreamKernel(kernel);
            return (config, a1, a2, a3, a4, a5, a6, a7) =>
            {
                if (Recorded(config))
                {
                    queue!.Add(Call(kernel, a1, a2, a3, a4, a5, a6, a7));
                    return;
                }
                long started = Launching();
                launch(config, a1, a2, a3, a4, a5, a6, a7);
                activity.Completed(kernel.Method, started, accelerator);
            };
        });

    private static Action Call<T1, T2, T3, T4, T5, T6, T7>(Action<T1, T2, T3, T4, T5, T6, T7> kernel, T1 a1, T2 a2, T3 a3, T4 a4, T5 a5, T6 a6, T7 a7) => () => kernel(a1, a2, a3, a4, a5, a6, a7);

    public Action<KernelConfig, T1, T2, T3, T4, T5, T6, T7, T8> Load<T1, T2, T3, T4, T5, T6, T7, T8>(Action<T1, T2, T3, T4, T5, T6, T7, T8> kernel)
        where T1 : struct where T2 : struct where T3 : struct where T4 : struct where T5 : struct where T6 : struct where T7 : struct where T8 : struct =>
        Get<Action<KernelConfig, T1, T2, T3, T4, T5, T6, T7, T8>>(kernel, a =>
        {
            var launch = a.LoadStreamKernel(kernel);
            return (config, a1, a2, a3, a4, a5, a6, a7, a8) =>
            {
                if (Recorded(config))
                {
                    queue!.Add(Call(kernel, a1, a2, a3, a4, a5, a6, a7, a8));
                    return;
                }
                long started = Launching();
                launch(config, a1, a2, a3, a4, a5, a6, a7, a8);
                activity.Completed(kernel.Method, started, accelerator);
            };
        });

    private static Action Call<T1, T2, T3, T4, T5, T6, T7, T8>(Action<T1, T2, T3, T4, T5, T6, T7, T8> kernel, T1 a1, T2 a2, T3 a3, T4 a4, T5 a5, T6 a6, T7 a7, T8 a8) => () => kernel(a1, a2, a3, a4, a5, a6, a7, a8);

    public Action<KernelConfig, T1, T2, T3, T4, T5, T6, T7, T8, T9> Load<T1, T2, T3, T4, T5, T6, T7, T8, T9>(Action<T1, T2, T3, T4, T5, T6, T7, T8, T9> kernel)
        where T1 : struct where T2 : struct where T3 : struct where T4 : struct where T5 : struct where T6 : struct where T7 : struct where T8 : struct where T9 : struct =>
        Get<Action<KernelConfig, T1, T2, T3, T4, T5, T6, T7, T8, T9>>(kernel, a =>
        {
            var launch = a.LoadStreamKernel(kernel);
            return (config, a1, a2, a3, a4, a5, a6, a7, a8, a9) =>
            {
                if (Recorded(config))
                {
                    queue!.Add(Call(kernel, a1, a2, a3, a4, a5, a6, a7, a8, a9));
                    return;
                }
                long started = Launching();
                launch(config, a1, a2, a3, a4, a5, a6, a7, a8, a9);
                activity.Completed(kernel.Method, started, accelerator);
            };
        });

    private static Action Call<T1, T2, T3, T4, T5, T6, T7, T8, T9>(Action<T1, T2, T3, T4, T5, T6, T7, T8, T9> kernel, T1 a1, T2 a2, T3 a3, T4 a4, T5 a5, T6 a6, T7 a7, T8 a8, T9 a9) => () => kernel(a1, a2, a3, a4, a5, a6, a7, a8, a9);

    public Action<KernelConfig, T1, T2, T3, T4, T5, T6, T7, T8, T9, T10> Load<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10>(Action<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10> kernel)
        where T1 : struct where T2 : struct where T3 : struct where T4 : struct where T5 : struct where T6 : struct where T7 : struct where T8 : struct where T9 : struct where T10 : struct =>
        Get<Action<KernelConfig, T1, T2, T3, T4, T5, T6, T7, T8, T9, T10>>(kernel, a =>
        {
            var launch = a.LoadStreamKernel(kernel);
            return (config, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10) =>
            {
                if (Recorded(config))
                {
                    queue!.Add(Call(kernel, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10));
                    return;
                }
                long started = Launching();
                launch(config, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10);
                activity.Completed(kernel.Method, started, accelerator);
            };
        });

    private static Action Call<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10>(Action<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10> kernel, T1 a1, T2 a2, T3 a3, T4 a4, T5 a5, T6 a6, T7 a7, T8 a8, T9 a9, T10 a10) => () => kernel(a1, a2, a3, a4, a5, a6, a7, a8, a9, a10);

    public Action<KernelConfig, T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11> Load<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11>(Action<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11> kernel)
        where T1 : struct where T2 : struct where T3 : struct where T4 : struct where T5 : struct where T6 : struct where T7 : struct where T8 : struct where T9 : struct where T10 : struct where T11 : struct =>
        Get<Action<KernelConfig, T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11>>(kernel, a =>
        {
            var launch = a.LoadStreamKernel(kernel);
            return (config, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11) =>
            {
                if (Recorded(config))
                {
                    queue!.Add(Call(kernel, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11));
                    return;
                }
                long started = Launching();
                launch(config, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11);
                activity.Completed(kernel.Method, started, accelerator);
            };
        });

    private static Action Call<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11>(Action<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11> kernel, T1 a1, T2 a2, T3 a3, T4 a4, T5 a5, T6 a6, T7 a7, T8 a8, T9 a9, T10 a10, T11 a11) => () => kernel(a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11);

    public Action<KernelConfig, T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, T12> Load<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, T12>(Action<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, T12> kernel)
        where T1 : struct where T2 : struct where T3 : struct where T4 : struct where T5 : struct where T6 : struct where T7 : struct where T8 : struct where T9 : struct where T10 : struct where T11 : struct where T12 : struct =>
        Get<Action<KernelConfig, T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, T12>>(kernel, a =>
        {
            var launch = a.LoadStreamKernel(kernel);
            return (config, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12) =>
            {
                if (Recorded(config))
                {
                    queue!.Add(Call(kernel, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12));
                    return;
                }
                long started = Launching();
                launch(config, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12);
                activity.Completed(kernel.Method, started, accelerator);
            };
        });

    private static Action Call<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, T12>(Action<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, T12> kernel, T1 a1, T2 a2, T3 a3, T4 a4, T5 a5, T6 a6, T7 a7, T8 a8, T9 a9, T10 a10, T11 a11, T12 a12) => () => kernel(a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12);

    public Action<KernelConfig, T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, T12, T13> Load<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, T12, T13>(Action<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, T12, T13> kernel)
        where T1 : struct where T2 : struct where T3 : struct where T4 : struct where T5 : struct where T6 : struct where T7 : struct where T8 : struct where T9 : struct where T10 : struct where T11 : struct where T12 : struct where T13 : struct =>
        Get<Action<KernelConfig, T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, T12, T13>>(kernel, a =>
        {
            var launch = a.LoadStreamKernel(kernel);
            return (config, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12, a13) =>
            {
                if (Recorded(config))
                {
                    queue!.Add(Call(kernel, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12, a13));
                    return;
                }
                long started = Launching();
                launch(config, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12, a13);
                activity.Completed(kernel.Method, started, accelerator);
            };
        });

    private static Action Call<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, T12, T13>(Action<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, T12, T13> kernel, T1 a1, T2 a2, T3 a3, T4 a4, T5 a5, T6 a6, T7 a7, T8 a8, T9 a9, T10 a10, T11 a11, T12 a12, T13 a13) => () => kernel(a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12, a13);

    public Action<KernelConfig, T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, T12, T13, T14> Load<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, T12, T13, T14>(Action<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, T12, T13, T14> kernel)
        where T1 : struct where T2 : struct where T3 : struct where T4 : struct where T5 : struct where T6 : struct where T7 : struct where T8 : struct where T9 : struct where T10 : struct where T11 : struct where T12 : struct where T13 : struct where T14 : struct =>
        Get<Action<KernelConfig, T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, T12, T13, T14>>(kernel, a =>
        {
            var launch = a.LoadStreamKernel(kernel);
            return (config, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12, a13, a14) =>
            {
                if (Recorded(config))
                {
                    queue!.Add(Call(kernel, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12, a13, a14));
                    return;
                }
                long started = Launching();
                launch(config, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12, a13, a14);
                activity.Completed(kernel.Method, started, accelerator);
            };
        });

    private static Action Call<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, T12, T13, T14>(Action<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, T12, T13, T14> kernel, T1 a1, T2 a2, T3 a3, T4 a4, T5 a5, T6 a6, T7 a7, T8 a8, T9 a9, T10 a10, T11 a11, T12 a12, T13 a13, T14 a14) => () => kernel(a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12, a13, a14);
}
