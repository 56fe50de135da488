namespace Dptr.MLNet.MLNet.Training;

/// <summary>
/// Marks the code that reads data to train a model (an ambient, async-flowing flag). Transforms that only act
/// during training, like ORP noise (spec §3: pre-training only, never at evaluation or inference), check
/// <see cref="IsActive"/> when a cursor is opened. Trainers enter it around their training passes and
/// <see cref="Suspend"/> it around validation, which must see clean inputs.
/// </summary>
internal static class TrainingScope
{
    private static readonly AsyncLocal<bool> Active = new();

    /// <summary>True inside <see cref="Enter"/> and outside any <see cref="Suspend"/>.</summary>
    public static bool IsActive => Active.Value;

    /// <summary>Marks training until the returned handle is disposed.</summary>
    public static IDisposable Enter() => new Restore(true);

    /// <summary>Marks not-training (validation) until the returned handle is disposed.</summary>
    public static IDisposable Suspend() => new Restore(false);

    private sealed class Restore : IDisposable
    {
        private readonly bool _previous;
        private bool _disposed;

        public Restore(bool value)
        {
            _previous = Active.Value;
            Active.Value = value;
        }

        public void Dispose()
        {
            if (_disposed) return;
            _disposed = true;
            Active.Value = _previous;
        }
    }
}
