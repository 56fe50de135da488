using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Dptr.MLNet.Modeling;

/// <summary>Transformer MLP: <c>Linear(D, rD) → GELU → Dropout → Linear(rD, D)</c> (the FFN of spec §4/§5.1/§5.4).</summary>
internal sealed class FeedForward : nn.Module<Tensor, Tensor>
{
    private readonly Linear linear1;
    private readonly Linear linear2;
    private readonly GELU activation;
    private readonly Dropout dropout;

    /// <param name="dim">Model width D.</param>
    /// <param name="hidden">Hidden width (D × mlp ratio).</param>
    /// <param name="dropout">Dropout after the activation.</param>
    /// <param name="generator">Seeded generator for the trunc-normal init.</param>
    public FeedForward(int dim, int hidden, double dropout, Generator generator) : base("ffn")
    {
        linear1 = nn.Linear(dim, hidden);
        linear2 = nn.Linear(hidden, dim);
        activation = nn.GELU();
        this.dropout = nn.Dropout(dropout);
        WeightInit.TruncNormal(linear1, generator);
        WeightInit.TruncNormal(linear2, generator);
        RegisterComponents();
    }

    /// <inheritdoc />
    public override Tensor forward(Tensor input)
        => linear2.forward(dropout.forward(activation.forward(linear1.forward(input))));
}
