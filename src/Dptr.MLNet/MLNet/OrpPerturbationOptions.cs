namespace Dptr.MLNet;

/// <summary>Options of <c>mlContext.Transforms.OrpPerturbation</c> (spec §3).</summary>
public sealed class OrpPerturbationOptions
{
    /// <summary>Noise weight: memory ← memory + Weight × noise. Default 0.1, fixed in the paper (no schedule, no normalisation).</summary>
    public float Weight { get; set; } = 0.1f;

    /// <summary>
    /// Rows that share one random token subset and draw distinct bank images (spec §3 draws per training batch).
    /// Default 32; set it to the pre-training batch size so the groups are the training batches. The bank must
    /// hold at least this many images.
    /// </summary>
    public int BatchSize { get; set; } = 32;

    /// <summary>Seed of the sampling; null takes the <c>MLContext</c> seed (0 when it has none). The reference code is unseeded.</summary>
    public int? Seed { get; set; }

    /// <summary>
    /// Also add noise outside training. Default false: ORP is identity at evaluation, inference and after
    /// <c>Fit</c>, and acts only while a Dptr trainer reads its training data (spec §3: pre-training only).
    /// </summary>
    public bool ApplyOutsideTraining { get; set; }
}
