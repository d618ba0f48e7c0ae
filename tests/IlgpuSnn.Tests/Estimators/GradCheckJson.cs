using System.Globalization;
using System.Text.Json.Nodes;
using IlgpuSnn.Tests.Reference;

namespace IlgpuSnn.Tests.Estimators;

/// <summary>Writes a reference case in the `snn gradcheck` JSON format (the library only ever sees the JSON).</summary>
public static class GradCheckJson
{
    public static string From(ReferenceCase c)
    {
        var neuron = new JsonObject
        {
            ["decay"] = c.Decay,
            ["threshold"] = c.Threshold,
            ["reset"] = c.Reset,
            ["detach_reset"] = c.DetachReset,
            ["surrogate"] = c.Surrogate,
        };
        if (c.Alpha is { } a) neuron["alpha"] = a;
        var options = new JsonObject();
        if (c.KSet is { } k) options["k_set"] = Array(k.Select(v => (double)v));
        if (c.Window > 0) options["window"] = c.Window;
        if (c.Blocks is { } b) options["blocks"] = new JsonArray(b.Select(x => (JsonNode)Array(x.Select(v => (double)v))).ToArray());
        if (c.AuxHeads is { } h)
            options["aux_heads"] = new JsonObject(h.Select(p => KeyValuePair.Create(p.Key.ToString(CultureInfo.InvariantCulture), (JsonNode?)Matrix(p.Value))));
        options["update"] = c.Update;
        options["all_trace"] = c.AllTrace;
        options["official_scale"] = c.OfficialScale;
        var root = new JsonObject
        {
            ["estimator"] = c.Estimator,
            ["loss"] = c.Loss,
            ["neuron"] = neuron,
            ["inputs"] = Matrix(c.Inputs),
            ["target"] = Array(c.Target),
            ["layers"] = new JsonArray(c.Layers.Select(m => (JsonNode)Matrix(m)).ToArray()),
            ["readout"] = Matrix(c.Readout),
            ["options"] = options,
        };
        return root.ToJsonString();
    }

    private static JsonArray Array(IEnumerable<double> v) => new(v.Select(x => (JsonNode)JsonValue.Create(x)).ToArray());

    private static JsonArray Matrix(double[][] m) => new(m.Select(r => (JsonNode)Array(r)).ToArray());
}
