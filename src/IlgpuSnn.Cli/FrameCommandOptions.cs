using System.CommandLine;

namespace IlgpuSnn.Cli;

/// <summary>The `--frames`, `--split-by`, `--duration-us`, `--frame-size` and `--frame-cache` options of commands that read event data.</summary>
internal sealed class FrameCommandOptions
{
    public Option<int> Frames { get; } = new("--frames") { Description = "Event data: frames per sample (= time steps T).", DefaultValueFactory = _ => 4 };

    public Option<string> SplitBy { get; } = new("--split-by") { Description = "Event data: count (equal events), time (equal time) or duration (--duration-us per frame).", DefaultValueFactory = _ => "count" };

    public Option<long> Duration { get; } = new("--duration-us") { Description = "Event data: frame length in µs for --split-by duration." };

    public Option<int?> Size { get; } = new("--frame-size") { Description = "Event data: down-sample frames to this side (e.g. 48 for 128x128 sensors)." };

    public Option<string?> Cache { get; } = new("--frame-cache") { Description = "Event data: folder of integrated frames (default ~/.cache/ilgpusnn/frames)." };

    public static FrameCommandOptions Create() => new();

    public DatasetSpec.FrameSettings Read(ParseResult parse) =>
        new(parse.GetValue(Frames), parse.GetValue(SplitBy)!, parse.GetValue(Duration), parse.GetValue(Size), parse.GetValue(Cache));
}
