using IlgpuSnn.Autodiff;
using IlgpuSnn.Layers;
using IlgpuSnn.Runtime;
using IlgpuSnn.Tests.Support;

namespace IlgpuSnn.Tests.Estimators;

/// <summary>
/// OTTT's synapse (<see cref="SynapticLayer.ForwardWithWeightGradientFrom"/>): the value of the op on the spikes, the
/// weight gradient from the trace, the input gradient to the spikes. Linear and Conv2d do it in one evaluation; it must
/// give what the general two-evaluation form gives (the op on the trace with graph, its value replaced by the op on the
/// spikes), and for a plain Linear what a double-precision loop gives.
/// </summary>
public sealed class TraceGradientSynapseTests(TestDevice fixture)
{
    private sealed record Gradients(float[] Value, float[] Input, float[][] Parameters);

    [Theory]
    [InlineData("linear", false)]
    [InlineData("linear", true)]
    [InlineData("conv", false)]
    [InlineData("conv", true)]
    public void One_evaluation_equals_the_general_two_evaluation_form(string kind, bool weightStandardization)
    {
        using var device = fixture.CreateFresh();
        using var scope = TensorScope.Begin();
        var (layer, shape) = Layer(device, kind, weightStandardization);
        var fused = Run(device, layer, shape, fusedForm: true);
        var general = Run(device, layer, shape, fusedForm: false);
        Assert.Equal(general.Value, fused.Value);
        Close.Relative(general.Input.Select(v => (double)v), fused.Input, 1e-6, "input gradient");
        for (int p = 0; p < general.Parameters.Length; p++)
            Close.Relative(general.Parameters[p].Select(v => (double)v), fused.Parameters[p], 1e-5, $"parameter {p} gradient");
    }

    [Fact]
    public void Linear_weight_gradient_comes_from_the_trace_and_input_gradient_reaches_the_spikes()
    {
        using var device = fixture.CreateFresh();
        using var scope = TensorScope.Begin();
        const int rows = 5, inputs = 7, outputs = 3;
        var weights = Enumerable.Range(0, outputs).Select(o => Rand.Uniform(inputs, 20 + o)).ToArray();
        var bias = Rand.Uniform(outputs, 30);
        var layer = new Linear(device, weights, bias);
        var spikes = Spikes(rows * inputs, 31);
        var trace = Rand.Uniform(rows * inputs, 32, 0f, 2f);
        var g = Rand.Uniform(rows * outputs, 33);
        var x = Tensor.FromArray(device, spikes, rows, inputs).RequireGrad();
        using var tape = new Tape();
        Tensor y;
        using (tape.Record()) y = layer.ForwardWithWeightGradientFrom(x, Tensor.FromArray(device, trace, rows, inputs));
        tape.Backward(y, Tensor.FromArray(device, g, rows, outputs));
        var value = new double[rows * outputs];
        var gw = new double[outputs * inputs];
        var gx = new double[rows * inputs];
        var gb = new double[outputs];
        for (int r = 0; r < rows; r++)
        {
            for (int o = 0; o < outputs; o++)
            {
                double v = bias[o];
                for (int i = 0; i < inputs; i++)
                {
                    v += (double)weights[o][i] * spikes[r * inputs + i];
                    gw[o * inputs + i] += (double)g[r * outputs + o] * trace[r * inputs + i];
                    gx[r * inputs + i] += (double)g[r * outputs + o] * weights[o][i];
                }
                value[r * outputs + o] = v;
                gb[o] += g[r * outputs + o];
            }
        }
        Close.Relative(value, y.ToArray(), 1e-5, "value");
        Close.Relative(gw, layer.Weight.Grad!.ToArray(), 1e-5, "weight gradient");
        Close.Relative(gb, layer.Bias!.Grad!.ToArray(), 1e-5, "bias gradient");
        Close.Relative(gx, x.Grad!.ToArray(), 1e-5, "input gradient");
    }

    private static (SynapticLayer Layer, int[] Shape) Layer(Device device, string kind, bool weightStandardization) => kind == "linear"
        ? (new Linear(device, new Random(4), 6, 4, bias: true, weightStandardization), [3, 6])
        : (new Conv2d(device, new Random(4), 2, 3, 3, padding: 1, bias: true, weightStandardization: weightStandardization), [2, 2, 5, 5]);

    private static float[] Spikes(int n, int seed) => Rand.Uniform(n, seed).Select(v => v > 0.2f ? 1f : 0f).ToArray();

    private static Gradients Run(Device device, SynapticLayer layer, int[] shape, bool fusedForm)
    {
        int n = shape.Aggregate(1, (a, b) => a * b);
        foreach (var p in layer.Parameters) p.ClearGrad();
        var x = Tensor.FromArray(device, Spikes(n, 41), shape).RequireGrad();
        var trace = Tensor.FromArray(device, Rand.Uniform(n, 42, 0f, 2f), shape);
        using var tape = new Tape();
        Tensor y;
        using (tape.Record())
        {
            if (fusedForm)
            {
                y = layer.ForwardWithWeightGradientFrom(x, trace);
            }
            else
            {
                var carrier = Ops.WithGradientOf(trace, x);
                var gradientPath = layer.Forward(carrier, new Pass());
                Tensor value;
                using (Tape.NoGrad()) value = layer.Forward(x, new Pass());
                y = Ops.WithGradientOf(value, gradientPath);
            }
        }
        var g = Tensor.FromArray(device, Rand.Uniform((int)y.Length, 43), y.ShapeArray());
        tape.Backward(y, g);
        return new Gradients(y.ToArray(), x.Grad!.ToArray(), [.. layer.Parameters.Select(p => p.Grad!.ToArray())]);
    }
}
