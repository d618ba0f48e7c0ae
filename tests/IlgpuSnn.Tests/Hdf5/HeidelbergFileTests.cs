using System.Diagnostics;
using IlgpuSnn.Data.SpikeTrains;
using IlgpuSnn.Hdf5.Shd;
using IlgpuSnn.Tests.Support;

namespace IlgpuSnn.Tests.Hdf5;

/// <summary>SHD/SSC files written by h5py (as the published files were) read through PureHDF.</summary>
public sealed class HeidelbergFileTests
{
    /// <summary>
    /// Writes an SHD-layout file: argv[1] = path, argv[2] = JSON {times: [[s...]...], units: [[...]...], labels: [...],
    /// time_dtype, unit_dtype, label_dtype}.
    /// </summary>
    private const string Writer = """
        spec = json.loads(sys.argv[2])
        with h5py.File(sys.argv[1], 'w') as f:
            n = len(spec['times'])
            t = f.create_dataset('spikes/times', (n,), dtype=h5py.vlen_dtype(np.dtype(spec.get('time_dtype', 'float32'))))
            u = f.create_dataset('spikes/units', (len(spec['units']),), dtype=h5py.vlen_dtype(np.dtype(spec.get('unit_dtype', 'uint16'))))
            for i, a in enumerate(spec['times']): t[i] = np.array(a, dtype=spec.get('time_dtype', 'float32'))
            for i, a in enumerate(spec['units']): u[i] = np.array(a, dtype=spec.get('unit_dtype', 'uint16'))
            f.create_dataset('labels', data=np.array(spec['labels'], dtype=spec.get('label_dtype', 'uint16')))
            f.create_dataset('extra/speaker', data=np.zeros(len(spec['labels']), dtype='uint16'))
        """;

    private static string Write(TempFolder dir, string name, string json)
    {
        var path = dir.File(name);
        H5py.Run(Writer, path, json);
        return path;
    }

    [Fact]
    public void Reads_times_as_microseconds_units_and_labels_in_time_order()
    {
        using var dir = new TempFolder();
        // sample 0: spikes listed out of order (0.5 s before 0.001 s); sample 1 empty; sample 2 three spikes.
        var path = Write(dir, "shd_train.h5", """
            {"times": [[0.5, 0.001], [], [0.25, 0.5, 0.75]], "units": [[699, 3], [], [1, 2, 1]], "labels": [1, 0, 19]}
            """);
        var samples = HeidelbergFile.Read(path, classes: 20);
        Assert.Equal(3, samples.Count);
        Assert.Equal([1000L, 500_000L], samples[0].Times);
        Assert.Equal([3, 699], samples[0].Units);
        Assert.Equal(0, samples[1].Count);
        Assert.Equal([250_000L, 500_000L, 750_000L], samples[2].Times);
        Assert.Equal([1, 2, 1], samples[2].Units);
        Assert.Equal([1, 0, 19], samples.Select(s => s.Label));
        Assert.All(samples, s => Assert.Equal(700, s.Channels));
    }

    [Theory]
    [InlineData("float16", "uint8", "int64")]
    [InlineData("float64", "int32", "int32")]
    public void Reads_other_element_types(string timeType, string unitType, string labelType)
    {
        using var dir = new TempFolder();
        var path = Write(dir, "x.h5", $$"""
            {"times": [[0.125, 0.5]], "units": [[7, 200]], "labels": [4],
             "time_dtype": "{{timeType}}", "unit_dtype": "{{unitType}}", "label_dtype": "{{labelType}}"}
            """);
        var s = Assert.Single(HeidelbergFile.Read(path, classes: 20));
        Assert.Equal([125_000L, 500_000L], s.Times); // 0.125 and 0.5 are exact in float16
        Assert.Equal([7, 200], s.Units);
        Assert.Equal(4, s.Label);
    }

    [Theory]
    [InlineData("""{"times": [[0.1]], "units": [[700]], "labels": [0]}""", "sample 0: spike 0 comes from unit 700, outside [0, 700)")]
    [InlineData("""{"times": [[0.1]], "units": [[1]], "labels": [20]}""", "sample 0: label 20 is outside [0, 20)")]
    [InlineData("""{"times": [[0.1], [-0.5]], "units": [[1], [2]], "labels": [0, 1]}""", "sample 1: spike 0 at -0.5 s")]
    [InlineData("""{"times": [[NaN]], "units": [[1]], "labels": [0]}""", "sample 0: spike 0 at NaN s")]
    [InlineData("""{"times": [[0.1, 0.2]], "units": [[1]], "labels": [0]}""", "sample 0: spikes/times holds 2 values but spikes/units holds 1")]
    [InlineData("""{"times": [[0.1], [0.2]], "units": [[1]], "labels": [0, 1]}""", "spikes/units holds 1 samples but labels holds 2")]
    [InlineData("""{"times": [[0.1]], "units": [[1]], "labels": [0], "unit_dtype": "float32"}""", "spikes/units has type variable-length FloatingPoint")]
    public void Bad_content_is_refused_naming_the_file_and_what_is_wrong(string json, string expected)
    {
        using var dir = new TempFolder();
        var path = Write(dir, "bad.h5", json);
        var e = Assert.Throws<InvalidDataException>(() => HeidelbergFile.Read(path, classes: 20));
        Assert.StartsWith(path + ": ", e.Message);
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void A_missing_dataset_a_non_hdf5_file_and_a_truncated_file_are_refused()
    {
        using var dir = new TempFolder();
        var path = dir.File("nolabels.h5");
        H5py.Run("""
            with h5py.File(sys.argv[1], 'w') as f:
                f.create_dataset('spikes/times', (1,), dtype=h5py.vlen_dtype(np.dtype('float32')))
            """, path);
        Assert.Contains("the dataset 'spikes/units' is missing", Assert.Throws<InvalidDataException>(() => HeidelbergFile.Read(path, 20)).Message);

        var text = dir.File("text.h5");
        File.WriteAllText(text, "label,time\n1,2\n");
        Assert.StartsWith(text + ": not a readable HDF5 file", Assert.Throws<InvalidDataException>(() => HeidelbergFile.Read(text, 20)).Message);

        var good = Write(dir, "good.h5", """{"times": [[0.1, 0.2]], "units": [[1, 2]], "labels": [3]}""");
        var cut = dir.File("cut.h5");
        var bytes = File.ReadAllBytes(good);
        File.WriteAllBytes(cut, bytes[..(bytes.Length / 2)]);
        Assert.StartsWith(cut + ": ", Assert.Throws<InvalidDataException>(() => HeidelbergFile.Read(cut, 20)).Message);
        Assert.Throws<FileNotFoundException>(() => HeidelbergFile.Read(dir.File("absent.h5"), 20));
    }

    /// <summary>
    /// Shapes the file cannot hold are refused before PureHDF allocates them: a chunked dataset declared with 2³¹
    /// samples but never written (a valid HDF5 file of a few kB whose every sample would be the fill value) and a
    /// contiguous one declaring more bytes than the file has.
    /// </summary>
    [Fact]
    public void Declared_shapes_larger_than_the_file_can_hold_are_refused_before_reading()
    {
        using var dir = new TempFolder();
        var chunked = dir.File("chunked.h5");
        H5py.Run("""
            with h5py.File(sys.argv[1], 'w') as f:
                n = 2**31
                f.create_dataset('spikes/times', (n,), dtype=h5py.vlen_dtype(np.dtype('float32')), chunks=(1024,))
                f.create_dataset('spikes/units', (n,), dtype=h5py.vlen_dtype(np.dtype('uint16')), chunks=(1024,))
                f.create_dataset('labels', (n,), dtype='uint16', chunks=(1024,))
            """, chunked);
        var e = Assert.Throws<InvalidDataException>(() => HeidelbergFile.Read(chunked, 20));
        Assert.StartsWith(chunked + ": spikes/times declares 2147483648 elements of ", e.Message);
        Assert.Contains("what compression can give", e.Message);

        var contiguous = dir.File("contiguous.h5");
        H5py.Run("""
            with h5py.File(sys.argv[1], 'w') as f:
                t = f.create_dataset('spikes/times', (1,), dtype=h5py.vlen_dtype(np.dtype('float32')))
                u = f.create_dataset('spikes/units', (1,), dtype=h5py.vlen_dtype(np.dtype('uint16')))
                t[0] = np.array([0.1], dtype='float32')
                u[0] = np.array([1], dtype='uint16')
                f.create_dataset('labels', (2**22,), dtype='uint16')
            """, contiguous);
        long length = new FileInfo(contiguous).Length;
        Assert.True(length < 2 * (1L << 22), $"h5py wrote {length} bytes: the dataset's storage was allocated, the test needs it declared only.");
        var c = Assert.Throws<InvalidDataException>(() => HeidelbergFile.Read(contiguous, 20));
        Assert.Equal($"{contiguous}: labels declares 4194304 elements of 2 bytes, more than the file's {length} bytes.", c.Message);
    }

    [Fact]
    public void Datasets_open_both_splits_and_name_a_missing_file()
    {
        using var dir = new TempFolder();
        Write(dir, "ssc_train.h5", """{"times": [[0.1]], "units": [[5]], "labels": [34]}""");
        var missing = Assert.Throws<FileNotFoundException>(() => HeidelbergDatasets.Open("ssc", dir.Path));
        Assert.Contains("ssc_test.h5", missing.Message);
        Write(dir, "ssc_test.h5", """{"times": [[0.2], [0.3]], "units": [[6], [7]], "labels": [0, 1]}""");
        var splits = HeidelbergDatasets.Open("ssc", dir.Path);
        Assert.Equal((1, 2, 35), (splits.Train.Count, splits.Test.Count, splits.Classes));
        Assert.Throws<ArgumentException>(() => HeidelbergDatasets.Open("timit", dir.Path));
    }

    /// <summary>
    /// Bounded mutation fuzz (fixed seed, ILGPUSNN_FUZZ_SECONDS, default 2 s): a mutant is either read into valid spike
    /// trains or refused with an <see cref="InvalidDataException"/> naming the file; nothing else escapes.
    /// </summary>
    [Fact]
    public void Fuzzed_files_are_read_validly_or_refused_with_the_file_named()
    {
        using var dir = new TempFolder();
        var good = File.ReadAllBytes(Write(dir, "seed.h5", """
            {"times": [[0.1, 0.2, 0.3], [0.05], []], "units": [[1, 2, 699], [0], []], "labels": [0, 5, 19]}
            """));
        var mutant = dir.File("mutant.h5");
        var rng = new Random(15);
        var watch = Stopwatch.StartNew();
        int cases = 0, refused = 0;
        double seconds = double.TryParse(Environment.GetEnvironmentVariable("ILGPUSNN_FUZZ_SECONDS"), System.Globalization.CultureInfo.InvariantCulture, out var s) && s > 0 ? s : 2;
        while (watch.Elapsed.TotalSeconds < seconds || cases < 50)
        {
            var bytes = (byte[])good.Clone();
            for (int k = 1 + rng.Next(4); k > 0; k--) bytes[rng.Next(bytes.Length)] = (byte)rng.Next(256);
            File.WriteAllBytes(mutant, rng.Next(8) == 0 ? bytes[..rng.Next(bytes.Length)] : bytes);
            cases++;
            try
            {
                foreach (var sample in HeidelbergFile.Read(mutant, 20))
                {
                    Assert.All(sample.Units, u => Assert.InRange(u, 0, 699));
                    Assert.InRange(sample.Label, 0, 19);
                }
            }
            catch (InvalidDataException e)
            {
                Assert.StartsWith(mutant + ": ", e.Message);
                refused++;
            }
        }
        Assert.True(refused > 0, $"none of {cases} mutants was refused: the fuzzer does not reach the checks.");
    }
}
