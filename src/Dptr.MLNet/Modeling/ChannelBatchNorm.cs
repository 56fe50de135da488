using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Dptr.MLNet.Modeling;

/// <summary>
/// 2-D batch normalisation over channels, as PyTorch's <c>BatchNorm2d</c> (momentum 0.1, eps 1e-5, affine, running
/// statistics; the same parameter and buffer names, so checkpoints match). Ours because TorchSharp 0.107's
/// <c>BatchNorm.forward</c> counts batches with <c>num_batches_tracked.add_(1)</c>, an implicit temporary
/// <see cref="Scalar"/> that a GC can free during the native call (seen: "Unknown scalar type" at fine-tuning step 225);
/// here the count goes through <see cref="TensorMath"/>.
/// </summary>
internal sealed class ChannelBatchNorm : nn.Module<Tensor, Tensor>
{
    private const double Momentum = 0.1;
    private const double Epsilon = 1e-5;

    private readonly Parameter weight;
    private readonly Parameter bias;
    private readonly Tensor running_mean;
    private readonly Tensor running_var;
    private readonly Tensor num_batches_tracked;

    /// <param name="channels">Channels of the [B, C, H, W] input.</param>
    public ChannelBatchNorm(long channels) : base("batch_norm")
    {
        weight = new Parameter(ones(channels));
        bias = new Parameter(zeros(channels));
        running_mean = zeros(channels);
        running_var = ones(channels);
        num_batches_tracked = zeros(1, ScalarType.Int64).squeeze();
        RegisterComponents();
    }

    /// <summary>Normalises with the batch statistics while training (updating the running ones), with the running ones otherwise.</summary>
    public override Tensor forward(Tensor input)
    {
        if (input.dim() != 4) throw new ArgumentException($"Batch norm expects [batch, channels, height, width], got [{string.Join(", ", input.shape)}].", nameof(input));
        if (training) num_batches_tracked.add_(TensorMath.OneScalar, TensorMath.OneScalar); // rooted: an integral 1 (the count is int64)
        return nn.functional.batch_norm(input, running_mean, running_var, weight, bias, training, Momentum, Epsilon);
    }
}
