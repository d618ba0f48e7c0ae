using IlgpuSnn.Data;
using IlgpuSnn.Estimators;
using IlgpuSnn.Layers;
using IlgpuSnn.Neurons;
using IlgpuSnn.Runtime;
using IlgpuSnn.Tests.Support;
using IlgpuSnn.Training;

namespace IlgpuSnn.Tests.Reliability;

/// <summary>Library misuse raises an exception that names the problem instead of failing quietly or obscurely.</summary>
public sealed class MisuseTests(TestDevice fixture)
{
    [Fact]
    public void Tensors_of_a_disposed_device_refuse_every_use()
    {
        var device = fixture.CreateFresh();
        var t = Tensor.FromArray(device, [1f, 2f], 2);
        device.Dispose();
        var e = Assert.Throws<ObjectDisposedException>(() => t.ToArray());
        Assert.Contains("device", e.Message, StringComparison.Ordinal);
        Assert.Throws<ObjectDisposedException>(() => Ops.Add(t, t));
    }

    [Fact]
    public void An_estimator_runs_only_on_the_network_it_was_attached_to()
    {
        using var a = TrainingFixtures.PlainMlp(fixture.Device, 1);
        using var b = TrainingFixtures.PlainMlp(fixture.Device, 2);
        using var method = new Bptt();
        method.Attach(a);
        using var scope = TensorScope.Begin();
        var (x, loss) = Batch(4);
        var e = Assert.Throws<InvalidOperationException>(() => method.Run(b, x, loss, new EstimatorContext { Update = () => { } }));
        Assert.Contains("another network", e.Message, StringComparison.Ordinal);
        Assert.Throws<InvalidOperationException>(() => method.Attach(b));
    }

    [Fact]
    public void Truncated_bptt_without_attach_is_refused()
    {
        using var network = TrainingFixtures.PlainMlp(fixture.Device);
        using var method = new TruncatedLocalBptt(window: 2);
        using var scope = TensorScope.Begin();
        var (x, loss) = Batch(4);
        var e = Assert.Throws<InvalidOperationException>(() => method.Run(network, x, loss, new EstimatorContext { Update = () => { } }));
        Assert.Contains("Attach", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_trainer_refuses_an_optimizer_of_another_network_or_one_without_the_aux_heads()
    {
        using var a = TrainingFixtures.PlainMlp(fixture.Device, 1);
        using var b = TrainingFixtures.PlainMlp(fixture.Device, 2);
        using var method = new Bptt();
        using var foreign = new Sgd(b.Parameters, 0.1f);
        var e = Assert.Throws<ArgumentException>(() => new Trainer(a, method, foreign, new DirectEncoder(), new TrainingOptions()));
        Assert.Contains("another network", e.Message, StringComparison.Ordinal);

        using var net = SpikingNetwork.Build(fixture.Device, [1, 8, 8], c => c.Flatten().Linear(16).Lif(new NeuronSpec()).Linear(16).Lif(new NeuronSpec()).Linear(10), 3);
        using var tt = new TruncatedLocalBptt(window: 2, blocks: [[0], [1]]);
        tt.Attach(net);
        using var partial = new Sgd(net.Parameters, 0.1f);
        var f = Assert.Throws<ArgumentException>(() => new Trainer(net, tt, partial, new DirectEncoder(), new TrainingOptions()));
        Assert.Contains("ExtraParameters", f.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_trainer_refuses_a_loss_reduction_the_method_cannot_train_in_the_command_lines_words()
    {
        using var network = TrainingFixtures.PlainMlp(fixture.Device);
        using var method = new Sltt();
        method.Attach(network);
        using var sgd = new Sgd(network.Parameters, 0.1f);
        var e = Assert.Throws<ArgumentException>(() => new Trainer(network, method, sgd, new DirectEncoder(), new TrainingOptions(), LossReduction.MeanOutput));
        Assert.DoesNotContain('\n', e.Message);
        Assert.StartsWith("sltt cannot train on the mean-output loss", e.Message, StringComparison.Ordinal);
        Assert.Contains("bptt, saf-f, ratebp", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_network_used_from_two_threads_at_once_is_refused()
    {
        using var network = TrainingFixtures.PlainMlp(fixture.Device);
        using var held = network.EnterExclusive("test");
        Exception? seen = null;
        var thread = new Thread(() =>
        {
            try
            {
                using var scope = TensorScope.Begin();
                network.Forward(Tensor.Zeros(fixture.Device, 2, 1, 1, 8, 8));
            }
            catch (Exception e)
            {
                seen = e;
            }
        });
        thread.Start();
        thread.Join();
        var error = Assert.IsType<InvalidOperationException>(seen);
        Assert.Contains("another thread", error.Message, StringComparison.Ordinal);
        // The owning thread itself may re-enter.
        using (TensorScope.Begin()) network.Forward(Tensor.Zeros(fixture.Device, 2, 1, 1, 8, 8));
    }

    [Fact]
    public void Scopes_disposed_out_of_order_are_refused_and_stay_usable()
    {
        var outer = TensorScope.Begin();
        var inner = TensorScope.Begin();
        var e = Assert.Throws<InvalidOperationException>(outer.Dispose);
        Assert.Contains("inner scope", e.Message, StringComparison.Ordinal);
        var t = Tensor.Zeros(fixture.Device, 4);
        inner.Dispose();
        Assert.True(t.IsDisposed);
        var u = Tensor.Zeros(fixture.Device, 4);
        outer.Dispose();
        Assert.True(u.IsDisposed);

        var other = TensorScope.Begin();
        Exception? seen = null;
        var thread = new Thread(() =>
        {
            try { other.Dispose(); }
            catch (InvalidOperationException x) { seen = x; }
        });
        thread.Start();
        thread.Join();
        Assert.Contains("another thread", seen?.Message ?? "", StringComparison.Ordinal);
        other.Dispose();
    }

    private (Tensor X, SequenceLoss Loss) Batch(int batch)
    {
        var x = Tensor.Full(fixture.Device, 0.5f, 3, batch, 1, 8, 8);
        var labels = Tensor.FromArray(fixture.Device, Enumerable.Range(0, batch).Select(i => (float)(i % 10)).ToArray(), batch);
        return (x, new SequenceLoss(Criterion.CrossEntropy, LossReduction.PerStep, labels));
    }
}
