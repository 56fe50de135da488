namespace Dptr.MLNet.Data;

/// <summary>What a batch render wrote and skipped.</summary>
public sealed class SyntheticRenderSummary
{
    /// <summary>Samples written.</summary>
    public long Written { get; init; }

    /// <summary>Samples skipped because no loaded font has glyphs for every character of the word.</summary>
    public long SkippedNoFont { get; init; }

    /// <summary>Up to 20 examples of skipped words.</summary>
    public IReadOnlyList<string> SkippedExamples { get; init; } = [];

    /// <summary>Where the dataset was written.</summary>
    public string Output { get; init; } = "";

    /// <summary>Wall-clock seconds.</summary>
    public double Seconds { get; init; }

    /// <summary>One-line summary.</summary>
    public override string ToString() =>
        FormattableString.Invariant($"wrote {Written} images to {Output} in {Seconds:F1} s ({(Seconds > 0 ? Written / Seconds : 0):F0} img/s); skipped {SkippedNoFont} words without font coverage");
}
