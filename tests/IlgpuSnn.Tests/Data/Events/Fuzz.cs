using System.Diagnostics;
using IlgpuSnn.Data.Events;

namespace IlgpuSnn.Tests.Data.Events;

/// <summary>
/// Bounded mutation fuzzing of a parser: byte flips, truncations, insertions and splices of a valid file, with a fixed
/// seed, for ILGPUSNN_FUZZ_SECONDS seconds (default 2). A parser may accept a mutant (then its result must be a valid
/// recording) or reject it with an <see cref="InvalidDataException"/> that names the file and a byte offset; anything
/// else fails the test.
/// </summary>
internal static class Fuzz
{
    public static double Seconds =>
        double.TryParse(Environment.GetEnvironmentVariable("ILGPUSNN_FUZZ_SECONDS"), System.Globalization.CultureInfo.InvariantCulture, out var s) && s > 0 ? s : 2;

    public static int Run(byte[] valid, Func<byte[], object> parse, int seed)
    {
        var rng = new Random(seed);
        var watch = Stopwatch.StartNew();
        int cases = 0, rejected = 0;
        while (watch.Elapsed.TotalSeconds < Seconds || cases < 200)
        {
            var mutant = Mutate(valid, rng);
            cases++;
            try
            {
                if (parse(mutant) is EventRecording e) CheckValid(e);
            }
            catch (InvalidDataException ex)
            {
                Assert.Matches(@": at byte \d+: ", ex.Message);
                rejected++;
            }
        }
        Assert.True(rejected > 0, $"none of {cases} mutants was rejected: the fuzzer does not reach the checks.");
        return cases;
    }

    private static void CheckValid(EventRecording e)
    {
        for (int i = 0; i < e.Count; i++)
        {
            Assert.InRange(e.X[i], 0, e.Width - 1);
            Assert.InRange(e.Y[i], 0, e.Height - 1);
            Assert.True(e.Timestamps[i] >= 0 && (i == 0 || e.Timestamps[i] >= e.Timestamps[i - 1]));
        }
    }

    private static byte[] Mutate(byte[] valid, Random rng)
    {
        var b = valid.ToList();
        int edits = 1 + rng.Next(4);
        for (int k = 0; k < edits; k++)
        {
            switch (rng.Next(5))
            {
                case 0 when b.Count > 0: b[rng.Next(b.Count)] ^= (byte)(1 << rng.Next(8)); break;
                case 1 when b.Count > 0: b[rng.Next(b.Count)] = (byte)rng.Next(256); break;
                case 2 when b.Count > 0:
                    int at = rng.Next(b.Count);
                    b.RemoveRange(at, Math.Min(1 + rng.Next(8), b.Count - at));
                    break;
                case 3: b.InsertRange(rng.Next(b.Count + 1), Enumerable.Range(0, 1 + rng.Next(8)).Select(_ => (byte)rng.Next(256))); break;
                default:
                    int cut = rng.Next(b.Count + 1);
                    b.RemoveRange(cut, b.Count - cut);
                    break;
            }
        }
        return [.. b];
    }
}
