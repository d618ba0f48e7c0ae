using BenchmarkDotNet.Attributes;
using IlgpuSnn.Autodiff;
using IlgpuSnn.Runtime;

namespace IlgpuSnn.Benchmarks;

/// <summary>
/// Times one operation's forward and backward through the library's tape, as training runs it: inputs that require
/// gradients, the forward recorded, a backward seeded with ones, every temporary released by a scope, then
/// <see cref="Device.Synchronize"/>. After the first invocation the pool serves every buffer (no device allocation).
/// </summary>
public abstract class ForwardBackwardBenchmark
{
    private readonly List<Tensor> inputs = [];

    /// <summary>The device of the run (ILGPUSNN_DEVICE or the best present).</summary>
    protected Device Device { get; private set; } = null!;

    /// <summary>Creates the device and the inputs, and runs once (kernel compilation, pool warm-up).</summary>
    [GlobalSetup]
    public void Setup()
    {
        Device = Device.Create();
        Console.WriteLine($"// device: {Device}");
        using (TensorScope.Suspend()) inputs.AddRange(CreateInputs());
        ForwardBackward();
    }

    /// <summary>One forward and backward of the operation, synchronised.</summary>
    [Benchmark(Description = "forward + backward")]
    public void ForwardBackward()
    {
        using (TensorScope.Begin())
        {
            using var tape = new Tape();
            Tensor output;
            using (tape.Record()) output = Forward(inputs);
            tape.Backward(output);
        }
        foreach (var input in inputs) input.ClearGrad();
        Device.Synchronize();
    }

    /// <summary>Releases the inputs and the device.</summary>
    [GlobalCleanup]
    public void Cleanup()
    {
        foreach (var input in inputs) input.Dispose();
        inputs.Clear();
        Device.Dispose();
    }

    /// <summary>Random inputs in [-1, 1) of the given shape, marked as requiring gradients.</summary>
    protected Tensor RandomInput(int seed, params int[] shape)
    {
        var random = new Random(seed);
        var data = new float[shape.Aggregate(1, (a, b) => a * b)];
        for (int i = 0; i < data.Length; i++) data[i] = random.NextSingle() * 2f - 1f;
        return Tensor.FromArray(Device, data, shape).RequireGrad();
    }

    /// <summary>The operation's inputs (created outside any scope; the base class disposes them).</summary>
    protected abstract IEnumerable<Tensor> CreateInputs();

    /// <summary>The recorded forward of the operation on the inputs, in the order <see cref="CreateInputs"/> gave them.</summary>
    protected abstract Tensor Forward(IReadOnlyList<Tensor> inputs);
}
