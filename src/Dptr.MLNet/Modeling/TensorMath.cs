using System.Collections.Concurrent;
using TorchSharp;
using static TorchSharp.torch;

namespace Dptr.MLNet.Modeling;

/// <summary>
/// The one place that creates TorchSharp <see cref="Scalar"/>s. TorchSharp 0.107 wraps native scalars in finalizable
/// objects and does not keep a temporary alive during the native call: <c>a + b</c> passes an implicit <c>alpha</c>,
/// <c>a * 2.0</c>, <c>masked_fill(m, v)</c>, <c>clamp(lo, hi)</c>, <c>arange(n)</c> and the optimizers' <c>step()</c>
/// all create one; once the JIT considers it dead, a GC can finalize it while the op still reads it, and the op fails
/// at random ("Expected false to be true ... toFloat", "Unknown scalar type"). Upstream fixes (dotnet/TorchSharp
/// PRs 1434, 1496) are unmerged.
/// </summary>
/// <remarks>
/// Every helper either passes a rooted scalar (a static field, or an entry of the constant cache, which is never
/// freed) or a scalar held by <c>using</c> until the native call has returned. The IL scan in the test suite
/// (<c>ScalarUsageTests</c>) fails when code outside this class creates a Scalar, calls a TorchSharp overload that
/// creates one as a temporary, or uses a TorchSharp optimizer.
/// </remarks>
internal static class TensorMath
{
    // Static fields are GC roots: never finalized. Scalars are not tracked by dispose scopes.
    private static readonly ConcurrentDictionary<(long Bits, bool Integral), Scalar> Constants = new();

    /// <summary>Rooted 0 (integral).</summary>
    public static readonly Scalar ZeroScalar = 0L;

    /// <summary>Rooted 1 (integral; the alpha of <see cref="Plus(Tensor, Tensor)"/>).</summary>
    public static readonly Scalar OneScalar = 1L;

    /// <summary>Rooted −1 (integral; the alpha of <see cref="Minus(Tensor, Tensor)"/>).</summary>
    public static readonly Scalar MinusOneScalar = -1L;

    /// <summary>−∞ as a rooted scalar (fill value of attention masks).</summary>
    public static readonly Scalar NegativeInfinity = float.NegativeInfinity;

    /// <summary>
    /// A rooted scalar for a value that stays the same for the life of the process (token ids, model constants).
    /// Cached: the same value gives the same instance, so only a bounded set of values should go through here; use
    /// the <c>double</c> overloads below for values that change (learning rates, random factors).
    /// </summary>
    public static Scalar Constant(long value) => Constants.GetOrAdd((value, true), static k => k.Bits);

    /// <inheritdoc cref="Constant(long)" />
    public static Scalar Constant(double value) => Constants.GetOrAdd((BitConverter.DoubleToInt64Bits(value), false), static k => BitConverter.Int64BitsToDouble(k.Bits));

    /// <summary>An additive attention mask: 0 where allowed, −∞ where <paramref name="blocked"/> (rooted fill value).</summary>
    public static Tensor AdditiveMask(Tensor blocked, ScalarType dtype)
        => zeros(blocked.shape, dtype, blocked.device).masked_fill(blocked, NegativeInfinity);

    // ---- element-wise arithmetic ----

    /// <summary><c>a + b</c> with a rooted alpha.</summary>
    public static Tensor Plus(this Tensor a, Tensor b) => a.add(b, OneScalar);

    /// <summary><c>a - b</c> with a rooted alpha.</summary>
    public static Tensor Minus(this Tensor a, Tensor b) => a.add(b, MinusOneScalar);

    /// <summary><c>a + value</c>.</summary>
    public static Tensor Plus(this Tensor a, double value)
    {
        using var s = value.ToScalar();
        return a.add(s, OneScalar);
    }

    /// <summary><c>a - value</c>.</summary>
    public static Tensor Minus(this Tensor a, double value)
    {
        using var s = (-value).ToScalar();
        return a.add(s, OneScalar);
    }

    /// <summary><c>value - a</c>.</summary>
    public static Tensor SubtractedFrom(this Tensor a, double value)
    {
        using var s = value.ToScalar();
        return a.neg().add(s, OneScalar);
    }

    /// <summary><c>a * factor</c>.</summary>
    public static Tensor Times(this Tensor a, double factor)
    {
        using var s = factor.ToScalar();
        return a.mul(s);
    }

    /// <summary><c>a * factor</c> with a scalar that is rooted elsewhere (e.g. <see cref="Constant(double)"/>).</summary>
    public static Tensor Times(this Tensor a, Scalar factor)
    {
        var result = a.mul(factor);
        GC.KeepAlive(factor);
        return result;
    }

    /// <summary><c>a / divisor</c>.</summary>
    public static Tensor DividedBy(this Tensor a, double divisor)
    {
        using var s = divisor.ToScalar();
        return a.div(s);
    }

    /// <summary><c>a ** exponent</c>.</summary>
    public static Tensor Power(this Tensor a, double exponent)
    {
        using var s = exponent.ToScalar();
        return a.pow(s);
    }

    /// <summary>Clamps into [<paramref name="min"/>, <paramref name="max"/>].</summary>
    public static Tensor Clamp(this Tensor a, double min, double max)
    {
        using var lo = min.ToScalar();
        using var hi = max.ToScalar();
        return a.clamp(lo, hi);
    }

    /// <summary>In-place clamp into [<paramref name="min"/>, <paramref name="max"/>].</summary>
    public static Tensor ClampInPlace(this Tensor a, double min, double max)
    {
        using var lo = min.ToScalar();
        using var hi = max.ToScalar();
        return a.clamp_(lo, hi);
    }

    /// <summary>In-place fill.</summary>
    public static Tensor FillInPlace(this Tensor a, double value)
    {
        using var s = value.ToScalar();
        return a.fill_(s);
    }

    /// <summary><c>a</c> with <paramref name="value"/> where <paramref name="mask"/> is true.</summary>
    public static Tensor MaskedFill(this Tensor a, Tensor mask, double value)
    {
        using var s = value.ToScalar();
        return a.masked_fill(mask, s);
    }

    // ---- comparisons with a constant (ids, thresholds) ----

    /// <summary><c>a == value</c> (rooted constant).</summary>
    public static Tensor EqualTo(this Tensor a, long value) => a.eq(Constant(value));

    /// <summary><c>a != value</c> (rooted constant).</summary>
    public static Tensor NotEqualTo(this Tensor a, long value) => a.ne(Constant(value));

    /// <summary><c>a &gt; value</c>.</summary>
    public static Tensor GreaterThan(this Tensor a, double value)
    {
        using var s = value.ToScalar();
        return a.gt(s);
    }

    /// <summary><c>a &lt; value</c>.</summary>
    public static Tensor LessThan(this Tensor a, double value)
    {
        using var s = value.ToScalar();
        return a.lt(s);
    }

    // ---- factories ----

    /// <summary><c>torch.full(shape, value)</c>.</summary>
    public static Tensor Full(long[] shape, double value, ScalarType dtype, Device? device = null)
    {
        using var s = dtype is ScalarType.Float16 or ScalarType.BFloat16 or ScalarType.Float32 or ScalarType.Float64
            ? value.ToScalar() : ((long)value).ToScalar();
        return full(shape, s, dtype, device);
    }

    /// <summary><c>torch.full_like(a, value)</c>.</summary>
    public static Tensor FullLike(Tensor a, double value)
    {
        using var s = value.ToScalar();
        return full_like(a, s);
    }

    /// <summary><c>torch.arange(count)</c>: 0, 1, …, count−1.</summary>
    public static Tensor Arange(long count, ScalarType dtype, Device? device = null)
    {
        using var stop = count.ToScalar();
        return arange(ZeroScalar, stop, OneScalar, dtype, device);
    }

    // ---- in-place updates (optimizers) ----

    /// <summary><c>a *= factor</c>.</summary>
    public static Tensor TimesInPlace(this Tensor a, double factor)
    {
        using var s = factor.ToScalar();
        return a.mul_(s);
    }

    /// <summary><c>a += value</c>.</summary>
    public static Tensor PlusInPlace(this Tensor a, double value)
    {
        using var s = value.ToScalar();
        return a.add_(s, OneScalar);
    }

    /// <summary><c>a += alpha · b</c>.</summary>
    public static Tensor AddInPlace(this Tensor a, Tensor b, double alpha = 1)
    {
        using var s = alpha.ToScalar();
        return a.add_(b, s);
    }

    /// <summary><c>a += value · b · c</c>.</summary>
    public static Tensor AddProductInPlace(this Tensor a, Tensor b, Tensor c, double value)
    {
        using var s = value.ToScalar();
        return a.addcmul_(b, c, s);
    }

    /// <summary><c>a += value · b / c</c>.</summary>
    public static Tensor AddQuotientInPlace(this Tensor a, Tensor b, Tensor c, double value)
    {
        using var s = value.ToScalar();
        return a.addcdiv_(b, c, s);
    }

    /// <summary><c>a += weight · (b − a)</c> (PyTorch's <c>lerp_</c>).</summary>
    public static Tensor LerpInPlace(this Tensor a, Tensor b, double weight)
    {
        using var s = weight.ToScalar();
        return a.lerp_(b, s);
    }
}
