namespace IlgpuSnn.Data.Events;

/// <summary>
/// Simulates an event camera looking at a still image while it makes three saccades, as N-MNIST was recorded, so any
/// image dataset becomes an event dataset. The model, step by step:
/// <list type="number">
/// <item>The H × W image sits in a (H + <see cref="SaccadeOptions.Travel"/>) × (W + Travel) sensor. The camera moves
/// the image along a triangle of offsets (0, 0) → (Travel, Travel/2) → (Travel/2, Travel) → (0, 0), one saccade per
/// side, each <see cref="SaccadeOptions.SaccadeUs"/> long, sampled every <see cref="SaccadeOptions.StepUs"/>.</item>
/// <item>At each step a pixel sees the bilinearly interpolated image value I ∈ [0, 1] at its position relative to the
/// image (0 outside) and its log intensity L = ln(I + <see cref="SaccadeOptions.Epsilon"/>).</item>
/// <item>Each pixel keeps a reference L_ref, set by the first view (no events at t = 0). When |L − L_ref| ≥ C
/// (<see cref="SaccadeOptions.Threshold"/>), n = ⌊|L − L_ref| / C⌋ crossings happened since the previous step; they
/// are placed evenly inside the step at t_prev + (i + 1)·Δt/n, with polarity ON when L rose and OFF when it fell,
/// and L_ref moves by n·C toward L (kept as L(0) + m·C with an integer m, so it never drifts).</item>
/// <item>A pixel emits no event within <see cref="SaccadeOptions.RefractoryUs"/> of its previous event: such
/// crossings are dropped (L_ref still follows).</item>
/// </list>
/// The model is deterministic: no noise, so a converted dataset is reproducible bit for bit.
/// </summary>
public static class SaccadeConverter
{
    /// <summary>Converts one image ([height, width] row-major, values in [0, 1]).</summary>
    /// <param name="image">The pixels, [height, width] row-major, values in [0, 1].</param>
    /// <param name="height">Image height in pixels.</param>
    /// <param name="width">Image width in pixels.</param>
    /// <param name="options">Saccade path, timing and thresholds.</param>
    /// <returns>The events a sensor of the image's size would see along the saccades.</returns>
    /// <exception cref="ArgumentException">The image size disagrees with the array, or the options are not positive.</exception>
    public static EventRecording Convert(ReadOnlySpan<float> image, int height, int width, SaccadeOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        if (height <= 0 || width <= 0 || image.Length != height * width)
            throw new ArgumentException($"SaccadeConverter: an image of {image.Length} values is not {height}x{width}.");
        int sh = height + options.Travel, sw = width + options.Travel;
        int steps = (int)(options.SaccadeUs / options.StepUs);
        var initial = new double[sh * sw];
        var level = new int[sh * sw];
        var lastEvent = new long[sh * sw];
        Array.Fill(lastEvent, long.MinValue / 2);
        var pending = new List<(long T, int X, int Y, byte P)>();
        var t = new List<long>();
        var xs = new List<int>();
        var ys = new List<int>();
        var ps = new List<byte>();
        var view = new double[sh * sw];
        Render(image, height, width, sw, sh, 0, 0, options.Epsilon, initial);
        (double X, double Y)[] corners = [(0, 0), (options.Travel, options.Travel / 2.0), (options.Travel / 2.0, options.Travel), (0, 0)];
        for (int saccade = 0; saccade < 3; saccade++)
        {
            var (ax, ay) = corners[saccade];
            var (bx, by) = corners[saccade + 1];
            for (int k = 1; k <= steps; k++)
            {
                double f = (double)k / steps;
                long now = (long)(saccade * steps + k) * options.StepUs;
                Render(image, height, width, sw, sh, ax + (bx - ax) * f, ay + (by - ay) * f, options.Epsilon, view);
                pending.Clear();
                for (int p = 0; p < view.Length; p++)
                {
                    // L_ref = L(0) + level·C with an integer level, so a pixel whose light returns to L(0) lands exactly on a
                    // level (no drift from adding C over and over).
                    double q = (view[p] - initial[p]) / options.Threshold;
                    int n;
                    byte polarity;
                    if (q >= level[p] + 1) (n, polarity, level[p]) = ((int)Math.Floor(q) - level[p], 1, (int)Math.Floor(q));
                    else if (q <= level[p] - 1) (n, polarity, level[p]) = (level[p] - (int)Math.Ceiling(q), 0, (int)Math.Ceiling(q));
                    else continue;
                    for (int i = 0; i < n; i++)
                    {
                        long te = now - options.StepUs + (long)(i + 1) * options.StepUs / n;
                        if (te - lastEvent[p] < options.RefractoryUs) continue;
                        lastEvent[p] = te;
                        pending.Add((te, p % sw, p / sw, polarity));
                    }
                }
                foreach (var e in pending.OrderBy(e => e.T))
                {
                    t.Add(e.T);
                    xs.Add(e.X);
                    ys.Add(e.Y);
                    ps.Add(e.P);
                }
            }
        }
        return new EventRecording(sw, sh, [.. t], [.. xs], [.. ys], [.. ps]);
    }

    /// <summary>
    /// Converts every image of <paramref name="data"/> (one channel) and writes N-MNIST .bin files to
    /// <paramref name="folder"/>/<paramref name="split"/>/&lt;label&gt;/&lt;index:D5&gt;.bin. Existing files are kept
    /// (a rerun completes an interrupted conversion); returns the number of files written.
    /// </summary>
    /// <param name="data">The images; one channel only.</param>
    /// <param name="folder">The output root.</param>
    /// <param name="split">Name of the split subfolder ("Train", "Test").</param>
    /// <param name="options">Saccade path, timing and thresholds.</param>
    /// <param name="progress">Receives the number of images done every 1000 images; may be null.</param>
    /// <param name="cancellationToken">Stops the conversion between images.</param>
    /// <returns>The number of files written in this call (existing files are not counted).</returns>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled; finished files stay.</exception>
    /// <exception cref="ArgumentException"><paramref name="data"/> has more than one channel.</exception>
    public static int WriteSplit(ImageDataset data, string folder, string split, SaccadeOptions options, IProgress<int>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(data);
        if (data.Channels != 1)
            throw new ArgumentException($"SaccadeConverter: '{data.Name}' has {data.Channels} channels; only grey images are converted.");
        for (int c = 0; c < data.Classes; c++) Directory.CreateDirectory(Path.Combine(folder, split, c.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        int written = 0, done = 0;
        Parallel.For(0, data.Count, new ParallelOptions { CancellationToken = cancellationToken }, i =>
        {
            var path = Path.Combine(folder, split, data.Labels[i].ToString(System.Globalization.CultureInfo.InvariantCulture), i.ToString("D5", System.Globalization.CultureInfo.InvariantCulture) + ".bin");
            if (!File.Exists(path))
            {
                // Written under a temporary name and renamed, so an interrupted run never leaves a partial file that
                // a rerun would keep; no flush to disk per file (tens of thousands of small files).
                var tmp = path + ".tmp";
                File.WriteAllBytes(tmp, NMnistFile.Encode(Convert(data.Images.AsSpan(i * data.SampleSize, data.SampleSize), data.Height, data.Width, options)));
                File.Move(tmp, path, overwrite: true);
                Interlocked.Increment(ref written);
            }
            int d = Interlocked.Increment(ref done);
            if (d % 1000 == 0) progress?.Report(d);
        });
        return written;
    }

    private static void Render(ReadOnlySpan<float> image, int h, int w, int sw, int sh, double ox, double oy, double epsilon, double[] output)
    {
        for (int y = 0; y < sh; y++)
            for (int x = 0; x < sw; x++)
                output[y * sw + x] = Math.Log(Sample(image, h, w, x - ox, y - oy) + epsilon);
    }

    /// <summary>Bilinear interpolation of the image at (u, v); 0 outside.</summary>
    private static double Sample(ReadOnlySpan<float> image, int h, int w, double u, double v)
    {
        int x0 = (int)Math.Floor(u), y0 = (int)Math.Floor(v);
        double fx = u - x0, fy = v - y0;
        return (1 - fy) * ((1 - fx) * Pixel(image, h, w, x0, y0) + fx * Pixel(image, h, w, x0 + 1, y0))
            + fy * ((1 - fx) * Pixel(image, h, w, x0, y0 + 1) + fx * Pixel(image, h, w, x0 + 1, y0 + 1));
    }

    private static double Pixel(ReadOnlySpan<float> image, int h, int w, int x, int y) =>
        (uint)x < (uint)w && (uint)y < (uint)h ? image[y * w + x] : 0;
}
