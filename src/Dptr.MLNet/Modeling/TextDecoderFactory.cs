namespace Dptr.MLNet.Modeling;

/// <summary>Builds the decoder a <see cref="DecoderConfig"/> describes.</summary>
internal static class TextDecoderFactory
{
    /// <summary>Creates a freshly initialised decoder.</summary>
    /// <param name="config">Architecture.</param>
    /// <param name="classCount">Head classes N+1 (<see cref="Charset.ClassCount"/>).</param>
    /// <param name="seed">Seed of the weight initialisation.</param>
    public static ITextDecoder Create(DecoderConfig config, int classCount, long seed)
    {
        ArgumentNullException.ThrowIfNull(config);
        config.Validate();
        if (classCount < 2)
            throw new ArgumentOutOfRangeException(nameof(classCount), classCount, "A decoder needs at least [E] and one symbol.");
        return config.Kind switch
        {
            DecoderKind.Parseq => new ParseqDecoder(config, classCount, seed),
            DecoderKind.Autoregressive => new AutoregressiveDecoder(config, classCount, seed),
            _ => throw new ArgumentException($"Unknown decoder kind {config.Kind}.", nameof(config)),
        };
    }
}
