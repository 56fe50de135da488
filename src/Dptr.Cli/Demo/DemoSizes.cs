namespace Dptr.Cli.Demo;

/// <summary>Sizes of one demo run.</summary>
internal sealed record DemoSizes(int TextWords, int TrainImages, int ValidationImages, int TestImages, int ClipSteps, int ClipImages,
    int ClipLayers, int Width, int BankImages, int PretrainSteps, int PretrainBatch, int FinetuneSteps, int FinetuneBatch)
{
    // Full: ~12 min on 2 idle cores (measured: pre-training ~6.5 steps/s, fine-tuning ~9 steps/s at width 64).
    // Few labelled images (2,000, as in the experiment), many more text-only words, so pre-training has
    // room to help; equal fine-tuning budgets for DPTR and scratch.
    public static readonly DemoSizes Full = new(TextWords: 8000, TrainImages: 2000, ValidationImages: 100, TestImages: 300, ClipSteps: 400,
        ClipImages: 2048, ClipLayers: 1, Width: 64, BankImages: 96, PretrainSteps: 2000, PretrainBatch: 64, FinetuneSteps: 1600, FinetuneBatch: 32);

    public static readonly DemoSizes Quick = new(TextWords: 1500, TrainImages: 256, ValidationImages: 48, TestImages: 64, ClipSteps: 30,
        ClipImages: 384, ClipLayers: 1, Width: 64, BankImages: 64, PretrainSteps: 120, PretrainBatch: 64, FinetuneSteps: 80, FinetuneBatch: 32);
}
