using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Dptr.MLNet.Modeling;

/// <summary>
/// Seeded weight initialisation shared by the modules (spec §5.1 "Init": Linear/Embedding trunc-normal std 0.02,
/// biases 0, LayerNorm 1/0). Every random draw goes through a <see cref="Generator"/> so construction is reproducible.
/// </summary>
internal static class WeightInit
{
    /// <summary>Standard deviation of the truncated normal used by PARSeq/OpenOCR.</summary>
    public const double TruncNormalStd = 0.02;

    /// <summary>Weight trunc-normal(0, 0.02) in [-2, 2] (timm's convention), bias zero.</summary>
    public static void TruncNormal(Linear linear, Generator generator)
    {
        TruncNormal(linear.weight!, generator);
        using var _ = no_grad();
        if (linear.bias is not null)
            nn.init.zeros_(linear.bias);
    }

    /// <summary>Trunc-normal(0, 0.02) for a raw tensor (embeddings, learned queries, position embeddings).</summary>
    /// <remarks>
    /// TorchSharp 0.107's <c>nn.init.trunc_normal_</c> fills the tensor with the constant <c>std</c> (checked on this
    /// build), so we sample ourselves: normal(0, std), redrawing values outside [-2, 2] (with std 0.02 that is a
    /// 100-sigma event, i.e. this is the truncated normal exactly).
    /// </remarks>
    public static void TruncNormal(Tensor tensor, Generator generator, double std = TruncNormalStd, double low = -2, double high = 2)
    {
        using var _ = no_grad();
        using var scope = NewDisposeScope();
        var values = randn(tensor.shape, ScalarType.Float32, generator: generator).TimesInPlace(std);
        while (true)
        {
            var outside = values.LessThan(low).logical_or(values.GreaterThan(high));
            if (!outside.any().item<bool>())
                break;
            values = where(outside, randn(tensor.shape, ScalarType.Float32, generator: generator).TimesInPlace(std), values);
        }
        tensor.copy_(values);
    }

    /// <summary>
    /// PyTorch's <c>nn.MultiheadAttention</c> default for its packed <c>in_proj_weight</c> [3D, D]: xavier-uniform with
    /// bound sqrt(6 / (3D + D)); we keep separate q/k/v matrices and draw each from that same distribution. Bias zero.
    /// </summary>
    public static void PackedXavier(Linear linear, long modelDim, Generator generator)
    {
        using var _ = no_grad();
        var bound = Math.Sqrt(6.0 / (4.0 * modelDim));
        Uniform(linear.weight!, bound, generator);
        if (linear.bias is not null)
            nn.init.zeros_(linear.bias);
    }

    /// <summary>PyTorch's default Conv2d init (kaiming-uniform a=√5: U(±1/√fan_in) for weight and bias), seeded.</summary>
    public static void ConvDefault(Conv2d conv, Generator generator)
    {
        using var _ = no_grad();
        var w = conv.weight!;
        var fanIn = w.shape[1] * w.shape[2] * w.shape[3];
        var bound = 1.0 / Math.Sqrt(fanIn);
        Uniform(w, bound, generator);
        if (conv.bias is not null)
            Uniform(conv.bias, bound, generator);
    }

    /// <summary>
    /// He (Kaiming) normal init with fan-out and a ReLU gain, <c>N(0, 2 / (out · kh · kw))</c> (torchvision's ResNet
    /// convention), drawn from <paramref name="generator"/>; bias zero.
    /// </summary>
    public static void KaimingNormalFanOut(Conv2d conv, Generator generator)
    {
        using var _ = no_grad();
        using var scope = NewDisposeScope();
        var w = conv.weight!;
        var fanOut = w.shape[0] * w.shape[2] * w.shape[3];
        var std = Math.Sqrt(2.0 / fanOut);
        w.copy_(randn(w.shape, ScalarType.Float32, generator: generator).Times(std));
        if (conv.bias is not null)
            nn.init.zeros_(conv.bias);
    }

    /// <summary>
    /// U(-bound, bound) drawn from <paramref name="generator"/>. (TorchSharp 0.107's <c>nn.init.uniform_</c> does not
    /// honour its generator argument — construction then depended on the global RNG — so we sample ourselves.)
    /// </summary>
    public static void Uniform(Tensor tensor, double bound, Generator generator)
    {
        using var _ = no_grad();
        using var values = rand(tensor.shape, ScalarType.Float32, generator: generator);
        tensor.copy_(values.TimesInPlace(2 * bound).PlusInPlace(-bound));
    }

    /// <summary>A host boolean mask as a tensor.</summary>
    public static Tensor ToTensor(bool[,] mask, Device device)
    {
        var rows = mask.GetLength(0);
        var cols = mask.GetLength(1);
        var flat = new bool[rows * cols];
        for (var i = 0; i < rows; i++)
            for (var j = 0; j < cols; j++)
                flat[i * cols + j] = mask[i, j];
        return tensor(flat, new long[] { rows, cols }).to(device);
    }
}
