using System.Diagnostics;

namespace Dptr.MLNet.Tests.Training;

/// <summary>
/// TorchSharp 0.107's Scalar race under real GC pressure: a child process trains and runs a tiny recognizer (public
/// API, augmentation on) once normally and once with a tiny gen-0 budget (<c>DOTNET_GCgen0size</c>) and a thread
/// forcing collections; both must finish and print identical losses and predictions. Before TensorMath and the own
/// AdamW, the stressed run aborted ("Expected false to be true … toFloat" from THSTensor_add_scalar_ in AdamW.step).
/// </summary>
[TestClass]
public sealed class GcStressTests
{
    private const int Steps = 200;

    [TestMethod]
    [Timeout(1_200_000, CooperativeCancellation = true)]
    public void TrainingAndPredictionUnderGcPressureMatchTheUnstressedRun()
    {
        var work = Path.Combine(Path.GetTempPath(), $"dptr-stress-{Guid.NewGuid():N}");
        Directory.CreateDirectory(work);
        try
        {
            var calm = Run(work, stress: false);
            var stressed = Run(work, stress: true);
            Assert.AreEqual(0, calm.ExitCode, $"unstressed run failed:\n{calm.Error}");
            Assert.AreEqual(0, stressed.ExitCode, $"stressed run failed (exit {stressed.ExitCode}):\n{Tail(stressed.Error)}");
            var lines = calm.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            Assert.AreEqual(Steps, lines.Count(l => l.StartsWith("loss ", StringComparison.Ordinal)), "every step reports its loss");
            Assert.IsGreaterThan(0, lines.Count(l => l.StartsWith("pred ", StringComparison.Ordinal)), "predictions were printed");
            StringAssert.Contains(stressed.Error, "forced collections");
            Assert.AreEqual(calm.Output, stressed.Output, "losses and predictions must be identical under GC pressure");
        }
        finally
        {
            Directory.Delete(work, true);
        }
    }

    private static string Tail(string text) => text.Length <= 4000 ? text : text[^4000..];

    private static (int ExitCode, string Output, string Error) Run(string work, bool stress)
    {
        var host = Path.Combine(AppContext.BaseDirectory, "Dptr.StressHost.dll");
        Assert.IsTrue(File.Exists(host), $"{host} was not built");
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add(host);
        info.ArgumentList.Add(work);
        info.ArgumentList.Add(Steps.ToString(System.Globalization.CultureInfo.InvariantCulture));
        if (stress)
        {
            info.ArgumentList.Add("--gc-thread");
            info.Environment["DOTNET_GCgen0size"] = "0x10000"; // 64 KiB gen 0: a collection every few allocations
        }
        using var process = Process.Start(info)!;
        var error = process.StandardError.ReadToEndAsync();
        var output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        return (process.ExitCode, output, error.Result);
    }
}
