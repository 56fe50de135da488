using Dptr.MLNet.Modeling;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Dptr.MLNet.Training;

/// <summary>
/// AdamW (Loshchilov &amp; Hutter, decoupled weight decay) with PyTorch's update, <c>amsgrad=False</c>,
/// <c>maximize=False</c>, per parameter with a gradient:
/// <code>
/// step += 1
/// p       *= 1 − lr·wd
/// m        = β1·m + (1 − β1)·g
/// v        = β2·v + (1 − β2)·g²
/// p       −= lr / (1 − β1^step) · m / (√v / √(1 − β2^step) + ε)
/// </code>
/// It replaces TorchSharp's <c>optim.AdamW</c>, whose <c>step()</c> creates temporary Scalars for every one of those
/// operations (the TorchSharp 0.107 Scalar race, see <see cref="TensorMath"/>); the operations and their order are
/// TorchSharp's own, so the two give the same tensors (a test checks it on the same gradients).
/// </summary>
/// <remarks>
/// Like TorchSharp's optimizers, <see cref="ZeroGrad"/> zeroes existing gradients rather than dropping them, and a
/// parameter without a gradient (never part of a backward pass, e.g. a frozen decoder) is skipped: neither its
/// step count nor its moments change.
/// </remarks>
internal sealed class AdamW : IDisposable
{
    private const string StateMagic = "DPTR-ADAMW";
    private const int StateVersion = 1;
    private readonly ParameterGroup[] _groups;
    private readonly double _beta1;
    private readonly double _beta2;
    private readonly double _epsilon;
    private bool _disposed;

    /// <summary>A set of parameters sharing a learning rate and weight decay.</summary>
    internal sealed class ParameterGroup
    {
        /// <param name="parameters">The parameters.</param>
        /// <param name="weightDecay">Decoupled weight decay (≥ 0).</param>
        public ParameterGroup(IEnumerable<Parameter> parameters, double weightDecay)
        {
            ArgumentNullException.ThrowIfNull(parameters);
            if (!(weightDecay >= 0))
                throw new ArgumentOutOfRangeException(nameof(weightDecay), weightDecay, "Weight decay must be ≥ 0.");
            Parameters = parameters.ToArray();
            WeightDecay = weightDecay;
            States = Parameters.Select(p => new ParameterState(p)).ToArray();
        }

        /// <summary>The parameters.</summary>
        public IReadOnlyList<Parameter> Parameters { get; }

        /// <summary>Decoupled weight decay.</summary>
        public double WeightDecay { get; }

        /// <summary>Learning rate used by the next <see cref="Step"/>.</summary>
        public double LearningRate { get; set; }

        internal ParameterState[] States { get; }
    }

    internal sealed class ParameterState(Parameter parameter) : IDisposable
    {
        public long Step;
        public Tensor ExpAvg { get; set; } = zeros_like(parameter).DetachFromDisposeScope();
        public Tensor ExpAvgSq { get; set; } = zeros_like(parameter).DetachFromDisposeScope();

        public void Dispose()
        {
            ExpAvg.Dispose();
            ExpAvgSq.Dispose();
        }
    }

    /// <summary>One group.</summary>
    public AdamW(IEnumerable<Parameter> parameters, double learningRate, double beta1 = 0.9, double beta2 = 0.999, double epsilon = 1e-8, double weightDecay = 0)
        : this([new ParameterGroup(parameters, weightDecay)], learningRate, beta1, beta2, epsilon)
    {
    }

    /// <summary>Several groups (e.g. no decay on biases and norms).</summary>
    public AdamW(IEnumerable<ParameterGroup> groups, double learningRate, double beta1 = 0.9, double beta2 = 0.999, double epsilon = 1e-8)
    {
        ArgumentNullException.ThrowIfNull(groups);
        if (!(learningRate >= 0)) throw new ArgumentOutOfRangeException(nameof(learningRate), learningRate, "The learning rate must be ≥ 0.");
        if (!(beta1 >= 0 && beta1 < 1)) throw new ArgumentOutOfRangeException(nameof(beta1), beta1, "β1 must be in [0, 1).");
        if (!(beta2 >= 0 && beta2 < 1)) throw new ArgumentOutOfRangeException(nameof(beta2), beta2, "β2 must be in [0, 1).");
        if (!(epsilon >= 0)) throw new ArgumentOutOfRangeException(nameof(epsilon), epsilon, "ε must be ≥ 0.");
        _groups = groups.ToArray();
        if (_groups.Sum(g => g.Parameters.Count) == 0)
            throw new ArgumentException("AdamW needs at least one parameter.", nameof(groups));
        _beta1 = beta1;
        _beta2 = beta2;
        _epsilon = epsilon;
        LearningRate = learningRate;
    }

    /// <summary>The parameter groups.</summary>
    public IReadOnlyList<ParameterGroup> Groups => _groups;

    /// <summary>Sets every group's learning rate (the getter reads the first group's).</summary>
    public double LearningRate
    {
        get => _groups[0].LearningRate;
        set
        {
            foreach (var g in _groups) g.LearningRate = value;
        }
    }

    /// <summary>Zeroes the gradients that exist.</summary>
    public void ZeroGrad()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        foreach (var group in _groups)
            foreach (var p in group.Parameters)
            {
                using var grad = p.grad;
                grad?.zero_();
            }
    }

    /// <summary>One update of every parameter that has a gradient.</summary>
    public void Step()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        using var _ = no_grad();
        using var scope = NewDisposeScope();
        foreach (var group in _groups)
        {
            var lr = group.LearningRate;
            for (var i = 0; i < group.Parameters.Count; i++)
            {
                var p = group.Parameters[i];
                var grad = p.grad;
                if (grad is null)
                    continue;
                var state = group.States[i];
                state.Step++;
                p.TimesInPlace(1 - lr * group.WeightDecay);
                var biasCorrection1 = 1 - Math.Pow(_beta1, state.Step);
                var biasCorrection2 = 1 - Math.Pow(_beta2, state.Step);
                state.ExpAvg.TimesInPlace(_beta1).AddInPlace(grad, 1 - _beta1);
                state.ExpAvgSq.TimesInPlace(_beta2).AddProductInPlace(grad, grad, 1 - _beta2);
                var denom = state.ExpAvgSq.sqrt().DividedBy(Math.Sqrt(biasCorrection2)).PlusInPlace(_epsilon);
                p.AddQuotientInPlace(state.ExpAvg, denom, -lr / biasCorrection1);
            }
        }
    }

    /// <summary>Writes the per-parameter state (step, first and second moments), in parameter order.</summary>
    public void Save(BinaryWriter writer)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        writer.Write(StateMagic);
        writer.Write(StateVersion);
        writer.Write(_groups.Length);
        foreach (var group in _groups)
        {
            writer.Write(group.States.Length);
            foreach (var state in group.States)
            {
                writer.Write(state.Step);
                state.ExpAvg.Save(writer);
                state.ExpAvgSq.Save(writer);
            }
        }
    }

    /// <summary>Reads what <see cref="Save"/> wrote, for the same parameters.</summary>
    /// <exception cref="InvalidDataException">The state was written for other parameters or is not AdamW state.</exception>
    public void Load(BinaryReader reader)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (reader.ReadString() != StateMagic)
            throw new InvalidDataException("The optimizer state is not Dptr.MLNet AdamW state.");
        var version = reader.ReadInt32();
        if (version != StateVersion)
            throw new InvalidDataException($"The optimizer state has version {version}; this build reads version {StateVersion}.");
        var groups = reader.ReadInt32();
        if (groups != _groups.Length)
            throw new InvalidDataException($"The optimizer state has {groups} parameter group(s); this model has {_groups.Length}.");
        foreach (var group in _groups)
        {
            var count = reader.ReadInt32();
            if (count != group.States.Length)
                throw new InvalidDataException($"The optimizer state has {count} parameter(s) in a group; this model has {group.States.Length}.");
            using var _ = no_grad();
            foreach (var state in group.States)
            {
                state.Step = reader.ReadInt64();
                state.ExpAvg.Load(reader);
                state.ExpAvgSq.Load(reader);
            }
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        foreach (var group in _groups)
            foreach (var state in group.States)
                state.Dispose();
    }
}
