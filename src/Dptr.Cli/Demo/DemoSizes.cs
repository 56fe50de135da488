namespace Dptr.Cli.Demo;

/// <summary>Sizes of one demo run.</summary>
/// <param name="TextWords">Words of the text corpus: pre-training labels, and the words the fine-tuning images are rendered from.</param>
/// <param name="ValidationImages">Rendered validation images (words unseen in training), for the curves.</param>
/// <param name="TestImages">Rendered test images of words unseen in pre-training and fine-tuning.</param>
/// <param name="ClipSteps">Contrastive steps of the small CLIP trained on word renders.</param>
/// <param name="ClipHeldOut">Words held out of the small CLIP's training for its retrieval report.</param>
/// <param name="ClipLayers">Layers per CLIP tower.</param>
/// <param name="Width">Model width of CLIP, decoder, encoder.</param>
/// <param name="BankImages">Generated non-text images of the ORP bank.</param>
/// <param name="PretrainSteps">Text-only pre-training steps.</param>
/// <param name="PretrainBatch">Words per pre-training step.</param>
/// <param name="CompareSteps">Fine-tuning steps of each arm of the DPTR-vs-scratch comparison (equal budget, same images).</param>
/// <param name="FinalSteps">Further steps for the final DPTR model, continued from its comparison run.</param>
/// <param name="FinetuneBatch">Images per fine-tuning step.</param>
internal sealed record DemoSizes(int TextWords, int ValidationImages, int TestImages, int ClipSteps, int ClipHeldOut, int ClipLayers, int Width,
    int BankImages, int PretrainSteps, int PretrainBatch, int CompareSteps, int FinalSteps, int FinetuneBatch)
{
    /// <summary>The preset's name: <c>full</c>, <c>quick</c> or <c>long</c> (the CLI flag that selects it).</summary>
    public string Name { get; init; } = "full";

    /// <summary>
    /// Recognizer images with every font face and the framing variations (<see cref="DemoWords.RenderOptions"/>);
    /// false: the plainer CLIP renders (system fonts, default distortions), which the quick preset's few hundred steps
    /// can learn (its 720 final steps read 12 % of the varied test images, below the smoke test's 20 %).
    /// </summary>
    public bool VariedRenders { get; init; } = true;

    /// <summary>Longest word of the demo's corpus and held-out sets, in letters (default 10; words start at 3).</summary>
    public int MaxWordLength { get; init; } = 10;

    // Full: sized for ≤ 15 min end to end on 2 idle cores (docs/results.md has the measured timings). Every
    // fine-tuning image is rendered on the fly and never repeats; the comparison gives both arms the same rows.
    public static readonly DemoSizes Full = new(TextWords: 20000, ValidationImages: 200, TestImages: 300, ClipSteps: 400, ClipHeldOut: 1000,
        ClipLayers: 1, Width: 128, BankImages: 96, PretrainSteps: 1500, PretrainBatch: 64, CompareSteps: 600, FinalSteps: 1500, FinetuneBatch: 32);

    // Quick: the suite's smoke test (≤ 3 min): enough steps that the model reads some unseen words.
    public static readonly DemoSizes Quick = new(TextWords: 1500, ValidationImages: 64, TestImages: 100, ClipSteps: 20, ClipHeldOut: 300,
        ClipLayers: 1, Width: 128, BankImages: 32, PretrainSteps: 30, PretrainBatch: 64, CompareSteps: 30, FinalSteps: 720, FinetuneBatch: 32) { Name = "quick", VariedRenders = false, MaxWordLength = 7 };

    // Long: the full demo with a longer final training: the same data, CLIP, pre-training and comparison (a re-run in
    // a full demo's folder reuses them), and a final model trained 16,000 steps instead of 1,500 (measured: 69 min for
    // that step, about 80 min in all on 2 cores; docs/results.md).
    public static readonly DemoSizes Long = Full with { FinalSteps = 16000, Name = "long" };

    /// <summary>The demo's charset: the 36-character protocol of STR benchmarks (lower-case letters and digits).</summary>
    public const string Symbols = "abcdefghijklmnopqrstuvwxyz0123456789";
}
