namespace Dptr.MLNet.Data;

/// <summary>
/// Options of <c>mlContext.Data.LoadSyntheticText</c>: a view of word images rendered on demand. Row <c>i</c> is a pure
/// function of (<see cref="SyntheticTextOptions.Seed"/>, <c>i</c>): its word, its case and digit variants and its pixels,
/// whichever thread renders it.
/// </summary>
public sealed class SyntheticDataOptions
{
    /// <summary>How images are rendered (fonts, backgrounds, distortions, seed). Default: <see cref="SyntheticTextOptions"/>'s defaults.</summary>
    public SyntheticTextOptions Render { get; set; } = new();

    /// <summary>
    /// Probability that a row's word is shown in another case: Capitalised or UPPER (half each). Default 0.3 (real
    /// scene text mixes cases). With <see cref="LowercaseLabels"/> the label keeps the word's lower case.
    /// </summary>
    public double CaseVariantProbability { get; set; } = 0.3;

    /// <summary>Probability that digits are mixed in: a number alone, or 1–3 digits before or after the word. Default 0.1.</summary>
    public double DigitProbability { get; set; } = 0.1;

    /// <summary>
    /// Probability of one punctuation mark before or after the word (from <see cref="Punctuation"/>). Default 0 (the
    /// 36-character protocol has no punctuation).
    /// </summary>
    public double PunctuationProbability { get; set; }

    /// <summary>Punctuation marks used by <see cref="PunctuationProbability"/>. Default <c>.,!?:-'&amp;</c>.</summary>
    public string Punctuation { get; set; } = ".,!?:-'&";

    /// <summary>
    /// Write labels in lower case (the image keeps its case): the 36-character case-insensitive protocol of STR
    /// benchmarks, and what a CLIP-prompted decoder can learn (CLIP lower-cases its input, spec §2.1). Default false:
    /// the label is exactly the rendered text.
    /// </summary>
    public bool LowercaseLabels { get; set; }

    /// <summary>
    /// Length curriculum: over the first this many rows, the longest word drawn grows linearly from
    /// <see cref="CurriculumStartLength"/> characters to any length (rows after that draw from all words). Short words
    /// first make the column-to-character alignment easy to discover, as SortaGrad does for speech CTC. Default 0 (off).
    /// </summary>
    public long CurriculumRows { get; set; }

    /// <summary>Longest word at row 0 of the curriculum. Default 3.</summary>
    public int CurriculumStartLength { get; set; } = 3;

    /// <summary>Rows rendered ahead of the reader on background threads (bounded prefetch). Default 256.</summary>
    public int PrefetchRows { get; set; } = 256;

    /// <summary>Background rendering threads per cursor. Default: one less than the cores (at least 1).</summary>
    public int RenderThreads { get; set; } = Math.Max(1, Environment.ProcessorCount - 1);

    internal void Validate()
    {
        ArgumentNullException.ThrowIfNull(Render);
        Render.Validate();
        foreach (var (name, p) in new[] { (nameof(CaseVariantProbability), CaseVariantProbability), (nameof(DigitProbability), DigitProbability),
                     (nameof(PunctuationProbability), PunctuationProbability) })
            if (!(p >= 0 && p <= 1)) throw new ArgumentOutOfRangeException(name, p, $"{name} must be in [0, 1], got {p}.");
        if (PunctuationProbability > 0 && string.IsNullOrEmpty(Punctuation))
            throw new ArgumentException("Punctuation is empty but PunctuationProbability > 0.", nameof(Punctuation));
        if (CurriculumRows < 0) throw new ArgumentOutOfRangeException(nameof(CurriculumRows), CurriculumRows, "CurriculumRows must be ≥ 0.");
        if (CurriculumStartLength < 1) throw new ArgumentOutOfRangeException(nameof(CurriculumStartLength), CurriculumStartLength, "CurriculumStartLength must be ≥ 1.");
        if (PrefetchRows < 1) throw new ArgumentOutOfRangeException(nameof(PrefetchRows), PrefetchRows, "PrefetchRows must be at least 1.");
        if (RenderThreads < 1) throw new ArgumentOutOfRangeException(nameof(RenderThreads), RenderThreads, "RenderThreads must be at least 1.");
    }
}
