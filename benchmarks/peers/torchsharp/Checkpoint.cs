// Weight exchange with our checkpoints (torch_nets.our_names, load_ours, save_ours): check_peers.sh starts the peer
// from our initial weights and compares the weights it trained with ours.
using System.IO.Compression;
using System.Text;
using System.Text.Json;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

internal static class Checkpoint
{
    /// <summary>{our checkpoint name: peer tensor} for every parameter and BatchNorm buffer (aux heads: estimator.{i}.*, i counting parameters).</summary>
    public static List<(string Name, Tensor Tensor)> OurNames(Net net, IReadOnlyList<Linear> aux)
    {
        var names = new List<(string, Tensor)>();
        for (int i = 0; i < net.Depth; i++)
        {
            names.Add(($"layers.{net.OursIndex[2 * i]}.weight", net.SynWeight(i)));
            int b = net.OursIndex[2 * i + 1];
            var bn = net.Bn(i);
            names.Add(($"layers.{b}.weight", bn.weight!));
            names.Add(($"layers.{b}.bias", bn.bias!));
            names.Add(($"layers.{b}.running_mean", bn.running_mean!));
            names.Add(($"layers.{b}.running_var", bn.running_var!));
        }
        names.Add(($"layers.{net.OursIndex[^1]}.weight", net.Head.weight!));
        names.Add(($"layers.{net.OursIndex[^1]}.bias", net.Head.bias!));
        int p = 0;
        foreach (var head in aux)
        {
            names.Add(($"estimator.{p++}.weight", head.weight!));
            names.Add(($"estimator.{p++}.bias", head.bias!));
        }
        return names;
    }

    /// <summary>
    /// Copies the parameters of our checkpoint (safetensors, float32) into the peer (BatchNorm's running statistics keep
    /// their initial 0 and 1: the checkpoint holds those of the run that wrote it).
    /// </summary>
    public static void LoadOurs(Net net, IReadOnlyList<Linear> aux, string path)
    {
        var bytes = File.ReadAllBytes(path);
        long headerLength = BitConverter.ToInt64(bytes, 0);
        using var header = JsonDocument.Parse(bytes.AsMemory(8, (int)headerLength));
        using var noGrad = torch.no_grad();
        foreach (var (name, target) in OurNames(net, aux))
        {
            if (name.EndsWith("running_mean") || name.EndsWith("running_var")) continue;
            var offsets = header.RootElement.GetProperty(name).GetProperty("data_offsets");
            long from = 8 + headerLength + offsets[0].GetInt64(), to = 8 + headerLength + offsets[1].GetInt64();
            var values = new float[(to - from) / 4];
            Buffer.BlockCopy(bytes, (int)from, values, 0, values.Length * 4);
            target.copy_(torch.tensor(values).reshape(target.shape));
        }
    }

    /// <summary>Writes the peer's weights under our checkpoint names as numpy's .npz (one float32 .npy per tensor).</summary>
    public static void SaveOurs(Net net, IReadOnlyList<Linear> aux, string path)
    {
        using var zip = ZipFile.Open(path, ZipArchiveMode.Create);
        foreach (var (name, tensor) in OurNames(net, aux))
        {
            var values = tensor.detach().contiguous().data<float>().ToArray();
            string shape = tensor.shape.Length == 1 ? $"({tensor.shape[0]},)" : $"({string.Join(", ", tensor.shape)})";
            string dict = $"{{'descr': '<f4', 'fortran_order': False, 'shape': {shape}, }}";
            // NPY 1.0: magic, version, header length (uint16), the header padded with spaces to a multiple of 64 with '\n'.
            int padded = (10 + dict.Length + 1 + 63) / 64 * 64 - 10;
            using var entry = zip.CreateEntry(name + ".npy", CompressionLevel.NoCompression).Open();
            entry.Write([0x93, .. "NUMPY"u8, 1, 0]);
            entry.Write(BitConverter.GetBytes((ushort)padded));
            entry.Write(Encoding.ASCII.GetBytes(dict.PadRight(padded - 1) + "\n"));
            var raw = new byte[values.Length * 4];
            Buffer.BlockCopy(values, 0, raw, 0, raw.Length);
            entry.Write(raw);
        }
    }
}
