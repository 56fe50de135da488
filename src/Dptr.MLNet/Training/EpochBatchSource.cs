using static TorchSharp.torch;

namespace Dptr.MLNet.Training;

/// <summary>
/// Adapts per-epoch batch sequences (the usual "shuffle, then iterate" data loader) to the step-indexed
/// <c>batchAt(step)</c> that <see cref="TrainingLoop"/> takes. Sequential steps stream through one enumerator; a jump
/// (e.g. after <see cref="TrainingLoop.Resume"/>) restarts the epoch's sequence and skips to the batch.
/// </summary>
/// <remarks>
/// For exact resume the sequence for an epoch must be a function of the epoch number (e.g. shuffle with
/// <c>new Random(seed + epoch)</c>). Batches are produced lazily inside the loop's per-step dispose scope; skipped
/// batches are disposed here.
/// </remarks>
internal sealed class EpochBatchSource : IDisposable
{
    private readonly Func<long, IEnumerable<(Tensor Input, Tensor Targets)>> _epochBatches;
    private IEnumerator<(Tensor Input, Tensor Targets)>? _current;
    private long _nextStep = -1;

    /// <param name="epochBatches">The batches of an epoch (0-based), in order.</param>
    /// <param name="stepsPerEpoch">How many batches each epoch yields (e.g. ⌊samples / batch size⌋ with drop_last).</param>
    public EpochBatchSource(Func<long, IEnumerable<(Tensor Input, Tensor Targets)>> epochBatches, long stepsPerEpoch)
    {
        _epochBatches = epochBatches ?? throw new ArgumentNullException(nameof(epochBatches));
        ArgumentOutOfRangeException.ThrowIfLessThan(stepsPerEpoch, 1);
        StepsPerEpoch = stepsPerEpoch;
    }

    /// <summary>Batches per epoch.</summary>
    public long StepsPerEpoch { get; }

    /// <summary>The batch for a 0-based global step.</summary>
    /// <exception cref="InvalidOperationException">An epoch yielded fewer than <see cref="StepsPerEpoch"/> batches.</exception>
    public (Tensor Input, Tensor Targets) BatchAt(long step)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(step);
        var epoch = step / StepsPerEpoch;
        var index = step % StepsPerEpoch;
        if (_current is null || step != _nextStep || index == 0)
        {
            _current?.Dispose();
            _current = _epochBatches(epoch).GetEnumerator();
            for (var i = 0; i < index; i++)
            {
                if (!_current.MoveNext())
                    throw Short(epoch, i);
                _current.Current.Input.Dispose();
                _current.Current.Targets.Dispose();
            }
        }
        if (!_current.MoveNext())
            throw Short(epoch, index);
        _nextStep = step + 1;
        return _current.Current;
    }

    /// <inheritdoc />
    public void Dispose() => _current?.Dispose();

    private InvalidOperationException Short(long epoch, long yielded)
        => new($"Epoch {epoch} yielded only {yielded} batches but {StepsPerEpoch} batches per epoch were declared; check the data source (drop the last incomplete batch, count after filtering).");
}
