namespace Dptr.MLNet.Tests.Analysis;

[TestClass]
public sealed class ScalarUsageTests
{
    private static string AssemblyOf(Type type) => type.Assembly.Location;

    /// <summary>
    /// Types in files that are being edited on another branch (owned by the lead engineer, fixed when the branches
    /// merge). Their violations are printed, not failed; an entry without violations fails, so the list only shrinks.
    /// </summary>

    [TestMethod]
    public void LibraryAndCliCreateScalarsOnlyThroughTensorMath()
    {
        var scanner = new ScalarUsageScanner();
        var all = scanner.Scan(AssemblyOf(typeof(Dptr.MLNet.Modeling.Charset)), Path.Combine(AppContext.BaseDirectory, "dptr.dll"));
        Assert.IsGreaterThan(500, scanner.MethodsScanned, "the scan must have looked at the library's and the CLI's methods");
        var violations = all.ToList();
        Assert.AreEqual(0, violations.Count,
            $"{violations.Count} TorchSharp Scalar hazards (see Modeling/TensorMath):{Environment.NewLine}{string.Join(Environment.NewLine, violations)}");
    }

    [TestMethod]
    public void ScannerFlagsImplicitScalarsHiddenOperatorsAndOptimizers()
    {
        var scanner = new ScalarUsageScanner();
        var violations = scanner.Scan(AssemblyOf(typeof(ScalarHazardSamples)))
            .Where(v => v.StartsWith(typeof(ScalarHazardSamples).FullName!, StringComparison.Ordinal)).ToList();
        Assert.IsTrue(violations.Any(v => v.Contains("::ImplicitScalar:") && v.Contains("creates a Scalar")), string.Join("\n", violations));
        Assert.IsTrue(violations.Any(v => v.Contains("::HiddenAlpha:") && v.Contains("temporary Scalar")), string.Join("\n", violations));
        Assert.IsTrue(violations.Any(v => v.Contains("::TimesDouble:") && v.Contains("temporary Scalar")), string.Join("\n", violations));
        Assert.IsTrue(violations.Any(v => v.Contains("::Optimizer:") && v.Contains("optimizer")), string.Join("\n", violations));
        Assert.IsTrue(violations.Any(v => v.Contains("::BatchNorm:") && v.Contains("ChannelBatchNorm")), string.Join("\n", violations));
        Assert.IsTrue(violations.Any(v => v.Contains("::BatchNormModule:") && v.Contains("BatchNorm") && v.Contains("forward")), string.Join("\n", violations));
        Assert.IsFalse(violations.Any(v => v.Contains("::Safe:")), string.Join("\n", violations));
    }
}

/// <summary>Code the scanner must flag (never run).</summary>
internal static class ScalarHazardSamples
{
    public static TorchSharp.torch.Tensor ImplicitScalar(TorchSharp.torch.Tensor t) => t.mul(2.0);

    public static TorchSharp.torch.Tensor HiddenAlpha(TorchSharp.torch.Tensor a, TorchSharp.torch.Tensor b) => a + b;

    public static TorchSharp.torch.Tensor TimesDouble(TorchSharp.torch.Tensor a) => a * 3.0;

    // TorchSharp's BatchNorm.forward bumps num_batches_tracked with a temporary Scalar (seen failing under GC stress).
    public static object BatchNormModule() => TorchSharp.torch.nn.BatchNorm2d(4);

    public static object Optimizer(TorchSharp.Modules.Parameter[] p) => TorchSharp.torch.optim.AdamW(p);

    public static object BatchNorm() => TorchSharp.torch.nn.BatchNorm2d(3);

    public static TorchSharp.torch.Tensor Safe(TorchSharp.torch.Tensor a, TorchSharp.torch.Tensor b) => Dptr.MLNet.Modeling.TensorMath.Plus(a, b).matmul(b);
}
