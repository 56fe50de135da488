namespace Dptr.MLNet.Modeling;

/// <summary>
/// Analytic floating-point operation counts of the networks (a multiply-add counts 2), for reporting achieved GFLOP/s.
/// Counted: every linear/convolution matmul and the two attention matmuls (QKᵀ, AV); not counted: softmax,
/// LayerNorm, GELU, residual adds, embeddings (a few percent at these sizes). A training step is counted as 3× the
/// forward pass (backward ≈ 2× forward, the usual estimate); the optimizer's element-wise update is not counted.
/// </summary>
internal static class FlopCounter
{
    /// <summary>Multi-head attention: q/out projections on <paramref name="lq"/> tokens, k/v on <paramref name="lk"/> (unless already projected), QKᵀ and AV.</summary>
    public static double Attention(double lq, double lk, double d, bool projectKeyValue = true)
        => 2 * 2 * lq * d * d + (projectKeyValue ? 2 * 2 * lk * d * d : 0) + 2 * 2 * lq * lk * d;

    /// <summary>Two-layer MLP D → rD → D on <paramref name="tokens"/> tokens.</summary>
    public static double FeedForward(double tokens, double d, double ratio) => 2 * 2 * tokens * d * d * ratio;

    /// <summary>Linear layer on <paramref name="tokens"/> tokens.</summary>
    public static double Linear(double tokens, double inputs, double outputs) => 2 * tokens * inputs * outputs;

    /// <summary>Forward FLOPs of the ViT encoder for one image.</summary>
    public static double VisionTransformer(EncoderConfig c)
    {
        double t = c.TokenCount, d = c.Dim;
        var patch = Linear(t, 3.0 * c.PatchHeight * c.PatchWidth, d);
        return patch + c.Depth * (Attention(t, t, d) + FeedForward(t, d, c.MlpRatio));
    }

    /// <summary>Forward FLOPs of the FMU for one image (<paramref name="queries"/> queries over the visual tokens).</summary>
    public static double FeatureMergeUnit(EncoderConfig c, int queries)
        => Attention(queries, c.TokenCount, c.Dim) + FeedForward(queries, c.Dim, c.MlpRatio);

    /// <summary>
    /// Forward FLOPs of a decoder's training loss for one sample: <paramref name="labelLength"/> + 1 positions,
    /// <paramref name="memoryTokens"/> memory tokens; PARSeq runs <see cref="DecoderConfig.PermutationCount"/>
    /// orders (memory projected once, content keys/values shared by the two streams, no content update in the last layer).
    /// </summary>
    public static double DecoderLoss(DecoderConfig c, int classCount, double labelLength, double memoryTokens)
    {
        double n = labelLength + 1, d = c.Dim, s = memoryTokens;
        var memory = c.Depth * 2 * 2 * s * d * d;
        if (c.Kind == DecoderKind.Autoregressive)
            return memory + c.Depth * (Attention(n, n, d) + Attention(n, s, d, projectKeyValue: false) + FeedForward(n, d, c.MlpRatio))
                   + Linear(n, d, classCount);
        double p = Math.Max(1, c.PermutationCount);
        var stream = Attention(n, n, d, projectKeyValue: false) + Attention(n, s, d, projectKeyValue: false) + FeedForward(n, d, c.MlpRatio);
        var contentKv = 2 * 2 * n * d * d;
        var perOrder = c.Depth * (contentKv + stream) + (c.Depth - 1) * stream + Linear(n, d, classCount);
        return memory + p * perOrder;
    }

    /// <summary>FLOPs of a training step (forward + backward ≈ 3× forward) for a batch.</summary>
    public static double TrainingStep(double forwardPerSample, int batch) => 3 * forwardPerSample * batch;

    /// <summary>FLOPs of one m×k by k×n matrix product.</summary>
    public static double MatMul(double m, double k, double n) => 2 * m * k * n;
}
