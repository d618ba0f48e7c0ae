using System.Collections.Concurrent;
using System.Diagnostics;
using System.Reflection;
using ILGPU;
using ILGPU.Runtime;

namespace IlgpuSnn.Runtime;

/// <summary>
/// Loads each kernel once per accelerator and keeps the launcher. Only methods marked with
/// <see cref="KernelAttribute"/> may be loaded, so the registry cannot miss a kernel. Every launcher it hands out
/// counts its launches in the device's <see cref="DeviceActivity"/>, and every load (ILGPU's compilation of the kernel
/// and the creation of its launcher) is counted there with its time.
/// </summary>
internal sealed class KernelCache : IDisposable
{
    private readonly Accelerator accelerator;
    private readonly DeviceActivity activity;
    private readonly ConcurrentDictionary<MethodInfo, Delegate> launchers = new();

    public KernelCache(Accelerator accelerator, DeviceActivity activity)
    {
        this.accelerator = accelerator;
        this.activity = activity;
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

    public void Dispose() => launchers.Clear();

    public Action<KernelConfig, T1> Load<T1>(Action<T1> kernel)
        where T1 : struct =>
        Get<Action<KernelConfig, T1>>(kernel, a =>
        {
            var launch = a.LoadStreamKernel(kernel);
            return (config, a1) =>
            {
                long started = activity.Launched();
                launch(config, a1);
                activity.Completed(kernel.Method, started, accelerator);
            };
        });

    public Action<KernelConfig, T1, T2> Load<T1, T2>(Action<T1, T2> kernel)
        where T1 : struct where T2 : struct =>
        Get<Action<KernelConfig, T1, T2>>(kernel, a =>
        {
            var launch = a.LoadStreamKernel(kernel);
            return (config, a1, a2) =>
            {
                long started = activity.Launched();
                launch(config, a1, a2);
                activity.Completed(kernel.Method, started, accelerator);
            };
        });

    public Action<KernelConfig, T1, T2, T3> Load<T1, T2, T3>(Action<T1, T2, T3> kernel)
        where T1 : struct where T2 : struct where T3 : struct =>
        Get<Action<KernelConfig, T1, T2, T3>>(kernel, a =>
        {
            var launch = a.LoadStreamKernel(kernel);
            return (config, a1, a2, a3) =>
            {
                long started = activity.Launched();
                launch(config, a1, a2, a3);
                activity.Completed(kernel.Method, started, accelerator);
            };
        });

    public Action<KernelConfig, T1, T2, T3, T4> Load<T1, T2, T3, T4>(Action<T1, T2, T3, T4> kernel)
        where T1 : struct where T2 : struct where T3 : struct where T4 : struct =>
        Get<Action<KernelConfig, T1, T2, T3, T4>>(kernel, a =>
        {
            var launch = a.LoadStreamKernel(kernel);
            return (config, a1, a2, a3, a4) =>
            {
                long started = activity.Launched();
                launch(config, a1, a2, a3, a4);
                activity.Completed(kernel.Method, started, accelerator);
            };
        });

    public Action<KernelConfig, T1, T2, T3, T4, T5> Load<T1, T2, T3, T4, T5>(Action<T1, T2, T3, T4, T5> kernel)
        where T1 : struct where T2 : struct where T3 : struct where T4 : struct where T5 : struct =>
        Get<Action<KernelConfig, T1, T2, T3, T4, T5>>(kernel, a =>
        {
            var launch = a.LoadStreamKernel(kernel);
            return (config, a1, a2, a3, a4, a5) =>
            {
                long started = activity.Launched();
                launch(config, a1, a2, a3, a4, a5);
                activity.Completed(kernel.Method, started, accelerator);
            };
        });

    public Action<KernelConfig, T1, T2, T3, T4, T5, T6> Load<T1, T2, T3, T4, T5, T6>(Action<T1, T2, T3, T4, T5, T6> kernel)
        where T1 : struct where T2 : struct where T3 : struct where T4 : struct where T5 : struct where T6 : struct =>
        Get<Action<KernelConfig, T1, T2, T3, T4, T5, T6>>(kernel, a =>
        {
            var launch = a.LoadStreamKernel(kernel);
            return (config, a1, a2, a3, a4, a5, a6) =>
            {
                long started = activity.Launched();
                launch(config, a1, a2, a3, a4, a5, a6);
                activity.Completed(kernel.Method, started, accelerator);
            };
        });

    public Action<KernelConfig, T1, T2, T3, T4, T5, T6, T7> Load<T1, T2, T3, T4, T5, T6, T7>(Action<T1, T2, T3, T4, T5, T6, T7> kernel)
        where T1 : struct where T2 : struct where T3 : struct where T4 : struct where T5 : struct where T6 : struct where T7 : struct =>
        Get<Action<KernelConfig, T1, T2, T3, T4, T5, T6, T7>>(kernel, a =>
        {
            var launch = a.LoadStreamKernel(kernel);
            return (config, a1, a2, a3, a4, a5, a6, a7) =>
            {
                long started = activity.Launched();
                launch(config, a1, a2, a3, a4, a5, a6, a7);
                activity.Completed(kernel.Method, started, accelerator);
            };
        });

    public Action<KernelConfig, T1, T2, T3, T4, T5, T6, T7, T8> Load<T1, T2, T3, T4, T5, T6, T7, T8>(Action<T1, T2, T3, T4, T5, T6, T7, T8> kernel)
        where T1 : struct where T2 : struct where T3 : struct where T4 : struct where T5 : struct where T6 : struct where T7 : struct where T8 : struct =>
        Get<Action<KernelConfig, T1, T2, T3, T4, T5, T6, T7, T8>>(kernel, a =>
        {
            var launch = a.LoadStreamKernel(kernel);
            return (config, a1, a2, a3, a4, a5, a6, a7, a8) =>
            {
                long started = activity.Launched();
                launch(config, a1, a2, a3, a4, a5, a6, a7, a8);
                activity.Completed(kernel.Method, started, accelerator);
            };
        });

    public Action<KernelConfig, T1, T2, T3, T4, T5, T6, T7, T8, T9> Load<T1, T2, T3, T4, T5, T6, T7, T8, T9>(Action<T1, T2, T3, T4, T5, T6, T7, T8, T9> kernel)
        where T1 : struct where T2 : struct where T3 : struct where T4 : struct where T5 : struct where T6 : struct where T7 : struct where T8 : struct where T9 : struct =>
        Get<Action<KernelConfig, T1, T2, T3, T4, T5, T6, T7, T8, T9>>(kernel, a =>
        {
            var launch = a.LoadStreamKernel(kernel);
            return (config, a1, a2, a3, a4, a5, a6, a7, a8, a9) =>
            {
                long started = activity.Launched();
                launch(config, a1, a2, a3, a4, a5, a6, a7, a8, a9);
                activity.Completed(kernel.Method, started, accelerator);
            };
        });

    public Action<KernelConfig, T1, T2, T3, T4, T5, T6, T7, T8, T9, T10> Load<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10>(Action<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10> kernel)
        where T1 : struct where T2 : struct where T3 : struct where T4 : struct where T5 : struct where T6 : struct where T7 : struct where T8 : struct where T9 : struct where T10 : struct =>
        Get<Action<KernelConfig, T1, T2, T3, T4, T5, T6, T7, T8, T9, T10>>(kernel, a =>
        {
            var launch = a.LoadStreamKernel(kernel);
            return (config, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10) =>
            {
                long started = activity.Launched();
                launch(config, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10);
                activity.Completed(kernel.Method, started, accelerator);
            };
        });

    public Action<KernelConfig, T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11> Load<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11>(Action<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11> kernel)
        where T1 : struct where T2 : struct where T3 : struct where T4 : struct where T5 : struct where T6 : struct where T7 : struct where T8 : struct where T9 : struct where T10 : struct where T11 : struct =>
        Get<Action<KernelConfig, T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11>>(kernel, a =>
        {
            var launch = a.LoadStreamKernel(kernel);
            return (config, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11) =>
            {
                long started = activity.Launched();
                launch(config, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11);
                activity.Completed(kernel.Method, started, accelerator);
            };
        });

    public Action<KernelConfig, T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, T12> Load<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, T12>(Action<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, T12> kernel)
        where T1 : struct where T2 : struct where T3 : struct where T4 : struct where T5 : struct where T6 : struct where T7 : struct where T8 : struct where T9 : struct where T10 : struct where T11 : struct where T12 : struct =>
        Get<Action<KernelConfig, T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, T12>>(kernel, a =>
        {
            var launch = a.LoadStreamKernel(kernel);
            return (config, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12) =>
            {
                long started = activity.Launched();
                launch(config, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12);
                activity.Completed(kernel.Method, started, accelerator);
            };
        });

    public Action<KernelConfig, T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, T12, T13> Load<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, T12, T13>(Action<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, T12, T13> kernel)
        where T1 : struct where T2 : struct where T3 : struct where T4 : struct where T5 : struct where T6 : struct where T7 : struct where T8 : struct where T9 : struct where T10 : struct where T11 : struct where T12 : struct where T13 : struct =>
        Get<Action<KernelConfig, T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, T12, T13>>(kernel, a =>
        {
            var launch = a.LoadStreamKernel(kernel);
            return (config, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12, a13) =>
            {
                long started = activity.Launched();
                launch(config, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12, a13);
                activity.Completed(kernel.Method, started, accelerator);
            };
        });

    public Action<KernelConfig, T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, T12, T13, T14> Load<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, T12, T13, T14>(Action<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, T12, T13, T14> kernel)
        where T1 : struct where T2 : struct where T3 : struct where T4 : struct where T5 : struct where T6 : struct where T7 : struct where T8 : struct where T9 : struct where T10 : struct where T11 : struct where T12 : struct where T13 : struct where T14 : struct =>
        Get<Action<KernelConfig, T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, T12, T13, T14>>(kernel, a =>
        {
            var launch = a.LoadStreamKernel(kernel);
            return (config, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12, a13, a14) =>
            {
                long started = activity.Launched();
                launch(config, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12, a13, a14);
                activity.Completed(kernel.Method, started, accelerator);
            };
        });

}
