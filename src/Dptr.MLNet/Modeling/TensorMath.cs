using TorchSharp;
using static TorchSharp.torch;

namespace Dptr.MLNet.Modeling;

/// <summary>
/// Tensor arithmetic that is safe from a TorchSharp 0.107 race. Its <c>a + b</c> and <c>a * 2.0</c> create a temporary
/// <see cref="Scalar"/> (the <c>alpha</c> of <c>add</c>, or the factor) whose finalizer can free the native scalar while
/// the native op still reads it, once the JIT considers the temporary dead; under GC pressure this fails at random with
/// "Expected false to be true ... toFloat" (seen in our training and benchmark runs). These helpers pass scalars that
/// stay reachable for the whole call.
/// </summary>
internal static class TensorMath
{
    // Static fields are GC roots: never finalized. Scalars are not tracked by dispose scopes.
    private static readonly Scalar One = 1;
    /// <summary>−∞ as a rooted scalar (fill value of attention masks).</summary>
    public static readonly Scalar NegativeInfinity = float.NegativeInfinity;

    /// <summary>An additive attention mask: 0 where allowed, −∞ where <paramref name="blocked"/> (rooted fill value).</summary>
    public static Tensor AdditiveMask(Tensor blocked, ScalarType dtype)
        => zeros(blocked.shape, dtype, blocked.device).masked_fill(blocked, NegativeInfinity);

    /// <summary><c>a + b</c> with a rooted alpha.</summary>
    public static Tensor Plus(this Tensor a, Tensor b) => a.add(b, One);

    /// <summary><c>a − b</c> (TorchSharp's tensor-tensor <c>sub</c> passes no scalar).</summary>
    public static Tensor Minus(this Tensor a, Tensor b) => a.sub(b);

    /// <summary><c>a + value</c> with the value kept alive through the native call.</summary>
    public static Tensor Plus(this Tensor a, Scalar value)
    {
        var result = a.add(value, One);
        GC.KeepAlive(value);
        return result;
    }

    /// <summary><c>a * factor</c> with the factor kept alive through the native call.</summary>
    public static Tensor Times(this Tensor a, Scalar factor)
    {
        var result = a.mul(factor);
        GC.KeepAlive(factor);
        return result;
    }
}
