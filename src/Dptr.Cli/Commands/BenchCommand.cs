using System.CommandLine;
using Dptr.MLNet.Diagnostics;

namespace Dptr.Cli.Commands;

/// <summary>
/// <c>dptr bench</c>: a thin front end of <see cref="DptrBenchmark"/> (training-step time and profile, samples/s,
/// GFLOP/s beside the same run's libtorch matmul rate, inference ms/image at batch 1 and 32 with and without the
/// key/value cache, peak memory).
/// </summary>
internal static class BenchCommand
{
    public static Command Create(CliContext cli)
    {
        var config = CliOptions.OneOf("--config", "cpu: 128 wide, 2+2 layers, batch 32 (~2 min on 2 cores); paper: 512 wide, decoder 6, encoder 12 layers, 8 heads (spec §5.1), batch 8 on CPU",
            "cpu", "cpu", "paper");
        var steps = CliOptions.OptionalInt("--steps", "measured training steps per stage, after warm-up [default: 6 cpu, 3 paper]", min: 1, max: 100_000);
        var json = CliOptions.Flag("--json", "print one JSON object");
        var streaming = CliOptions.Flag("--streaming",
            "instead: training samples/s of the demo's recognizer on images rendered on the fly vs the same renders read from a PNG folder (2 rounds of each, alternating; --steps timed steps after 20 warm-up steps [default: 150])");
        var command = new Command("bench", "Measure training-step time, GFLOP/s, inference latency and memory (--json for machines).") { config, steps, json, streaming };
        command.SetAction(p =>
        {
            if (p.GetValue(streaming))
            {
                var runs = Demo.StreamingBench.Measure(p.GetValue(steps) ?? 150, warmup: 20, rounds: 2, seed: 1, new Log(cli), cli.CancellationToken);
                double Mean(string source) => runs.Where(r => r.Source == source).Average(r => r.SamplesPerSecond);
                double ratio = Mean("stream") / Mean("folder");
                cli.Say(p.GetValue(json)
                    ? System.Text.Json.JsonSerializer.Serialize(new { runs, streamSamplesPerSecond = Mean("stream"), folderSamplesPerSecond = Mean("folder"), ratio })
                    : string.Create(System.Globalization.CultureInfo.InvariantCulture,
                        $"streaming {Mean("stream"):F1} samples/s, pre-rendered {Mean("folder"):F1} samples/s: {ratio:P0} ({string.Join(", ", runs.Select(r => $"{r.Source} {r.SamplesPerSecond:F1}"))})"));
                return;
            }
            var options = p.GetValue(config) == "paper" ? DptrBenchmarkOptions.Paper : DptrBenchmarkOptions.Cpu;
            if (p.GetValue(steps) is int n) options.Steps = n;
            bool asJson = p.GetValue(json);
            var result = DptrBenchmark.Run(options, asJson ? null : new Log(cli));
            cli.Say(asJson ? result.ToJson() : result.ToString());
        });
        return command;
    }

    private sealed class Log(CliContext cli) : IProgress<string>
    {
        public void Report(string value) => cli.Error.WriteLine($"bench: {value}");
    }
}
