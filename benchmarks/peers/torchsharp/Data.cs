// The data of `snn train`: Fashion-MNIST IDX files, pixels / 255, our loader's sample order (DataLoader.Order).
using System.IO.Compression;
using static TorchSharp.torch;

internal static class Data
{
    /// <summary>
    /// The batches of one epoch of the first `limit` training images in DataLoader.Order's order: images [B, 784] (mlp)
    /// or [B, 1, 28, 28] (conv), labels [B].
    /// </summary>
    public static List<(Tensor X, Tensor Y)> Batches(string folder, string model, int? limit, int batchSize, int seed)
    {
        var images = ReadIdx($"{folder}/train-images-idx3-ubyte.gz");
        var labels = ReadIdx($"{folder}/train-labels-idx1-ubyte.gz");
        int available = labels.Length - 8;
        int count = Math.Min(limit ?? available, available);
        var order = Order(count, seed, 0);
        var batches = new List<(Tensor X, Tensor Y)>();
        for (int b0 = 0; b0 < count; b0 += batchSize)
        {
            var idx = order.Skip(b0).Take(batchSize).ToArray();
            var pixels = new float[idx.Length * 784];
            var ys = new long[idx.Length];
            for (int i = 0; i < idx.Length; i++)
            {
                for (int p = 0; p < 784; p++) pixels[i * 784 + p] = images[16 + idx[i] * 784 + p] / 255f;
                ys[i] = labels[8 + idx[i]];
            }
            batches.Add((tensor(pixels, model == "mlp" ? [idx.Length, 784] : [idx.Length, 1, 28, 28]), tensor(ys)));
        }
        return batches;
    }

    private static byte[] ReadIdx(string path)
    {
        using var gz = new GZipStream(File.OpenRead(path), CompressionMode.Decompress);
        using var memory = new MemoryStream();
        gz.CopyTo(memory);
        return memory.ToArray();
    }

    /// <summary>DataLoader.Order: Fisher-Yates with SplitMix64 and rejection sampling (as dotnet_ports.py).</summary>
    private static int[] Order(int count, int seed, int epoch)
    {
        var perm = Enumerable.Range(0, count).ToArray();
        ulong state = Mix((ulong)(uint)seed ^ Mix(0x5EEDUL + (uint)epoch));
        for (int i = count - 1; i > 0; i--)
        {
            ulong bound = (ulong)i + 1, limit = ulong.MaxValue - ulong.MaxValue % bound, r;
            do
            {
                state += Golden;
                r = Mix(state);
            }
            while (r >= limit);
            int j = (int)(r % bound);
            (perm[i], perm[j]) = (perm[j], perm[i]);
        }
        return perm;
    }

    /// <summary>The Trainer's per-iteration seed: seed * golden + step (unsigned 64-bit).</summary>
    public static ulong IterationSeed(int seed, int step) => unchecked((ulong)seed * Golden + (ulong)step);

    private const ulong Golden = 0x9E3779B97F4A7C15UL;

    private static ulong Mix(ulong z)
    {
        z += Golden;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
