using static TorchSharp.torch;

namespace Dptr.MLNet.Modeling;

/// <summary>
/// Self-attention keys and values of the positions decoded so far, one buffer pair per layer, so that each greedy
/// decoding step projects only its new position and attends over the cache instead of recomputing the whole prefix.
/// Buffers ([B, heads, capacity, D/heads]) are allocated once, at the first step, in the caller's dispose scope.
/// </summary>
/// <remarks>
/// Valid because both decoders' self-attention is causal during greedy decoding: a position's keys and values (and,
/// in PARSeq, its content stream) depend only on the positions before it, so they do not change once computed.
/// </remarks>
internal sealed class KeyValueCache
{
    private readonly Tensor?[] _keys;
    private readonly Tensor?[] _values;
    private readonly int _capacity;

    /// <param name="layers">Number of decoder layers.</param>
    /// <param name="capacity">Most positions that will be cached (MaxLength + 1).</param>
    public KeyValueCache(int layers, int capacity)
    {
        _keys = new Tensor?[layers];
        _values = new Tensor?[layers];
        _capacity = capacity;
    }

    /// <summary>Positions cached so far (the index the next <see cref="Append"/> writes).</summary>
    public int Length { get; private set; }

    /// <summary>
    /// Writes the new position's projected key/value ([B, heads, 1, D/heads]) for <paramref name="layer"/> and returns
    /// views of all cached positions including it ([B, heads, Length + 1, D/heads]).
    /// </summary>
    public (Tensor Key, Tensor Value) Append(int layer, Tensor key, Tensor value)
    {
        if (Length >= _capacity)
            throw new InvalidOperationException($"The key/value cache holds at most {_capacity} positions.");
        var keys = _keys[layer] ??= empty([key.shape[0], key.shape[1], _capacity, key.shape[3]], key.dtype, key.device);
        var values = _values[layer] ??= empty([value.shape[0], value.shape[1], _capacity, value.shape[3]], value.dtype, value.device);
        keys.narrow(2, Length, 1).copy_(key);
        values.narrow(2, Length, 1).copy_(value);
        return (keys.narrow(2, 0, Length + 1), values.narrow(2, 0, Length + 1));
    }

    /// <summary>Moves to the next position, after every layer has appended the current one.</summary>
    public void Advance() => Length++;
}
