using Dptr.MLNet.Diagnostics;

namespace Dptr.Cli.Commands;

/// <summary>
/// <c>dptr bench</c>: a thin front end of <see cref="DptrBenchmark"/> (training-step time and profile, samples/s,
/// GFLOP/s beside the same run's libtorch matmul rate, inference ms/image at batch 1 and 32 with and without the
/// key/value cache, peak memory).
/// </summary>
internal sealed class BenchCommand : ICliCommand
{
    /// <summary>Where the report is written.</summary>
    internal TextWriter Output { get; set; } = Console.Out;

    public string Name => "bench";

    public string Description => "Measure training-step time, GFLOP/s, inference latency and memory (--json for machines).";

    public string Usage =>
        "dptr bench [--config cpu|paper] [--steps <n>] [--json]\n" +
        "  --config   cpu: 128 wide, 2+2 layers, batch 32 (default; ~2 min on 2 cores)\n" +
        "             paper: 512 wide, decoder 6 layers, encoder 12 layers, 8 heads (spec §5.1), batch 8 on CPU\n" +
        "  --steps    measured training steps per stage (default 6 cpu, 3 paper; after warm-up)\n" +
        "  --json     print one JSON object";

    public int Order => 90;

    public int Run(CliArgs args)
    {
        var options = args.Get("config", "cpu") switch
        {
            "cpu" => DptrBenchmarkOptions.Cpu,
            "paper" => DptrBenchmarkOptions.Paper,
            var other => throw new CliUsageException($"--config must be cpu or paper, got '{other}'"),
        };
        options.Steps = args.GetInt("steps", options.Steps);
        if (options.Steps < 1) throw new CliUsageException("--steps must be ≥ 1");
        bool json = args.Flag("json");
        var log = json ? null : new StderrLog();
        var result = DptrBenchmark.Run(options, log);
        Output.WriteLine(json ? result.ToJson() : result.ToString());
        return 0;
    }

    private sealed class StderrLog : IProgress<string>
    {
        public void Report(string value) => Console.Error.WriteLine($"bench: {value}");
    }
}
