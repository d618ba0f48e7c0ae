using IlgpuSnn.Estimators;
using IlgpuSnn.Runtime;
using IlgpuSnn.Tests.Support;

namespace IlgpuSnn.Tests.Training;

/// <summary>The loss kinds against hand-computed values, and each method's default loss reduction and BatchNorm statistics.</summary>
public sealed class LossKindTests(TestDevice fixture)
{
    // logits [[1, 2, 0], [0.5, 0, 0]], labels [1, 0]:
    //  CE row 0 = log(e + e² + 1) − 2 = 0.40760596, row 1 = log(e^0.5 + 2) − 0.5 = 0.79437677; mean 0.60099137.
    //  MSE vs one-hot: row 0 ((1)² + (1)² + 0)/3 = 2/3, row 1 ((−0.5)² + 0 + 0)/3 = 1/12; mean 0.375.
    [Theory]
    [InlineData(Criterion.CrossEntropy, 0.60099137)]
    [InlineData(Criterion.SquaredError, 0.375)]
    [InlineData(Criterion.CrossEntropyWithSquaredError, 0.7 * 0.60099137 + 0.3 * 0.375)]
    public void Loss_kinds_match_hand_computed_values(Criterion criterion, double expected)
    {
        using var scope = TensorScope.Begin();
        var logits = Tensor.FromArray(fixture.Device, [1f, 2f, 0f, 0.5f, 0f, 0f], 2, 3);
        var labels = Tensor.FromArray(fixture.Device, [1f, 0f], 2);
        var loss = new SequenceLoss(criterion, LossReduction.PerStep, labels, 0.3f);
        Assert.Equal(expected, loss.Of(logits).Item(), 5);
    }

    [Fact]
    public void Defaults_follow_each_papers_code()
    {
        foreach (var name in EstimatorFactory.Names.Where(n => n != "sltt-k"))
        {
            using var method = EstimatorFactory.Create(name);
            Assert.Equal(name == "ratebp" ? LossReduction.MeanOutput : LossReduction.PerStep, method.DefaultReduction);
            Assert.Equal(name is "bptt" or "tt-lbptt" or "ratebp" ? BatchNormStatistics.Folded : BatchNormStatistics.PerStep, method.BatchNormStats);
        }
        using var perStep = EstimatorFactory.Create("bptt", new EstimatorOptions { BatchNormStats = BatchNormStatistics.PerStep });
        Assert.Equal(BatchNormStatistics.PerStep, perStep.BatchNormStats);
    }
}
