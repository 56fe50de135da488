namespace Dptr.MLNet;

/// <summary>What a trainer does with a label that is empty, too long or has characters outside the charset.</summary>
public enum InvalidLabelHandling
{
    /// <summary>Skip the row and count it (reported in the log and on the fitted transformer). The reference drops such samples (spec §5.2).</summary>
    Skip,

    /// <summary>Stop with an error naming the row and what is wrong.</summary>
    Throw,
}
