using System.Text;
using IlgpuSnn.Formats;
using IlgpuSnn.Tests.Support;

namespace IlgpuSnn.Tests.Formats;

public sealed class AtomicFileTests : IDisposable
{
    private readonly TempFolder tmp = new();

    public void Dispose() => tmp.Dispose();

    [Fact]
    public void Writer_failure_leaves_the_old_file_and_no_temporary()
    {
        var path = tmp.File("ckpt.bin");
        AtomicFile.WriteAllBytes(path, [1, 2, 3]);
        var e = Assert.Throws<InvalidOperationException>(() => AtomicFile.Write(path, s =>
        {
            s.Write(new byte[100_000]);
            throw new InvalidOperationException("disk on fire");
        }));
        Assert.Equal("disk on fire", e.Message);
        Assert.Equal([1, 2, 3], File.ReadAllBytes(path));
        Assert.Equal([path], Directory.GetFiles(tmp.Path));
    }

    [Fact]
    public void Writes_replace_and_create_folders()
    {
        var path = Path.Combine(tmp.Path, "a", "b", "run.json");
        AtomicFile.WriteAllText(path, "{\"x\": 1}");
        Assert.Equal("{\"x\": 1}", File.ReadAllText(path, Encoding.UTF8));
        AtomicFile.Write(path, s => s.Write("new"u8));
        Assert.Equal("new", File.ReadAllText(path));
        AtomicFile.WriteAllBytes(path, [0xFF]);
        Assert.Equal([0xFF], File.ReadAllBytes(path));
        Assert.Single(Directory.GetFiles(Path.GetDirectoryName(path)!));
    }
}
