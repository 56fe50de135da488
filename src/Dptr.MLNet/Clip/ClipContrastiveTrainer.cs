using Dptr.MLNet.Clip;
using Dptr.MLNet.Modeling;
using Dptr.MLNet.Training;
using System.Diagnostics;
using TorchSharp;
using static TorchSharp.torch;

namespace Dptr.MLNet;

/// <summary>
/// Contrastive (CLIP) training of a <see cref="ClipModel"/> in place: symmetric InfoNCE over the batch with the learnable
/// temperature <c>logit_scale</c> (clamped to ≤ ln 100), AdamW, linear warm-up then cosine decay, gradient clipping,
/// seeded. Used to make the small embedded CLIP from rendered word images (no downloaded weights needed).
/// </summary>
public static class ClipContrastiveTrainer
{
    /// <summary>Trains <paramref name="model"/> on <paramref name="batches"/> (consumed lazily; each batch is disposed after its step).</summary>
    /// <returns>The report of the last step.</returns>
    /// <exception cref="ArgumentException">A batch has mismatched sizes or fewer than 2 pairs.</exception>
    public static ClipTrainingProgress Train(ClipModel model, IEnumerable<ClipTrainingBatch> batches, ClipContrastiveTrainingOptions? options = null,
                                             IProgress<ClipTrainingProgress>? progress = null, CancellationToken cancellationToken = default) =>
        Train(model, batches, options, progress, cancellationToken, auxiliary: null);

    /// <summary>
    /// Contrastive training plus an optional auxiliary loss (<paramref name="auxiliary"/>: the projected image tokens
    /// [B, T, P], the projected pooled text embeddings [B, P] and the batch → a scalar loss or null, with its own extra
    /// parameters, which are optimised alongside CLIP's but not part of it).
    /// </summary>
    internal static ClipTrainingProgress Train(ClipModel model, IEnumerable<ClipTrainingBatch> batches, ClipContrastiveTrainingOptions? options,
                                               IProgress<ClipTrainingProgress>? progress, CancellationToken cancellationToken,
                                               (Func<Tensor, Tensor, ClipTrainingBatch, Tensor?> Loss, IReadOnlyList<TorchSharp.Modules.Parameter> Parameters)? auxiliary)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(batches);
        var o = options ?? new ClipContrastiveTrainingOptions();
        ArgumentOutOfRangeException.ThrowIfLessThan(o.Steps, 1, nameof(o.Steps));
        torch.manual_seed(o.Seed);
        var net = model.Network;
        var named = net.named_parameters().ToList();
        // No weight decay on biases, norms, embeddings, class token and temperature (as CLIP).
        static bool Decays(string n) => n.EndsWith(".weight", StringComparison.Ordinal) && !n.Contains("norm", StringComparison.Ordinal)
                                        && !n.Contains("layrnorm", StringComparison.Ordinal) && !n.Contains(".bn", StringComparison.Ordinal) && !n.Contains("embedding", StringComparison.Ordinal);
        var groups = new List<AdamW.ParameterGroup>
        {
            new(named.Where(p => Decays(p.name)).Select(p => p.parameter), o.WeightDecay),
            new(named.Where(p => !Decays(p.name)).Select(p => p.parameter), 0.0),
        };
        if (auxiliary is { } aux) groups.Add(new(aux.Parameters, o.WeightDecay));
        var clipped = named.Select(p => p.parameter).Concat(auxiliary?.Parameters ?? []).ToList();
        using var optimizer = new AdamW(groups, o.LearningRate, beta1: 0.9, beta2: 0.98, epsilon: 1e-6);
        double LrAt(int step)
        {
            if (step < o.WarmupSteps) return o.LearningRate * (step + 1) / o.WarmupSteps;
            double t = o.Steps <= o.WarmupSteps ? 1 : (double)(step - o.WarmupSteps) / Math.Max(1, o.Steps - o.WarmupSteps);
            double min = o.MinLearningRateFraction;
            return o.LearningRate * (min + (1 - min) * 0.5 * (1 + Math.Cos(Math.PI * Math.Min(1, t))));
        }

        var watch = Stopwatch.StartNew();
        ClipTrainingProgress? last = null;
        int step = 0;
        net.train();
        try
        {
            foreach (var batch in batches)
            {
                using var _ = batch;
                if (step >= o.Steps) break;
                cancellationToken.ThrowIfCancellationRequested();
                long b = batch.Images.shape[0];
                if (b < 2 || b != batch.Prompts.Count)
                    throw new ArgumentException($"A CLIP training batch needs ≥ 2 pairs and as many prompts as images; got {b} images and {batch.Prompts.Count} prompts.");
                double lr = LrAt(step);
                optimizer.LearningRate = lr;
                double lossValue;
                using (var scope = torch.NewDisposeScope())
                {
                    optimizer.ZeroGrad();
                    var ids = model.Tokenize(batch.Prompts);
                    var pooledText = net.EncodeText(ids).Pooled;
                    var tokens = net.EncodeImageTokens(batch.Images.to(model.Device));
                    var image = tokens.select(1, 0);
                    var text = nn.functional.normalize(pooledText, dim: -1);
                    image = nn.functional.normalize(image, dim: -1);
                    var logits = image.matmul(text.t()).mul(net.LogitScale.exp()); // [B images, B texts]
                    var target = TensorMath.Arange(b, ScalarType.Int64, model.Device);
                    var contrastive = nn.functional.cross_entropy(logits, target).Plus(nn.functional.cross_entropy(logits.t(), target)).Times(0.5);
                    var loss = auxiliary?.Loss(tokens, pooledText, batch) is { } extra ? contrastive.Plus(extra) : contrastive;
                    loss.backward();
                    if (o.GradientClipNorm > 0) nn.utils.clip_grad_norm_(clipped, o.GradientClipNorm);
                    optimizer.Step();
                    using (torch.no_grad()) net.LogitScale.ClampInPlace(0, o.MaxLogitScale);
                    lossValue = contrastive.item<float>(); // the contrastive part (comparable with or without an auxiliary loss)
                }
                step++;
                last = new ClipTrainingProgress(step, o.Steps, lossValue, lr, Math.Exp(net.LogitScale.item<float>()),
                                                step / Math.Max(1e-9, watch.Elapsed.TotalSeconds));
                if (step % Math.Max(1, o.ProgressInterval) == 0 || step == o.Steps) progress?.Report(last);
            }
        }
        finally
        {
            net.eval();
            model.InvalidateFingerprint();
        }
        if (last is null) throw new ArgumentException("The batch sequence was empty: nothing to train on.", nameof(batches));
        if (last.Step % Math.Max(1, o.ProgressInterval) != 0 && last.Step != o.Steps) progress?.Report(last);
        return last;
    }
}
